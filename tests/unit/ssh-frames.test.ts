// An SSH session's frame budget (src/server/ssh-frames.ts): a monitoring store that changes
// every second reaches the session once per frame, with the server's own snapshot; the clock
// steps alone only when time on screen needs it; after a key press changes pass straight through.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import { CLOCK_IDLE_MS, FRAME_MS, INTERACTIVE_MS, SessionFrames } from '../../src/server/ssh-frames';
import type { RunsSnapshot } from '../../src/core/views';

class Source<S> extends BatchedStore<S> {
  put(next: S): void {
    this.set(next);
  }
}

describe('SessionFrames', () => {
  let frames: SessionFrames | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    frames?.stop();
    vi.useRealTimers();
  });

  it('hands a changing store over once per frame, the same snapshot object the server made', async () => {
    const src = new Source({ n: 0 });
    frames = new SessionFrames({ now: () => Date.now() });
    const paced = frames.pace(src);
    let heard = 0;
    paced.subscribe(() => heard++);
    for (let i = 1; i <= 10; i++) {
      src.put({ n: i });
      await vi.advanceTimersByTimeAsync(FRAME_MS / 10);
    }
    // Ten changes in one frame period: one notification, the latest snapshot, shared by reference.
    expect(heard).toBe(1);
    expect(paced.getSnapshot()).toBe(src.getSnapshot());
    // Nothing changed: no notification at the next frame.
    await vi.advanceTimersByTimeAsync(FRAME_MS);
    expect(heard).toBe(1);
  });

  it('steps the clock alone only every CLOCK_IDLE_MS when idle, every second while a run is live', async () => {
    const runs = new Source<RunsSnapshot>({ runs: [] } as unknown as RunsSnapshot);
    frames = new SessionFrames({ runs, now: () => Date.now() });
    let steps = 0;
    frames.clock.subscribe(() => steps++);
    await vi.advanceTimersByTimeAsync(CLOCK_IDLE_MS - 1);
    expect(steps).toBe(0);
    await vi.advanceTimersByTimeAsync(FRAME_MS);
    expect(steps).toBe(1);
    runs.put({ runs: [{ state: 'running' }] } as unknown as RunsSnapshot);
    await vi.advanceTimersByTimeAsync(FRAME_MS);
    const before = steps;
    await vi.advanceTimersByTimeAsync(5000);
    expect(steps - before).toBe(5);
  });

  it('after a key, a store change shows at once; what waited shows on the key', async () => {
    const src = new Source({ n: 0 });
    frames = new SessionFrames({ now: () => Date.now() });
    const paced = frames.pace(src);
    let heard = 0;
    paced.subscribe(() => heard++);
    src.put({ n: 1 });
    await vi.advanceTimersByTimeAsync(10);
    expect(heard).toBe(0);
    frames.key();
    await vi.advanceTimersByTimeAsync(1);
    expect(heard).toBe(1);
    expect(paced.getSnapshot()).toEqual({ n: 1 });
    src.put({ n: 2 });
    await vi.advanceTimersByTimeAsync(1);
    expect(heard).toBe(2);
    expect(paced.getSnapshot()).toEqual({ n: 2 });
    // The interactive spell ends: changes wait for the frame again.
    await vi.advanceTimersByTimeAsync(INTERACTIVE_MS + FRAME_MS);
    const before = heard;
    src.put({ n: 3 });
    await vi.advanceTimersByTimeAsync(1);
    expect(heard).toBe(before);
    await vi.advanceTimersByTimeAsync(FRAME_MS);
    expect(heard).toBe(before + 1);
  });

  it('sessions drawing at different moments take the same snapshot within a frame period, and none misses the last change', async () => {
    const src = new Source({ n: 0 });
    frames = new SessionFrames({ now: () => Date.now() });
    const a = frames.pace(src);
    a.subscribe(() => {});
    // A second session, its frames half a period later.
    await vi.advanceTimersByTimeAsync(FRAME_MS / 2);
    const other = new SessionFrames({ now: () => Date.now() });
    const b = other.pace(src);
    b.subscribe(() => {});
    try {
      // The source changes four times a frame for four frames; each session draws at its moment.
      const drawn = new Set<unknown>();
      for (let i = 1; i <= 16; i++) {
        src.put({ n: i });
        await vi.advanceTimersByTimeAsync(FRAME_MS / 4);
        drawn.add(a.getSnapshot());
        drawn.add(b.getSnapshot());
      }
      // One snapshot per period between them (had each taken the latest at its own moment: two).
      expect(drawn.size).toBeLessThanOrEqual(5);
      // The source stops changing: within two frames both sessions show its last snapshot.
      await vi.advanceTimersByTimeAsync(2 * FRAME_MS);
      expect(a.getSnapshot()).toBe(src.getSnapshot());
      expect(b.getSnapshot()).toBe(src.getSnapshot());
    } finally {
      other.stop();
    }
  });

  it('stops listening to the server store when the session ends', () => {
    const src = new Source({ n: 0 });
    const spy = vi.spyOn(src, 'subscribe');
    frames = new SessionFrames({ now: () => Date.now() });
    const paced = frames.pace(src);
    paced.subscribe(() => {});
    expect(spy).toHaveBeenCalledTimes(1);
    const unsub = spy.mock.results[0]!.value as () => void;
    expect(typeof unsub).toBe('function');
    frames.stop();
    // The source has no listener left: a change notifies nobody.
    expect((src as unknown as { listeners: Set<unknown> }).listeners.size).toBe(0);
  });
});
