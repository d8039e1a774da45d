// The fleet topic on the socket, paced (issue 13's fleet deltas, third round). The fleet store
// notifies on the next macrotask after any probe result; with 1,000 services probed every second
// that was ~280 frames a second to every console, 3-4 results each, the envelope and summary
// fields a quarter of the topic's bytes. Seen through this view, a topic's consoles are told of a
// change at most once per period, all of them about the same snapshot, taken when the period
// starts: the frames are fewer and fuller, and consoles in step still share one frame, serialised
// once (src/server/snapshot-deltas.ts).
//
// Leading edge: a change after a quiet period goes at once; under a stream of results the changes
// of the next period go together at its end. An urgent change does not wait at all: the fleet's
// state transitions (a service going DOWN, SUSPECT, back UP) are taken over the moment the store
// makes them, with whatever else changed by then; during an outage that is at most one frame per
// batch of probe results, as before pacing. The period is the one `watch` batches its fleet and nodes stores with and serve's live
// runs source notifies at (TOPIC_FRAME_MS), well inside the 1 s alert-latency budget.
// Only the socket's view is paced: the server's own readers (alerts, /metrics, SSH sessions,
// history) read the store itself.
import type { Store } from '../core/store';

export const TOPIC_FRAME_MS = 250;

export class PacedTopic<S> implements Store<S> {
  private readonly listeners = new Set<() => void>();
  private offSource?: () => void;
  private held?: S;
  private takenAt = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: Store<S>,
    private readonly periodMs = TOPIC_FRAME_MS,
    private readonly now: () => number = () => performance.now(),
    /** Subscribes to changes that go at once (the fleet store's transitions); returns the unsubscribe. */
    private readonly urgent?: (onUrgent: () => void) => () => void,
  ) {}
  private offUrgent?: () => void;

  /** The snapshot taken at the start of this period (the source's own while nobody listens). */
  getSnapshot = (): S => (this.offSource && this.held !== undefined ? this.held : this.source.getSnapshot());

  subscribe = (onChange: () => void): (() => void) => {
    if (!this.offSource) {
      this.held = this.source.getSnapshot();
      this.offSource = this.source.subscribe(() => this.changed());
      this.offUrgent = this.urgent?.(() => this.takeNow());
    }
    this.listeners.add(onChange);
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) this.stop();
    };
  };

  /** Stops listening to the source (the last console left, or the server stops). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.offSource?.();
    this.offSource = undefined;
    this.offUrgent?.();
    this.offUrgent = undefined;
    this.held = undefined;
    this.takenAt = -Infinity;
  }

  private changed(): void {
    if (this.timer) return;
    const wait = this.takenAt + this.periodMs - this.now();
    if (wait <= 0) return this.take();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.take();
    }, wait);
    this.timer.unref?.();
  }

  private takeNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.take();
  }

  private take(): void {
    if (!this.offSource) return;
    const next = this.source.getSnapshot();
    this.takenAt = this.now();
    if (next === this.held) return;
    this.held = next;
    for (const l of [...this.listeners]) l();
  }
}
