// The fleet topic (services) as deltas on a real server (issue 13): the built binary probes 400
// services on a loopback HTTP server that answers them in eight waves (a service's answer waits
// 0–840 ms by its number; some answer 503), so each sweep reaches the console as several batches.
// Sweeps are asked for with the console's refresh intent (`fleet.probe`); the interval is long,
// so between them nothing changes.
// An attached console gets the whole list once, then frames of the services probed since, each
// about as big as its share of the list (a changed service: its new fields and the sample appended); from them it puts together exactly the list a console
// attaching afterwards gets whole: same entries, same order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFleetStore } from '../../src/attach/remote-fleet';
import { isFleetDelta, type FleetFrame } from '../../src/protocol/fleet-frames';
import type { FleetSnapshot } from '../../src/core/views';
import { waitUntil } from '../helpers/console-server';
import { attachTopic, serveWithSource, type ServedSource } from '../helpers/topic-frames';

const SERVICES = 400;
const WAVES = 8;
const DELTA_FRAMES = 4;

let served: ServedSource;
let sweep = 0;

const attach = () => attachTopic<FleetFrame>(served.socket, 'fleet');

beforeAll(async () => {
  served = await serveWithSource(
    'doai-fleet-deltas-',
    (req, res) => {
      const i = Number(/^\/svc\/(\d+)\/health$/.exec(req.url ?? '')?.[1] ?? 0);
      if (i === 0) sweep++;
      // Some services fail now and then: their state, error and failure count change too.
      const status = i % 10 === 7 && sweep % 3 === 0 ? 503 : 200;
      setTimeout(() => {
        res.statusCode = status;
        res.end(status === 200 ? 'ok' : 'failing');
      }, (i % WAVES) * 120);
    },
    (port) => ({
      health: { interval_s: 600, timeout_s: 10, failure_threshold: 2 },
      hosts: [{ name: 'bench-host', address: '127.0.0.1', port: 9 }],
      services: Array.from({ length: SERVICES }, (_, i) => ({ name: `svc-${String(i).padStart(3, '0')}`, host: 'bench-host', health_url: `http://127.0.0.1:${port}/svc/${i}/health` })),
    }),
  );
}, 60_000);

afterAll(async () => {
  await served?.stop();
});

describe('fleet topic as deltas', () => {
  it('the whole list once, then frames of the services probed since; the console rebuilds the list a new console gets whole', async () => {
    const a = await attach();
    const store = new RemoteFleetStore(() => a.raw.send({ t: 'resync', topic: 'fleet' }));
    try {
      const probedDeltas = () => a.frames.filter((f) => isFleetDelta(f.data) && f.data.changed.length > 0);
      let fed = 0;
      const feed = () => {
        for (; fed < a.frames.length; fed++) store.deliver(a.frames[fed]!.data, a.frames[fed]!.seq);
        return store.getSnapshot();
      };
      await waitUntil('the first sweep to its end', () => feed()?.services.every((s) => s.samples.length === 1), 30_000);
      // Two more sweeps, each to its end (every service then has three samples).
      let id = 1;
      for (const _ of [1, 2]) {
        const n = id++;
        a.raw.send({ t: 'intent', id: n, name: 'fleet.probe', args: {} });
        await a.raw.next((f) => f.t === 'result' && f.id === n, 30_000);
      }
      expect(probedDeltas().length).toBeGreaterThanOrEqual(DELTA_FRAMES);
      const whole = a.frames[0]!;
      expect(isFleetDelta(whole.data)).toBe(false);
      expect((whole.data as FleetSnapshot).services).toHaveLength(SERVICES);
      // After the first, every frame is a delta (a sweep delivered in one batch too), and a changed
      // service carries what changed: one sample appended per probe result, never its history.
      const check = new RemoteFleetStore(() => undefined);
      for (const f of a.frames) {
        const before = check.getSnapshot();
        if (before) {
          expect(isFleetDelta(f.data), `frame ${f.seq} whole`).toBe(true);
          for (const c of (f.data as Extract<FleetFrame, { changed: unknown }>).changed) {
            expect(c).not.toHaveProperty('samples');
            expect(c.keep).toBeUndefined();
            expect(c.add?.length ?? 0).toBeLessThanOrEqual(1);
          }
        }
        check.deliver(f.data, f.seq);
      }
      expect(check.resyncs).toBe(0);
      // No frame carries nothing: each delta has a changed service, a new recommendation or a new time.
      a.frames.slice(1).forEach((f, k) => {
        const d = f.data as Extract<FleetFrame, { changed: unknown }>;
        const before = a.frames[k]!.data;
        expect(d.changed.length > 0 || d.recommendation !== undefined || d.updatedAt?.getTime() !== before.updatedAt?.getTime(), `frame ${f.seq} carries nothing`).toBe(true);
      });
      const perService = whole.bytes / SERVICES;
      for (const d of probedDeltas()) {
        const delta = d.data as Extract<FleetFrame, { changed: unknown }>;
        // A batch of probe results, never the list: about the bytes of the entries it carries.
        expect(delta.changed.length).toBeLessThanOrEqual(SERVICES / 2);
        expect(d.bytes, `a delta of ${delta.changed.length} services in ${d.bytes} bytes; the whole list was ${whole.bytes}`).toBeLessThan(1.5 * perService * delta.changed.length + 600);
      }
      // Some batches are a wave (1/8 of the list) or two, not the sweep.
      expect(Math.min(...probedDeltas().map((d) => d.bytes))).toBeLessThan(whole.bytes / 4);

      // Quiet now (no sweep for minutes): a console attaching gets the list whole; the first one's rebuilt list is the same.
      let count = a.frames.length;
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        if (a.frames.length === count) break;
        count = a.frames.length;
      }
      const b = await attach();
      try {
        const bFirst = await waitUntil('the new console’s first frame', () => b.frames[0], 20_000);
        expect(isFleetDelta(bFirst.data)).toBe(false);
        const rebuilt = feed()!;
        expect(rebuilt).toEqual(bFirst.data);
        expect(rebuilt.services.map((s) => s.name)).toEqual(Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(3, '0')}`));
        expect(rebuilt.services.filter((s) => s.samples.length >= 3)).toHaveLength(SERVICES);
        expect(store.resyncs).toBe(0);
      } finally {
        b.raw.socket.destroy();
      }
    } finally {
      a.raw.socket.destroy();
    }
  }, 120_000);
});
