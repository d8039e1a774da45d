// The engine's side of a lost lock (LockStore.onLost), with a lock store kept in memory that can
// be told a lock was lost: a run waiting for a confirmation (nothing running) stops at once; a
// lost lock of another run or target changes nothing; a store without onLost (files) is fine.
// The PostgreSQL side, a real restart and another box, is tests/integration/state-postgres-lock-lost.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import type { HeldLock, LockStore, LostLock } from '../../src/runbook/lock-store';
import { engineWithEvents, noShell, runbookFrom } from '../helpers/engine-in-dir';
import { MemoryLocks } from '../helpers/memory-locks';
import { waitUntil } from '../helpers/wait-until';

/** Locks in memory that can be told one was lost (what PgLockStore reports after a reconnect). */
class LosingLocks extends MemoryLocks {
  private readonly listeners = new Set<(l: LostLock) => void>();
  onLost(listener: (l: LostLock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Another box took it: what PgLockStore reports after a reconnect. */
  lose(target: string, runId: string, holder?: HeldLock): void {
    if (holder) this.rows.set(target, holder);
    else this.rows.delete(target);
    for (const l of this.listeners) l({ target, runId, ...(holder ? { holder } : {}) });
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-engine-lost-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runbook = runbookFrom(
  `id: confirm-then-wait
level: L1
audit_name: LOST_UNIT
title: { ko: 확인, en: confirm }
approval: auto
target: service
steps:
  - id: ask
    kind: confirm
    prompt: { ko: 계속?, en: go on? }
  - id: later
    kind: wait
    seconds: 1
`,
  'x.yaml',
);

const engine = (locks: LockStore) =>
  engineWithEvents(dir, {
    config: configSchema.parse({ hosts: [{ name: 'h1', address: '127.0.0.1' }], services: [{ name: 'api', host: 'h1' }, { name: 'web', host: 'h1' }] }),
    runbooks: new Map([[runbook.id, runbook]]),
    shell: noShell,
    locks,
  });

const until = (pred: () => boolean, what: string) => waitUntil(what, pred, 10_000, 25);

describe('engine: a lock the store reports lost', () => {
  it('a run waiting for a confirmation stops at once, INTERRUPTED with who holds it now, audited; nothing after runs', async () => {
    const locks = new LosingLocks();
    const { e, events, auditPath } = engine(locks);
    const r = e.start('confirm-then-wait', 'api');
    if (!r.ok) throw new Error(r.error);
    await until(() => events.some((ev) => ev.type === 'run.prompt' && ev.prompt !== null), 'the confirmation prompt');
    // Another run's or another target's loss is not this run's.
    locks.lose('web', r.runId);
    locks.lose('api', 'some-other-run');
    expect(e.activeRuns().map((v) => v.runId)).toEqual([r.runId]);
    locks.lose('api', r.runId, { pid: 2, hostname: 'box-b', operator: 'vega', runbook: 'x', level: 'L1', since: new Date().toISOString(), runId: 'b-run', alive: true });
    const reason = 'lock on api lost while the state store was away: vega on box-b (run b-run) holds it now — nothing more was run';
    expect(await e.waitFor(r.runId)).toBe('interrupted');
    expect(events.filter((ev) => ev.type === 'step.finished').map((ev) => [ev.stepId, ev.outcome])).toEqual([
      ['ask', 'cancelled'],
      ['later', 'skipped'],
    ]);
    expect(events.find((ev) => ev.type === 'run.finished')).toMatchObject({ outcome: 'interrupted', message: reason });
    expect(readFileSync(auditPath, 'utf8')).toContain(`LOST_UNIT: INTERRUPTED - ${reason}`);
    // The other box's lock is left alone by this run's release.
    expect(locks.holder('api')).toMatchObject({ runId: 'b-run' });
  });

  it('without a holder to name, it says another console; a store with no onLost (files) starts and runs as before', async () => {
    const locks = new LosingLocks();
    const { e, events } = engine(locks);
    const r = e.start('confirm-then-wait', 'api');
    if (!r.ok) throw new Error(r.error);
    await until(() => events.some((ev) => ev.type === 'run.prompt' && ev.prompt !== null), 'the confirmation prompt');
    locks.lose('api', r.runId);
    expect(await e.waitFor(r.runId)).toBe('interrupted');
    expect(events.find((ev) => ev.type === 'run.finished')).toMatchObject({ message: 'lock on api lost while the state store was away: another console holds it now — nothing more was run' });

    const plain = new LosingLocks() as Partial<LosingLocks>;
    Object.defineProperty(plain, 'onLost', { value: undefined });
    const second = engine(plain as LockStore);
    const s = second.e.start('confirm-then-wait', 'api');
    if (!s.ok) throw new Error(s.error);
    await until(() => second.events.some((ev) => ev.type === 'run.prompt' && ev.prompt !== null), 'the confirmation prompt');
    second.e.confirm(s.runId);
    expect(await second.e.waitFor(s.runId)).toBe('success');
  });
});
