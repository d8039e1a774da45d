// The nodes topic on the wire as deltas (issue 13's pattern, applied to R-HLT-3's node list): a
// 10,000-node list resent whole every second cost each attached console ~1 MB/s and a share of a
// core to parse. A frame is either the whole snapshot (it has `nodes`) or a delta: the summary
// fields (counts, sources, updatedAt) as they are, plus the nodes changed or added (`changed`)
// and the keys of those gone (`removed`), keyed by source + id. The list's order is the server's
// sort (compareNodes, src/health/nodes.ts); the client re-sorts with the same comparator, and the
// server sends a whole frame whenever that comparator would not give its exact order back.
import type { NodeView, NodesSnapshot } from '../core/views';

export interface NodesDelta extends Omit<NodesSnapshot, 'nodes'> {
  changed: NodeView[];
  /** [source, id] of each node no longer listed. */
  removed: [string, string][];
}

/** Whole snapshot, or a delta against the frame sent just before it on the same connection. */
export type NodesFrame = NodesSnapshot | NodesDelta;

export function isNodesDelta(frame: NodesFrame): frame is NodesDelta {
  return !Array.isArray((frame as NodesSnapshot).nodes) && Array.isArray((frame as NodesDelta).changed);
}

export function nodeKey(source: string, id: string): string {
  return `${source}\u0000${id}`;
}
