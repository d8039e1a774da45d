// A throwaway PostgreSQL 15 cluster for a test file: initdb + pg_ctl from Debian's package in a
// mkdtemp folder, on a free loopback port, trust auth for 127.0.0.1 only, no Unix socket. As root
// it runs as the `postgres` system user (PostgreSQL refuses to run as root). stop() kills it
// (`-m immediate`) and removes the folder. Needs root and the postgresql package.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './sshd';
import { requireTools } from './requirements';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TestCluster {
  port: number;
  dir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<db>` */
  url(db: string): string;
  createDatabase(name: string): Promise<string>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(db: string, sql: string, params?: unknown[]): Promise<R[]>;
  /** pg_ctl stop -m immediate (the database vanishes as in a crash); start() brings it back. */
  halt(): void;
  start(): void;
  stop(): void;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`no postgres user and useradd failed: ${add.stderr}`);
  }
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

export async function startTestCluster(): Promise<TestCluster> {
  requireTools([join(PG_BIN, 'initdb'), join(PG_BIN, 'pg_ctl')], 'apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'doai-pg-'));
  const owner = postgresUser();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const run = (bin: string, args: string[]): void => {
    const cmd = owner ? ['runuser', '-u', 'postgres', '--', join(PG_BIN, bin), ...args] : [join(PG_BIN, bin), ...args];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  const superuser = owner ? 'postgres' : userInfo().username;
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', superuser, '-E', 'UTF8', '--locale=C', '--no-sync']);
    writeFileSync(join(data, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=60`;
  const start = () => run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start']);
  const halt = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  try {
    start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = (db: string) => `postgres://${superuser}@127.0.0.1:${port}/${db}`;
  const query = async <R extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      return (await c.query<R>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    port,
    dir,
    url,
    query,
    async createDatabase(name) {
      await query('postgres', `CREATE DATABASE "${name}"`);
      return url(name);
    },
    halt,
    start,
    stop() {
      try {
        halt();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
