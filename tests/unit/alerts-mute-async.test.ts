// The shared silences' periodic re-read without blocking (issue 15 item 5): with a share that can
// answer asynchronously (listAsync, as PgMuteShare does), the 2 s re-read never calls the blocking
// list(); what another box set arrives through it; a failed read keeps the last known set and says
// why; and an answer asked before a change made here is dropped rather than undoing that change.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import { MuteStore, SHARED_MUTES_POLL_MS, type MuteShare, type SharedMuteRow } from '../../src/health/alerts-mute';

class AsyncShare implements MuteShare {
  readonly where = 'the test share';
  rows: SharedMuteRow[] = [];
  syncReads = 0;
  asyncReads = 0;
  failWith?: string;
  /** Answers held back until released (a slow database). */
  held: (() => void)[] = [];
  hold = false;
  add(row: Parameters<MuteShare['add']>[0]): { leftMs: number } {
    this.rows.push({ id: row.id, kind: row.kind, ...(row.subject ? { subject: row.subject } : {}), ...(row.rule ? { rule: row.rule } : {}), reason: row.reason, by: row.by, ageMs: 0, leftMs: row.minutes * 60_000 });
    return { leftMs: row.minutes * 60_000 };
  }
  end(id: string): boolean {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.id !== id);
    return this.rows.length < before;
  }
  list(): SharedMuteRow[] {
    this.syncReads++;
    return [...this.rows];
  }
  listAsync(): Promise<SharedMuteRow[]> {
    this.asyncReads++;
    const snapshot = [...this.rows];
    const fail = this.failWith;
    return new Promise((resolve, reject) => {
      const answer = () => (fail ? reject(new Error(fail)) : resolve(snapshot));
      if (this.hold) this.held.push(answer);
      else answer();
    });
  }
}

const row = (id: string, subject: string): SharedMuteRow => ({ id, kind: 'silence', subject, reason: 'set on box b', by: 'vega', ageMs: 0, leftMs: 600_000 });

describe('shared silences re-read without blocking', () => {
  it('takes in what another box set through listAsync, never list(); a failed read keeps the last set and says why', async () => {
    const clock = new FakeClock();
    const share = new AsyncShare();
    const store = new MuteStore({ clock, services: ['api'], shared: share });
    await clock.advance(1);
    share.rows.push(row('s-b1', 'api'));
    await clock.advance(SHARED_MUTES_POLL_MS);
    expect(store.getSnapshot().silences.map((s) => s.id)).toEqual(['s-b1']);
    expect(share.asyncReads).toBeGreaterThanOrEqual(2);
    expect(share.syncReads).toBe(0);

    share.failWith = 'state store unreachable (postgres://u@127.0.0.1:5432/d): no answer within 5 s';
    await clock.advance(SHARED_MUTES_POLL_MS);
    expect(store.fileProblem()).toBe('cannot read silences from the test share: state store unreachable (postgres://u@127.0.0.1:5432/d): no answer within 5 s — the last known ones hold');
    expect(store.getSnapshot().silences.map((s) => s.id)).toEqual(['s-b1']);
    share.failWith = undefined;
    await clock.advance(SHARED_MUTES_POLL_MS);
    expect(store.fileProblem()).toBeUndefined();
    expect(share.syncReads).toBe(0);
    store.stop();
  });

  it('an answer asked before a silence was set here is dropped, not taken as the set in force', async () => {
    const clock = new FakeClock();
    const share = new AsyncShare();
    const store = new MuteStore({ clock, services: ['api'], shared: share });
    await clock.advance(1);
    share.hold = true;
    await clock.advance(SHARED_MUTES_POLL_MS);
    // A read is on its way (it saw no silence); meanwhile a silence is set here.
    expect(share.held).toHaveLength(1);
    const set = store.silence({ subject: 'api' }, 10, 'deploy', 'orion');
    expect(set.ok).toBe(true);
    share.hold = false;
    share.held.splice(0).forEach((answer) => answer());
    await clock.advance(1);
    expect(store.getSnapshot().silences.map((s) => s.subject)).toEqual(['api']);
    // The next read has it, from the share.
    await clock.advance(SHARED_MUTES_POLL_MS);
    expect(store.getSnapshot().silences.map((s) => s.subject)).toEqual(['api']);
    store.stop();
  });
});
