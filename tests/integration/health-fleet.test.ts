import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, realClock } from '../../src/core/clock';
import { configSchema, type Config } from '../../src/config/schema';
import { createFleetStore } from '../../src/health/fleet-store';
import { runStatusOnce } from '../../src/health/status';
import type { ServiceTransition } from '../../src/core/views';

// Real HTTP servers on loopback: healthy, 503, one that never answers, and a refused port.
let servers: Server[] = [];
let healthyUrl = '';
let failingUrl = '';
let hangUrl = '';
let refusedUrl = '';
let failingStatus = 503;
let hangRequests = 0;

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

beforeAll(async () => {
  const ok = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  healthyUrl = `http://127.0.0.1:${ok.port}/health`;
  const failing = await listen((_req, res) => res.writeHead(failingStatus).end(failingStatus === 200 ? 'ok' : 'unavailable'));
  failingUrl = `http://127.0.0.1:${failing.port}/health`;
  const hang = await listen(() => {
    hangRequests++; // accept the request and never answer
  });
  hangUrl = `http://127.0.0.1:${hang.port}/health`;
  // A port that was free a moment ago: nothing listens there, so connections are refused.
  const tmp = await listen(() => undefined);
  const refusedPort = tmp.port;
  await new Promise<void>((r) => tmp.server.close(() => r()));
  servers = servers.filter((s) => s !== tmp.server);
  refusedUrl = `http://127.0.0.1:${refusedPort}/health`;
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

function makeConfig(services: { name: string; url?: string }[], health: Partial<Config['health']> = {}): Config {
  return configSchema.parse({
    health: { interval_s: 30, timeout_s: 10, failure_threshold: 3, concurrency: 16, ...health },
    hosts: [{ name: 'vm', address: '127.0.0.1' }],
    services: services.map((s) => ({ name: s.name, host: 'vm', unit: s.name, ...(s.url ? { health_url: s.url } : {}) })),
  });
}

describe('fleet store against real HTTP servers', () => {
  it('one sweep takes about one timeout even with a hung target; errors in words', async () => {
    failingStatus = 503;
    const config = makeConfig([
      { name: 'healthy', url: healthyUrl },
      { name: 'failing', url: failingUrl },
      { name: 'hang', url: hangUrl },
      { name: 'refused', url: refusedUrl },
      { name: 'no-url' },
    ]);
    const store = createFleetStore({ config, clock: new FakeClock(), timeoutMs: 500, concurrency: 2 });
    let notified = 0;
    store.subscribe(() => notified++);
    const before = store.getSnapshot();
    const started = performance.now();
    await store.probeNow();
    const took = performance.now() - started;
    // concurrency 2: the hung probe holds one slot for 0.5 s, the other three go through the other.
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(1500);

    const snap = store.getSnapshot();
    expect(snap).not.toBe(before);
    const by = Object.fromEntries(snap.services.map((s) => [s.name, s]));
    expect(by.healthy).toMatchObject({ state: 'UP', httpStatus: 200, consecutiveFailures: 0, threshold: 3 });
    expect(by.healthy.lastError).toBeUndefined();
    expect(by.healthy.samples).toHaveLength(1);
    expect(by.healthy.samples[0]).toBeTypeOf('number');
    expect(by.failing).toMatchObject({ state: 'SUSPECT', httpStatus: 503, consecutiveFailures: 1, lastError: 'HTTP 503' });
    expect(by.failing.samples).toEqual([null]);
    expect(by.hang).toMatchObject({ state: 'SUSPECT', lastError: 'timeout after 0.5 s' });
    expect(by.hang.httpStatus).toBeUndefined();
    expect(by.refused).toMatchObject({ state: 'SUSPECT', lastError: 'connection refused' });
    expect(by['no-url']).toMatchObject({ state: 'UNKNOWN', lastProbeAt: null, samples: [] });
    expect(by.healthy.lastProbeAt).toEqual(new FakeClock().now());
    // one batched notification for the whole burst of results, not one per service
    await new Promise((r) => setImmediate(r));
    expect(notified).toBeGreaterThanOrEqual(1);
    expect(notified).toBeLessThanOrEqual(3);
    // one failed probe is SUSPECT, not yet a failure (seed 000: 3 in a row): nothing recommended
    expect(snap.recommendation).toBeUndefined();
    store.stop();
  });

  it('the FakeClock drives the interval; DOWN after 3 failures; transitions in order; recovery', async () => {
    failingStatus = 503;
    const clock = new FakeClock();
    const config = makeConfig([
      { name: 'healthy', url: healthyUrl },
      { name: 'failing', url: failingUrl },
    ]);
    const store = createFleetStore({ config, clock, timeoutMs: 2000 });
    const transitions: ServiceTransition[] = [];
    store.onTransition((t) => transitions.push(t));
    expect(store.getSnapshot()).toMatchObject({ intervalMs: 30_000, timeScale: 1 });

    store.start(); // first sweep right away
    await store.settled();
    expect(store.getSnapshot().services[1].state).toBe('SUSPECT');

    await clock.advance(29_999); // not yet due
    await store.settled();
    expect(store.getSnapshot().services[1].consecutiveFailures).toBe(1);

    await clock.advance(1);
    await store.settled();
    expect(store.getSnapshot().services[1]).toMatchObject({ state: 'SUSPECT', consecutiveFailures: 2 });

    await clock.advance(30_000);
    await store.settled();
    const down = store.getSnapshot().services[1];
    expect(down).toMatchObject({ state: 'DOWN', consecutiveFailures: 3 });
    expect(down.lastChangeAt).toEqual(new Date(clock.now().getTime()));
    expect(down.samples).toEqual([null, null, null]);

    failingStatus = 200;
    await clock.advance(30_000);
    await store.settled();
    expect(store.getSnapshot().services[1]).toMatchObject({ state: 'UP', consecutiveFailures: 0 });
    expect(store.getSnapshot().services[1].lastError).toBeUndefined();

    const start = new FakeClock().now().getTime();
    expect(transitions.map((t) => [t.service, t.from, t.to, t.at.getTime() - start])).toEqual([
      ['healthy', 'UNKNOWN', 'UP', 0],
      ['failing', 'UNKNOWN', 'SUSPECT', 0],
      ['failing', 'SUSPECT', 'DOWN', 60_000],
      ['failing', 'DOWN', 'UP', 90_000],
    ]);
    expect(transitions[2].error).toBe('HTTP 503');
    expect(transitions[3].error).toBeUndefined();
    // healthy never changed state after its first probe
    expect(store.getSnapshot().services[0].lastChangeAt!.getTime()).toBe(start);

    store.stop();
    await clock.advance(60_000); // stopped: no more sweeps
    await store.settled();
    expect(store.getSnapshot().services[0].samples).toHaveLength(4);
  });

  it('a tick during a running sweep does not probe the same service twice', async () => {
    const clock = new FakeClock();
    const config = makeConfig([
      { name: 'hang', url: hangUrl },
      { name: 'healthy', url: healthyUrl },
    ]);
    const store = createFleetStore({ config, clock, timeoutMs: 600, intervalMs: 1000 });
    hangRequests = 0;
    store.start();
    // wait (bounded) until the hung request reached the server
    for (let i = 0; i < 100 && hangRequests === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hangRequests).toBe(1);
    await clock.advance(1000); // next tick while the hung probe is still in flight
    await clock.advance(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(hangRequests).toBe(1);
    // the healthy one was probed on every tick regardless of the hung one
    await store.settled();
    expect(store.getSnapshot().services[1].samples.length).toBeGreaterThanOrEqual(2);
    expect(store.getSnapshot().services[0]).toMatchObject({ consecutiveFailures: 1, lastError: 'timeout after 0.6 s' });
    await clock.advance(1000); // the hung probe is over: a new one starts
    for (let i = 0; i < 100 && hangRequests < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hangRequests).toBe(2);
    store.stop();
    await store.settled();
  });

  it('keeps the last 30 samples, and stop() ends a hung probe without counting it', async () => {
    const clock = new FakeClock();
    const store = createFleetStore({ config: makeConfig([{ name: 'healthy', url: healthyUrl }]), clock, timeoutMs: 2000 });
    for (let i = 0; i < 35; i++) await store.probeNow();
    expect(store.getSnapshot().services[0].samples).toHaveLength(30);

    const hung = createFleetStore({ config: makeConfig([{ name: 'hang', url: hangUrl }]), clock, timeoutMs: 10_000 });
    const t0 = performance.now();
    const sweep = hung.probeNow();
    await new Promise((r) => setTimeout(r, 50));
    hung.stop();
    await sweep;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(hung.getSnapshot().services[0]).toMatchObject({ state: 'UNKNOWN', consecutiveFailures: 0 });
  });

  it('caps concurrent probes at health.concurrency', async () => {
    let active = 0;
    let maxActive = 0;
    let total = 0;
    const slow = await listen((_req, res) => {
      active++;
      total++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        res.end('ok');
      }, 30);
    });
    const url = `http://127.0.0.1:${slow.port}/health`;
    const services = Array.from({ length: 40 }, (_, i) => ({ name: `svc-${i}`, url }));
    const store = createFleetStore({ config: makeConfig(services, { concurrency: 4 }), clock: new FakeClock(), timeoutMs: 2000 });
    await store.probeNow();
    expect(total).toBe(40);
    expect(maxActive).toBe(4);
    expect(store.getSnapshot().services.every((s) => s.state === 'UP')).toBe(true);
  });

  it('other monitors\' symptoms change the recommendation', async () => {
    const store = createFleetStore({ config: makeConfig([{ name: 'healthy', url: healthyUrl }]), clock: new FakeClock(), timeoutMs: 2000 });
    await store.probeNow();
    expect(store.getSnapshot().recommendation).toBeUndefined();
    const before = store.getSnapshot();
    store.setSymptoms({ hostsUnreachable: ['vm'] });
    expect(store.getSnapshot()).not.toBe(before);
    expect(store.getSnapshot().recommendation).toMatchObject({ level: 'L3', runbook: 'l3-box-reset', target: 'vm' });
    store.setSymptoms({});
    expect(store.getSnapshot().recommendation).toBeUndefined();
  });

  it('reports a compressed clock in the snapshot', () => {
    const store = createFleetStore({ config: makeConfig([]), clock: realClock(10) });
    expect(store.getSnapshot()).toMatchObject({ intervalMs: 30_000, timeScale: 10, services: [] });
  });
});

describe('runStatusOnce', () => {
  it('exits 0 when every probed service is UP (no health_url does not fail)', async () => {
    const config = makeConfig([{ name: 'healthy', url: healthyUrl }, { name: 'caddy' }]);
    const json = await runStatusOnce(config, { json: true });
    expect(json.exitCode).toBe(0);
    const parsed = JSON.parse(json.text);
    expect(parsed.allUp).toBe(true);
    expect(parsed.services).toEqual([
      expect.objectContaining({ name: 'healthy', host: 'vm', state: 'UP', httpStatus: 200, error: null }),
      expect.objectContaining({ name: 'caddy', state: 'UNKNOWN', url: null, httpStatus: null }),
    ]);
    const table = await runStatusOnce(config, {});
    expect(table.exitCode).toBe(0);
    expect(table.text).toMatch(/^SERVICE\s+HOST\s+STATE\s+HTTP\s+LATENCY\s+ERROR/);
    expect(table.text).toMatch(/healthy\s+vm\s+UP\s+200\s+\d+ ms/);
    expect(table.text).toContain('All 1 probed services UP.');
  });

  it('exits 1 when a service fails, in parallel within one timeout, with the recommendation', async () => {
    failingStatus = 503;
    const config = makeConfig(
      [
        { name: 'healthy', url: healthyUrl },
        { name: 'failing', url: failingUrl },
        { name: 'hang', url: hangUrl },
        { name: 'refused', url: refusedUrl },
      ],
      { timeout_s: 0.5 },
    );
    const t0 = performance.now();
    const res = await runStatusOnce(config, {});
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(res.exitCode).toBe(1);
    expect(res.text).toMatch(/failing\s+vm\s+DOWN\s+503\s+\d+ ms\s+HTTP 503/);
    expect(res.text).toMatch(/hang\s+vm\s+DOWN\s+-\s+-\s+timeout after 0\.5 s/);
    expect(res.text).toMatch(/refused\s+vm\s+DOWN\s+-\s+-\s+connection refused/);
    expect(res.text).toContain('3 of 4 probed services not UP.');
    // three services on one host not answering points at the stack: L2
    expect(res.text).toContain('Recommended: 3 services on vm down (failing, hang, refused) → L2 Service Reset (doai-console run l2-service-reset --target failing)');
    const single = makeConfig([{ name: 'healthy', url: healthyUrl }, { name: 'failing', url: failingUrl }]);
    const json = JSON.parse((await runStatusOnce(single, { json: true })).text);
    expect(json.allUp).toBe(false);
    expect(json.services[1]).toMatchObject({ state: 'DOWN', httpStatus: 503, error: 'HTTP 503' });
    expect(json.recommendation).toMatchObject({ level: 'L2', target: 'failing' });
    expect(json.recommendation.reason.en).toBe('failing not answering (1/1 failures: HTTP 503) → L2 Service Reset');
  });
});
