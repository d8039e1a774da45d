// Node sources against real loopback servers (R-HLT-3, R-HLT-7): a good list, malformed JSON, a
// 500, a hang and a wrong list_path are each named in the store's source status while the last
// good list stays; the demo fleet's /nodes with its nodes-offline and error-spike faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeClock, realClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import { createNodesStore } from '../../src/health/nodes-store';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { runCli } from '../helpers/cli';

let server: http.Server;
let base: string;
let mode: 'good' | 'malformed' | '500' | 'hang' | 'html' = 'good';
const hanging = new Set<http.ServerResponse>();
const T = Date.UTC(2026, 0, 4, 6, 30, 0);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === '500') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end('{"detail":"boom"}');
    }
    if (mode === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"nodes": [{"id": "a",');
    }
    if (mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><body>Bad gateway</body></html>');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        nodes: [
          { id: 'node-1', last_heartbeat: new Date(T - 10_000).toISOString(), errors: 1, requests: 100 },
          { id: 'node-2', last_heartbeat: new Date(T - 12 * 60_000).toISOString(), errors: 0, requests: 50 },
          { id: 'node-3', last_heartbeat: new Date(T - 6 * 60_000).toISOString(), errors: 40, requests: 100 },
          { last_heartbeat: new Date(T).toISOString() },
        ],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** A good list answers in a few ms; 2 s leaves room for a loaded machine (the hang case sets its own). */
function store(extra: Record<string, unknown> = {}, timeoutMs = 2000) {
  const config = configSchema.parse({
    node_sources: [{ name: 'devices', url: `${base}/nodes`, fields: { id: 'id', last_heartbeat: 'last_heartbeat', errors: 'errors', requests: 'requests' }, ...extra }],
  });
  const clock = new FakeClock(T);
  return { clock, nodes: createNodesStore({ config, clock, timeoutMs }) };
}

describe('node source poller', () => {
  it('a good list: online/offline/total, percent online, offline stalest first, error rates, entries without id counted', async () => {
    mode = 'good';
    const { nodes } = store();
    await nodes.pollNow();
    const s = nodes.getSnapshot();
    expect(s).toMatchObject({ total: 3, online: 1, offline: 2, errorRateHigh: 1, offlineAfterMs: 300_000 });
    expect(s.onlineRatio).toBeCloseTo(1 / 3);
    expect(s.nodes.map((n) => `${n.id}:${n.online ? 'on' : 'off'}:${n.errorRate}`)).toEqual(['node-2:off:0', 'node-3:off:0.4', 'node-1:on:0.01']);
    expect(s.sources).toEqual([{ name: 'devices', lastFetchAt: new Date(T), lastOkAt: new Date(T), count: 3, skipped: 1 }]);
    expect(nodes.offlineRatio()).toBeCloseTo(2 / 3);
  });

  it('polls on the clock interval (clock time), not before', async () => {
    mode = 'good';
    const { nodes, clock } = store();
    nodes.start();
    await new Promise((r) => setTimeout(r, 200));
    const first = nodes.getSnapshot().sources[0]!.lastFetchAt;
    expect(first).toEqual(new Date(T));
    await clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(nodes.getSnapshot().sources[0]!.lastFetchAt).toEqual(new Date(T));
    await clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(nodes.getSnapshot().sources[0]!.lastFetchAt).toEqual(new Date(T + 30_000));
    nodes.stop();
  });

  it.each([
    ['malformed', /^malformed JSON \(.*; starts with "\{"nodes": \[\{"id": "a","\)$/],
    ['html', /^malformed JSON \(.*; starts with "<html><body>Bad gateway<\/body><\/html>"\)$/],
    ['500', /^HTTP 500$/],
    ['hang', /^timeout after 1\.5 s$/],
  ] as const)('a %s response is named in the source status; the last good list stays, and the ratio stops driving the recommendation', async (what, pattern) => {
    mode = 'good';
    const { nodes, clock } = store({}, 1500);
    await nodes.pollNow();
    await clock.advance(30_000);
    mode = what;
    const started = Date.now();
    await nodes.pollNow();
    expect(Date.now() - started).toBeLessThan(5_000);
    const s = nodes.getSnapshot();
    expect(s.sources[0]!.error).toMatch(pattern);
    expect(s.sources[0]!.lastOkAt).toEqual(new Date(T));
    expect(s.sources[0]!.lastFetchAt).toEqual(new Date(T + 30_000));
    expect(s.total).toBe(3);
    expect(nodes.offlineRatio()).toBeUndefined();
  });

  it('a wrong list_path is an error naming the setting', async () => {
    mode = 'good';
    const { nodes } = store({ list_path: 'data.items' });
    await nodes.pollNow();
    expect(nodes.getSnapshot().sources[0]!.error).toBe('no node list at "data.items" of the response (found nothing): check node_sources.devices.list_path');
  });

  it('a refused port is said in words', async () => {
    const config = configSchema.parse({ node_sources: [{ name: 'gone', url: 'http://127.0.0.1:9/nodes' }] });
    const nodes = createNodesStore({ config, clock: new FakeClock(T), timeoutMs: 500 });
    await nodes.pollNow();
    expect(nodes.getSnapshot().sources[0]!.error).toBe('connection refused');
  });
});

describe('the demo fleet /nodes', () => {
  let dir: string;
  let fleet: DemoFleet;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doai-nodes-demo-'));
    fleet = await startDemoFleet({ dir, timeScale: 50, nodeCount: 300 });
  });
  afterAll(async () => {
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it('healthy: every node online; nodes-offline: a third stop heartbeating; error-spike: devices over 10 %; clear: back', async () => {
    const config = configSchema.parse(parse(readFileSync(fleet.configPath, 'utf8')));
    const nodes = createNodesStore({ config, clock: realClock(), timeoutMs: 3000 });
    fleet.injectFault('clear');
    await nodes.pollNow();
    let s = nodes.getSnapshot();
    expect(s.sources[0]!.error).toBeUndefined();
    expect(s.total).toBe(300);
    expect(s.online).toBe(300);
    expect(s.nodes[0]!.labels[0]).toMatch(/^rack-[abcd]$/);

    fleet.injectFault('nodes-offline');
    await nodes.pollNow();
    s = nodes.getSnapshot();
    // ceil(300 / 3): exactly a third, over nodes.mass_offline_ratio 0.3.
    expect(s.offline).toBe(100);
    expect(nodes.offlineRatio()).toBeCloseTo(1 / 3, 5);
    // Stalest first.
    const offline = s.nodes.filter((n) => !n.online);
    for (let i = 1; i < offline.length; i++) expect(offline[i]!.lastHeartbeat!.getTime()).toBeGreaterThanOrEqual(offline[i - 1]!.lastHeartbeat!.getTime());

    fleet.injectFault('error-spike');
    await nodes.pollNow();
    s = nodes.getSnapshot();
    expect(s.errorRateHigh).toBeGreaterThan(10);
    expect(s.nodes.filter((n) => (n.errorRate ?? 0) > 0.1)).toHaveLength(s.errorRateHigh);

    fleet.injectFault('clear');
    await nodes.pollNow();
    expect(nodes.getSnapshot().errorRateHigh).toBe(0);
  });
});

describe('demo --nodes', () => {
  it('a count that is not a whole number is a usage error saying what is expected (exit 2, no stack)', async () => {
    const r = await runCli(['demo', '--serve', '--nodes', '12x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('--nodes "12x": expected a whole number from 0 to 100000, e.g. --nodes 10000');
    expect(r.stdout).toBe('');
  });
});
