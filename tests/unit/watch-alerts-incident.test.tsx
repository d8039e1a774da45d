// The wall screen's alerts and open incident (R-UI-2): written by the REAL writers (the alert
// store appending alerts.jsonl, the incident store saving incidents/*.json), read back by watch
// mode's read-only file readers, and rendered on the wall screen with the incident's clocks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchApp } from '../../screens/watch/watch-app';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { FleetSnapshot, NodesSnapshot, ServiceHealth } from '../../src/core/views';
import { registerAlertEvaluator } from '../../src/health/alerts-evaluator-presence';
import { createAlertsStore } from '../../src/health/alerts-store';
import { createIncidentStore } from '../../src/incident/store';
import type { RunEvent, RunEventListener } from '../../src/runbook/events';
import { AlertsFileSource } from '../../src/watch/alerts-reader';
import { CoalescedStore } from '../../src/watch/coalesce';
import { IncidentFilesSource } from '../../src/watch/incident-reader';
import { LiveRunsSource } from '../../src/watch/live-runs';
import { MemoryFleetStore, service, waitForFrame } from '../screens/fixtures';

class MemoryStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

const T0 = new Date('2026-01-04T06:00:00Z');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-watch-alerts-'));
});
afterEach(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function svc(name: string, failures: number): ServiceHealth {
  return { name, host: 'vm', state: failures >= 3 ? 'DOWN' : failures ? 'SUSPECT' : 'UP', samples: [], consecutiveFailures: failures, threshold: 3, lastChangeAt: null, lastProbeAt: null, ...(failures ? { lastError: 'connection refused' } : {}) };
}

/** The console's alert store writing alerts.jsonl as it does in the interactive console. */
function alertWriter(file: string) {
  const clock = new FakeClock(T0.getTime());
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'vm' }, { name: 'caddy', host: 'vm' }] });
  const fleet = new MemoryStore<FleetSnapshot>({ services: [svc('doai-orchestrator', 0), svc('caddy', 0)], intervalMs: 30_000, timeScale: 1, updatedAt: null });
  const alerts = createAlertsStore({ config, clock, fleet, file });
  const set = async (failures: number) => {
    fleet.update({ services: [svc('doai-orchestrator', failures), svc('caddy', 0)], intervalMs: 30_000, timeScale: 1, updatedAt: clock.now() });
    await alerts.evaluateNow();
    await alerts.settled();
  };
  return { alerts, clock, set };
}

