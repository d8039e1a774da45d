// What the wall screen's file readers share: a store that reads its files once at start, then
// every pollMs, on a timer that never keeps the process alive.
import { BatchedStore } from '../core/store';

export abstract class PolledSource<S> extends BatchedStore<S> {
  private stopTimer?: () => void;

  constructor(initial: S, batchMs: number, private readonly pollEveryMs: number) {
    super(initial, batchMs);
  }

  /** Reads what changed since the last call (tests call it directly). */
  abstract poll(): void;

  start(): void {
    if (this.stopTimer) return;
    this.poll();
    const t = setInterval(() => this.poll(), this.pollEveryMs);
    t.unref?.();
    this.stopTimer = () => clearInterval(t);
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }
}
