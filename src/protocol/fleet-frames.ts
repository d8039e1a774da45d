// The fleet topic (services, R-HLT-1) on the wire as deltas, as the nodes topic goes
// (src/protocol/nodes-frames.ts): with 1,000 services the list is ~240 KB, and each batch of probe
// results used to resend it whole to every console (~350 KB/s each). A frame is either the whole
// snapshot (it has `services`) or a delta: the summary fields (recommendation, interval, updatedAt)
// as they are, plus a change for each entry that changed since the frame before it on the same
// connection, each with its index in the list. The list's length and order are the config's and
// do not change within a delta: when they would, the server sends the list whole.
//
// A delta carries only what changed (protocol 6): the recommendation only when it changed (null
// when there is none any more), and for each entry the fields with a new value, the optional
// fields gone, and the latency history as the samples appended since (one per probe
// result), not the whole history again. The console holds the history, at most SERVICE_SAMPLES
// (the server's own bound, src/health/fleet-store.ts), oldest first.
import type { FleetSnapshot, Recommendation, ServiceHealth } from '../core/views';

/** Samples of latency history per service, on the server and in every console. */
export const SERVICE_SAMPLES = 30;

/** The fields of an entry a change may set (name and history aside), each marked optional or not. */
export const SERVICE_FIELDS = {
  host: false,
  unit: true,
  state: false,
  httpStatus: true,
  latencyMs: true,
  consecutiveFailures: false,
  threshold: false,
  lastChangeAt: false,
  lastProbeAt: false,
  lastError: true,
  unmonitored: true,
} as const satisfies Record<Exclude<keyof ServiceHealth, 'name' | 'samples'>, boolean>;

export type ServiceField = keyof typeof SERVICE_FIELDS;
export type OptionalServiceField = { [K in ServiceField]: (typeof SERVICE_FIELDS)[K] extends true ? K : never }[ServiceField];

/** What changed in one entry since the frame before. */
export interface ServiceChange {
  /** The service (the entry held at the index must have this name). */
  name: string;
  /** Fields with a new value, or present now and not before. */
  set?: Partial<Pick<ServiceHealth, ServiceField>>;
  /** Optional fields present before and gone now (lastError after a good probe). */
  unset?: OptionalServiceField[];
  /** Samples appended to the history (absent: the history is unchanged). */
  add?: (number | null)[];
  /**
   * How many of the held samples, from the newest back, come before `add`. Absent: all of them,
   * bounded with `add` to SERVICE_SAMPLES (the history of a probe result); present when the history
   * started again (0) or was cut otherwise.
   */
  keep?: number;
}

export interface FleetDelta extends Omit<FleetSnapshot, 'services' | 'recommendation'> {
  /** The recommendation when it changed since the frame before; null: none now; absent: the same. */
  recommendation?: Recommendation | null;
  /** Length of the list the delta applies to (the held list's length must be this). */
  count: number;
  /** Index in the list of each entry of `changed` (the same length, ascending). */
  at: number[];
  /** What changed in each of those entries. */
  changed: ServiceChange[];
}

/** Whole snapshot, or a delta against the frame sent just before it on the same connection. */
export type FleetFrame = FleetSnapshot | FleetDelta;

export function isFleetDelta(frame: FleetFrame): frame is FleetDelta {
  return !Array.isArray((frame as FleetSnapshot).services) && Array.isArray((frame as FleetDelta).changed);
}
