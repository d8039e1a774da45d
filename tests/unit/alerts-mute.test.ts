// Acknowledge, silence and maintenance (R-MON-3) on an injected clock, with a loopback PagerDuty
// receiver counting payloads: a silence and a maintenance window mute deliveries for their
// duration and not a millisecond longer; what they held goes out when they end if still firing;
// an acknowledgement sends PagerDuty's acknowledge with the trigger's dedup_key and stops further
// notifications but the resolve; every change is audited and put in the timeline; bad input is
// refused with nothing changed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { FleetSnapshot, ServiceHealth } from '../../src/core/views';
import { createAlertsStore } from '../../src/health/alerts-store';
import { MuteStore } from '../../src/health/alerts-mute';
import { Notifier } from '../../src/notify/webhook';

let server: http.Server;
let pdUrl = '';
const pd: Record<string, unknown>[] = [];
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-mute-'));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      pd.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  pdUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  pd.length = 0;
});

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const MIN = 60_000;

function rig(extra: { maintenance?: unknown[]; file?: string; auditFails?: boolean } = {}) {
  const config = configSchema.parse({
    services: [
      { name: 'api', host: 'vm' },
      { name: 'db', host: 'vm' },
    ],
    alerts: [{ name: 'api_down', kind: 'service_down', action: 'notify_oncall' }],
    notifications: { webhooks: [{ name: 'pd', format: 'pagerduty', url: pdUrl, routing_key_env: 'PD_KEY', retries: 0 }] },
    maintenance: extra.maintenance ?? [],
  });
  const clock = new FakeClock(T0);
  const audit: string[] = [];
  const timeline: string[] = [];
  const mutes = new MuteStore({
    clock,
    services: config.services.map((s) => s.name),
    windows: config.maintenance.map((w) => ({ service: w.service, from: new Date(w.from), until: new Date(w.until), reason: w.reason })),
    ...(extra.file ? { file: extra.file } : {}),
    audit: (m) => {
      if (extra.auditFails) throw new Error('cannot write the audit log /x: ENOSPC');
      audit.push(m);
    },
    timeline: (_s, text, actor) => timeline.push(`${actor}: ${text}`),
  });
  const svc = (name: string, failures: number): ServiceHealth => ({ name, host: 'vm', state: failures >= 3 ? 'DOWN' : 'UP', samples: [], consecutiveFailures: failures, threshold: 3, lastChangeAt: null, lastProbeAt: null });
  const fleet = new (class extends BatchedStore<FleetSnapshot> {
    put(api: number, db = 0) {
      this.set({ services: [svc('api', api), svc('db', db)], intervalMs: 30_000, timeScale: 1, updatedAt: null });
    }
  })({ services: [], intervalMs: 30_000, timeScale: 1, updatedAt: null });
  const notifier = new Notifier({ webhooks: config.notifications.webhooks, env: { PD_KEY: 'pdkey' }, now: () => clock.now() });
  const alerts = createAlertsStore({ config, clock, fleet, notifier, ackNotifier: notifier, mutes, audit: (m) => audit.push(m), timeline: (_s, text, actor) => timeline.push(`${actor}: ${text}`) });
  const step = async (ms: number) => {
    await clock.advance(ms);
    await alerts.evaluateNow();
    await alerts.settled();
  };
  return { alerts, mutes, fleet, clock, audit, timeline, step };
}

