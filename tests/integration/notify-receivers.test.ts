// Notifications in the receivers' shapes (R-MON-3) against loopback receivers that count what
// they get: PagerDuty Events API v2 (trigger then resolve with the same dedup_key and the routing
// key from the environment), the generic JSON schema, Discord's {"content"}, per-rule routing,
// retries with backoff, and a failed delivery shown in the alerts pane and in `status`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { FleetSnapshot, ServiceHealth } from '../../src/core/views';
import { createAlertsStore } from '../../src/health/alerts-store';
import { Notifier } from '../../src/notify/webhook';
import { statusReport } from '../../src/server/status-report';

interface Hit {
  path: string;
  body: Record<string, unknown>;
}

let server: http.Server;
let base = '';
const hits: Hit[] = [];
/** Answers per path, in order; then 202. */
const script = new Map<string, number[]>();
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-receivers-'));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '';
      hits.push({ path, body: JSON.parse(body) as Record<string, unknown> });
      const status = script.get(path)?.shift() ?? 202;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const ROUTING_KEY = 'R0UTINGKEYsecret0123456789abcdef';

function setup(webhooks: unknown[], env: Record<string, string>) {
  const config = configSchema.parse({
    services: [
      { name: 'doai-orchestrator', host: 'vm' },
      { name: 'caddy', host: 'vm' },
    ],
    alerts: [
      { name: 'orchestrator_down', kind: 'service_down', action: 'notify_oncall', services: ['doai-orchestrator'] },
      { name: 'proxy_down', kind: 'service_down', action: 'notify_oncall', services: ['caddy'] },
    ],
    notifications: { webhooks },
  });
  const backoffs: number[] = [];
  const clock = new FakeClock();
  const svc = (name: string, failures: number): ServiceHealth => ({ name, host: 'vm', state: failures >= 3 ? 'DOWN' : 'UP', samples: [], consecutiveFailures: failures, threshold: 3, lastChangeAt: null, lastProbeAt: null });
  const fleet = new (class extends BatchedStore<FleetSnapshot> {
    put(orch: number, caddy: number) {
      this.set({ services: [svc('doai-orchestrator', orch), svc('caddy', caddy)], intervalMs: 30_000, timeScale: 1, updatedAt: null });
    }
  })({ services: [], intervalMs: 30_000, timeScale: 1, updatedAt: null });
  const notifier = new Notifier({ webhooks: config.notifications.webhooks, env, sleep: async (ms) => void backoffs.push(ms), now: () => clock.now() });
  const alerts = createAlertsStore({ config, clock, fleet, notifier, file: join(dir, `alerts-${Math.random().toString(36).slice(2)}.jsonl`) });
  return { alerts, fleet, clock, backoffs, notifier };
}

