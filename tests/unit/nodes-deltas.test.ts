// The nodes topic as deltas: the server side (one NodesDeltas per connection) sends the whole list
// once, then the nodes changed, added or removed; the console side (RemoteNodesStore) rebuilds the
// very snapshot the server holds, in its order, and asks for the whole list again (a `resync`
// frame) when a delta does not follow the frame it holds instead of guessing.
import { describe, expect, it } from 'vitest';
import { NodesDeltas } from '../../src/server/nodes-deltas';
import { RemoteNodesStore } from '../../src/attach/remote-nodes';
import { encodeSnapshotData } from '../../src/server/connections';
import { decodeFrame } from '../../src/protocol/wire';
import { isNodesDelta, type NodesFrame } from '../../src/protocol/nodes-frames';
import { compareNodes } from '../../src/health/nodes';
import type { NodeView, NodesSnapshot } from '../../src/core/views';
import { prng } from '../helpers/prng';

const T0 = Date.UTC(2026, 0, 1);

/** A snapshot as the nodes store builds it: sorted by compareNodes, counts from the list. */
function snapshot(nodes: NodeView[], at: number): NodesSnapshot {
  const sorted = [...nodes].sort(compareNodes);
  const online = sorted.filter((n) => n.online).length;
  return {
    total: sorted.length,
    online,
    offline: sorted.length - online,
    ...(sorted.length ? { onlineRatio: online / sorted.length } : {}),
    errorRateHigh: sorted.filter((n) => (n.errorRate ?? 0) > 0.1).length,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: sorted,
    sources: [
      { name: 'rack-a', lastFetchAt: new Date(at), lastOkAt: new Date(at), count: sorted.filter((n) => n.source === 'rack-a').length },
      { name: 'rack-b', lastFetchAt: new Date(at), lastOkAt: null, count: 0, error: 'HTTP 503' },
    ],
    updatedAt: new Date(at),
  };
}

function randomNode(r: () => number, source: string, id: string): NodeView {
  const online = r() < 0.8;
  const hb = r() < 0.05 ? null : new Date(T0 - Math.floor(r() * 50) * 1000);
  const node: NodeView = { id, source, lastHeartbeat: hb, online: online && hb !== null, labels: r() < 0.5 ? ['rack=a', `row=${Math.floor(r() * 4)}`] : [] };
  // Few distinct rates and heartbeats: many ties, so the id and source order decides often.
  if (r() < 0.7) node.errorRate = Math.floor(r() * 4) / 10;
  if (r() < 0.05) node.isolated = true;
  return node;
}

/** What goes over the socket and back (Dates as {"$date": ms}, revived by decodeFrame). */
function wire(frame: NodesFrame | null | undefined): NodesFrame {
  if (!frame) throw new Error('nothing was sent: the frame was expected to carry a change');
  return decodeFrame(`{"t":"snapshot","topic":"nodes","seq":1,"data":${encodeSnapshotData(frame)}}`).data as NodesFrame;
}