describe('silences', () => {
  it('mute for exactly their duration: held at until − 1 ms, delivered at until, trigger → acknowledge → resolve with one dedup_key', async () => {
    const { alerts, mutes, fleet, audit, timeline, step } = rig();
    const s = mutes.silence({ rule: 'api_down' }, 30, 'deploying api', 'alice');
    expect(s.ok).toBe(true);
    expect(audit[0]).toMatch(/^SILENCE s-[0-9a-f]{6} rule=api_down for 30 min until 2026-03-01T00:30:00\.000Z by alice - deploying api$/);
    expect(alerts.getSnapshot().mutes?.[0]).toMatchObject({ what: 'silence', match: 'rule=api_down', reason: 'deploying api', by: 'alice' });

    fleet.put(3);
    await step(10 * MIN);
    const firing = alerts.getSnapshot().alerts[0]!;
    expect(firing.state).toBe('firing');
    expect(firing.muted?.what).toBe('silence');
    expect(firing.actions.at(-1)).toMatch(/^silenced \(s-[0-9a-f]{6}\) until 2026-03-01T00:30:00\.000Z: deploying api — not notified$/);
    expect(mutes.mutedBy('api_down', 'api', new Date(T0 + 30 * MIN - 1))).toBeDefined();
    expect(mutes.mutedBy('api_down', 'api', new Date(T0 + 30 * MIN))).toBeUndefined();

    await step(20 * MIN - 1); // 1 ms before the end
    expect(pd).toHaveLength(0);
    await step(1); // the silence ends: what it held goes now
    expect(pd).toHaveLength(1);
    expect(pd[0]).toMatchObject({ event_action: 'trigger', dedup_key: 'doai-console/api_down:api', routing_key: 'pdkey' });
    expect(alerts.getSnapshot().mutes).toEqual([]);
    expect(timeline).toContain('alerts: Silence ' + (s.ok ? s.id : '') + ' expired');

    const ack = alerts.acknowledge('api_down:api', 'bob');
    expect(ack).toEqual({ ok: true });
    await alerts.settled();
    expect(pd).toHaveLength(2);
    expect(pd[1]).toEqual({ routing_key: 'pdkey', event_action: 'acknowledge', dedup_key: 'doai-console/api_down:api' });
    expect(alerts.getSnapshot().alerts[0]!.acknowledged).toEqual({ by: 'bob', at: new Date(T0 + 30 * MIN) });
    expect(audit).toContain('ACK api_down:api by bob');
    expect(timeline).toContain('bob: Alert api_down acknowledged by bob');
    expect(alerts.acknowledge('api_down:api', 'carol')).toEqual({ ok: false, error: 'already acknowledged by bob at 2026-03-01T00:30:00.000Z' });
    expect(alerts.acknowledge('nope:x', 'carol')).toEqual({ ok: false, error: 'no firing alert nope:x — it may have resolved meanwhile' });

    fleet.put(0);
    await step(MIN);
    expect(pd.map((p) => p.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(new Set(pd.map((p) => p.dedup_key)).size).toBe(1);
  });

  it('an alert that fires and resolves inside a silence sends nothing; one removed early stops muting at once', async () => {
    const { alerts, mutes, fleet, audit, step } = rig();
    const s = mutes.silence({ subject: 'api' }, 60, 'noisy', 'alice');
    fleet.put(3);
    await step(MIN);
    fleet.put(0);
    await step(MIN);
    expect(pd).toHaveLength(0);
    expect(alerts.getSnapshot().alerts[0]!.actions).toContain('resolved while muted — no notification was sent for it');
    expect(mutes.unsilence(s.ok ? s.id : '', 'alice')).toMatchObject({ ok: true });
    expect(audit.at(-1)).toMatch(/^UNSILENCE s-[0-9a-f]{6} by alice$/);
    fleet.put(3);
    await step(MIN);
    expect(pd.map((p) => p.event_action)).toEqual(['trigger']);
  });

  it('acknowledged while silenced: nothing is paged when the silence ends (no trigger, no acknowledge), nor a resolve for the trigger never sent', async () => {
    const { alerts, mutes, fleet, audit, step } = rig();
    mutes.silence({ rule: 'api_down' }, 30, 'deploying api', 'alice');
    fleet.put(3);
    await step(MIN);
    expect(alerts.getSnapshot().alerts[0]!.state).toBe('firing');
    expect(alerts.acknowledge('api_down:api', 'bob')).toEqual({ ok: true });
    await alerts.settled();
    expect(audit).toContain('ACK api_down:api by bob');
    // The receiver never got a trigger, so it gets no acknowledge either.
    expect(pd).toEqual([]);
    await step(30 * MIN); // the silence is over; the alert still fires, acknowledged
    expect(alerts.getSnapshot().mutes).toEqual([]);
    expect(alerts.getSnapshot().alerts[0]!.state).toBe('firing');
    expect(pd).toEqual([]);
    fleet.put(0);
    await step(MIN);
    expect(alerts.getSnapshot().alerts[0]!.state).toBe('resolved');
    // Its firing was never sent: no resolve goes out for it either, and the alert says why.
    expect(pd).toEqual([]);
    expect(alerts.getSnapshot().alerts[0]!.actions).toContain('resolved — its firing was never sent (muted, then acknowledged), so no resolve is sent');
  });

  it('refuses bad silences in words and changes nothing; an audit log that cannot be written refuses too', () => {
    const { mutes } = rig();
    expect(mutes.silence({}, 30, 'x', 'a')).toEqual({ ok: false, error: 'a silence needs a rule or a subject to match — select an alert and press s' });
    expect(mutes.silence({ rule: 'r' }, 0, 'x', 'a')).toMatchObject({ ok: false, error: 'duration 0 min: give 1 to 10080 minutes (a week)' });
    expect(mutes.silence({ rule: 'r' }, 10081, 'x', 'a')).toMatchObject({ ok: false });
    expect(mutes.silence({ rule: 'r' }, 30, '  \n ', 'a')).toEqual({ ok: false, error: 'a reason is required (it goes to the audit log and the incident timeline)' });
    expect(mutes.unsilence('s-000000', 'a')).toEqual({ ok: false, error: 'no silence s-000000 in force (listed: none)' });
    expect(mutes.startMaintenance('nosuch', 30, 'x', 'a')).toMatchObject({ ok: false, error: 'no service "nosuch" in the config — select a service and press m' });
    expect(mutes.getSnapshot()).toEqual({ silences: [], maintenance: [] });
    const broken = rig({ auditFails: true }).mutes;
    expect(broken.silence({ rule: 'r' }, 30, 'x', 'a')).toEqual({ ok: false, error: 'not done: cannot write the audit log /x: ENOSPC' });
    expect(broken.getSnapshot().silences).toEqual([]);
  });
});

describe('maintenance windows', () => {
  it('a config window mutes its service from `from` to `until`, not a millisecond longer', async () => {
    const { alerts, fleet, step, mutes } = rig({ maintenance: [{ service: 'api', from: '2026-03-01T00:05:00Z', until: '2026-03-01T01:00:00Z', reason: 'kernel upgrade' }] });
    expect(mutes.mutedBy('api_down', 'api', new Date(T0 + 5 * MIN - 1))).toBeUndefined();
    expect(mutes.mutedBy('api_down', 'api', new Date(T0 + 5 * MIN))).toMatchObject({ what: 'maintenance', reason: 'kernel upgrade' });
    expect(mutes.mutedBy('api_down', 'db', new Date(T0 + 6 * MIN))).toBeUndefined();
    fleet.put(3);
    await step(10 * MIN);
    expect(alerts.getSnapshot().alerts[0]!.muted?.what).toBe('maintenance');
    await step(50 * MIN - 1);
    expect(pd).toHaveLength(0);
    await step(1);
    expect(pd.map((p) => p.event_action)).toEqual(['trigger']);
    expect(alerts.getSnapshot().alerts[0]!.actions).toContain('mute ended while still firing — notifying now');
  });

  it('started from the console (30 min, reason): audited, in the timeline, listed, ended early by hand; kept across a restart', async () => {
    const file = join(dir, 'mutes.json');
    const a = rig({ file });
    const m = a.mutes.startMaintenance('api', 30, 'restarting the box', 'alice');
    expect(m.ok).toBe(true);
    expect(a.audit[0]).toMatch(/^MAINTENANCE m-[0-9a-f]{6} api for 30 min until 2026-03-01T00:30:00\.000Z by alice - restarting the box$/);
    expect(a.timeline).toContain('alice: Maintenance on api for 30 min by alice: restarting the box');
    expect(a.alerts.getSnapshot().mutes?.[0]).toMatchObject({ what: 'maintenance', service: 'api', reason: 'restarting the box', until: new Date(T0 + 30 * MIN) });
    const b = rig({ file }); // a restarted server reads what was in force
    expect(b.mutes.getSnapshot().maintenance.map((w) => w.id)).toEqual([m.ok ? m.id : '']);
    expect(b.mutes.endMaintenance(m.ok ? m.id : '', 'bob')).toMatchObject({ ok: true });
    expect(b.audit.at(-1)).toMatch(/^MAINTENANCE_END m-[0-9a-f]{6} api by bob$/);
    expect(rig({ file }).mutes.getSnapshot().maintenance).toEqual([]);
    writeFileSync(file, '{not json');
    expect(rig({ file }).alerts.getSnapshot().problems).toContain(`${file} is not readable JSON — its silences were not restored`);
  });

  it('the config refuses a window that ends before it starts or lasts over a week', () => {
    expect(() => configSchema.parse({ maintenance: [{ service: 'api', from: '2026-03-01T02:00:00Z', until: '2026-03-01T01:00:00Z', reason: 'x' }] })).toThrow(/until must be after from/);
    expect(() => configSchema.parse({ maintenance: [{ service: 'api', from: '2026-03-01T00:00:00Z', until: '2026-03-09T00:00:00Z', reason: 'x' }] })).toThrow(/at most a week/);
    expect(() => configSchema.parse({ maintenance: [{ service: 'api', from: 'tomorrow', until: '2026-03-09T00:00:00Z', reason: 'x' }] })).toThrow(/ISO date-time/);
  });
});
