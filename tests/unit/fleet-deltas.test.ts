// The fleet topic (services) as deltas: the server side (one FleetDeltas per connection) sends the
// whole list once, then for the entries that changed only what changed (new fields, fields gone,
// samples appended to the history), each with its index; the console side (RemoteFleetStore)
// rebuilds the very snapshot the server holds, in its order, histories included and kept to 30
// samples, and asks for the whole list again (a `resync` frame) when a delta does not follow the
// frame it holds, or does not fit it, instead of guessing.
import { describe, expect, it } from 'vitest';
import { FleetDeltas, fleetFrame, historyChange } from '../../src/server/fleet-deltas';
import { RemoteFleetStore } from '../../src/attach/remote-fleet';
import { encodeSnapshotData } from '../../src/server/connections';
import { decodeFrame } from '../../src/protocol/wire';
import { isFleetDelta, SERVICE_SAMPLES, type FleetDelta, type FleetFrame, type ServiceChange } from '../../src/protocol/fleet-frames';
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
  return probedWith(r, s, at, (samples, sample) => [...samples, sample].slice(-30));
}

function probedWith(r: () => number, s: ServiceHealth, at: number, history: (samples: (number | null)[], sample: number | null) => (number | null)[]): ServiceHealth {
  const ok = r() < 0.8;
  const state = ok ? (r() < 0.9 ? 'UP' : 'SLOW') : STATES[Math.floor(r() * STATES.length)]!;
  const latency = Math.floor(r() * 400);
  const samples = history(s.samples, ok ? latency : null);
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
function wire(frame: FleetFrame | null | undefined): FleetFrame {
  if (!frame) throw new Error('nothing was sent: the frame was expected to carry a change');
  return decodeFrame(`{"t":"snapshot","topic":"fleet","seq":1,"data":${encodeSnapshotData(frame)}}`).data as FleetFrame;
}

function bytes(frame: FleetFrame): number {
  return Buffer.byteLength(encodeSnapshotData(frame));
}

/** The entry as a delta's change leaves it on the console, checked to carry nothing that stayed. */
function expectOnlyWhatChanged(change: ServiceChange, held: ServiceHealth, now: ServiceHealth): void {
  expect(change.name).toBe(now.name);
  expect(Object.keys(change).filter((k) => !['name', 'set', 'unset', 'add', 'keep'].includes(k))).toEqual([]);
  for (const [k, v] of Object.entries(change.set ?? {})) expect(v, `${now.name}.${k} sent unchanged`).not.toEqual((held as unknown as Record<string, unknown>)[k]);
  for (const k of change.unset ?? []) expect(k in now).toBe(false);
  if (change.add) expect(change.add.length).toBeLessThanOrEqual(now.samples.length);
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
        const held = client.getSnapshot()!;
        // The recommendation only when it changed: null when gone, absent when the same.
        if (!held.recommendation && !snap.recommendation) expect(sent).not.toHaveProperty('recommendation');
        else if (held.recommendation && snap.recommendation) expect(sent).not.toHaveProperty('recommendation');
        else expect(sent.recommendation ?? null).toEqual(snap.recommendation ?? null);
        sent.at.forEach((i, k) => {
          expectOnlyWhatChanged(sent.changed[k]!, held.services[i]!, snap.services[i]!);
          // One probe result per service between two frames: one sample appended, never the history.
          if (sent.changed[k]!.add) expect(sent.changed[k]!).toMatchObject({ add: [snap.services[i]!.samples.at(-1)] });
          expect(sent.changed[k]!.keep).toBeUndefined();
        });
        // A sweep that answered at once is a delta too, and well under the whole list.
        if (frame % 50 === 0) expect(bytes(sent)).toBeLessThan(bytes(snap) * 0.6);
      }
      client.deliver(sent, frame);
      expect(client.getSnapshot()).toEqual(snap);
      expect(client.getSnapshot()!.services.map((s) => s.name)).toEqual(snap.services.map((s) => s.name));
    }
    expect(asked).toBe(0);
    expect(deltas).toBe(299);
  });

  it('histories are rebuilt exactly and kept to 30 samples, over 2,000 frames with resyncs, reconnects, server restarts and histories cut or started again', () => {
    const r = prng(77);
    const N = 12;
    let services = Array.from({ length: N }, (_, i) => service(i));
    let server = new FleetDeltas();
    let seq = 0;
    let asked = 0;
    const client = new RemoteFleetStore(() => {
      asked++;
      server.reset(); // the server sees the `resync` before its next frame
    });
    const seen = { whole: 0, appended: 0, keep: 0, restarts: 0, reconnects: 0, resyncs: 0, full: 0, inStep: 0 };
    let lost = false;
    for (let frame = 1; frame <= 2000; frame++) {
      const at = T0 + frame * 1000;
      const roll = r();
      const afterLoss = lost;
      lost = false;
      if (!afterLoss && roll < 0.01) {
        // The server restarted: histories start again, a new connection (the console re-attaches).
        seen.restarts++;
        services = services.map((_, i) => service(i));
        server = new FleetDeltas();
        seq = 0;
      } else if (!afterLoss && roll < 0.02) {
        seen.reconnects++; // the same server, a new connection
        server = new FleetDeltas();
        seq = 0;
      }
      services = services.map((s) => {
        const p = r();
        if (p < 0.5) return s;
        if (p < 0.8) return probed(r, s, at);
        if (p < 0.98) return probed(r, probed(r, s, at - 500), at); // two probe results between frames
        if (p < 0.99) return probedWith(r, s, at, () => []); // history started again (nothing kept)
        // A history cut otherwise: its newest few kept, one appended.
        return probedWith(r, s, at, (h, x) => [...h.slice(h.length - Math.floor(r() * (h.length + 1))), x].slice(-30));
      });
      const snap = snapshot(services, at, r() < 0.2);
      const sent = wire(server.frame(snap));
      seq++;
      // Now and then a delta is lost on the way (a whole frame is what ends the loss, and the socket
      // loses nothing): the next delta does not follow, the console asks for the whole list again.
      if (!afterLoss && roll >= 0.02 && roll < 0.03 && isFleetDelta(sent)) {
        seen.resyncs++;
        lost = true;
      }
      if (isFleetDelta(sent)) {
        for (const c of sent.changed) {
          if (c.keep !== undefined) seen.keep++;
          else if (c.add) seen.appended++;
        }
      } else seen.whole++;
      if (lost) continue;
      client.deliver(sent, seq);
      const held = client.getSnapshot()!;
      for (const s of held.services) expect(s.samples.length).toBeLessThanOrEqual(SERVICE_SAMPLES);
      if (held.updatedAt?.getTime() === snap.updatedAt?.getTime()) {
        seen.inStep++;
        expect(held).toEqual(snap);
        if (services.some((s) => s.samples.length === SERVICE_SAMPLES)) seen.full++;
      }
    }
    // Each lost frame put the console out of step for two frames (the lost one, the delta after it
    // that did not follow); it asked for the whole list once each time and is in step at the end.
    expect(client.getSnapshot()!.services).toEqual(services);
    expect(asked).toBe(seen.resyncs);
    expect(client.resyncs).toBe(seen.resyncs);
    expect(seen.inStep).toBe(2000 - 2 * seen.resyncs);
    expect(seen.restarts).toBeGreaterThan(5);
    expect(seen.reconnects).toBeGreaterThan(5);
    expect(seen.resyncs).toBeGreaterThan(5);
    expect(seen.whole).toBe(1 + seen.restarts + seen.reconnects + seen.resyncs);
    expect(seen.appended).toBeGreaterThan(1000);
    expect(seen.keep).toBeGreaterThan(100);
    expect(seen.full).toBeGreaterThan(500); // frames with some history at its bound, appended to
    expect(seen.full).toBeGreaterThan(0);
  });

  it('a probe result for a service with a full history costs its new sample and fields, not the history', () => {
    const r = prng(11);
    let services = Array.from({ length: 50 }, (_, i) => service(i));
    for (let round = 0; round < 40; round++) services = services.map((s) => probed(r, s, T0 + round * 10_000));
    expect(services.every((s) => s.samples.length === 30)).toBe(true);
    const base = snapshot(services, T0 + 400_000, false);
    const one = services[7]!;
    const after = { ...one, samples: [...one.samples.slice(1), 123], latencyMs: 123, httpStatus: 200, lastProbeAt: new Date(T0 + 401_000) };
    const next = snapshot(services.map((s, i) => (i === 7 ? after : s)), T0 + 401_000, false);
    const frame = wire(fleetFrame(next, base)) as FleetDelta;
    expect(frame.at).toEqual([7]);
    const change = frame.changed[0]!;
    expect(change.add).toEqual([123]);
    expect(change.keep).toBeUndefined();
    expect(change).not.toHaveProperty('samples');
    expect(Object.keys(change.set ?? {}).sort()).toEqual(['lastProbeAt', ...(one.latencyMs === 123 ? [] : ['latencyMs']), ...(one.httpStatus === 200 ? [] : ['httpStatus'])].sort());
    // The history of the entry alone is longer than the whole change.
    const changeBytes = Buffer.byteLength(encodeSnapshotData(change));
    expect(changeBytes, JSON.stringify(change)).toBeLessThan(Buffer.byteLength(JSON.stringify(one.samples)));
    const client = new RemoteFleetStore(() => undefined);
    client.deliver(wire(base), 1);
    client.deliver(frame, 2);
    expect(client.getSnapshot()).toEqual(next);
  });

  it('the history change: appended samples alone, else what is kept of the held history', () => {
    const full = Array.from({ length: 30 }, (_, i) => i);
    expect(historyChange([1, 2], [1, 2])).toBeUndefined();
    expect(historyChange([], [5])).toEqual({ add: [5] });
    expect(historyChange([1, 2], [1, 2, null])).toEqual({ add: [null] });
    expect(historyChange(full, [...full.slice(1), 99])).toEqual({ add: [99] });
    expect(historyChange(full, [...full.slice(2), 98, 99])).toEqual({ add: [98, 99] });
    expect(historyChange([1, 2, 3], [])).toEqual({ keep: 0, add: [] });
    expect(historyChange([1, 2, 3], [7])).toEqual({ keep: 0, add: [7] });
    expect(historyChange([1, 2, 3], [3, 7])).toEqual({ keep: 1, add: [7] });
    expect(historyChange(full, [...full.slice(10), 99])).toEqual({ keep: 20, add: [99] });
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
    const frame = fleetFrame(next, base)!;
    expect(isFleetDelta(frame)).toBe(true);
    const delta = frame as FleetDelta;
    expect(delta.at).toEqual(changedAt);
    const whole = bytes(next);
    const part = bytes(frame);
    expect(whole).toBeGreaterThan(150_000);
    expect(part, `a delta of ${part} bytes against a whole list of ${whole}`).toBeLessThan(whole / 100);
  });

  it('the first frame, and a new connection, carry the whole list; a snapshot with only a new time carries just the summary; consoles in step share one frame', () => {
    const list = Array.from({ length: 20 }, (_, i) => service(i));
    const a = snapshot(list, T0, false);
    const one = new FleetDeltas();
    const two = new FleetDeltas();
    expect(one.frame(a)).toBe(a);
    expect(two.frame(a)).toBe(a);
    const b = snapshot(list, T0 + 1000, false);
    const f1 = one.frame(b)!;
    expect(isFleetDelta(f1) && f1.changed.length).toBe(0);
    expect(f1).toMatchObject({ updatedAt: b.updatedAt });
    expect(two.frame(b)).toBe(f1);
    expect(new FleetDeltas().frame(b)).toBe(b);
  });

  it('nothing is sent when nothing a console holds changed: the same snapshot again, or a new one equal to it; over 400 random frames the console still rebuilds exactly, the seq counting only frames sent', () => {
    const r = prng(31);
    let services = Array.from({ length: 40 }, (_, i) => service(i));
    const server = new FleetDeltas();
    let asked = 0;
    const client = new RemoteFleetStore(() => asked++);
    let at = T0;
    let recommend = false;
    let snap = snapshot(services, at, recommend);
    let seq = 0;
    const seen = { sent: 0, nothing: 0 };
    for (let frame = 0; frame < 400; frame++) {
      const roll = r();
      if (frame > 0 && roll < 0.2) {
        // The store's notice came after the socket read its newest snapshot: the same object.
      } else if (frame > 0 && roll < 0.4) {
        // Rebuilt with the same content: new entry objects, a new list, the same time.
        snap = snapshot(services.map((s) => ({ ...s, samples: [...s.samples] })), at, recommend);
      } else {
        at += 1000;
        services = services.map((s) => (r() < 0.1 ? probed(r, s, at) : s));
        if (r() < 0.1) recommend = !recommend;
        snap = snapshot(services, at, recommend);
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
      for (const s of client.getSnapshot()!.services) expect(s.samples.length).toBeLessThanOrEqual(SERVICE_SAMPLES);
    }
    expect(asked).toBe(0);
    expect(seen.nothing).toBeGreaterThan(100);
    expect(seen.sent).toBeGreaterThan(200);
    // Only the time changed: that is sent (the console shows when the list was last updated).
    const later = snapshot(services, at + 1000, recommend);
    expect(server.frame(later)).toMatchObject({ at: [], changed: [], updatedAt: later.updatedAt });
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
    const f3 = server.frame(snapshot(list, T0 + 2000, false))!;
    expect(isFleetDelta(f3)).toBe(true);
    client.deliver(wire(f3), 3);
    expect(asked).toBe(1);
    expect(client.getSnapshot()).toEqual(s1); // what it held, not a guess
    // Frame 4 left before the server saw the request: another delta, not placed, not asked again.
    client.deliver(wire({ ...snapshot(list, T0 + 3000, false), services: undefined, count: 30, at: [], changed: [] } as unknown as FleetFrame), 4);
    expect(asked).toBe(1);
    const s5 = snapshot(list, T0 + 4000, true);
    const f5 = server.frame(s5)!;
    expect(isFleetDelta(f5)).toBe(false);
    client.deliver(wire(f5), 5);
    expect(client.getSnapshot()).toEqual(s5);
    list = list.map((s, i) => (i === 9 ? probed(r, s, T0 + 5000) : s));
    const s6 = snapshot(list, T0 + 5000, false);
    const f6 = server.frame(s6)!;
    expect(isFleetDelta(f6) && f6.changed).toHaveLength(1);
    client.deliver(wire(f6), 6);
    expect(client.getSnapshot()).toEqual(s6);
    expect(client.resyncs).toBe(2);

    // In order, but not for this list: another length, or another service at the index.
    const held = client.getSnapshot();
    const c6 = (f6 as FleetDelta).changed[0]!;
    const misfits: FleetDelta[] = [
      { ...(f6 as FleetDelta), count: 31 },
      { ...(f6 as FleetDelta), at: [10] },
      { ...(f6 as FleetDelta), at: [30] },
      // A change that does not fit the entry held: more history kept than held, a field it does not
      // know, a field that may not go, another service's name.
      { ...(f6 as FleetDelta), changed: [{ ...c6, keep: held!.services[9]!.samples.length + 1, add: [1] }] },
      { ...(f6 as FleetDelta), changed: [{ ...c6, set: { ...c6.set, color: 'red' } as ServiceChange['set'] }] },
      { ...(f6 as FleetDelta), changed: [{ ...c6, set: JSON.parse('{"__proto__":{"state":"UP"}}') as ServiceChange['set'] }] },
      { ...(f6 as FleetDelta), changed: [{ ...c6, unset: ['state'] as unknown as ServiceChange['unset'] }] },
      { ...(f6 as FleetDelta), changed: [{ ...c6, name: 'svc-0010' }] },
    ];
    let seq = 6;
    for (const bad of misfits) {
      // In step again: whole after the last ask (nothing to send the first time: it holds s6).
      const again = server.frame(s6);
      if (again) client.deliver(wire(again), ++seq);
      const before = asked;
      client.deliver(wire(bad), ++seq);
      expect(asked).toBe(before + 1);
      expect(client.getSnapshot()).toEqual(held);
    }
  });
});
