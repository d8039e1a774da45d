// The fleet topic on the socket is paced (src/server/paced-topic.ts): consoles hear of a change at
// most once per period, all of them about the same snapshot; a change after a quiet period goes at
// once (leading edge), and what changes within a period goes together at its end, the newest
// snapshot only; an urgent change (the fleet's state transitions) goes at once. Driven by vitest's fake timers over a real BatchedStore (no wall-clock asserts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import { PacedTopic, TOPIC_FRAME_MS } from '../../src/server/paced-topic';

class Settable extends BatchedStore<{ v: number }> {
  put(v: number): void {
    this.set({ v });
  }
  noticeAgain(): void {
    this.schedule();
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the source's setImmediate notices run, without moving the fake clock. */
async function notices(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe('paced topic', () => {
  it('the first change after a quiet period at once; changes within the period together at its end, the newest only; every listener the same snapshot', async () => {
    const source = new Settable({ v: 0 });
    const paced = new PacedTopic(source, TOPIC_FRAME_MS, () => Date.now());
    const seen: { a: number[]; b: number[] } = { a: [], b: [] };
    const seenBy = (k: 'a' | 'b') => () => seen[k].push(paced.getSnapshot().v);
    const offA = paced.subscribe(seenBy('a'));
    paced.subscribe(seenBy('b'));
    expect(paced.getSnapshot()).toBe(source.getSnapshot());

    source.put(1);
    await notices();
    expect(seen.a).toEqual([1]); // leading edge: no wait

    // A stream of changes within the period: held back, then the newest once.
    for (let v = 2; v <= 20; v++) {
      source.put(v);
      await vi.advanceTimersByTimeAsync(10);
      expect(paced.getSnapshot().v).toBeLessThan(v); // the period's snapshot, not the source's newest
    }
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS);
    expect(seen.a).toEqual([1, 20]);
    expect(seen.b).toEqual(seen.a);

    // A late notice with nothing new tells nobody; a quiet period later a change goes at once again.
    source.noticeAgain();
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS * 2);
    expect(seen.a).toEqual([1, 20]);
    source.put(21);
    await notices();
    expect(seen.a).toEqual([1, 20, 21]);

    // 1,000 changes over 1 s: at most one notice per period (plus the leading one).
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS * 2);
    const before = seen.a.length;
    for (let k = 0; k < 1000; k++) {
      source.put(100 + k);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS);
    const told = seen.a.length - before;
    expect(told).toBeGreaterThanOrEqual(1000 / TOPIC_FRAME_MS);
    expect(told).toBeLessThanOrEqual(1000 / TOPIC_FRAME_MS + 2);
    expect(seen.a.at(-1)).toBe(1099);
    expect(seen.b).toEqual(seen.a);

    // An urgent change (the fleet's state transition) goes at once, in the middle of a period.
    const urgent = new Set<() => void>();
    const pacedU = new PacedTopic(source, TOPIC_FRAME_MS, () => Date.now(), (go) => (urgent.add(go), () => urgent.delete(go)));
    const seenU: number[] = [];
    const offU = pacedU.subscribe(() => seenU.push(pacedU.getSnapshot().v));
    source.put(2000);
    await notices();
    expect(seenU).toEqual([2000]); // leading edge
    source.put(2001);
    await notices();
    expect(seenU).toEqual([2000]); // held to the period
    source.put(2002);
    for (const go of urgent) go(); // e.g. svc-7 UP -> DOWN
    expect(seenU).toEqual([2000, 2002]);
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS * 2);
    expect(seenU).toEqual([2000, 2002]); // the pending period had nothing newer
    offU();
    expect(urgent.size).toBe(0);

    // Nobody listening: the source is left alone and read as it is.
    offA();
    paced.stop();
    source.put(5000);
    expect(paced.getSnapshot().v).toBe(5000);
    await vi.advanceTimersByTimeAsync(TOPIC_FRAME_MS);
    expect(vi.getTimerCount()).toBe(0);
  });
});
