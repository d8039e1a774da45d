// Nothing that needs a lock starts while the state store is away (issue 15 item 5), against a real
// PostgreSQL cluster this file starts: a run's step 1 is a short sleep; the database is stopped (as
// in a crash) while it sleeps; step 1 finishes, and step 2 does not start while the database is
// down — the run waits at the step boundary, says so on the step and its output, and its WAITING
// line is kept on this box. Started again, the database answers, the lock is still the run's, and
// step 2 runs; the kept line is written LATE. Stopped for longer than state.unreachable_wait_s, the
// run ends INTERRUPTED "state store unreachable before step 2", audited (kept, then written LATE);
// and a cancel during the wait ends the run at once.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { createRunEngine, type RunEngine } from '../../src/runbook/engine';
import type { RunEvent } from '../../src/runbook/events';
import type { Runbook } from '../../src/runbook/schema';
import { PENDING_DIR, PgAuditLog } from '../../src/state/pg-audit';
import { pgLockStore } from '../../src/state/pg-locks';
import { noShell, runbookFrom } from '../helpers/engine-in-dir';
import { migrateDatabase, startTestCluster, type TestCluster } from '../helpers/postgres';
import { waitUntil } from '../helpers/wait-until';

let cluster: TestCluster;
let dir: string;
let http: Server;
let port: number;
const hits: string[] = [];
const running: Promise<unknown>[] = [];
let runbook: Runbook;
let env: NodeJS.ProcessEnv;

const until = (pred: () => boolean, what: string) => waitUntil(what, pred, 30_000, 50);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-stepwait-'));
  cluster = await startTestCluster();
  const url = await cluster.createDatabase('stepwait');
  env = { A_URL: url };
  await migrateDatabase(url);
  http = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('ok');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
  runbook = runbookFrom(
    `id: step-wait
level: L1
audit_name: STEP_WAIT_TEST
title: { ko: 상태 저장소 대기, en: state store wait }
approval: auto
target: service
steps:
  - id: nap
    kind: wait
    seconds: 2
  - id: second
    kind: http
    url: "http://127.0.0.1:${port}/second/{{service.name}}"
`,
    'step-wait.yaml',
  );
}, 120_000);

afterAll(async () => {
  // A failed test may leave runs waiting: let them end (bounded) before their files are removed.
  await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, 20_000))]);
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  await cluster?.stop();
}, 120_000);

/** Box A as a console builds it under state.backend: postgres (locks and audit in the database). */
function boxA(name: string, waitS: number): { engine: RunEngine; events: RunEvent[]; auditDir: string; audit: PgAuditLog } {
  const auditDir = join(dir, name);
  const audit = new PgAuditLog(join(auditDir, 'emergency.log'), {}, 'A_URL', env);
  const config = configSchema.parse({
    hosts: [{ name: 'h1', address: '127.0.0.1' }],
    services: [
      { name: 'api', host: 'h1' },
      { name: 'web', host: 'h1' },
      { name: 'db', host: 'h1' },
    ],
    state: { backend: 'postgres', url_env: 'A_URL', unreachable_wait_s: waitS },
  });
  const engine = createRunEngine({
    config,
    runbooks: new Map([[runbook.id, runbook]]),
    shell: noShell,
    clock: realClock(1),
    operator: 'orion',
    audit,
    journalDir: join(auditDir, 'journal'),
    locks: pgLockStore('A_URL', env, { unreachableWaitMs: config.state.unreachable_wait_s * 1000 }),
  });
  const events: RunEvent[] = [];
  engine.on((e) => events.push(e));
  return { engine, events, auditDir, audit };
}

const startedStep = (events: RunEvent[], runId: string, stepId: string) => events.some((e) => e.type === 'step.started' && e.runId === runId && e.stepId === stepId);
const auditRows = async () => (await cluster.query<{ line: string }>('stepwait', 'SELECT line FROM doai_audit ORDER BY id')).map((r) => r.line);
const kept = (auditDir: string): string => {
  const d = join(auditDir, PENDING_DIR);
  if (!existsSync(d)) return '';
  return readdirSync(d)
    .map((f) => readFileSync(join(d, f), 'utf8'))
    .join('');
};

