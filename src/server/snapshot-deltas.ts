// What the nodes and fleet topics share on their way out as deltas (src/server/nodes-deltas.ts,
// src/server/fleet-deltas.ts): a frame is made once per (new snapshot, base) and cached, so consoles
// in step get the same frame object, which the socket serialises once for all of them; and one
// tracker per connection remembers the snapshot it last sent. Each topic supplies only its diff.
//
// Nothing is sent when nothing a console holds changed: the snapshot it was last sent again (a
// store's notice that came after the socket had already read its newest snapshot), or a new one
// whose diff is empty (no entry changed, the summary fields the same). `null` from a diff, and
// undefined from `frame`, say so; the connection then sends nothing and counts no seq.

/** The frame from `base` to `snap`: the snapshot itself when there is no base, null when nothing changed, else `diff`'s, made once per pair. */
export function cachedFrames<S extends object, F>(diff: (snap: S, base: S) => S | F | null): (snap: S, base: S | undefined) => S | F | null {
  const made = new WeakMap<S, WeakMap<S, S | F | null>>();
  return (snap, base) => {
    if (!base) return snap;
    if (snap === base) return null;
    let byBase = made.get(snap);
    const had = byBase?.get(base);
    if (had !== undefined) return had;
    const frame = diff(snap, base);
    if (!byBase) made.set(snap, (byBase = new WeakMap()));
    byBase.set(base, frame);
    return frame;
  };
}

/** The summary fields (all but the list) the same on the wire: what a console holds of them did not change. */
export function sameSummary(a: object, b: object, list: string): boolean {
  const strip = (o: object) => JSON.stringify({ ...o, [list]: undefined });
  return strip(a) === strip(b);
}

/** One connection's side of a topic sent as deltas. */
export class SnapshotDeltas<S extends object, F> {
  /** The snapshot this connection was last sent (whole or as a delta), or one equal to it on the console. */
  private sent?: S;

  constructor(private readonly frameOf: (snap: S, base: S | undefined) => F | null) {}

  /** The frame for `snap`; undefined when there is nothing to send (the console holds it already). */
  frame(snap: S): F | undefined {
    const frame = this.frameOf(snap, this.sent);
    this.sent = snap;
    return frame ?? undefined;
  }

  /** The console could not place a frame: its next one is the whole list. */
  reset(): void {
    this.sent = undefined;
  }
}
