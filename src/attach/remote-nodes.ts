// The nodes topic as an attached console keeps it: the server sends the whole list once, then only
// the nodes changed, added or removed (src/server/nodes-deltas.ts); this store applies each frame
// as it arrives and offers the whole snapshot, in the server's order (compareNodes, the server's
// own sort), so the screens read it as before. A delta applies only on top of the frame sent just
// before it (the frame's seq, counted per connection and topic); one that does not follow (a lost
// frame, a bug) is not guessed at: the whole list is asked for again and deltas wait for it.
import type { NodeView, NodesSnapshot } from '../core/views';
import { BatchedStore } from '../core/store';
import { compareNodes } from '../core/node-order';
import { isNodesDelta, nodeKey, type NodesFrame } from '../protocol/nodes-frames';

export class RemoteNodesStore extends BatchedStore<NodesSnapshot | undefined> {
  private held?: { seq: number; snap: NodesSnapshot };
  private asked = false;
  /** Frames not placed (each one made the store ask for the whole list, at most once in flight). */
  resyncs = 0;

  constructor(private readonly askWhole: () => void) {
    super(undefined);
  }

  /** One frame from the server, as it arrives (src/attach/client.ts), with its seq. */
  deliver(frame: NodesFrame, seq: number): void {
    if (!isNodesDelta(frame)) {
      this.asked = false;
      this.held = { seq, snap: frame };
      this.set(frame);
      return;
    }
    const held = this.held;
    if (!held || seq !== held.seq + 1) {
      this.resyncs++;
      if (!this.asked) {
        this.asked = true;
        this.askWhole();
      }
      return;
    }
    const snap = applyNodesDelta(held.snap, frame);
    this.held = { seq, snap };
    this.set(snap);
  }
}

/** `base` with a delta applied, its list sorted as the server sorts it. */
export function applyNodesDelta(base: NodesSnapshot, delta: Extract<NodesFrame, { changed: unknown }>): NodesSnapshot {
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