describe('the lock is confirmed before each step after the first (PostgreSQL stopped mid-run)', () => {
  it('step 2 does not start while the database is down; started again, the run goes on and the kept lines are written LATE', async () => {
    const a = boxA('a1', 120);
    const r = a.engine.start('step-wait', 'api');
    if (!r.ok) throw new Error(r.error);
    running.push(a.engine.waitFor(r.runId));
    await until(() => startedStep(a.events, r.runId, 'nap'), 'step 1 to start');
    cluster.halt();
    // Step 1 (the sleep) finishes; step 2 waits for the database.
    await until(() => a.engine.getOutput(r.runId, 50).some((l) => l.line.startsWith('waiting for the state store before step 2')), 'the waiting line');
    const line = a.engine.getOutput(r.runId, 50).find((l) => l.line.startsWith('waiting for the state store before step 2'))!;
    expect(line).toMatchObject({ stepId: 'second', stream: 'stderr' });
    expect(line.line).toMatch(/^waiting for the state store before step 2 \(state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/stepwait\): .+\): it starts when the store answers and the lock on api is still this run's; the run ends INTERRUPTED if it does not answer within 120 s$/);
    const view = () => a.engine.getSnapshot().runs.find((v) => v.runId === r.runId)!;
    expect(view().state).toBe('running');
    expect(view().steps.map((s) => [s.id, s.state, s.detail])).toEqual([
      ['nap', 'ok', undefined],
      ['second', 'pending', 'waiting for the state store before step 2'],
    ]);
    // Kept on this box while the database is away.
    await until(() => kept(a.auditDir).includes('STEP_WAIT_TEST: WAITING for the state store before step 2'), 'the WAITING line kept locally');
    // A while later (several asks), step 2 still has not started.
    await new Promise((res) => setTimeout(res, 2500));
    expect(startedStep(a.events, r.runId, 'second')).toBe(false);
    expect(hits.filter((h) => h === '/second/api')).toEqual([]);

    cluster.start();
    expect(await a.engine.waitFor(r.runId)).toBe('success');
    expect(hits.filter((h) => h === '/second/api')).toEqual(['/second/api']);
    expect(a.events.filter((e) => e.type === 'step.finished').map((e) => [e.stepId, e.outcome])).toEqual([
      ['nap', 'ok'],
      ['second', 'ok'],
    ]);
    expect(a.engine.getOutput(r.runId, 50).map((l) => l.line)).toContain("the state store answered and the lock on api is still this run's: step 2 starts");
    const lines = (await auditRows()).filter((l) => l.includes('STEP_WAIT_TEST'));
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'STEP_WAIT_TEST: START',
      'STEP_WAIT_TEST: STEP1_APPROVED by auto',
      expect.stringMatching(/^STEP_WAIT_TEST: WAITING for the state store before step 2 \(LATE: the state database was unreachable then; written .+\)$/),
      expect.stringMatching(/^STEP_WAIT_TEST: CONTINUED - the state store answered before step 2 \(waited \d+ s\)$/),
      'STEP_WAIT_TEST: SUCCESS',
    ]);
    expect(kept(a.auditDir)).toBe('');
    // The run released its lock (the release is sent, not waited for): nothing left in the table.
    let left: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      left = await cluster.query('stepwait', "SELECT target FROM doai_locks WHERE target = 'api'");
      if (!left.length) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(left).toEqual([]);
  }, 120_000);

  it('stopped past state.unreachable_wait_s the run ends INTERRUPTED, audited; a cancel during the wait ends it at once', async () => {
    const a = boxA('a2', 4);
    const slow = boxA('a3', 3600);
    const r = a.engine.start('step-wait', 'web');
    if (!r.ok) throw new Error(r.error);
    const c = slow.engine.start('step-wait', 'db');
    if (!c.ok) throw new Error(c.error);
    running.push(a.engine.waitFor(r.runId), slow.engine.waitFor(c.runId));
    await until(() => startedStep(a.events, r.runId, 'nap') && startedStep(slow.events, c.runId, 'nap'), 'both step 1s to start');
    cluster.halt();

    // The cancel: during the wait, at once (its bound is an hour).
    await until(() => slow.engine.getOutput(c.runId, 50).some((l) => l.line.startsWith('waiting for the state store before step 2')), 'the second run to wait');
    slow.engine.cancel(c.runId, 'vega');
    expect(await slow.engine.waitFor(c.runId)).toBe('cancelled');
    expect(slow.events.filter((e) => e.type === 'step.finished').map((e) => [e.stepId, e.outcome])).toEqual([
      ['nap', 'ok'],
      ['second', 'skipped'],
    ]);

    // The bound: 4 s without an answer.
    expect(await a.engine.waitFor(r.runId)).toBe('interrupted');
    const reason = 'state store unreachable before step 2: no answer within 4 s, nothing more was run';
    expect(a.events.find((e) => e.type === 'run.finished')).toMatchObject({ outcome: 'interrupted', message: reason });
    expect(a.engine.getSnapshot().runs.find((v) => v.runId === r.runId)!.message).toBe(reason);
    expect(a.events.filter((e) => e.type === 'step.finished').map((e) => [e.stepId, e.outcome])).toEqual([
      ['nap', 'ok'],
      ['second', 'skipped'],
    ]);
    expect(startedStep(a.events, r.runId, 'second')).toBe(false);
    expect(hits.filter((h) => h === '/second/web' || h === '/second/db')).toEqual([]);
    // Kept on this box, in order, while the database is away.
    const keptLines = kept(a.auditDir)
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: string }).line.replace(/^\S+ /, ''));
    expect(keptLines).toEqual(['STEP_WAIT_TEST: WAITING for the state store before step 2', `STEP_WAIT_TEST: INTERRUPTED - ${reason}`]);
    expect(kept(slow.auditDir)).toContain('STEP_WAIT_TEST: CANCELLED by user');

    // Back: the process's next line writes them first, marked LATE.
    cluster.start();
    // (Bounded: right after the restart the audit connection may still fail fast for a moment, and the line is kept too.)
    for (let i = 0; i < 30 && kept(a.auditDir) !== ''; i++) {
      a.audit.append('STEP_WAIT_TEST', 'CHECK - after the restart', new Date());
      if (kept(a.auditDir) !== '') await new Promise((res) => setTimeout(res, 1000));
    }
    expect(kept(a.auditDir)).toBe('');
    const lines = (await auditRows()).map((l) => l.replace(/^\S+ /, ''));
    const at = lines.findIndex((l) => l.startsWith(`STEP_WAIT_TEST: INTERRUPTED - ${reason} (LATE:`));
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toMatch(/^STEP_WAIT_TEST: WAITING for the state store before step 2 \(LATE: /);
  }, 120_000);
});
