// The node list's order (R-HLT-3), shared by the nodes store (src/health/nodes-store.ts) and the
// attached console that rebuilds the list from deltas (src/attach/remote-nodes.ts): pure, so the
// attached wall screen's module graph stays free of src/health.
import type { NodeView } from './views';

/**
 * Worst first: offline nodes by staleness (no heartbeat at all first, then the oldest), then
 * online nodes by error rate (highest first), then by id. Stable for equal nodes.
 */
export function compareNodes(a: NodeView, b: NodeView): number {
  if (a.online !== b.online) return a.online ? 1 : -1;
  if (!a.online) {
    const ha = a.lastHeartbeat?.getTime() ?? -Infinity;
    const hb = b.lastHeartbeat?.getTime() ?? -Infinity;
    if (ha !== hb) return ha < hb ? -1 : 1;
  }
  const ea = a.errorRate ?? -1;
  const eb = b.errorRate ?? -1;
  if (ea !== eb) return eb - ea;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}
