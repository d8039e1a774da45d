// The engine's step boundary under a lock store that can be away (LockStore.confirm, issue 15
// item 5): before every step after the first the run asks whether its lock is still its own; while
// the store does not answer it waits, says so on its step and output and in the audit log, and
// goes on when the store answers; a lock someone else holds now, a store away past its bound, or a
// cancel ends it. A store without confirm (files) is never asked and never waits.
// The real PostgreSQL side (the database stopped during step 1) is tests/integration/state-postgres-step-wait.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load';
import { configSchema } from '../../src/config/schema';
import type { RunEvent } from '../../src/runbook/events';
import type { LockCheck, LockStore } from '../../src/runbook/lock-store';
import { engineWithEvents, noShell, runbookFrom } from '../helpers/engine-in-dir';
import { MemoryLocks } from '../helpers/memory-locks';
import { waitUntil } from '../helpers/wait-until';

/** Locks in memory behind a store that can be switched away (confirm then says unreachable). */
class AwayLocks extends MemoryLocks {
  away = false;
  asked: string[] = [];
  constructor(readonly unreachableWaitMs?: number) {
    super();
  }
  async confirm(target: string, runId: string): Promise<LockCheck> {
    this.asked.push(target);
    if (this.away) return { state: 'unreachable', error: 'state store unreachable (memory): connection refused' };
    const h = this.rows.get(target);
    if (h?.runId === runId) return { state: 'held' };
    return h ? { state: 'lost', holder: h } : { state: 'lost' };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-engine-wait-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runbook = runbookFrom(
  `id: three-steps
level: L1
audit_name: WAIT_UNIT
title: { ko: 대기, en: wait }
approval: auto
target: service
steps:
  - id: ask
    kind: confirm
    prompt: { ko: 계속?, en: go on? }
  - id: second
    kind: wait
    seconds: 1
  - id: third
    kind: wait
    seconds: 1
`,
  'x.yaml',
);

// Waits run 1000× faster (realClock(1000)): the run's one-second polls and the bound are clock time.
const engine = (locks: LockStore) =>
  engineWithEvents(dir, {
    config: configSchema.parse({ hosts: [{ name: 'h1', address: '127.0.0.1' }], services: [{ name: 'api', host: 'h1' }] }),
    runbooks: new Map([[runbook.id, runbook]]),
    shell: noShell,
    locks,
  });

const until = (pred: () => boolean, what: string) => waitUntil(what, pred, 10_000, 25);

/** A run of three-steps on api, waiting for its first step's confirmation (its lock just taken). */
async function atConfirmation(rig: ReturnType<typeof engine>): Promise<string> {
  const r = rig.e.start('three-steps', 'api');
  if (!r.ok) throw new Error(r.error);
  await until(() => prompted(rig.events), 'the confirmation');
  return r.runId;
}

const started = (events: RunEvent[], stepId: string) => events.some((ev) => ev.type === 'step.started' && ev.stepId === stepId);
const prompted = (events: RunEvent[]) => events.some((ev) => ev.type === 'run.prompt' && ev.prompt !== null);

describe('engine: the lock is confirmed before each step after the first', () => {
  it('waits at the step boundary while the store is away (step detail, output, audit), and goes on when it answers', async () => {
    const locks = new AwayLocks(3_600_000);
    const rig = engine(locks);
    const { e, events, auditPath } = rig;
    const runId = await atConfirmation(rig);
    // Not asked before the first step: the lock was just taken.
    expect(locks.asked).toEqual([]);
    locks.away = true;
    e.confirm(runId);
    await until(() => e.getSnapshot().runs[0]?.steps[1]?.detail !== undefined, 'the waiting detail');
    const view = e.getSnapshot().runs.find((v) => v.runId === runId)!;
    expect(view.state).toBe('running');
    expect(view.steps[1]).toMatchObject({ id: 'second', state: 'pending', detail: 'waiting for the state store before step 2' });
    expect(e.getOutput(runId, 10).map((l) => l.line)).toContain(
      "waiting for the state store before step 2 (state store unreachable (memory): connection refused): it starts when the store answers and the lock on api is still this run's; the run ends INTERRUPTED if it does not answer within 3600 s",
    );
    // It keeps asking (a clock second each) and the step does not start.
    await until(() => locks.asked.length >= 5, 'more asks');
    expect(started(events, 'second')).toBe(false);
    expect(readFileSync(auditPath, 'utf8')).toMatch(/WAIT_UNIT: WAITING for the state store before step 2\n$/);
    locks.away = false;
    expect(await e.waitFor(runId)).toBe('success');
    expect(events.filter((ev) => ev.type === 'step.finished').map((ev) => [ev.stepId, ev.outcome])).toEqual([
      ['ask', 'ok'],
      ['second', 'ok'],
      ['third', 'ok'],
    ]);
    const log = readFileSync(auditPath, 'utf8');
    expect(log).toMatch(/WAIT_UNIT: WAITING for the state store before step 2\n.*WAIT_UNIT: CONTINUED - the state store answered before step 2 \(waited \d+ s\)\n.*WAIT_UNIT: SUCCESS\n$/);
    expect(e.getOutput(runId, 20).map((l) => l.line)).toContain("the state store answered and the lock on api is still this run's: step 2 starts");
    // Asked again before step 3 (answered at once: no second wait).
    expect(log.match(/WAITING/g)).toHaveLength(1);
    expect(locks.rows.size).toBe(0);
  });

  it('ends INTERRUPTED when the store stays away past the bound: nothing after runs, audited', async () => {
    const locks = new AwayLocks(5_000);
    const rig = engine(locks);
    const { e, events, auditPath } = rig;
    const runId = await atConfirmation(rig);
    locks.away = true;
    e.confirm(runId);
    expect(await e.waitFor(runId)).toBe('interrupted');
    const reason = 'state store unreachable before step 2: no answer within 5 s, nothing more was run';
    expect(events.find((ev) => ev.type === 'run.finished')).toMatchObject({ outcome: 'interrupted', message: reason });
    expect(events.filter((ev) => ev.type === 'step.finished').map((ev) => [ev.stepId, ev.outcome])).toEqual([
      ['ask', 'ok'],
      ['second', 'skipped'],
      ['third', 'skipped'],
    ]);
    expect(started(events, 'second')).toBe(false);
    expect(readFileSync(auditPath, 'utf8')).toMatch(/WAIT_UNIT: WAITING for the state store before step 2\n.*WAIT_UNIT: INTERRUPTED - state store unreachable before step 2: no answer within 5 s, nothing more was run\n$/);
  });

  it('a cancel ends the wait at once; a lock another run holds now stops it with who holds it', async () => {
    const locks = new AwayLocks(3_600_000);
    const rig = engine(locks);
    const { e, events, auditPath } = rig;
    const runId = await atConfirmation(rig);
    locks.away = true;
    e.confirm(runId);
    await until(() => locks.asked.length >= 2, 'the wait');
    e.cancel(runId, 'vega');
    expect(await e.waitFor(runId)).toBe('cancelled');
    expect(events.find((ev) => ev.type === 'run.finished')).toMatchObject({ outcome: 'cancelled', message: 'cancelled by vega' });
    expect(started(events, 'second')).toBe(false);
    expect(readFileSync(auditPath, 'utf8')).toMatch(/WAIT_UNIT: CANCELLED by user\n$/);

    const taken = engine(locks);
    locks.away = false;
    const takenRun = await atConfirmation(taken);
    // Another box took it meanwhile (what the database says after it came back).
    locks.rows.set('api', { pid: 9, hostname: 'box-b', operator: 'vega', runbook: 'x', level: 'L1', since: new Date().toISOString(), runId: 'b-run', alive: true });
    taken.e.confirm(takenRun);
    expect(await taken.e.waitFor(takenRun)).toBe('interrupted');
    expect(taken.events.find((ev) => ev.type === 'run.finished')).toMatchObject({
      message: 'lock on api lost while the state store was away: vega on box-b (run b-run) holds it now — nothing more was run',
    });
    expect(started(taken.events, 'second')).toBe(false);
    expect(locks.rows.get('api')?.runId).toBe('b-run');
  });

  it('a store without confirm (files) is never asked and never waits', async () => {
    const locks = new AwayLocks();
    Object.defineProperty(locks, 'confirm', { value: undefined });
    locks.away = true;
    const rig = engine(locks);
    const { e } = rig;
    const runId = await atConfirmation(rig);
    e.confirm(runId);
    expect(await e.waitFor(runId)).toBe('success');
    expect(e.getOutput(runId, 20).some((l) => l.line.includes('waiting for the state store'))).toBe(false);
  });
});

describe('state.unreachable_wait_s', () => {
  const yaml = (v: string) => `hosts: [{ name: h1, address: 127.0.0.1 }]\nservices: [{ name: api, host: h1 }]\nstate:\n  backend: postgres\n  unreachable_wait_s: ${v}\n`;
  const problem = (v: string): string => {
    try {
      parseConfig(yaml(v), 'console.yaml', { configDir: dir, home: dir, env: {} });
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  it('defaults to 120 s, takes 1..3600, and refuses anything else saying what it takes', () => {
    expect(configSchema.parse({}).state.unreachable_wait_s).toBe(120);
    expect(configSchema.parse({ state: { backend: 'postgres' } }).state.unreachable_wait_s).toBe(120);
    expect(problem('30')).toBe('accepted');
    expect(problem('0')).toBe('console.yaml:5:23: state.unreachable_wait_s: expected a number >= 1 (at least 1 s), found 0');
    expect(problem('7200')).toBe(
      'console.yaml:5:23: state.unreachable_wait_s: expected a number <= 3600 (at most 3600 s (an hour): a run that long without its lock confirmed is better ended), found 7200',
    );
    expect(problem('soon')).toBe('console.yaml:5:23: state.unreachable_wait_s: expected a number, found "soon"');
  });
});
