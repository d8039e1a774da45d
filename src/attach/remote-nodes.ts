// The nodes topic as an attached console keeps it: the server sends the whole list once, then only
// the nodes changed, added or removed (src/server/nodes-deltas.ts); this store applies each frame
// as it arrives (src/attach/delta-store.ts) and offers the whole snapshot, in the server's order
// (compareNodes, the server's own sort), so the screens read it as before.
import type { NodeView, NodesSnapshot } from '../core/views';
import { compareNodes } from '../core/node-order';
import { isNodesDelta, nodeKey, type NodesDelta, type NodesFrame } from '../protocol/nodes-frames';
import { DeltaStore } from './delta-store';

export class RemoteNodesStore extends DeltaStore<NodesSnapshot, NodesDelta> {
  protected isDelta(frame: NodesFrame): frame is NodesDelta {
    return isNodesDelta(frame);
  }
  protected apply(base: NodesSnapshot, delta: NodesDelta): NodesSnapshot {
    return applyNodesDelta(base, delta);
  }
}

/** `base` with a delta applied, its list sorted as the server sorts it. */
export function applyNodesDelta(base: NodesSnapshot, delta: NodesDelta): NodesSnapshot {
  const { changed, removed, ...summary } = delta;
  const drop = new Set<string>();
  for (const [source, id] of removed) drop.add(nodeKey(source, id));
  for (const n of changed) drop.add(nodeKey(n.source, n.id));
  const nodes: NodeView[] = [];
  for (const n of base.nodes) if (!drop.has(nodeKey(n.source, n.id))) nodes.push(n);
  for (const n of changed) nodes.push(n);
  nodes.sort(compareNodes);
  return { ...summary, nodes };
}
