// The fleet topic (services) as an attached console keeps it: the server sends the whole list
// once, then the recommendation when it changed and for each entry that changed only what changed, with its index: the new fields, the
// optional ones gone, and the samples appended to its latency history (src/server/fleet-deltas.ts);
// this store applies each frame as it arrives (src/attach/delta-store.ts), keeps each history to
// SERVICE_SAMPLES, and offers the whole snapshot, so the screens read it as before. A delta for a
// list of another length, whose entry at an index has another name, or whose change does not fit
// the entry held (a field it does not know, more history kept than held) is not applied: the
// whole list is asked for again.
import type { FleetSnapshot, ServiceHealth } from '../core/views';
import { isFleetDelta, SERVICE_FIELDS, SERVICE_SAMPLES, type FleetDelta, type FleetFrame, type ServiceChange } from '../protocol/fleet-frames';
import { DeltaStore } from './delta-store';

export class RemoteFleetStore extends DeltaStore<FleetSnapshot, FleetDelta> {
  protected isDelta(frame: FleetFrame): frame is FleetDelta {
    return isFleetDelta(frame);
  }
  protected apply(base: FleetSnapshot, delta: FleetDelta): FleetSnapshot | undefined {
    return applyFleetDelta(base, delta);
  }
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** `held` with `change` applied; undefined when the change is not for this entry. */
export function applyServiceChange(held: ServiceHealth, change: ServiceChange): ServiceHealth | undefined {
  if (change === null || typeof change !== 'object' || held.name !== change.name) return undefined;
  const next: Record<string, unknown> = { ...held };
  if (change.unset !== undefined) {
    if (!Array.isArray(change.unset)) return undefined;
    for (const k of change.unset) {
      if (typeof k !== 'string' || !own(SERVICE_FIELDS, k) || SERVICE_FIELDS[k as keyof typeof SERVICE_FIELDS] !== true) return undefined;
      delete next[k];
    }
  }
  if (change.set !== undefined) {
    if (change.set === null || typeof change.set !== 'object' || Array.isArray(change.set)) return undefined;
    for (const k of Object.keys(change.set)) {
      if (!own(SERVICE_FIELDS, k)) return undefined;
      next[k] = (change.set as Record<string, unknown>)[k];
    }
  }
  if (change.add !== undefined || change.keep !== undefined) {
    const add = change.add ?? [];
    if (!Array.isArray(add) || !add.every((v) => v === null || typeof v === 'number')) return undefined;
    const keep = change.keep ?? held.samples.length;
    if (!Number.isInteger(keep) || keep < 0 || keep > held.samples.length) return undefined;
    const samples = [...held.samples.slice(held.samples.length - keep), ...add];
    if (samples.length > SERVICE_SAMPLES) samples.splice(0, samples.length - SERVICE_SAMPLES);
    next.samples = samples;
  }
  return next as unknown as ServiceHealth;
}

/** `base` with a delta applied; undefined when the delta is not for this list. */
export function applyFleetDelta(base: FleetSnapshot, delta: FleetDelta): FleetSnapshot | undefined {
  const { count, at, changed, recommendation, ...summary } = delta;
  if (count !== base.services.length || !Array.isArray(at) || !Array.isArray(changed) || at.length !== changed.length) return undefined;
  const services: ServiceHealth[] = [...base.services];
  for (let k = 0; k < at.length; k++) {
    const i = at[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= services.length) return undefined;
    const s = applyServiceChange(services[i]!, changed[k]!);
    if (!s) return undefined;
    services[i] = s;
  }
  const held = recommendation === undefined ? base.recommendation : recommendation;
  return { ...summary, ...(held ? { recommendation: held } : {}), services };
}