describe('alerts from alerts.jsonl', () => {
  it('folds what the alert store recorded: firing, then resolved; nothing before the file exists', async () => {
    const file = join(dir, 'state', 'alerts.jsonl');
    const reader = new AlertsFileSource({ file });
    reader.poll();
    expect(reader.getSnapshot()).toMatchObject({ alerts: [], firing: 0, problems: [] });

    const w = alertWriter(file);
    await w.set(3);
    reader.poll();
    const s1 = reader.getSnapshot();
    expect(s1.firing).toBe(1);
    expect(s1.alerts[0]).toMatchObject({ kind: 'service_down', subject: 'doai-orchestrator', state: 'firing' });
    expect(s1.alerts[0]!.actions.length).toBeGreaterThanOrEqual(0);

    await w.set(0);
    reader.poll();
    const s2 = reader.getSnapshot();
    expect(s2.firing).toBe(0);
    expect(s2.alerts.map((a) => `${a.subject}:${a.state}`)).toEqual(['doai-orchestrator:resolved']);
  });

  it('survives torn and foreign lines, a half-written last line, and a rotation (rename, new file)', () => {
    const file = join(dir, 'alerts.jsonl');
    const line = (type: string, key: string, at: string) => JSON.stringify({ at, type, key, rule: 'service_down', kind: 'service_down', subject: key, state: type === 'alert.fired' ? 'firing' : 'resolved', since: at, message: `${key} is down` });
    writeFileSync(file, 'not json\n{"type":"alert.fired"}\n' + line('alert.fired', 'a', '2026-01-04T06:00:00Z') + '\n' + line('alert.fired', 'b', '2026-01-04T06:01:00Z').slice(0, 30));
    const reader = new AlertsFileSource({ file });
    reader.poll();
    expect(reader.getSnapshot().alerts.map((a) => a.key)).toEqual(['a']);
    // The rest of the half-written line arrives.
    appendFileSync(file, line('alert.fired', 'b', '2026-01-04T06:01:00Z').slice(30) + '\n');
    reader.poll();
    expect(reader.getSnapshot().alerts.map((a) => a.key)).toEqual(['a', 'b']);
    // logrotate renames it away; the writer starts a new file in which only "c" fires.
    renameSync(file, `${file}.1`);
    writeFileSync(file, line('alert.fired', 'c', '2026-01-04T07:00:00Z') + '\n');
    reader.poll();
    expect(reader.getSnapshot().alerts.map((a) => a.key)).toEqual(['c']);
  });

  it('an unreadable file is a problem in words, not a crash', () => {
    const file = join(dir, 'alerts.jsonl');
    mkdirSync(file); // a directory where the file should be: EISDIR on read, whoever runs the test
    const reader = new AlertsFileSource({ file });
    reader.poll();
    expect(reader.getSnapshot().problems).toEqual([expect.stringMatching(/^cannot read .*alerts\.jsonl \(EISDIR\) — check its permissions$/)]);
  });
});

describe('open incident from incidents/*.json', () => {
  function incidentWriter(clock: FakeClock) {
    const store = createIncidentStore({
      dir: join(dir, 'state', 'incidents'),
      reportsDir: join(dir, 'reports'),
      snapshotsDir: join(dir, 'snapshots'),
      alertsFile: join(dir, 'state', 'alerts.jsonl'),
      clock,
      operator: 'orion',
      rtoMin: 30,
      contacts: [],
      lang: 'en',
      describe: { runbook: () => undefined, step: () => undefined },
      hostOf: () => 'vm',
      pollMs: 0,
    });
    const listeners = new Set<RunEventListener>();
    store.attachEngine({ on: (l) => (listeners.add(l), () => listeners.delete(l)) });
    return { store, emit: (e: RunEvent) => listeners.forEach((l) => l(e)) };
  }

  it('shows the newest open incident with its clocks; a closed one goes away', async () => {
    const clock = new FakeClock(T0.getTime());
    const w = incidentWriter(clock);
    const reader = new IncidentFilesSource({ dir: join(dir, 'state', 'incidents') });
    reader.poll();
    expect(reader.getSnapshot().incident).toBeUndefined();

    w.emit({ type: 'run.started', runId: 'r1', runbook: 'l2-service-reset', level: 'L2', auditName: 'L2', target: 'doai-orchestrator', operator: 'orion', dryRun: false, at: T0 });
    w.emit({ type: 'step.started', runId: 'r1', stepId: 'snapshot', at: T0 });
    reader.poll();
    const i = reader.getSnapshot().incident!;
    expect(i).toMatchObject({ state: 'open', target: 'doai-orchestrator', level: 'L2', severity: 'P1' });
    expect(i.openedAt.getTime()).toBe(T0.getTime());

    // The wall screen, 10 minutes in: the severity, the title and every clock against its target.
    const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator' })]);
    const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined });
    const alerts = new AlertsFileSource({ file: join(dir, 'state', 'alerts.jsonl') });
    alerts.poll();
    const frames = new CoalescedStore([fleet, live, alerts, reader], 10);
    const now = new Date(T0.getTime() + 10 * 60_000);
    const r = render(<WatchApp fleet={fleet} live={live} alerts={alerts} incident={reader} rtoMin={30} frames={frames} lang="en" configPath="/x/console.yaml" clock={{ now: () => now }} width={100} height={30} onExit={() => {}} />);
    const frame = await waitForFrame(r.lastFrame, (f) => f.includes('Incident open'));
    // The title names the target already ("<target>: <runbook>"): only the level is added.
    expect(frame).toMatch(/P1 +Incident open: doai-orchestrator: l2-service-reset — L2, since \d\d:\d\d/);
    expect(frame).toContain('elapsed 10m');
    expect(frame).toMatch(/resolve ≤\S+: 10m/);
    expect(frame).toMatch(/RTO 30m: 10m/);
    expect(frame).toContain('No alerts firing');

    w.store.close(i.id, {});
    reader.poll();
    expect(reader.getSnapshot().incident).toBeUndefined();
  });
});

