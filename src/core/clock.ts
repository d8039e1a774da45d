// Time is injected so tests can run the 30 s L3 wait or a 10-minute SSH wait in milliseconds,
// and the demo can compress waits honestly (it says so on screen). Real mode uses realClock.
// Two sources (R-APR-7): now() is wall time, for what is shown and written (countdown end,
// audit timestamps); monotonic() never steps, for deciding when a wait or an expiry is over, so
// an NTP step or `date -s` neither shortens nor lengthens them.

export interface Clock {
  /** Wall time: shown on screen and written in audit lines. */
  now(): Date;
  /** Milliseconds on a clock that never steps (arbitrary origin): waits and expiries are measured on it. */
  monotonic(): number;
  /** Resolves after ms (clock time); rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setInterval(fn: () => void, ms: number): () => void;
  setTimeout(fn: () => void, ms: number): () => void;
  /** >1 means waits are compressed (demo). 1 in real mode. */
  readonly scale: number;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** Wall clock. With scale > 1 every sleep/interval is divided by scale (demo only). */
export function realClock(scale = 1): Clock {
  return {
    scale,
    now: () => new Date(),
    // CLOCK_MONOTONIC through performance.now(): unaffected by settimeofday, NTP steps or date -s.
    monotonic: () => performance.now(),
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortError(signal));
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms / scale);
        const onAbort = () => {
          clearTimeout(t);
          reject(abortError(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    setInterval(fn, ms) {
      const t = setInterval(fn, ms / scale);
      t.unref?.();
      return () => clearInterval(t);
    },
    setTimeout(fn, ms) {
      const t = setTimeout(fn, ms / scale);
      t.unref?.();
      return () => clearTimeout(t);
    },
  };
}

interface Timer {
  at: number;
  fn: () => void;
  every?: number;
  id: number;
}

/**
 * A manual clock for tests: time moves only through advance(). Timers and sleeps fire in
 * order; awaiting advance() lets promise continuations run between timers. stepWall() moves the
 * wall clock alone, as an NTP step or `date -s` does: monotonic time and timers do not move.
 */
export class FakeClock implements Clock {
  readonly scale = 1;
  private t: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start: Date | number = Date.UTC(2026, 0, 4, 6, 30, 0)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  private wallOffset = 0;

  now(): Date {
    return new Date(this.t + this.wallOffset);
  }

  monotonic(): number {
    return this.t;
  }

  /** Steps the wall clock by ms (negative: back), leaving monotonic time and timers where they are. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  private add(fn: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, every, id });
    return id;
  }

  private remove(id: number): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const id = this.add(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.remove(id);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setInterval(fn: () => void, ms: number): () => void {
    const id = this.add(fn, ms, ms);
    return () => this.remove(id);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.add(fn, ms);
    return () => this.remove(id);
  }

  /** Number of pending timers (tests use it to wait until code reached a sleep). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing due timers in order and yielding to promises between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.t = next.at;
      if (next.every !== undefined) next.at += Math.max(1, next.every);
      else this.timers.shift();
      next.fn();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
