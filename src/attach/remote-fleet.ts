// The fleet topic (services) as an attached console keeps it: the server sends the whole list
// once, then only the entries that changed, each with its index (src/server/fleet-deltas.ts);
// this store applies each frame as it arrives (src/attach/delta-store.ts) and offers the whole
// snapshot, so the screens read it as before. A delta for a list of another length, or whose
// entry at an index has another name, does not fit: the whole list is asked for again.
import type { FleetSnapshot, ServiceHealth } from '../core/views';
import { isFleetDelta, type FleetDelta, type FleetFrame } from '../protocol/fleet-frames';
import { DeltaStore } from './delta-store';

export class RemoteFleetStore extends DeltaStore<FleetSnapshot, FleetDelta> {
  protected isDelta(frame: FleetFrame): frame is FleetDelta {
    return isFleetDelta(frame);
  }
  protected apply(base: FleetSnapshot, delta: FleetDelta): FleetSnapshot | undefined {
    return applyFleetDelta(base, delta);
  }
}

/** `base` with a delta applied; undefined when the delta is not for this list. */
export function applyFleetDelta(base: FleetSnapshot, delta: FleetDelta): FleetSnapshot | undefined {
  const { count, at, changed, ...summary } = delta;
  if (count !== base.services.length || at.length !== changed.length) return undefined;
  const services: ServiceHealth[] = [...base.services];
  for (let k = 0; k < at.length; k++) {
    const i = at[k]!;
    const s = changed[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= services.length || services[i]!.name !== s.name) return undefined;
    services[i] = s;
  }
  return { ...summary, services };
}
