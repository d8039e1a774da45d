// The nodes topic as deltas on a real server (issue 13's pattern for R-HLT-3): the built binary
// serves a loopback node source listing a few thousand nodes, 1 % of which change (heartbeat,
// error rate, added, removed) at every poll. An attached console gets the whole list once, then
// frames far smaller than it, and puts together exactly the list a console attaching now gets
// whole: same nodes, same order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteNodesStore } from '../../src/attach/remote-nodes';
import { isNodesDelta, type NodesFrame } from '../../src/protocol/nodes-frames';
import type { NodesSnapshot } from '../../src/core/views';
import { waitUntil } from '../helpers/console-server';
import { attachTopic, serveWithSource, type ServedSource } from '../helpers/topic-frames';

const NODES = 3000;
const CHURN = NODES / 100;
const DELTA_FRAMES = 6;

interface SourceNode {
  id: string;
  last_heartbeat: number;
  error_rate?: number;
  labels: string;
}

let served: ServedSource;
const start = Math.floor(Date.now() / 1000);
let generation = 0;
let frozen = false;
let list: SourceNode[] = [];
let nextId = NODES;

function churn(): void {
  generation++;
  for (let k = 0; k < CHURN; k++) {
    const i = (generation * 97 + k * 101) % list.length;
    const n = list[i]!;
    if (k % 10 === 0) list.splice(i, 1);
    else if (k % 10 === 1) list.push({ id: `dev-${nextId++}`, last_heartbeat: start + generation, labels: 'rack-new' });
    else if (k % 2 === 0) list[i] = { ...n, last_heartbeat: start + generation };
    else list[i] = { ...n, error_rate: (generation % 7) / 20 };
  }
}

const attach = () => attachTopic<NodesFrame>(served.socket, 'nodes');

beforeAll(async () => {
  for (let i = 0; i < NODES; i++) {
    // A tenth offline (an hour silent), so the list's order mixes staleness, error rate and id.
    const offline = i % 10 === 3;
    list.push({ id: `dev-${String(i).padStart(5, '0')}`, last_heartbeat: offline ? start - 3600 - (i % 50) : start, ...(i % 4 === 0 ? { error_rate: (i % 9) / 20 } : {}), labels: `rack-${i % 8}` });
  }
  served = await serveWithSource(
    'doai-nodes-deltas-',
    (_req, res) => {
      if (!frozen) churn();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ nodes: list }));
    },
    (port) => ({
      services: [],
      node_sources: [{ name: 'devices', url: `http://127.0.0.1:${port}/nodes`, fields: { error_rate: 'error_rate', labels: 'labels' } }],
      nodes: { interval_s: 1 },
    }),
  );
}, 60_000);

afterAll(async () => {
  await served?.stop();
});

describe('nodes topic as deltas', () => {
  it('the whole list once, then frames of the changed nodes only; the console rebuilds the list a new console gets whole', async () => {
    const a = await attach();
    const store = new RemoteNodesStore(() => a.raw.send({ t: 'resync', topic: 'nodes' }));
    try {
      await waitUntil(`the first ${NODES}-node frame`, () => a.frames.find((f) => !isNodesDelta(f.data) && (f.data as NodesSnapshot).nodes.length >= NODES - CHURN), 30_000);
      await waitUntil(`${DELTA_FRAMES} delta frames`, () => a.frames.filter((f) => isNodesDelta(f.data) && f.data.changed.length > 0).length >= DELTA_FRAMES, 60_000, 100);
      frozen = true;
      const whole = a.frames.find((f) => !isNodesDelta(f.data))!;
      const deltas = a.frames.filter((f) => isNodesDelta(f.data) && f.data.changed.length > 0);
      for (const d of deltas) {
        const delta = d.data as Extract<NodesFrame, { changed: unknown }>;
        // 1 % of the list per poll: a few dozen nodes, not thousands.
        expect(delta.changed.length + delta.removed.length).toBeLessThanOrEqual(3 * CHURN);
        expect(d.bytes, `a delta frame of ${d.bytes} bytes against a whole list of ${whole.bytes}`).toBeLessThan(whole.bytes / 10);
      }
      // After the first, every frame is a delta (nothing made the server resend the list).
      expect(a.frames.slice(1).every((f) => isNodesDelta(f.data))).toBe(true);

      // A console attaching now gets the list whole; the first console's rebuilt list is the same.
      const gen = generation;
      await waitUntil('a poll after the source stopped changing', () => generation === gen && a.frames.length > deltas.length + 2, 20_000, 100);
      const b = await attach();
      try {
        const bFirst = await waitUntil('the new console’s first frame', () => b.frames[0], 20_000);
        expect(isNodesDelta(bFirst.data)).toBe(false);
        let fed = 0;
        const rebuilt = await waitUntil(
          'the first console to hold the list the new one got whole',
          () => {
            for (; fed < a.frames.length; fed++) store.deliver(a.frames[fed]!.data, a.frames[fed]!.seq);
            const held = store.getSnapshot();
            return held && JSON.stringify(held.nodes) === JSON.stringify((bFirst.data as NodesSnapshot).nodes) ? held : undefined;
          },
          20_000,
          100,
        );
        expect(rebuilt.nodes).toEqual((bFirst.data as NodesSnapshot).nodes);
        expect(rebuilt.nodes.length).toBe(list.length);
        expect(new Set(rebuilt.nodes.map((n) => n.id))).toEqual(new Set(list.map((n) => n.id)));
        expect(store.resyncs).toBe(0);
      } finally {
        b.raw.socket.destroy();
      }
    } finally {
      a.raw.socket.destroy();
    }
  }, 120_000);
});
