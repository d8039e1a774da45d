// `serve --metrics` (R-MON-1) with the BUILT binary and a REAL Prometheus: the demo fleet is
// probed, Prometheus scrapes /metrics on loopback, a PromQL query over its HTTP API returns the
// probe series, and `promtool check metrics` accepts the exposition text. Bad addresses refused.
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { requireTools } from '../helpers/requirements';
import { runCli } from '../helpers/cli';
import { spawnServer, startServer, type RunningServer } from '../helpers/console-server';
import { freePort } from '../helpers/sshd';
import { PROMETHEUS, PROMTOOL, startPrometheus, type StackProcess } from '../helpers/prom-stack';

requireTools([PROMETHEUS, PROMTOOL], 'apt-get install prometheus');
const REPO = resolve(__dirname, '../..');

let base = '';
let fleet: DemoFleet | undefined;
let server: RunningServer | undefined;
let prom: StackProcess | undefined;
let metricsPort = 0;

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  base = mkdtempSync(join(tmpdir(), 'doai-metrics-'));
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 30 });
}, 60_000);

async function startMetricsServer(): Promise<void> {
  metricsPort = await freePort();
  server = await startServer(fleet!.configPath, join(base, 'run', 'console.sock'), ['--metrics', `127.0.0.1:${metricsPort}`]);
  await server.waitLog(new RegExp(`metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
}

/** Polls an async probe until it gives a value (bounded). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

afterAll(async () => {
  await prom?.stop();
  await server?.stop('SIGTERM');
  await fleet?.stop();
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

async function scrape(): Promise<{ status: number; type: string; text: string }> {
  const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

describe('serve --metrics', () => {
  it('refuses a bad --metrics address and one in use, in words, before serving', async () => {
    const bad = spawnServer(['--config', fleet!.configPath, '--socket', join(base, 'run2', 'c.sock'), '--metrics', '127.0.0.1:99999']);
    expect(await bad.exited).toBe(2);
    expect(bad.log()).toContain('the port is out of range 1..65535');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const busy = spawnServer(['--config', fleet!.configPath, '--socket', join(base, 'run3', 'c.sock'), '--metrics', `127.0.0.1:${port}`]);
      expect(await busy.exited).toBe(1);
      expect(busy.log()).toContain(`--metrics: cannot listen on 127.0.0.1:${port} (EADDRINUSE) — another process uses that port`);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('serves the fleet, nodes (counted), hosts, alerts, runs and audit failures in a text promtool accepts', async () => {
    await startMetricsServer();
    const text = await eventually('a probed service in /metrics', async () => {
      const s = await scrape();
      return /doai_service_probe_success\{service="doai-orchestrator"\} 1/.test(s.text) && /doai_nodes\{/.test(s.text) ? s.text : undefined;
    });
    const s = await scrape();
    expect(s.status).toBe(200);
    expect(s.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^doai_service_consecutive_failures\{service="doai-orchestrator"\} 0$/m);
    expect(text).toMatch(/^doai_service_state\{service="doai-orchestrator",state="UP"\} 1$/m);
    expect(text).toMatch(/^doai_service_probe_duration_seconds_bucket\{le="\+Inf",service="doai-orchestrator"\} [1-9]\d*$/m);
    expect(text).toMatch(/^doai_service_probes_total\{service="doai-orchestrator",result="success"\} [1-9]\d*$/m);
    // 30 nodes counted in two series per source, never one per node.
    const nodeLines = text.split('\n').filter((l) => l.startsWith('doai_nodes{'));
    expect(nodeLines.length).toBe(2);
    expect(nodeLines.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBe(30);
    expect(text).toMatch(/^doai_audit_write_failures_total 0$/m);
    expect(text).toMatch(/^# TYPE doai_run_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE doai_approvals_total counter$/m);
    expect(text).toMatch(/^doai_alerts_firing 0$/m);
    expect(text).not.toMatch(/^process_|^nodejs_/m); // a private registry: nothing from the global one
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });

  it('is scraped by a real Prometheus: a PromQL query returns the probe series', async () => {
    prom = await startPrometheus(join(base, 'prom'), `127.0.0.1:${metricsPort}`);
    const result = await eventually('the probe series in Prometheus', async () => {
      const r = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent('doai_service_probe_success{job="doai"}')}`);
      const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return body.status === 'success' && body.data.result.length > 0 ? body.data.result : undefined;
    });
    const orch = result.find((s) => s.metric.service === 'doai-orchestrator');
    expect(orch?.value[1]).toBe('1');
    const up = (await (await fetch(`${prom.url}/api/v1/query?query=up`)).json()) as { data: { result: { value: [number, string] }[] } };
    expect(up.data.result[0]?.value[1]).toBe('1');
    const nodes = (await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('sum(doai_nodes)')}`)).json()) as { data: { result: { value: [number, string] }[] } };
    expect(nodes.data.result[0]?.value[1]).toBe('30');
  }, 60_000);

  it('counts a run the server ran: by runbook, level and outcome, its duration, and its (automatic) approval', async () => {
    const socket = join(base, 'run', 'console.sock');
    const run = await runCli(['run', 'l1-soft-reset', '--target', 'doai-orchestrator', '--config', fleet!.configPath, '--socket', socket], { timeoutMs: 60_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const text = (await scrape()).text;
    expect(text).toMatch(/^doai_runs_started_total\{runbook="l1-soft-reset",level="L1"\} 1$/m);
    expect(text).toMatch(/^doai_runs_total\{runbook="l1-soft-reset",level="L1",outcome="success"\} 1$/m);
    expect(text).toMatch(/^doai_run_duration_seconds_count\{runbook="l1-soft-reset",level="L1"\} 1$/m);
    expect(text).toMatch(/^doai_approvals_total\{outcome="granted"\} 1$/m);
  }, 90_000);

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

});
