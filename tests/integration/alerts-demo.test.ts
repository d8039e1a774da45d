// The whole fleet-at-a-glance wiring against the demo fleet: fleet store + node source + hosts +
// alert rules + a webhook received by a loopback HTTP server. Faults drive the seed 000 rules
// and the level recommendation (R-HLT-5, R-HLT-6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeClock } from '../../src/core/clock';
import { configSchema, type Config } from '../../src/config/schema';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { createFleetStore, type FleetStoreHandle } from '../../src/health/fleet-store';
import { createFleetMonitors, type FleetMonitors } from '../../src/health/alerts-fleet';

let dir: string;
let fleet: DemoFleet;
let config: Config;
let shell: SshShell;
let receiver: http.Server;
const hooks: { text: string }[] = [];
let store: FleetStoreHandle;
let monitors: FleetMonitors;
// Intervals never fire on their own (the test drives every poll); "now" is the real time the demo stamps heartbeats with.
const clock = new FakeClock(Date.now());
const SECRET = '/hooks/T0/B0/secret-token-value';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-alerts-demo-'));
  // The default size (40 nodes): nodes-offline must still reach the L2 ratio with it.
  fleet = await startDemoFleet({ dir, timeScale: 50 });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const raw = parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  config = configSchema.parse({ ...raw, notifications: { webhooks: [{ name: 'ops-slack', url_env: 'DOAI_ALERTS_DEMO_HOOK', timeout_s: 2, retries: 1 }] } });
  shell = createSshShell({ hosts: config.hosts, knownHostsPath: join(dir, 'known_hosts'), connectTimeoutMs: 3_000 });
  store = createFleetStore({ config, clock, timeoutMs: 2_000 });
  monitors = createFleetMonitors({
    config,
    clock,
    fleet: store,
    shell,
    stateDir: join(dir, 'state'),
    configDir: dir,
    env: { DOAI_ALERTS_DEMO_HOOK: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${SECRET}` },
  });
  monitors.start();
});

afterAll(async () => {
  monitors?.stop();
  store?.stop();
  shell?.close();
  await fleet?.stop();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not reached in ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alert = (rule: string) => monitors.alerts.getSnapshot().alerts.find((a) => a.rule === rule);

describe('alerts and recommendation on the demo fleet', () => {
  it('healthy: no alert firing, no recommendation, the monitors filled in', async () => {
    await store.probeNow();
    await monitors.nodes.pollNow();
    await monitors.hosts.checkNow();
    await until(() => monitors.alerts.getSnapshot().alerts.length === 0 && store.getSnapshot().recommendation === undefined, 'quiet fleet');
    expect(monitors.nodes.getSnapshot().online).toBe(40);
    expect(monitors.hosts.getSnapshot().hosts.map((h) => [h.name, h.reachability])).toEqual(
      expect.arrayContaining([
        ['demo-vm', 'REACHABLE'],
        ['demo-db', 'REACHABLE'],
      ]),
    );
  });

  it('nodes-offline: node_offline fires (recorded: no auto-reconnect runbook configured) and the dashboard recommends L2', async () => {
    fleet.injectFault('nodes-offline');
    await monitors.nodes.pollNow();
    await until(() => alert('node_offline')?.state === 'firing', 'node_offline firing');
    expect(alert('node_offline')!.actions).toEqual(['no auto-reconnect runbook configured (alerts.node_offline.runbook) — recorded only']);
    await until(() => store.getSnapshot().recommendation?.level === 'L2', 'L2 recommended');
    // A third of 40: 14 nodes (35 %), over nodes.mass_offline_ratio 0.3.
    expect(monitors.nodes.getSnapshot()).toMatchObject({ total: 40, online: 26 });
    expect(alert('node_offline')!.message).toMatch(/^14 of 40 nodes on devices without heartbeat/);
    const rec = store.getSnapshot().recommendation!;
    expect(rec).toMatchObject({ runbook: 'l2-service-reset', target: 'doai-orchestrator' });
    expect(rec.reason.en).toBe('35% of nodes offline at once (≥ 30%) → L2 Service Reset');
  });

  it('error-spike: device_error_rate notifies on-call through the webhook and isolates the devices (marked on the nodes)', async () => {
    fleet.injectFault('error-spike');
    await monitors.nodes.pollNow();
    await until(() => hooks.some((h) => h.text.startsWith('[FIRING] device_error_rate')), 'webhook received');
    const a = alert('device_error_rate')!;
    expect(a.state).toBe('firing');
    expect(a.actions[0]).toMatch(/^isolated \d+ devices?: node-/);
    await until(() => a.actions.includes('notified on-call (1 webhook)') || alert('device_error_rate')!.actions.includes('notified on-call (1 webhook)'), 'notified action');
    const isolated = monitors.alerts.getSnapshot().isolated;
    expect(isolated.length).toBeGreaterThan(0);
    await until(() => monitors.nodes.getSnapshot().nodes.filter((n) => n.isolated).length === isolated.length, 'isolated marked');
  });

  it('un-isolate: the operator puts a device back, recorded on the alert and in alerts.jsonl; it is not isolated again while still spiking', async () => {
    const before = monitors.alerts.getSnapshot().isolated;
    const device = before[0]!;
    const result = monitors.alerts.unisolate([device], 'alice');
    expect(result).toEqual({ ok: true, released: [device] });
    expect(monitors.alerts.getSnapshot().isolated).toEqual(before.filter((d) => d !== device));
    expect(alert('device_error_rate')!.actions).toContain(`un-isolated 1 device by alice: ${device}`);
    await until(() => monitors.nodes.getSnapshot().nodes.find((n) => n.id === device)?.isolated === undefined, 'node unmarked');
    // Still over 10 %: the next poll leaves the operator's decision alone.
    await monitors.nodes.pollNow();
    await monitors.alerts.evaluateNow();
    expect(monitors.alerts.getSnapshot().isolated).not.toContain(device);
    await monitors.alerts.settled();
    const recorded = readFileSync(join(dir, 'state', 'alerts.jsonl'), 'utf8');
    expect(recorded).toContain(`"detail":"un-isolated 1 device by alice: ${device}"`);
    // Bad input: a device that is not isolated (now, or ever) is refused in words.
    expect(monitors.alerts.unisolate([device], 'alice')).toEqual({ ok: false, error: `${device} is not isolated: nothing to undo (isolated now: ${before.length - 1})` });
    expect(monitors.alerts.unisolate(['node-nope'], 'alice')).toMatchObject({ ok: false, error: expect.stringMatching(/^node-nope is not isolated/) });
    expect(monitors.alerts.unisolate([], 'alice')).toMatchObject({ ok: false, error: expect.stringMatching(/^no device given/) });
    // Once it has recovered, a new spike isolates it again.
    fleet.injectFault('clear');
    await monitors.nodes.pollNow();
    await monitors.alerts.evaluateNow();
    fleet.injectFault('error-spike');
    await monitors.nodes.pollNow();
    await until(() => monitors.alerts.getSnapshot().isolated.includes(device), 're-isolated after recovering');
  });

  it('crash: orchestrator_down fires at the third failed probe, notifies; clear resolves it and notifies again', async () => {
    fleet.injectFault('clear');
    fleet.injectFault('crash');
    for (let i = 0; i < 3; i++) await store.probeNow();
    await until(() => alert('orchestrator_down')?.state === 'firing', 'orchestrator_down firing');
    await until(() => hooks.some((h) => h.text.startsWith('[FIRING] orchestrator_down: doai-orchestrator down: 3 health check failures')), 'fire notification');
    fleet.injectFault('clear');
    await until(() => {
      void store.probeNow();
      return alert('orchestrator_down')?.state === 'resolved';
    }, 'resolved', 15_000);
    await until(() => hooks.some((h) => h.text.startsWith('[RESOLVED] orchestrator_down: doai-orchestrator')), 'resolve notification');
    // Every alert transition is in alerts.jsonl (written in order, off the alerting path), and the webhook URL is nowhere in it.
    await monitors.alerts.settled();
    const recorded = readFileSync(join(dir, 'state', 'alerts.jsonl'), 'utf8');
    expect(recorded).toContain('"type":"alert.fired","key":"orchestrator_down:doai-orchestrator"');
    expect(recorded).toContain('"type":"alert.resolved","key":"orchestrator_down:doai-orchestrator"');
    expect(recorded).not.toContain('secret-token-value');
  });
});
