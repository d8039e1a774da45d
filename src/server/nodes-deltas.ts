// The nodes topic to one console as deltas (src/protocol/nodes-frames.ts). One NodesDeltas per
// connection remembers the snapshot it last sent; each new snapshot goes as what changed since,
// or whole when the connection has nothing yet (attach, re-attach), asked for it again (a frame it
// could not place: `resync`), when most of the list changed anyway, or when the list is not in a
// strict compareNodes order (duplicate source + id, an unreadable heartbeat): then a client
// re-sorting could not rebuild the server's exact order, so it is not asked to. A snapshot in
// which no node and no summary field changed sends nothing (src/server/snapshot-deltas.ts).
import type { NodeView, NodesSnapshot } from '../core/views';
import { compareNodes } from '../core/node-order';
import { nodeKey, type NodesDelta, type NodesFrame } from '../protocol/nodes-frames';
import { cachedFrames, sameSummary, SnapshotDeltas } from './snapshot-deltas';

/** Per snapshot: its nodes by key, or null when it cannot be a delta's base or result. */
const indexes = new WeakMap<NodesSnapshot, Map<string, NodeView> | null>();

function indexOf(snap: NodesSnapshot): Map<string, NodeView> | null {
  let index = indexes.get(snap);
  if (index !== undefined) return index;
  index = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (typeof n.source !== 'string' || typeof n.id !== 'string' || (i > 0 && !(compareNodes(nodes[i - 1]!, n) < 0))) {
      index = null;
      break;
    }
    index.set(nodeKey(n.source, n.id), n);
  }
  indexes.set(snap, index);
  return index;
}

function time(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

export function sameNode(a: NodeView, b: NodeView): boolean {
  if (a === b) return true;
  if (a.id !== b.id || a.source !== b.source || a.online !== b.online || a.errorRate !== b.errorRate || a.isolated !== b.isolated) return false;
  if ('errorRate' in a !== 'errorRate' in b || 'isolated' in a !== 'isolated' in b) return false;
  if (time(a.lastHeartbeat) !== time(b.lastHeartbeat)) return false;
  if (a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) return false;
  return true;
}

/** The delta from `base` to `snap`, the snapshot itself when a delta would not do, or null when nothing changed (made once per pair: consoles in step share one frame, serialised once). */
export const nodesFrame: (snap: NodesSnapshot, base: NodesSnapshot | undefined) => NodesFrame | null = cachedFrames(diff);

function diff(snap: NodesSnapshot, base: NodesSnapshot): NodesFrame | null {
  const now = indexOf(snap);
  const before = indexOf(base);
  if (!now || !before) return snap;
  // More changes than half the list: the whole list is no bigger and simpler to apply.
  const limit = Math.floor(snap.nodes.length / 2);
  const changed: NodeView[] = [];
  const removed: [string, string][] = [];
  for (const [key, n] of now) {
    const old = before.get(key);
    if (old === undefined || !sameNode(old, n)) {
      changed.push(n);
      if (changed.length > limit) return snap;
    }
  }
  for (const [key, n] of before) {
    if (!now.has(key)) {
      removed.push([n.source, n.id]);
      if (changed.length + removed.length > limit) return snap;
    }
  }
  if (changed.length === 0 && removed.length === 0 && sameSummary(snap, base, 'nodes')) return null;
  const { nodes: _list, ...summary } = snap;
  const delta: NodesDelta = { ...summary, changed, removed };
  return delta;
}

export class NodesDeltas extends SnapshotDeltas<NodesSnapshot, NodesFrame> {
  constructor() {
    super(nodesFrame);
  }
}