describe('the wall screen does not contradict itself (issue 12 item 14)', () => {
  const nodesSnap = (error?: string): NodesSnapshot => ({
    total: 40,
    online: 40,
    offline: 0,
    onlineRatio: 1,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: [],
    sources: [{ name: 'demo-nodes', lastFetchAt: T0, lastOkAt: new Date(T0.getTime() - 95_000), count: 40, ...(error ? { error } : {}) }],
    updatedAt: T0,
  });

  function wall(stateDir: string, nodes: MemoryStore<NodesSnapshot>) {
    const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 6, lastError: 'connection refused' })]);
    const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined });
    const alerts = new AlertsFileSource({ file: join(stateDir, 'alerts.jsonl'), stateDir });
    alerts.poll();
    const frames = new CoalescedStore([fleet, live, alerts, nodes], 10);
    const r = render(<WatchApp fleet={fleet} live={live} alerts={alerts} nodes={nodes} frames={frames} lang="en" configPath="/x/console.yaml" clock={{ now: () => T0 }} width={120} height={30} onExit={() => {}} />);
    return { alerts, r };
  }

  it('no console evaluating: "alerts not evaluated: no console running" beside a DOWN service, never "No alerts firing"', async () => {
    const stateDir = join(dir, 'state');
    const nodes = new MemoryStore<NodesSnapshot>(nodesSnap());
    // A console that was killed left its file behind: its pid is gone, so it does not count.
    mkdirSync(join(stateDir, 'alert-evaluators'), { recursive: true });
    writeFileSync(join(stateDir, 'alert-evaluators', `${hostname()}-999999999.json`), JSON.stringify({ pid: 999_999_999, hostname: hostname(), kind: 'console', operator: 'x', since: T0.toISOString() }));
    const { alerts, r } = wall(stateDir, nodes);
    let frame = await waitForFrame(r.lastFrame, (f) => f.includes('doai-orchestrator'));
    expect(frame).toMatch(/doai-orchestrator\s+DOWN/);
    expect(frame).toContain('alerts not evaluated: no console running');
    expect(frame).not.toContain('No alerts firing');
    // A console starts evaluating (the same registration the interactive console makes).
    const unregister = registerAlertEvaluator(stateDir, 'console', 'orion', T0);
    alerts.poll();
    frame = await waitForFrame(r.lastFrame, (f) => f.includes('No alerts firing'));
    expect(frame).not.toContain('not evaluated');
    unregister();
    alerts.poll();
    await waitForFrame(r.lastFrame, (f) => f.includes('alerts not evaluated: no console running'));
  });

  it('a node source that does not answer: its staleness, not "Nodes 40/40 online"', async () => {
    const nodes = new MemoryStore<NodesSnapshot>(nodesSnap());
    const { r } = wall(join(dir, 'state'), nodes);
    await waitForFrame(r.lastFrame, (f) => f.includes('Nodes 40/40 online'));
    nodes.update(nodesSnap('connection refused'));
    const frame = await waitForFrame(r.lastFrame, (f) => f.includes('demo-nodes: list from'));
    expect(frame).toMatch(/Nodes: demo-nodes: list from 1m ago — connection refused/);
    expect(frame).not.toContain('40/40 online');
  });
});
