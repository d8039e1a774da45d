// A topic the server sends as deltas (nodes, fleet), as an attached console keeps it: a whole
// snapshot first, then frames of what changed, each applied as it arrives; the store offers the
// whole snapshot, so the screens read it as before. A delta applies only on top of the frame sent
// just before it (the frame's seq, counted per connection and topic) and only if it fits what is
// held; one that does not (a lost frame, a bug) is not guessed at: the whole snapshot is asked for
// again (at most one request in flight) and deltas wait for it.
import { BatchedStore } from '../core/store';

export abstract class DeltaStore<S, D> extends BatchedStore<S | undefined> {
  private held?: { seq: number; snap: S };
  private asked = false;
  /** Frames not placed (each one made the store ask for the whole snapshot, at most once in flight). */
  resyncs = 0;

  constructor(private readonly askWhole: () => void) {
    super(undefined);
  }

  protected abstract isDelta(frame: S | D): frame is D;
  /** `base` with `delta` applied, or undefined when the delta does not fit it. */
  protected abstract apply(base: S, delta: D): S | undefined;

  /** One frame from the server, as it arrives (src/attach/client.ts), with its seq. */
  deliver(frame: S | D, seq: number): void {
    if (!this.isDelta(frame)) {
      this.asked = false;
      this.held = { seq, snap: frame };
      this.set(frame);
      return;
    }
    const held = this.held;
    const snap = held && seq === held.seq + 1 ? this.apply(held.snap, frame) : undefined;
    if (snap === undefined) {
      this.resyncs++;
      if (!this.asked) {
        this.asked = true;
        this.askWhole();
      }
      return;
    }
    this.held = { seq, snap };
    this.set(snap);
  }
}
