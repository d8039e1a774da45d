// What the nodes and fleet topics share on their way out as deltas (src/server/nodes-deltas.ts,
// src/server/fleet-deltas.ts): a frame is made once per (new snapshot, base) and cached, so consoles
// in step get the same frame object, which the socket serialises once for all of them; and one
// tracker per connection remembers the snapshot it last sent. Each topic supplies only its diff.

/** The frame from `base` to `snap`: the snapshot itself when there is no base, else `diff`'s, made once per pair. */
export function cachedFrames<S extends object, F>(diff: (snap: S, base: S) => S | F): (snap: S, base: S | undefined) => S | F {
  const made = new WeakMap<S, WeakMap<S, S | F>>();
  return (snap, base) => {
    if (!base) return snap;
    let byBase = made.get(snap);
    const had = byBase?.get(base);
    if (had) return had;
    const frame = diff(snap, base);
    if (!byBase) made.set(snap, (byBase = new WeakMap()));
    byBase.set(base, frame);
    return frame;
  };
}

/** One connection's side of a topic sent as deltas. */
export class SnapshotDeltas<S extends object, F> {
  /** The snapshot this connection was last sent (whole or as a delta). */
  private sent?: S;

  constructor(private readonly frameOf: (snap: S, base: S | undefined) => F) {}

  frame(snap: S): F {
    const frame = this.frameOf(snap, this.sent);
    this.sent = snap;
    return frame;
  }

  /** The console could not place a frame: its next one is the whole list. */
  reset(): void {
    this.sent = undefined;
  }
}
