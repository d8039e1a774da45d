// The fleet topic to one console as deltas (src/protocol/fleet-frames.ts). One FleetDeltas per
// connection remembers the snapshot it last sent; each new snapshot goes as the recommendation if
// it changed, and what changed in the entries that changed since (a batch of probe results: the services probed, each with its new
// fields and the samples appended to its history), or whole when the connection has nothing yet
// (attach, re-attach, a restarted server), asked for it again (`resync`), or when the list's
// length or order changed. A sweep that answered at once goes as a delta too: without the
// histories and the fields that stayed, it is well under the whole list. Frames are cached per
// (snapshot, base): consoles in step share one frame object, which the socket serialises once for
// all of them. A snapshot in which nothing the console holds changed (no entry, the same
// recommendation and summary fields) sends nothing (src/server/snapshot-deltas.ts).
import type { FleetSnapshot, ServiceHealth } from '../core/views';
import { SERVICE_FIELDS, SERVICE_SAMPLES, type FleetDelta, type FleetFrame, type OptionalServiceField, type ServiceChange, type ServiceField } from '../protocol/fleet-frames';
import { cachedFrames, sameSummary, SnapshotDeltas } from './snapshot-deltas';

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

/**
 * The history `now` as `before` plus what was appended: `add` alone when `now` is `before` with
 * samples appended (bounded to SERVICE_SAMPLES, as the fleet store keeps it), else with `keep`, the
 * newest held samples `now` starts with (0 when it starts again). Undefined when unchanged.
 */
export function historyChange(before: readonly (number | null)[], now: readonly (number | null)[]): Pick<ServiceChange, 'add' | 'keep'> | undefined {
  if (sameValue(before, now)) return undefined;
  // The fewest appended samples that explain `now`: one per probe result, so the loop ends at once.
  for (let added = 1; added <= now.length; added++) {
    const kept = now.length - added;
    if (kept > before.length) continue;
    let fits = true;
    for (let i = 0; i < kept && fits; i++) fits = sameValue(now[i], before[before.length - kept + i]);
    if (!fits) continue;
    const add = now.slice(kept);
    return kept === Math.min(before.length, SERVICE_SAMPLES - added) ? { add } : { keep: kept, add };
  }
  return { keep: 0, add: [] };
}

/** What changed from `before` to `now` (the same service); undefined when nothing did. */
export function serviceChange(before: ServiceHealth, now: ServiceHealth): ServiceChange | undefined {
  if (before === now) return undefined;
  const set: Partial<Record<ServiceField, unknown>> = {};
  const unset: OptionalServiceField[] = [];
  let sets = 0;
  for (const k of Object.keys(SERVICE_FIELDS) as ServiceField[]) {
    const has = k in now && now[k] !== undefined;
    if (has) {
      if (!(k in before) || !sameValue(before[k], now[k])) {
        set[k] = now[k];
        sets++;
      }
    } else if (k in before && before[k] !== undefined) unset.push(k as OptionalServiceField);
  }
  const history = historyChange(before.samples, now.samples);
  if (sets === 0 && unset.length === 0 && !history) return undefined;
  return {
    name: now.name,
    ...(sets > 0 ? { set: set as ServiceChange['set'] } : {}),
    ...(unset.length > 0 ? { unset } : {}),
    ...history,
  };
}

/** The delta from `base` to `snap`, the snapshot itself when a delta would not do, or null when nothing changed. */
export const fleetFrame: (snap: FleetSnapshot, base: FleetSnapshot | undefined) => FleetFrame | null = cachedFrames(diff);

function diff(snap: FleetSnapshot, base: FleetSnapshot): FleetFrame | null {
  const now = snap.services;
  const before = base.services;
  if (now.length !== before.length) return snap;
  const at: number[] = [];
  const changed: ServiceChange[] = [];
  for (let i = 0; i < now.length; i++) {
    const s = now[i]!;
    const old = before[i]!;
    if (s === old) continue;
    if (s.name !== old.name) return snap;
    const change = serviceChange(old, s);
    if (!change) continue;
    at.push(i);
    changed.push(change);
  }
  const { services: _list, recommendation, ...summary } = snap;
  const same = JSON.stringify(recommendation ?? null) === JSON.stringify(base.recommendation ?? null);
  if (changed.length === 0 && same && sameSummary(snap, base, 'services')) return null;
  const delta: FleetDelta = { ...summary, ...(same ? {} : { recommendation: recommendation ?? null }), count: now.length, at, changed };
  return delta;
}

export class FleetDeltas extends SnapshotDeltas<FleetSnapshot, FleetFrame> {
  constructor() {
    super(fleetFrame);
  }
}
