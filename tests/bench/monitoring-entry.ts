// The monitoring figures of issue 16, in-process over real loopback HTTP: a /metrics scrape with
// 1,000 services and 10,000 nodes (bytes and time), against the same bytes served as a fixed
// string; and a 1,000-alert Alertmanager post through the receiver into the alerts store (alerts.jsonl
// written), against a handler that only reads and parses the body. Bundled by monitoring.mjs.
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, NodesSnapshot, ServiceHealth } from '../../src/core/views';
import { createAlertsStore } from '../../src/health/alerts-store';
import { createMetrics } from '../../src/server/metrics';
import { startHttpListener } from '../../src/server/http-listener';
import { alertmanagerReceiver } from '../../src/server/http-alertmanager';

class Fixed<S> extends BatchedStore<S> {
  put(s: S): void {
    this.set(s);
  }
}

const quiet = () => {};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const r = await fetch(url);
  const body = await r.arrayBuffer();
  return { ms: performance.now() - t0, bytes: body.byteLength };
}

async function timePost(url: string, body: string, token: string): Promise<{ ms: number; status: number; text: string }> {
  const t0 = performance.now();
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const text = await r.text();
  return { ms: performance.now() - t0, status: r.status, text };
}

export async function scrape(runs: number): Promise<{ ms: number; baseMs: number; bytes: number; nodeLines: number; serviceLines: number }> {
  const now = new Date();
  const services: ServiceHealth[] = Array.from({ length: 1000 }, (_, i) => ({
    name: `svc-${String(i).padStart(4, '0')}`,
    host: `host-${i % 20}`,
    state: i % 50 === 0 ? 'DOWN' : 'UP',
    samples: [12, 30, i % 50 === 0 ? null : 25],
    consecutiveFailures: i % 50 === 0 ? 3 : 0,
    threshold: 3,
    lastChangeAt: now,
    lastProbeAt: now,
  }));
  const fleet = new Fixed<FleetSnapshot>({ services, intervalMs: 30_000, timeScale: 1, updatedAt: now });
  const nodes = new Fixed<NodesSnapshot>({
    total: 10_000,
    online: 9000,
    offline: 1000,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: Array.from({ length: 10_000 }, (_, i) => ({ id: `node-${i}`, source: `src-${i % 5}`, lastHeartbeat: now, online: i % 10 !== 0, labels: [], isolated: i % 997 === 0 })),
    sources: Array.from({ length: 5 }, (_, i) => ({ name: `src-${i}`, lastFetchAt: now, lastOkAt: now, count: 2000 })),
    updatedAt: now,
  });
  const hosts = new Fixed<HostsSnapshot>({
    hosts: Array.from({ length: 20 }, (_, i) => ({ name: `host-${i}`, address: '127.0.0.1', reachability: 'REACHABLE' as const, consecutiveFailures: 0, threshold: 3, lastProbeAt: now, lastChangeAt: now, metrics: { load1: 1, load5: 1, load15: 1, memTotalMb: 4096, memUsedMb: 1024, disk: { mount: '/', usedRatio: 0.5 }, diskOver: [], at: now } })),
    diskThreshold: 0.8,
    updatedAt: now,
  });
  const alerts = new Fixed<AlertsSnapshot>({ alerts: services.filter((s) => s.state === 'DOWN').map((s) => ({ key: `down:${s.name}`, rule: 'down', kind: 'service_down' as const, subject: s.name, state: 'firing' as const, since: now, message: 'down', actions: [], notifications: [] })), firing: 20, isolated: [], problems: [] });
  const metrics = createMetrics({ fleet, nodes, hosts, alerts });
  // Probes observed: every service has its latency histogram and probe counters.
  fleet.put({ ...fleet.getSnapshot(), services: services.map((s) => ({ ...s, lastProbeAt: new Date(now.getTime() + 1000) })) });
  await new Promise((r) => setImmediate(r));
  const text = await metrics.text();
  const ours = await startHttpListener({ host: '127.0.0.1', port: 0 }, { 'GET /metrics': async (_q, res) => {
    const body = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(body);
  } }, quiet);
  const fixed = await startHttpListener({ host: '127.0.0.1', port: 0 }, { 'GET /metrics': (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
  } }, quiet);
  const a: number[] = [];
  const b: number[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < runs; i++) {
      // Interleaved: machine noise hits both alike.
      const r = await timeGet(`http://127.0.0.1:${ours.address.port}/metrics`);
      bytes = r.bytes;
      a.push(r.ms);
      b.push((await timeGet(`http://127.0.0.1:${fixed.address.port}/metrics`)).ms);
    }
  } finally {
    await ours.close();
    await fixed.close();
    metrics.stop();
  }
  const lines = text.split('\n');
  return { ms: median(a), baseMs: median(b), bytes, nodeLines: lines.filter((l) => l.startsWith('doai_nodes{')).length, serviceLines: lines.filter((l) => l.startsWith('doai_service_probe_success{')).length };
}

export async function burst(runs: number, dir: string): Promise<{ ms: number; baseMs: number; fired: number; resolved: number }> {
  const config = configSchema.parse({ services: [{ name: 'api', host: 'h' }], alertmanager: { token_env: 'T' } });
  const fleet = new Fixed<FleetSnapshot>({ services: [], intervalMs: 30_000, timeScale: 1, updatedAt: null });
  const store = createAlertsStore({ config, clock: realClock(), fleet, file: join(dir, 'alerts.jsonl') });
  const token = 'bench-token';
  const handler = alertmanagerReceiver({ config: config.alertmanager!, alerts: store, hosts: [], services: ['api'], env: { T: token }, log: quiet });
  const ours = await startHttpListener({ host: '127.0.0.1', port: 0 }, { 'POST /api/alertmanager': handler }, quiet);
  const floor = await startHttpListener({ host: '127.0.0.1', port: 0 }, { 'POST /api/alertmanager': async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const n = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts: unknown[] }).alerts.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ n }));
  } }, quiet);
  const payload = (run: number, status: 'firing' | 'resolved') =>
    JSON.stringify({
      version: '4',
      status,
      receiver: 'doai',
      groupKey: 'bench',
      alerts: Array.from({ length: 1000 }, (_, i) => ({
        status,
        labels: { alertname: 'NodeDown', instance: `10.0.${i >> 8}.${i & 255}:9100`, job: 'node', severity: 'warning', run: String(run) },
        annotations: { summary: `node 10.0.${i >> 8}.${i & 255} does not answer` },
        startsAt: new Date().toISOString(),
        fingerprint: `${run.toString(16)}-${i.toString(16)}`,
      })),
    });
  const a: number[] = [];
  const b: number[] = [];
  let fired = 0;
  let resolved = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const body = payload(i, 'firing');
      const r = await timePost(`http://127.0.0.1:${ours.address.port}/api/alertmanager`, body, token);
      if (r.status !== 200) throw new Error(`receiver answered ${r.status}: ${r.text}`);
      fired += (JSON.parse(r.text) as { fired: number }).fired;
      a.push(r.ms);
      b.push((await timePost(`http://127.0.0.1:${floor.address.port}/api/alertmanager`, body, token)).ms);
      // Resolve them again (not timed), so each run starts from the same number firing.
      const back = await timePost(`http://127.0.0.1:${ours.address.port}/api/alertmanager`, payload(i, 'resolved'), token);
      resolved += (JSON.parse(back.text) as { resolved: number }).resolved;
    }
    await store.settled();
  } finally {
    await ours.close();
    await floor.close();
  }
  return { ms: median(a), baseMs: median(b), fired, resolved };
}
