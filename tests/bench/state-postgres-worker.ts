// The micro figures of the PostgreSQL state bench (issue 15), in one process against the bench's
// throwaway cluster: the schema brought up as `serve` does, then, interleaved so the three share
// the machine's noise, a bare `pg` SELECT 1 round trip (the baseline), a lock acquire + release
// through PgLockStore (what a run's start and end cost), and one audit line committed through
// PgAuditLog (what every audited step costs). Prints one JSON line of samples in ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/state/pg-migrations';
import { PgLockStore } from '../../src/state/pg-locks';
import { PgAuditLog } from '../../src/state/pg-audit';
import { resolvePgUrl } from '../../src/state/pg-url';
import { SyncPg } from '../../src/state/pg-sync';

const [url, countText] = process.argv.slice(2);
const count = Number(countText ?? 300);
const env = { ...process.env, BENCH_PG_URL: url! };

const client = new pg.Client({ connectionString: url });
await client.connect();
await migrate(client, 'bench');
const target = resolvePgUrl('BENCH_PG_URL', env);
if (!target.ok) throw new Error(target.error);
const locks = new PgLockStore(target.target);
const dir = mkdtempSync(join(tmpdir(), 'doai-bench-audit-'));
const audit = new PgAuditLog(join(dir, 'emergency.log'), {}, 'BENCH_PG_URL', env);
const at = new Date('2026-01-04T06:30:00Z');
const bare: number[] = [];
const lock: number[] = [];
const line: number[] = [];
const syncBare: number[] = [];
const acq: number[] = [];
const rel: number[] = [];
const after: number[] = [];
const sync = new SyncPg(url!, { timeoutMs: 4000, name: 'bench sync' });
try {
  // Warm every connection first (the first query of each opens it).
  await client.query('SELECT 1');
  sync.query('SELECT 1');
  locks.release('bench-warm', 'none');
  audit.append('BENCH', 'warm-up', at);
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    await client.query('SELECT 1');
    bare.push(performance.now() - t);

    t = performance.now();
    sync.query('SELECT 1');
    syncBare.push(performance.now() - t);

    t = performance.now();
    const got = locks.acquire(`bench-target-${i % 10}`, { operator: 'bench', runbook: 'bench', level: 'L1', since: at.toISOString(), runId: `bench-${i}` });
    if (!got.ok) throw new Error(`lock not taken: ${got.message}`);
    const mid = performance.now();
    got.release();
    const end = performance.now();
    lock.push(end - t);
    acq.push(mid - t);
    rel.push(end - mid);
    // The release is sent without waiting; this read of the same session runs after its DELETE, so
    // the next figure does not share the machine with it (and its time bounds when the DELETE is done).
    const held = locks.holder(`bench-target-${i % 10}`);
    after.push(performance.now() - end);
    if (held) throw new Error(`lock still held after release: ${JSON.stringify(held)}`);

    t = performance.now();
    audit.append('BENCH', `seq=${i}`, at);
    line.push(performance.now() - t);
  }
  const lines = await client.query<{ n: string }>("SELECT count(*) AS n FROM doai_audit WHERE line LIKE '%BENCH: seq=%'");
  const held = await client.query<{ n: string }>('SELECT count(*) AS n FROM doai_locks');
  process.stdout.write(JSON.stringify({ bare, syncBare, acq, rel, after, lock, line, linesInDb: Number(lines.rows[0]!.n), locksLeft: Number(held.rows[0]!.n) }) + '\n');
} finally {
  locks.close();
  sync.close();
  await client.end();
  rmSync(dir, { recursive: true, force: true });
}
