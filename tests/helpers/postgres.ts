// The state-backend suites' view of a throwaway PostgreSQL 15 cluster (tests/helpers/pg-cluster.ts
// starts it: initdb + pg_ctl as the postgres user, a free loopback port, trust auth, a temp dir):
// connection URLs, databases, queries through `pg`, and stopping it as a crash would
// (`pg_ctl stop -m immediate`) and starting it again on the same port.
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { migrate } from '../../src/state/pg-migrations';
import { PG_BIN, requirePostgres, startPgCluster } from './pg-cluster';

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
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  requirePostgres();
  const c = await startPgCluster();
  const sh = (line: string, what: string) => {
    const r = spawnSync('/bin/sh', ['-c', line], { cwd: c.dir, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}${r.stdout}`);
  };
  const url = (db: string) => `postgres://postgres@127.0.0.1:${c.port}/${db}`;
  const query = async <R extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url(db) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    port: c.port,
    dir: c.dir,
    url,
    query,
    async createDatabase(name) {
      await query('postgres', `CREATE DATABASE "${name}"`);
      return url(name);
    },
    halt: () => sh(`runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${c.data} -m immediate -w -t 60 stop`, 'pg_ctl stop -m immediate'),
    start: () => sh(c.pgCtl('start'), 'pg_ctl start'),
    stop: () => c.stop(),
  };
}

/** The console's schema migrated into a database (what a server does at its start), on a connection of its own. */
export async function migrateDatabase(conn: string | pg.ClientConfig): Promise<void> {
  const c = new pg.Client(typeof conn === 'string' ? { connectionString: conn } : conn);
  await c.connect();
  try {
    await migrate(c, 'test');
  } finally {
    await c.end();
  }
}