describe('nodes as deltas', () => {
  it('over 300 frames of random churn, the console rebuilds exactly the server snapshot; deltas carry only what changed', () => {
    const r = prng(42);
    const nodes = new Map<string, NodeView>();
    let nextId = 0;
    const add = () => {
      const source = r() < 0.5 ? 'rack-a' : 'rack-b';
      const id = `n${String(nextId++ % 1000).padStart(3, '0')}${nextId > 1000 ? `-${nextId}` : ''}`;
      nodes.set(`${source}/${id}`, randomNode(r, source, id));
    };
    // Same ids in both sources: a node is keyed by source + id.
    for (let i = 0; i < 400; i++) add();
    nodes.set('rack-b/n000', randomNode(r, 'rack-b', 'n000'));
    nodes.set('rack-a/n000', randomNode(r, 'rack-a', 'n000'));

    const server = new NodesDeltas();
    let asked = 0;
    const client = new RemoteNodesStore(() => asked++);
    let deltas = 0;
    for (let frame = 1; frame <= 300; frame++) {
      const keys = [...nodes.keys()];
      const churn = frame % 50 === 0 ? Math.floor(keys.length * 0.7) : 1 + Math.floor(r() * 8);
      for (let k = 0; k < churn; k++) {
        const key = keys[Math.floor(r() * keys.length)]!;
        const old = nodes.get(key);
        const what = r();
        if (!old) continue;
        if (what < 0.1) nodes.delete(key);
        else if (what < 0.2) add();
        else if (what < 0.4) nodes.set(key, { ...old, online: !old.online });
        else if (what < 0.6) nodes.set(key, { ...old, lastHeartbeat: new Date(T0 + frame * 1000) });
        else if (what < 0.7) nodes.set(key, { ...old, labels: [...old.labels, 'x'] });
        else if (what < 0.8) {
          const { isolated: _was, ...rest } = old;
          nodes.set(key, old.isolated ? rest : { ...old, isolated: true });
        } else nodes.set(key, randomNode(r, old.source, old.id));
      }
      const snap = snapshot([...nodes.values()], T0 + frame * 1000);
      const sent = wire(server.frame(snap));
      if (isNodesDelta(sent)) {
        deltas++;
        expect(sent.changed.length + sent.removed.length).toBeLessThanOrEqual(churn);
        expect(sent.updatedAt).toEqual(snap.updatedAt);
      }
      client.deliver(sent, frame);
      expect(client.getSnapshot()).toEqual(snap);
    }
    expect(asked).toBe(0);
    // Most frames are deltas; the 70 % churn every 50th frame goes whole.
    expect(deltas).toBeGreaterThan(280);
    expect(deltas).toBeLessThan(300);
  });

  it('the first frame, and a new connection, carry the whole list; a snapshot with only a new time carries just the summary', () => {
    const r = prng(7);
    const list = Array.from({ length: 20 }, (_, i) => randomNode(r, 'rack-a', `n${i}`));
    const a = snapshot(list, T0);
    const d = new NodesDeltas();
    expect(d.frame(a)).toBe(a);
    const again = d.frame(snapshot(list, T0 + 1000))!;
    expect(isNodesDelta(again) && again.changed.length + again.removed.length).toBe(0);
    expect(new NodesDeltas().frame(a)).toBe(a);
  });

  it('nothing is sent when nothing a console holds changed: the same snapshot again, or a new one equal to it; over 400 random frames the console still rebuilds exactly, the seq counting only frames sent', () => {
    const r = prng(21);
    let list = Array.from({ length: 60 }, (_, i) => randomNode(r, i % 2 ? 'rack-a' : 'rack-b', `n${i}`));
    const server = new NodesDeltas();
    let asked = 0;
    const client = new RemoteNodesStore(() => asked++);
    let at = T0;
    let snap = snapshot(list, at);
    let seq = 0;
    const seen = { sent: 0, nothing: 0 };
    for (let frame = 0; frame < 400; frame++) {
      const roll = r();
      if (frame > 0 && roll < 0.2) {
        // The store's notice came after the socket read its newest snapshot: the same object.
      } else if (frame > 0 && roll < 0.4) {
        snap = snapshot(list.map((n) => ({ ...n, labels: [...n.labels] })), at); // a new object, equal
      } else {
        at += 1000;
        list = list.map((n) => (r() < 0.05 ? { ...n, online: !n.online } : n));
        snap = snapshot(list, at);
      }
      const out = server.frame(snap);
      if (out === undefined) {
        seen.nothing++;
        expect(frame > 0 && roll < 0.4, `frame ${frame}: nothing sent for a change`).toBe(true);
      } else {
        seen.sent++;
        client.deliver(wire(out), ++seq);
      }
      expect(client.getSnapshot()).toEqual(snap);
    }
    expect(asked).toBe(0);
    expect(seen.nothing).toBeGreaterThan(100);
    expect(seen.sent).toBeGreaterThan(200);
  });

  it('a list the comparator cannot order strictly (the same source + id twice) goes whole every time', () => {
    const n = randomNode(prng(3), 'rack-a', 'dup');
    const d = new NodesDeltas();
    d.frame(snapshot([n, { ...n }], T0));
    expect(isNodesDelta(d.frame(snapshot([n, { ...n }, randomNode(prng(4), 'rack-a', 'z')], T0 + 1000))!)).toBe(false);
  });

  it('a delta that does not follow the frame held is not applied: the whole list is asked for once, then deltas apply again', () => {
    const r = prng(9);
    let list = Array.from({ length: 30 }, (_, i) => randomNode(r, 'rack-a', `n${i}`));
    const server = new NodesDeltas();
    let asked = 0;
    const client = new RemoteNodesStore(() => {
      asked++;
      server.reset();
    });
    const s1 = snapshot(list, T0);
    client.deliver(wire(server.frame(s1)), 1);
    list = list.map((n, i) => (i === 3 ? { ...n, online: !n.online } : n));
    server.frame(snapshot(list, T0 + 1000)); // frame 2: lost on the way
    list = list.map((n, i) => (i === 5 ? { ...n, online: !n.online } : n));
    const s3 = snapshot(list, T0 + 2000);
    const f3 = server.frame(s3)!;
    expect(isNodesDelta(f3)).toBe(true);
    client.deliver(wire(f3), 3);
    expect(asked).toBe(1);
    expect(client.getSnapshot()).toEqual(s1); // what it held, not a guess
    list = list.map((n, i) => (i === 7 ? { ...n, online: !n.online } : n));
    // Frame 4 left before the server saw the request: another delta, still not placed, not asked again.
    const s4 = snapshot(list, T0 + 3000);
    client.deliver(wire({ ...s4, nodes: undefined, changed: [], removed: [] } as unknown as NodesFrame), 4);
    expect(asked).toBe(1);
    const f5 = server.frame(s4)!;
    expect(isNodesDelta(f5)).toBe(false);
    client.deliver(wire(f5), 5);
    expect(client.getSnapshot()).toEqual(s4);
    list = list.map((n, i) => (i === 9 ? { ...n, online: !n.online } : n));
    const s6 = snapshot(list, T0 + 4000);
    const f6 = server.frame(s6)!;
    expect(isNodesDelta(f6) && f6.changed).toHaveLength(1);
    client.deliver(wire(f6), 6);
    expect(client.getSnapshot()).toEqual(s6);
    expect(client.resyncs).toBe(2);
  });
});
