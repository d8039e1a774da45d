// The fleet topic to one console as deltas (src/protocol/fleet-frames.ts). One FleetDeltas per
// connection remembers the snapshot it last sent; each new snapshot goes as the services whose
// entry changed since (a batch of probe results: the services probed), or whole when the
// connection has nothing yet (attach, re-attach), asked for it again (`resync`), when the list's
// length or order changed, or when more than half of it changed anyway (a sweep that answered at
// once: the whole list is no bigger). Frames are cached per (snapshot, base): consoles in step
// share one frame object, which the socket serialises once for all of them.
import type { FleetSnapshot, ServiceHealth } from '../core/views';
import type { FleetDelta, FleetFrame } from '../protocol/fleet-frames';
import { cachedFrames, SnapshotDeltas } from './snapshot-deltas';

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  return false;
}

/** Field by field (a Date by its time, an array by its items): the store makes a new entry per probe result. */
export function sameService(a: ServiceHealth, b: ServiceHealth): boolean {
  if (a === b) return true;
  const ka = Object.keys(a) as (keyof ServiceHealth)[];
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!(k in b) || !sameValue(a[k], b[k])) return false;
  return true;
}

/** The delta from `base` to `snap`, or the snapshot itself when a delta would not do. */
export const fleetFrame: (snap: FleetSnapshot, base: FleetSnapshot | undefined) => FleetFrame = cachedFrames(diff);

function diff(snap: FleetSnapshot, base: FleetSnapshot): FleetFrame {
  const now = snap.services;
  const before = base.services;
  if (now.length !== before.length) return snap;
  const limit = Math.floor(now.length / 2);
  const at: number[] = [];
  const changed: ServiceHealth[] = [];
  for (let i = 0; i < now.length; i++) {
    const s = now[i]!;
    const old = before[i]!;
    if (s === old) continue;
    if (s.name !== old.name) return snap;
    if (sameService(s, old)) continue;
    at.push(i);
    changed.push(s);
    if (changed.length > limit) return snap;
  }
  const { services: _list, ...summary } = snap;
  const delta: FleetDelta = { ...summary, count: now.length, at, changed };
  return delta;
}

export class FleetDeltas extends SnapshotDeltas<FleetSnapshot, FleetFrame> {
  constructor() {
    super(fleetFrame);
  }
}
