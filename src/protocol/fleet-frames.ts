// The fleet topic (services, R-HLT-1) on the wire as deltas, as the nodes topic goes
// (src/protocol/nodes-frames.ts): with 1,000 services the list is ~240 KB, and each batch of probe
// results used to resend it whole to every console (~350 KB/s each). A frame is either the whole
// snapshot (it has `services`) or a delta: the summary fields (recommendation, interval, updatedAt)
// as they are, plus the entries that changed since the frame before it on the same connection,
// each with its index in the list. The list's length and order are the config's and do not change
// within a delta: when they would, the server sends the list whole.
import type { FleetSnapshot, ServiceHealth } from '../core/views';

export interface FleetDelta extends Omit<FleetSnapshot, 'services'> {
  /** Length of the list the delta applies to (the held list's length must be this). */
  count: number;
  /** Index in the list of each entry of `changed` (the same length, ascending). */
  at: number[];
  /** The new entries; each replaces the one of the same name at its index. */
  changed: ServiceHealth[];
}

/** Whole snapshot, or a delta against the frame sent just before it on the same connection. */
export type FleetFrame = FleetSnapshot | FleetDelta;

export function isFleetDelta(frame: FleetFrame): frame is FleetDelta {
  return !Array.isArray((frame as FleetSnapshot).services) && Array.isArray((frame as FleetDelta).changed);
}
