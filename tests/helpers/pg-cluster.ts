// A throwaway PostgreSQL 15 cluster for tests: initdb and pg_ctl from /usr/lib/postgresql/15/bin,
// run as the `postgres` OS user through runuser (the server refuses root), listening on a free
// loopback port with trust auth, its socket in its own temp dir. stop() stops it and removes
// everything. Tests reach it with PGHOST=127.0.0.1 PGPORT=<port> (psql, pg_dump, createdb).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sshd';
import { requireTools } from './requirements';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function requirePostgres(): void {
  requireTools([`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, `${PG_BIN}/postgres`, '/usr/bin/psql', '/usr/sbin/runuser'], 'apt-get install -y postgresql-15 postgresql-client-15 util-linux');
  if (process.getuid?.() !== 0) throw new Error('these PostgreSQL tests start a cluster as the postgres user through runuser: run them as root');
}

export interface PgCluster {
  dir: string;
  data: string;
  port: number;
  log: string;
  /** The pg_ctl line that (re)starts this cluster with its port and socket dir: what the systemctl stand-in runs. */
  pgCtl(action: 'start' | 'stop' | 'restart' | 'status'): string;
  /** psql -At as the postgres role on this cluster; throws with psql's stderr on failure. */
  psql(db: string, sql: string): string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

function ids(): { uid: number; gid: number } {
  const uid = Number(execFileSync('/usr/bin/id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('/usr/bin/id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'doai-pg-'));
  const { uid, gid } = ids();
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const asPg = (args: string[]) => spawnSync('/usr/sbin/runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  const init = asPg([`${PG_BIN}/initdb`, '-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`;
  const pgCtl = (action: string) =>
    action === 'status' ? `runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${data} status` : `runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${data} -l ${log} -o '${opts}' -w -t 60 ${action}`;
  const started = spawnSync('/bin/sh', ['-c', pgCtl('start')], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  if (started.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed: ${started.stderr}${started.stdout}`);
  }
  const env = { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres' };
  return {
    dir,
    data,
    port,
    log,
    env,
    pgCtl,
    psql(db, sql) {
      const r = spawnSync('/usr/bin/psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
      if (r.status !== 0) throw new Error(`psql ${db}: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      spawnSync('/usr/sbin/runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}
