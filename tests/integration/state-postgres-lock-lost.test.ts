// A lock lost while the state store was away (issue 15 item 5, R-RUN-7), against a real
// PostgreSQL cluster this file starts: box A's run holds the target's lock and is in its first
// step (an HTTP request a loopback server holds open) when the database restarts; box B takes the
// now-stale lock before A gets back in (A's role is refused by pg_hba until B has it); A then
// reconnects, finds the lock is B's, and its run stops after the running step: the step finishes,
// the next one never runs, the run ends INTERRUPTED with the reason on screen and in the log, and
// B still holds the lock.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { createRunEngine } from '../../src/runbook/engine';
import type { RunEvent } from '../../src/runbook/events';
import type { LostLock } from '../../src/runbook/lock-store';
import { PgLockStore, pgLockStore } from '../../src/state/pg-locks';
import { resolvePgUrl } from '../../src/state/pg-url';
import { noShell, runbookFrom } from '../helpers/engine-in-dir';
import { PG_BIN, requirePostgres, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { migrateDatabase } from '../helpers/postgres';
import { waitUntil } from '../helpers/wait-until';

let cluster: PgCluster;
let dir: string;
let http: Server;
let port: number;
let held: ServerResponse | undefined;
let afterHits = 0;
let running: Promise<unknown> | undefined;
const stores: PgLockStore[] = [];

function store(role: string): PgLockStore {
  const r = resolvePgUrl('URL', { URL: `postgres://${role}@127.0.0.1:${cluster.port}/locklost` });
  if (!r.ok) throw new Error(r.error);
  const s = new PgLockStore(r.target);
  stores.push(s);
  return s;
}

function sh(cmd: string): void {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}${r.stdout}`);
}

const until = (pred: () => boolean, what: string) => waitUntil(what, pred, 30_000, 50);

beforeAll(async () => {
  requirePostgres();
  dir = mkdtempSync(join(tmpdir(), 'doai-locklost-'));
  cluster = await startPgCluster();
  cluster.psql('postgres', 'CREATE DATABASE locklost');
  // Two boxes, two roles: pg_hba can then keep box A out while box B gets in.
  cluster.psql('postgres', 'CREATE ROLE boxa LOGIN SUPERUSER; CREATE ROLE boxb LOGIN SUPERUSER');
  await migrateDatabase({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'locklost' });
  http = createServer((req, res) => {
    if (req.url === '/hold') held = res;
    else {
      afterHits++;
      res.end('ok');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  // A failed test may leave its run going: let it end (bounded) before its files are removed.
  held?.end('ok');
  if (running) await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 20_000))]);
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  for (const s of stores) s.close();
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await cluster?.stop();
}, 120_000);

describe('a lock lost while PostgreSQL was away', () => {
  it('stops the run after its running step, says who holds it now, and leaves the lock with the other box', async () => {
    const runbook = runbookFrom(
      `id: lock-lost
level: L1
audit_name: LOCK_LOST_TEST
title: { ko: 잠금 분실, en: lock lost }
approval: auto
target: service
steps:
  - id: first
    kind: http
    url: "http://127.0.0.1:${port}/hold"
    timeout_s: 120
  - id: second
    kind: http
    url: "http://127.0.0.1:${port}/after"
`,
      'lock-lost.yaml',
    );
    // Box A's store as a console builds it (state.backend: postgres): the engine subscribes before it is opened.
    const a = pgLockStore('A_URL', { A_URL: `postgres://boxa@127.0.0.1:${cluster.port}/locklost` });
    const b = store('boxb');
    const lostSeen: LostLock[] = [];
    a.onLost!((l) => lostSeen.push(l));
    const auditPath = join(dir, 'emergency.log');
    const engine = createRunEngine({
      config: configSchema.parse({ hosts: [{ name: 'h1', address: '127.0.0.1' }], services: [{ name: 'api', host: 'h1', health_url: `http://127.0.0.1:${port}/health` }] }),
      runbooks: new Map([[runbook.id, runbook]]),
      shell: noShell,
      clock: realClock(1),
      operator: 'orion',
      audit: new AuditLog(auditPath),
      journalDir: join(dir, 'journal'),
      locks: a,
    });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));

    const started = engine.start('lock-lost', 'api');
    if (!started.ok) throw new Error(started.error);
    running = engine.waitFor(started.runId);
    await until(() => held !== undefined, 'the first step to be running');
    expect(b.holder('api')).toMatchObject({ runId: started.runId, operator: 'orion', alive: true });

    // The database restarts; box A's role is refused until box B has taken the stale lock.
    const hba = join(cluster.data, 'pg_hba.conf');
    const original = readFileSync(hba, 'utf8');
    sh(cluster.pgCtl('stop'));
    writeFileSync(hba, `host all boxa 127.0.0.1/32 reject\n${original}`);
    sh(cluster.pgCtl('start'));
    let taken: ReturnType<PgLockStore['acquire']> | undefined;
    // Bounded: the first asks after the restart may still fail on the old session.
    for (let i = 0; i < 60 && !taken?.ok; i++) {
      try {
        taken = b.acquire('api', { operator: 'vega', runbook: 'lock-lost', level: 'L1', since: new Date().toISOString(), runId: 'b-run' });
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(taken?.ok, JSON.stringify(taken)).toBe(true);

    // A gets back in: its new session's claim finds the lock is B's.
    writeFileSync(hba, original);
    sh(`runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${cluster.data} reload`);
    await until(() => lostSeen.length > 0, 'box A to notice the lost lock');
    expect(lostSeen[0]).toMatchObject({ target: 'api', runId: started.runId, holder: { runId: 'b-run', operator: 'vega' } });
    // On screen at once, on the running step's output; the step itself goes on.
    await until(() => engine.getOutput(started.runId, 100).some((l) => l.line.includes('lock on api lost')), 'the line on screen');
    const shown = engine.getOutput(started.runId, 100).find((l) => l.line.includes('lock on api lost'))!;
    expect(shown.line).toBe(`lock on api lost while the state store was away: vega on ${hostname()} (run b-run) holds it now: this step finishes, nothing after it runs`);
    expect(engine.activeRuns().map((r) => r.runId)).toEqual([started.runId]);

    held!.end('ok');
    const outcome = await engine.waitFor(started.runId);
    const reason = `lock on api lost while the state store was away: vega on ${hostname()} (run b-run) holds it now — nothing more was run`;
    expect(outcome).toBe('interrupted');
    const finished = events.filter((e) => e.type === 'step.finished').map((e) => [e.stepId, e.outcome]);
    expect(finished).toEqual([
      ['first', 'ok'],
      ['second', 'skipped'],
    ]);
    expect(afterHits).toBe(0);
    expect(events.find((e) => e.type === 'run.finished')).toMatchObject({ outcome: 'interrupted', message: reason });
    const view = engine.getSnapshot().runs.find((r) => r.runId === started.runId)!;
    expect(view.message).toBe(reason);
    expect(readFileSync(auditPath, 'utf8')).toContain(`LOCK_LOST_TEST: INTERRUPTED - ${reason}`);
    // A's release at the end removed nothing of B's: read through A, after its release.
    expect(a.holder('api')).toMatchObject({ runId: 'b-run', operator: 'vega', alive: true });
    // And A no longer claims it on a later session.
    expect(a.acquire('api', { operator: 'orion', runbook: 'lock-lost', level: 'L1', since: new Date().toISOString(), runId: 'a-again' })).toMatchObject({ ok: false });
    b.release('api', 'b-run');
  }, 120_000);
});
