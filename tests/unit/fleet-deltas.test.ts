// The fleet topic (services) as deltas: the server side (one FleetDeltas per connection) sends the
// whole list once, then the entries that changed, each with its index; the console side
// (RemoteFleetStore) rebuilds the very snapshot the server holds, in its order, and asks for the
// whole list again (a `resync` frame) when a delta does not follow the frame it holds, or does
// not fit it, instead of guessing.
import { describe, expect, it } from 'vitest';
import { FleetDeltas, fleetFrame } from '../../src/server/fleet-deltas';
import { RemoteFleetStore } from '../../src/attach/remote-fleet';
import { encodeSnapshotData } from '../../src/server/connections';
import { decodeFrame } from '../../src/protocol/wire';
import { isFleetDelta, type FleetDelta, type FleetFrame } from '../../src/protocol/fleet-frames';
import type { FleetSnapshot, ServiceHealth, ServiceState } from '../../src/core/views';
import { prng } from '../helpers/prng';

const T0 = Date.UTC(2026, 0, 1);
const STATES: ServiceState[] = ['UP', 'SLOW', 'SUSPECT', 'DOWN', 'UNKNOWN'];

function service(i: number): ServiceHealth {
  const name = `svc-${String(i).padStart(4, '0')}`;
  return {
    name,
    host: `host-${i % 7}`,
    ...(i % 3 === 0 ? { unit: `${name}.service` } : {}),
    state: 'UNKNOWN',
    samples: [],
    consecutiveFailures: 0,
    threshold: 3,
    lastChangeAt: null,
    lastProbeAt: null,
    ...(i % 50 === 49 ? { unmonitored: true } : {}),
  };
}

/** A probe result as the fleet store applies it: a new entry, the sample appended (at most 30). */
function probed(r: () => number, s: ServiceHealth, at: number): ServiceHealth {
  const ok = r() < 0.8;
  const state = ok ? (r() < 0.9 ? 'UP' : 'SLOW') : STATES[Math.floor(r() * STATES.length)]!;
  const latency = Math.floor(r() * 400);
  const samples = [...s.samples, ok ? latency : null].slice(-30);
  const { lastError: _e, httpStatus: _h, latencyMs: _l, ...rest } = s;
  return {
    ...rest,
    state,
    ...(r() < 0.9 ? { httpStatus: ok ? 200 : 503, latencyMs: latency } : {}),
    samples,
    consecutiveFailures: ok ? 0 : s.consecutiveFailures + 1,
    lastChangeAt: state !== s.state ? new Date(at) : s.lastChangeAt,
    lastProbeAt: new Date(at),
    ...(ok ? {} : { lastError: r() < 0.5 ? 'connection refused' : 'HTTP 503' }),
  };
}

/** A snapshot as the fleet store builds it: a new list object, unchanged entries shared. */
function snapshot(services: ServiceHealth[], at: number, recommend: boolean): FleetSnapshot {
  return {
    services: [...services],
    ...(recommend ? { recommendation: { level: 'L2', runbook: 'l2-service-reset', target: services[0]!.name, reason: { en: 'down', ko: '다운' } } } : {}),
    intervalMs: 10_000,
    timeScale: 1,
    updatedAt: at === T0 ? null : new Date(at),
  };
}

/** What goes over the socket and back (Dates as {"$date": ms}, revived by decodeFrame). */
function wire(frame: FleetFrame): FleetFrame {
  return decodeFrame(`{"t":"snapshot","topic":"fleet","seq":1,"data":${encodeSnapshotData(frame)}}`).data as FleetFrame;
}

function bytes(frame: FleetFrame): number {
  return Buffer.byteLength(encodeSnapshotData(frame));
}

