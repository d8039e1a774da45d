// Alerts from Alertmanager show beside the console's own with their source (issue 16 item 2,
// R-MON-2): the real alerts store takes an Alertmanager alert as the receiver hands it over; the
// dashboard's alerts pane and the wall screen (reading the alerts.jsonl that store writes) name it
// `AM <alertname>` next to the console's own rule, and drop it when Alertmanager resolves it.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchApp } from '../../screens/watch/watch-app';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { registerAlertEvaluator } from '../../src/health/alerts-evaluator-presence';
import { createAlertsStore, type ExternalAlert } from '../../src/health/alerts-store';
import { AlertsFileSource } from '../../src/watch/alerts-reader';
import { CoalescedStore } from '../../src/watch/coalesce';
import { LiveRunsSource } from '../../src/watch/live-runs';
import { MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const dirs: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanup();
  for (const c of cleanups.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

const hostDown = (status: 'firing' | 'resolved'): ExternalAlert => ({
  key: 'alertmanager:4b1d9e',
  rule: 'HostDown',
  subject: 'demo-db',
  message: 'demo-db does not answer node_exporter',
  status,
  startsAt: new Date(T0.getTime() - 60_000),
});

/** The alerts store a server or console builds: the orchestrator is DOWN (its own rule fires), and the file it appends. */
async function storeWithBoth() {
  const dir = mkdtempSync(join(tmpdir(), 'doai-am-source-'));
  dirs.push(dir);
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3 }), service({ name: 'caddy' })]);
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'demo-vm', kind: 'orchestrator' }, { name: 'caddy', host: 'demo-vm' }] });
  const clock = new FakeClock(T0);
  const file = join(dir, 'state', 'alerts.jsonl');
  const alerts = createAlertsStore({ config, clock, fleet, file });
  await alerts.evaluateNow();
  const taken = alerts.receiveExternal('alertmanager', [hostDown('firing')]);
  expect(taken.fired.map((a) => a.rule)).toEqual(['HostDown']);
  await alerts.settled();
  return { dir, fleet, alerts, file };
}

describe('Alertmanager alerts beside the console\'s own, with their source', () => {
  it('the dashboard\'s alerts pane lists AM HostDown next to orchestrator_down, and drops it when resolved', async () => {
    const { fleet, alerts } = await storeWithBoth();
    const r = renderApp({ fleet, width: 160, height: 40, fleetStores: { alerts } });
    await press(r.stdin, 'pane.next');
    let f = await waitForFrame(r.lastFrame, (x) => x.includes('AM HostDown') && x.includes('orchestrator_down'));
    expect(f).toMatch(/AM HostDown +.*demo-db/);
    expect(f).toMatch(/orchestrator_down +.*doai-orchestrator/);
    // Not shown as the console's own rule without its source.
    expect(f).not.toMatch(/(?<!AM )HostDown/);
    alerts.receiveExternal('alertmanager', [hostDown('resolved')]);
    await alerts.settled();
    f = await waitForFrame(r.lastFrame, (x) => !/FIRING +AM HostDown/.test(x) && x.includes('orchestrator_down'));
    expect(f).not.toMatch(/FIRING +AM HostDown/);
  });

  it('the wall screen, reading the alerts.jsonl the store wrote, names it AM HostDown among the firing alerts', async () => {
    const { dir, fleet, alerts, file } = await storeWithBoth();
    const stateDir = join(dir, 'state');
    // An evaluator is running (the server that took the post), so the wall shows what it recorded.
    cleanups.push(registerAlertEvaluator(stateDir, 'server', 'doai-console', T0));
    const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined });
    const reader = new AlertsFileSource({ file, stateDir });
    reader.poll();
    const frames = new CoalescedStore([fleet, live, reader], 10);
    const r = render(<WatchApp fleet={fleet} live={live} alerts={reader} frames={frames} lang="en" configPath="/x/console.yaml" clock={{ now: () => T0 }} width={140} height={30} onExit={() => {}} />);
    let f = await waitForFrame(r.lastFrame, (x) => x.includes('AM HostDown'));
    expect(f).toMatch(/AM HostDown demo-db \(\d\d:\d\d\)/);
    expect(f).toMatch(/orchestrator_down doai-orchestrator \(\d\d:\d\d\)/);
    alerts.receiveExternal('alertmanager', [hostDown('resolved')]);
    await alerts.settled();
    reader.poll();
    f = await waitForFrame(r.lastFrame, (x) => !x.includes('AM HostDown'));
    expect(f).toMatch(/orchestrator_down doai-orchestrator/);
  });
});
