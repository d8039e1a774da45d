// Alert rules (R-HLT-5, seed 000): each of the three default rules fires and resolves with the
// injected clock, takes its action (notify on-call, auto-reconnect runbook, isolate devices),
// and every transition is a JSON line in alerts.jsonl and an event.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { AlertEvent, FleetSnapshot, NodesSnapshot, NodeView, NotificationAttempt, ServiceHealth } from '../../src/core/views';
import { configSchema } from '../../src/config/schema';
import { alertRules, DEFAULT_ALERT_RULES, evaluateAlerts } from '../../src/health/alerts';
import { createAlertsStore, type AlertNotifier, type AlertsStoreHandle } from '../../src/health/alerts-store';

class MemoryStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

const dirs: string[] = [];
const stores: AlertsStoreHandle[] = [];
afterEach(async () => {
  // A store still appending to alerts.jsonl would create its folder again after the removal.
  for (const s of stores.splice(0)) {
    s.stop();
    await s.settled();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

function svc(name: string, failures: number, extra: Partial<ServiceHealth> = {}): ServiceHealth {
  return {
    name,
    host: 'vm',
    state: failures >= 3 ? 'DOWN' : failures > 0 ? 'SUSPECT' : 'UP',
    samples: [],
    consecutiveFailures: failures,
    threshold: 3,
    lastChangeAt: null,
    lastProbeAt: null,
    ...(failures ? { lastError: 'connection refused' } : {}),
    ...extra,
  };
}

function fleetSnap(services: ServiceHealth[]): FleetSnapshot {
  return { services, intervalMs: 30_000, timeScale: 1, updatedAt: null };
}

function nodesSnap(clock: FakeClock, list: { id: string; hbAgoMs: number; errorRate?: number }[], sourceError?: string): NodesSnapshot {
  const now = clock.now().getTime();
  const nodes: NodeView[] = list.map((n) => ({
    id: n.id,
    source: 'devices',
    lastHeartbeat: new Date(now - n.hbAgoMs),
    online: n.hbAgoMs <= 300_000,
    labels: [],
    ...(n.errorRate !== undefined ? { errorRate: n.errorRate } : {}),
  }));
  const online = nodes.filter((n) => n.online).length;
  return {
    total: nodes.length,
    online,
    offline: nodes.length - online,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: nodes.sort((a, b) => (a.lastHeartbeat!.getTime() - b.lastHeartbeat!.getTime())),
    sources: [{ name: 'devices', lastFetchAt: clock.now(), lastOkAt: clock.now(), count: nodes.length, ...(sourceError ? { error: sourceError } : {}) }],
    updatedAt: clock.now(),
  };
}

class RecordingNotifier implements AlertNotifier {
  sent: string[] = [];
  configured = 1;
  constructor(private readonly ok = true) {}
  problems(): string[] {
    return [];
  }
  async send(text: string): Promise<NotificationAttempt[]> {
    this.sent.push(text);
    return [{ webhook: 'ops-slack', ok: this.ok, attempts: this.ok ? 1 : 3, ...(this.ok ? {} : { error: 'HTTP 500' }), at: new Date(0) }];
  }
}

function setup(configExtra: Record<string, unknown> = {}, opts: { notifierOk?: boolean; file?: string } = {}) {
  const clock = new FakeClock();
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'vm', kind: 'orchestrator' }, { name: 'caddy', host: 'vm' }], ...configExtra });
  const fleet = new MemoryStore<FleetSnapshot>(fleetSnap([svc('doai-orchestrator', 0), svc('caddy', 0)]));
  const nodes = new MemoryStore<NodesSnapshot>(nodesSnap(clock, [{ id: 'node-1', hbAgoMs: 1000 }]));
  const notifier = new RecordingNotifier(opts.notifierOk ?? true);
  const starts: { runbook: string; target: string }[] = [];
  const isolatedCalls: string[][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'doai-alerts-'));
  dirs.push(dir);
  const file = opts.file ?? join(dir, 'state', 'alerts.jsonl');
  const alerts = createAlertsStore({
    config,
    clock,
    fleet,
    nodes,
    notifier,
    file,
    actions: {
      startRunbook: (runbook, target) => {
        starts.push({ runbook, target });
        return runbook === 'broken' ? { ok: false, error: 'unknown runbook broken' } : { ok: true, runId: `run-${starts.length}` };
      },
    },
    onIsolated: (ids) => isolatedCalls.push(ids),
  });
  stores.push(alerts);
  const events: AlertEvent[] = [];
  alerts.onEvent((e) => events.push(e));
  const lines = () => {
    try {
      return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  return { clock, config, fleet, nodes, notifier, starts, isolatedCalls, alerts, events, lines, file, dir };
}

describe('alert rules', () => {
  it("seed 000's three rules are the defaults; the config's list replaces them", () => {
    expect(alertRules({ services: [{ name: 'doai-orchestrator', kind: 'orchestrator' }] })).toEqual([
      { ...DEFAULT_ALERT_RULES[0], services: ['doai-orchestrator'] },
      { name: 'service_down', kind: 'service_down', action: 'notify_oncall' },
      ...DEFAULT_ALERT_RULES.slice(1),
    ]);
    expect(DEFAULT_ALERT_RULES.map((r) => `${r.name}:${r.kind}:${r.action}`)).toEqual([
      'orchestrator_down:service_down:notify_oncall',
      'node_offline:node_offline:auto_reconnect',
      'device_error_rate:device_error_rate:notify_and_isolate',
    ]);
    const own = configSchema.parse({ alerts: [{ name: 'api_down', kind: 'service_down', threshold: 5 }] });
    expect(alertRules(own).map((r) => r.name)).toEqual(['api_down']);
  });

  it('service_down holds at health failures ≥ threshold (default health.failure_threshold), per service, for the listed services', () => {
    const clock = new FakeClock();
    const now = clock.now();
    const rules = alertRules({ services: [{ name: 'doai-orchestrator', kind: 'orchestrator' }, { name: 'caddy', kind: 'proxy' }] });
    const input = (f: number) => ({ services: [svc('doai-orchestrator', f), svc('caddy', 3)], now, failureThreshold: 3 });
    // The alert is named by its rule and service: caddy is never "orchestrator_down".
    expect(evaluateAlerts(rules, input(2)).conditions.map((c) => c.key)).toEqual(['service_down:caddy']);
    expect(evaluateAlerts(rules, input(3)).conditions.map((c) => c.key)).toEqual(['orchestrator_down:doai-orchestrator', 'service_down:caddy']);
    // Without a service of kind orchestrator there is no orchestrator_down at all.
    expect(alertRules({ services: [{ name: 'caddy', kind: 'proxy' }] }).map((r) => r.name)).toEqual(['service_down', 'node_offline', 'device_error_rate']);
    // A config's catch-all rule leaves the services another service_down rule names to that rule.
    const own = [
      { name: 'api_down', kind: 'service_down' as const, action: 'notify_oncall' as const, services: ['doai-orchestrator'] },
      { name: 'web_down', kind: 'service_down' as const, action: 'notify_oncall' as const },
    ];
    expect(evaluateAlerts(own, input(3)).conditions.map((c) => c.key)).toEqual(['api_down:doai-orchestrator', 'web_down:caddy']);
    const onlyOrch = [{ name: 'orchestrator_down', kind: 'service_down' as const, action: 'notify_oncall' as const, services: ['doai-orchestrator'], threshold: 5 }];
    expect(evaluateAlerts(onlyOrch, input(4)).conditions).toEqual([]);
    expect(evaluateAlerts(onlyOrch, input(5)).conditions[0]?.message).toBe('doai-orchestrator down: 5 health check failures in a row (≥ 5) — connection refused');
  });

  it('a failing node source leaves its node alerts as they are (unknown), instead of resolving them', () => {
    const clock = new FakeClock();
    const e = evaluateAlerts(alertRules({}), { services: [], nodes: nodesSnap(clock, [{ id: 'a', hbAgoMs: 900_000 }], 'HTTP 500'), now: clock.now(), failureThreshold: 3 });
    expect(e.conditions).toEqual([]);
    expect([...e.unknown].sort()).toEqual(['device_error_rate:devices', 'node_offline:devices']);
  });
});

describe('alerts store with the injected clock', () => {
  it('orchestrator_down fires at the 3rd failure, notifies on-call, resolves when the service answers, notifies again', async () => {
    const s = setup();
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 2), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    expect(s.alerts.getSnapshot().firing).toBe(0);

    await s.clock.advance(30_000);
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 3), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    let snap = s.alerts.getSnapshot();
    expect(snap.firing).toBe(1);
    const firing = snap.alerts[0]!;
    expect(firing).toMatchObject({ rule: 'orchestrator_down', subject: 'doai-orchestrator', state: 'firing', since: s.clock.now() });
    expect(firing.actions).toEqual(['notified on-call (1 webhook)']);
    expect(s.notifier.sent).toEqual(['[FIRING] orchestrator_down: doai-orchestrator down: 3 health check failures in a row (≥ 3) — connection refused']);
    const firedAt = s.clock.now();

    // Still failing: no second notification.
    await s.clock.advance(30_000);
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 4), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    expect(s.notifier.sent).toHaveLength(1);

    await s.clock.advance(30_000);
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 0), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    snap = s.alerts.getSnapshot();
    expect(snap.firing).toBe(0);
    expect(snap.alerts[0]).toMatchObject({ state: 'resolved', since: firedAt, resolvedAt: s.clock.now() });
    expect(s.notifier.sent[1]).toBe(`[RESOLVED] orchestrator_down: doai-orchestrator (firing since ${firedAt.toISOString()})`);
    expect(s.events.map((e) => e.type)).toEqual(['alert.fired', 'alert.action', 'alert.notified', 'alert.resolved', 'alert.action', 'alert.notified']);

    const recorded = s.lines();
    expect(recorded.map((l) => `${l.type}:${l.state}`)).toEqual([
      'alert.fired:firing',
      'alert.action:firing',
      'alert.notified:firing',
      'alert.resolved:resolved',
      'alert.action:resolved',
      'alert.notified:resolved',
    ]);
    expect(recorded[0]).toMatchObject({ at: firedAt.toISOString(), rule: 'orchestrator_down', kind: 'service_down', subject: 'doai-orchestrator', since: firedAt.toISOString() });
    expect(recorded[2]!.notifications).toEqual([{ webhook: 'ops-slack', ok: true, attempts: 1, at: new Date(0).toISOString() }]);
  });

  it('the store re-evaluates on its own when the fleet store changes', async () => {
    const s = setup();
    s.alerts.start();
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 3), svc('caddy', 0)]));
    await s.clock.advance(0);
    await s.alerts.settled();
    expect(s.alerts.getSnapshot().firing).toBe(1);
    s.alerts.stop();
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 0), svc('caddy', 0)]));
    await s.clock.advance(0);
    expect(s.alerts.getSnapshot().firing).toBe(1);
  });

  it('node_offline fires when a heartbeat is older than 5 min and starts the configured auto-reconnect runbook on its target', async () => {
    const s = setup({ alerts: [{ name: 'node_offline', kind: 'node_offline', action: 'auto_reconnect', runbook: 'l1-soft-reset', target: 'caddy' }] });
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 299_000 }, { id: 'node-2', hbAgoMs: 1000 }]));
    await s.alerts.evaluateNow();
    expect(s.alerts.getSnapshot().firing).toBe(0);
    await s.clock.advance(2_000);
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 301_000 }, { id: 'node-2', hbAgoMs: 1000 }]));
    await s.alerts.evaluateNow();
    const a = s.alerts.getSnapshot().alerts[0]!;
    expect(a).toMatchObject({ rule: 'node_offline', subject: 'devices', state: 'firing' });
    expect(a.message).toBe('1 of 2 nodes on devices without heartbeat > 5m (node-1 5m)');
    expect(s.starts).toEqual([{ runbook: 'l1-soft-reset', target: 'caddy' }]);
    expect(a.actions).toEqual(['started l1-soft-reset on caddy (run run-1)']);
    // auto_reconnect does not notify.
    expect(s.notifier.sent).toEqual([]);
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 5_000 }, { id: 'node-2', hbAgoMs: 1000 }]));
    await s.alerts.evaluateNow();
    expect(s.alerts.getSnapshot().alerts[0]).toMatchObject({ state: 'resolved', resolvedAt: s.clock.now() });
  });

  it('node_offline without a runbook records that nothing was run, and says which setting to add', async () => {
    const s = setup();
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 900_000 }]));
    await s.alerts.evaluateNow();
    expect(s.alerts.getSnapshot().alerts[0]!.actions).toEqual(['no auto-reconnect runbook configured (alerts.node_offline.runbook) — recorded only']);
    expect(s.starts).toEqual([]);
  });

  it('a runbook that cannot start is recorded with the reason; nothing throws', async () => {
    const s = setup({ alerts: [{ name: 'node_offline', kind: 'node_offline', action: 'auto_reconnect', runbook: 'broken' }] });
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 900_000 }]));
    await s.alerts.evaluateNow();
    expect(s.alerts.getSnapshot().alerts[0]!.actions).toEqual(['auto-reconnect broken on doai-orchestrator failed to start: unknown runbook broken']);
  });

  it('device_error_rate > 10 %: notifies, isolates the devices (recorded, marked, isolate runbook per device), then resolves', async () => {
    const s = setup({ alerts: [{ name: 'device_error_rate', kind: 'device_error_rate', action: 'notify_and_isolate', runbook: 'isolate-device' }] });
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 1000, errorRate: 0.1 }, { id: 'node-2', hbAgoMs: 1000, errorRate: 0.31 }, { id: 'node-3', hbAgoMs: 1000, errorRate: 0.12 }]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    let snap = s.alerts.getSnapshot();
    const a = snap.alerts[0]!;
    // Exactly 10 % is not over 10 %.
    expect(a.message).toBe('2 devices on devices over 10% errors (node-2 31%, node-3 12%)');
    expect(snap.isolated).toEqual(['node-2', 'node-3']);
    expect(s.isolatedCalls.at(-1)).toEqual(['node-2', 'node-3']);
    expect(s.starts).toEqual([{ runbook: 'isolate-device', target: 'node-2' }, { runbook: 'isolate-device', target: 'node-3' }]);
    expect(a.actions.slice(0, 3)).toEqual(['isolated 2 devices: node-2, node-3', 'started isolate-device on node-2 (run run-1)', 'started isolate-device on node-3 (run run-2)']);
    expect(s.notifier.sent[0]).toContain('[FIRING] device_error_rate: 2 devices on devices over 10% errors');

    // A third device joins while firing: isolated too, no second notification.
    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 1000, errorRate: 0.5 }, { id: 'node-2', hbAgoMs: 1000, errorRate: 0.31 }]));
    await s.alerts.evaluateNow();
    snap = s.alerts.getSnapshot();
    expect(snap.isolated).toEqual(['node-2', 'node-3', 'node-1']);
    expect(s.notifier.sent).toHaveLength(1);

    s.nodes.update(nodesSnap(s.clock, [{ id: 'node-1', hbAgoMs: 1000, errorRate: 0.001 }]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    snap = s.alerts.getSnapshot();
    expect(snap.firing).toBe(0);
    // Isolation is an action: it stays recorded until someone undoes it.
    expect(snap.isolated).toEqual(['node-2', 'node-3', 'node-1']);
    expect(s.notifier.sent[1]).toMatch(/^\[RESOLVED\] device_error_rate: devices/);
  });

  it('a failed notification is shown on the alert (webhook and reason) and recorded', async () => {
    const s = setup({}, { notifierOk: false });
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 3), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    const a = s.alerts.getSnapshot().alerts[0]!;
    expect(a.notifications).toEqual([{ webhook: 'ops-slack', ok: false, attempts: 3, error: 'HTTP 500', at: new Date(0) }]);
    expect(a.actions).toEqual(['notification failed on 1 of 1 webhooks']);
    expect(s.lines().find((l) => l.type === 'alert.notified')).toMatchObject({ detail: 'ops-slack: HTTP 500' });
  });

  it('an unwritable alerts file is a visible problem, never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doai-alerts-ro-'));
    dirs.push(dir);
    // A state "directory" that is a file: fails for root too (unlike a permission bit).
    writeFileSync(join(dir, 'state'), 'not a directory');
    const file = join(dir, 'state', 'alerts.jsonl');
    const s = setup({}, { file });
    s.fleet.update(fleetSnap([svc('doai-orchestrator', 3), svc('caddy', 0)]));
    await s.alerts.evaluateNow();
    await s.alerts.settled();
    const snap = s.alerts.getSnapshot();
    expect(snap.firing).toBe(1);
    expect(snap.problems).toEqual([`cannot record alerts in ${file} (EEXIST) — check that the state directory is writable`]);
  });
});