describe('fleet (services) as deltas', () => {
  it('over 300 frames of random probe results, the console rebuilds exactly the server snapshot, in order; deltas carry only what changed', () => {
    const r = prng(42);
    let services = Array.from({ length: 240 }, (_, i) => service(i));
    const server = new FleetDeltas();
    let asked = 0;
    const client = new RemoteFleetStore(() => asked++);
    let deltas = 0;
    for (let frame = 1; frame <= 300; frame++) {
      const at = T0 + frame * 1000;
      // A batch of probe results; every 50th frame a sweep that answered at once (70 %: goes whole).
      const count = frame % 50 === 0 ? Math.floor(services.length * 0.7) : Math.floor(r() * 12);
      const touched = new Set<number>();
      for (let k = 0; k < count; k++) touched.add(Math.floor(r() * services.length));
      services = services.map((s, i) => {
        if (!touched.has(i)) return s;
        // Now and then a new object with the very same content (a probe that changed nothing visible).
        return r() < 0.1 ? { ...s } : probed(r, s, at);
      });
      const snap = snapshot(services, at, r() < 0.3);
      const sent = wire(server.frame(snap));
      if (isFleetDelta(sent)) {
        deltas++;
        expect(sent.changed.length).toBeLessThanOrEqual(touched.size);
        expect(sent.at).toEqual([...sent.at].sort((a, b) => a - b));
        expect(sent.updatedAt).toEqual(snap.updatedAt);
      }
      client.deliver(sent, frame);
      expect(client.getSnapshot()).toEqual(snap);
      expect(client.getSnapshot()!.services.map((s) => s.name)).toEqual(snap.services.map((s) => s.name));
    }
    expect(asked).toBe(0);
    expect(deltas).toBeGreaterThan(280);
    expect(deltas).toBeLessThan(300);
  });

  it('with 1,000 services, a delta of a few probe results is a small fraction of the whole list', () => {
    const r = prng(5);
    let services = Array.from({ length: 1000 }, (_, i) => service(i));
    // Every service probed 30 times: full sample histories, as on a server that has run a while.
    for (let round = 0; round < 30; round++) services = services.map((s) => probed(r, s, T0 + round * 10_000));
    const base = snapshot(services, T0 + 300_000, false);
    const changedAt = [3, 250, 251, 600, 999];
    const next = snapshot(
      services.map((s, i) => (changedAt.includes(i) ? probed(r, s, T0 + 301_000) : s)),
      T0 + 301_000,
      false,
    );
    const frame = fleetFrame(next, base);
    expect(isFleetDelta(frame)).toBe(true);
    const delta = frame as FleetDelta;
    expect(delta.at).toEqual(changedAt);
    const whole = bytes(next);
    const part = bytes(frame);
    expect(whole).toBeGreaterThan(150_000);
    expect(part, `a delta of ${part} bytes against a whole list of ${whole}`).toBeLessThan(whole / 100);
  });

  it('the first frame, and a new connection, carry the whole list; a quiet snapshot is an empty delta; consoles in step share one frame', () => {
    const list = Array.from({ length: 20 }, (_, i) => service(i));
    const a = snapshot(list, T0, false);
    const one = new FleetDeltas();
    const two = new FleetDeltas();
    expect(one.frame(a)).toBe(a);
    expect(two.frame(a)).toBe(a);
    const b = snapshot(list, T0 + 1000, false);
    const f1 = one.frame(b);
    expect(isFleetDelta(f1) && f1.changed.length).toBe(0);
    expect(two.frame(b)).toBe(f1);
    expect(new FleetDeltas().frame(b)).toBe(b);
  });

  it('a list of another length or order goes whole', () => {
    const list = Array.from({ length: 10 }, (_, i) => service(i));
    const d = new FleetDeltas();
    d.frame(snapshot(list, T0, false));
    const longer = snapshot([...list, service(10)], T0 + 1000, false);
    expect(d.frame(longer)).toBe(longer);
    const swapped = [...longer.services];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    const reordered = snapshot(swapped, T0 + 2000, false);
    expect(d.frame(reordered)).toBe(reordered);
  });

  it('a delta that does not follow the frame held, or does not fit it, is not applied: the whole list is asked for once, then deltas apply again', () => {
    const r = prng(9);
    let list = Array.from({ length: 30 }, (_, i) => service(i));
    const server = new FleetDeltas();
    let asked = 0;
    const client = new RemoteFleetStore(() => {
      asked++;
      server.reset();
    });
    const s1 = snapshot(list, T0, false);
    client.deliver(wire(server.frame(s1)), 1);
    list = list.map((s, i) => (i === 3 ? probed(r, s, T0 + 1000) : s));
    server.frame(snapshot(list, T0 + 1000, false)); // frame 2: lost on the way
    list = list.map((s, i) => (i === 5 ? probed(r, s, T0 + 2000) : s));
    const f3 = server.frame(snapshot(list, T0 + 2000, false));
    expect(isFleetDelta(f3)).toBe(true);
    client.deliver(wire(f3), 3);
    expect(asked).toBe(1);
    expect(client.getSnapshot()).toEqual(s1); // what it held, not a guess
    // Frame 4 left before the server saw the request: another delta, not placed, not asked again.
    client.deliver(wire({ ...snapshot(list, T0 + 3000, false), services: undefined, count: 30, at: [], changed: [] } as unknown as FleetFrame), 4);
    expect(asked).toBe(1);
    const s5 = snapshot(list, T0 + 4000, true);
    const f5 = server.frame(s5);
    expect(isFleetDelta(f5)).toBe(false);
    client.deliver(wire(f5), 5);
    expect(client.getSnapshot()).toEqual(s5);
    list = list.map((s, i) => (i === 9 ? probed(r, s, T0 + 5000) : s));
    const s6 = snapshot(list, T0 + 5000, false);
    const f6 = server.frame(s6);
    expect(isFleetDelta(f6) && f6.changed).toHaveLength(1);
    client.deliver(wire(f6), 6);
    expect(client.getSnapshot()).toEqual(s6);
    expect(client.resyncs).toBe(2);

    // In order, but not for this list: another length, or another service at the index.
    const held = client.getSnapshot();
    const misfits: FleetDelta[] = [
      { ...(f6 as FleetDelta), count: 31 },
      { ...(f6 as FleetDelta), at: [10] },
      { ...(f6 as FleetDelta), at: [30] },
    ];
    let seq = 6;
    for (const bad of misfits) {
      client.deliver(wire(server.frame(s6)), ++seq); // in step again: an empty delta, or whole after the last ask
      const before = asked;
      client.deliver(wire(bad), ++seq);
      expect(asked).toBe(before + 1);
      expect(client.getSnapshot()).toEqual(held);
    }
  });
});
