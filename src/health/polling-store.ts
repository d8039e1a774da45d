// What the fleet and nodes stores share: a snapshot rebuilt lazily (many results between two
// reads cost one build, not one per result) and a poll on the clock's interval whose in-flight
// work is abandoned on stop (its results are dropped, not counted as failures).
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';

export abstract class PollingStore<S> extends BatchedStore<S> {
  /** When polled data last changed the snapshot; null until the first result. */
  protected updatedAt: Date | null = null;
  private dirty = true;
  private current: S | undefined;
  private stopInterval: (() => void) | undefined;
  private abort = new AbortController();

  constructor(
    initial: S,
    batchMs: number,
    private readonly pollClock: Clock,
    private readonly pollEveryMs: number,
    private readonly stoppedMessage: string,
  ) {
    super(initial, batchMs);
  }

  /** The snapshot from the current state. */
  protected abstract build(): S;
  /** One round of polling; its work watches `pollSignal` and drops results once it aborts. */
  protected abstract poll(): Promise<void>;

  getSnapshot = (): S => {
    if (this.dirty || this.current === undefined) {
      this.dirty = false;
      this.current = this.build();
    }
    return this.current;
  };

  /** The signal of the current polling period; aborted by stop(). */
  protected get pollSignal(): AbortSignal {
    return this.abort.signal;
  }

  /** Polled data changed: stamp the time and notify. */
  protected changed(): void {
    this.updatedAt = this.pollClock.now();
    this.invalidate();
  }

  /** Something other than polled data changed the snapshot. */
  protected invalidate(): void {
    this.dirty = true;
    this.schedule();
  }

  start(): void {
    if (this.stopInterval) return;
    this.reopen();
    this.stopInterval = this.pollClock.setInterval(() => void this.poll(), this.pollEveryMs);
    void this.poll();
  }

  stop(): void {
    this.stopInterval?.();
    this.stopInterval = undefined;
    this.abort.abort(new Error(this.stoppedMessage));
  }

  /** A poll now, outside the interval (also after stop()). */
  protected pollOnce(): Promise<void> {
    this.reopen();
    return this.poll();
  }

  private reopen(): void {
    if (this.abort.signal.aborted) this.abort = new AbortController();
  }
}