describe('receivers', () => {
  it('PagerDuty v2: trigger then resolve with one stable dedup_key; generic JSON; routed per rule', async () => {
    hits.length = 0;
    const { alerts, fleet, clock } = setup(
      [
        { name: 'pd', format: 'pagerduty', url: `${base}/pd`, routing_key_env: 'PD_KEY', rules: ['orchestrator_down'] },
        { name: 'generic', format: 'json', url_env: 'GENERIC_URL' },
        { name: 'proxy-team', format: 'discord', url_env: 'DISCORD_URL', rules: ['proxy_down'] },
      ],
      { PD_KEY: ROUTING_KEY, GENERIC_URL: `${base}/generic`, DISCORD_URL: `${base}/discord` },
    );
    fleet.put(3, 0);
    await alerts.evaluateNow();
    await alerts.settled();
    clock.advance(60_000);
    fleet.put(0, 0);
    await alerts.evaluateNow();
    await alerts.settled();

    const pd = hits.filter((h) => h.path === '/pd').map((h) => h.body);
    expect(pd).toHaveLength(2);
    expect(pd[0]).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'doai-console/orchestrator_down:doai-orchestrator', client: 'doai-console' });
    expect(pd[0]!.payload).toMatchObject({ severity: 'critical', source: 'doai-orchestrator', group: 'orchestrator_down', class: 'service_down' });
    expect(String((pd[0]!.payload as { summary: string }).summary)).toContain('doai-orchestrator down: 3 health check failures');
    expect(pd[1]).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: pd[0]!.dedup_key });

    const generic = hits.filter((h) => h.path === '/generic').map((h) => h.body);
    expect(generic.map((g) => g.event)).toEqual(['fired', 'resolved']);
    expect(generic[0]).toMatchObject({ schema: 'doai-console.alert.v1', dedup_key: pd[0]!.dedup_key, key: 'orchestrator_down:doai-orchestrator', rule: 'orchestrator_down', kind: 'service_down', subject: 'doai-orchestrator', source: 'console' });
    expect(typeof generic[0]!.since).toBe('string');

    // proxy_down never fired; orchestrator_down is not routed to the proxy team.
    expect(hits.filter((h) => h.path === '/discord')).toHaveLength(0);
    // The routing key is a secret: never in what the store shows or records.
    expect(JSON.stringify(alerts.getSnapshot())).not.toContain(ROUTING_KEY);
  });

  it('Discord gets {"content"}; a rule routed nowhere says so', async () => {
    hits.length = 0;
    const { alerts, fleet } = setup([{ name: 'proxy-team', format: 'discord', url_env: 'DISCORD_URL', rules: ['proxy_down'] }], { DISCORD_URL: `${base}/discord` });
    fleet.put(3, 3);
    await alerts.evaluateNow();
    await alerts.settled();
    expect(hits.map((h) => h.body)).toEqual([{ content: expect.stringContaining('[FIRING] proxy_down: caddy down') as unknown }]);
    const orch = alerts.getSnapshot().alerts.find((a) => a.rule === 'orchestrator_down');
    expect(orch?.actions).toContain('no receiver routed for rule orchestrator_down (notifications.webhooks[].rules) — on-call not notified');
  });

  it('retries with backoff, then a failed delivery shows in the alert and in status', async () => {
    hits.length = 0;
    script.set('/flaky', [500, 503]);
    script.set('/down', [500, 500, 500]);
    const { alerts, fleet, backoffs, clock } = setup(
      [
        { name: 'flaky', format: 'json', url_env: 'FLAKY', retries: 2 },
        { name: 'down', format: 'slack', url_env: 'DOWN', retries: 2 },
      ],
      { FLAKY: `${base}/flaky`, DOWN: `${base}/down` },
    );
    fleet.put(3, 0);
    await alerts.evaluateNow();
    await alerts.settled();
    expect(hits.filter((h) => h.path === '/flaky')).toHaveLength(3);
    expect(hits.filter((h) => h.path === '/down')).toHaveLength(3);
    // 500 ms doubling, per receiver: 500, 1000 for each.
    expect(backoffs.sort((a, b) => a - b)).toEqual([500, 500, 1000, 1000]);
    const alert = alerts.getSnapshot().alerts[0]!;
    expect(alert.notifications.find((n) => n.webhook === 'flaky')).toMatchObject({ ok: true, attempts: 3 });
    expect(alert.notifications.find((n) => n.webhook === 'down')).toMatchObject({ ok: false, attempts: 3, error: 'HTTP 500' });
    expect(alert.actions).toContain('notification failed on 1 of 2 webhooks');
    const report = statusReport({
      server: { pid: 1, startedAt: clock.now(), socket: '/x', configPath: '/c', evaluatesAlerts: true, monitors: { nodes: false, hosts: false }, rtoMin: 120 } as never,
      now: clock.now(),
      fleet: { services: [], intervalMs: 30_000, timeScale: 1, updatedAt: null },
      alerts: alerts.getSnapshot(),
    });
    const receiver = report.items.filter((i) => i.kind === 'receiver');
    expect(receiver).toEqual([{ kind: 'receiver', name: 'down', state: 'FAILED', healthy: false, lastFactAt: clock.now(), detail: 'last delivery failed after 3 attempts: HTTP 500' }]);
    expect(report.healthy).toBe(false);
  });

  it('refuses a pagerduty receiver without a routing key variable, and says when the variable is unset', () => {
    expect(() => configSchema.parse({ notifications: { webhooks: [{ name: 'pd', format: 'pagerduty' }] } })).toThrow(/needs routing_key_env/);
    expect(() => configSchema.parse({ notifications: { webhooks: [{ name: 'pd', format: 'pagerduty', routing_key_env: 'K', url_env: 'U' }] } })).toThrow(/not url_env\/url_file/);
    expect(() => configSchema.parse({ notifications: { webhooks: [{ name: 's', url_env: 'U', routing_key_env: 'K' }] } })).toThrow(/for format: pagerduty only/);
    const config = configSchema.parse({ notifications: { webhooks: [{ name: 'pd', format: 'pagerduty', routing_key_env: 'PD_KEY' }] } });
    const n = new Notifier({ webhooks: config.notifications.webhooks, env: {} });
    expect(n.problems()).toEqual(['webhook pd: environment variable PD_KEY is not set — export the PagerDuty routing key before starting']);
  });
});
