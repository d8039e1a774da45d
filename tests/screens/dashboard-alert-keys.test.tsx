// a, s and m on the dashboard (R-MON-3), keys pressed by command id against the real alerts store
// and silences/maintenance store the console builds, as the console's operator: a on a firing
// alert acknowledges it (who, when, audited); s silences it for the minutes and reason typed (and
// on a silenced alert removes the silence); m starts 30 minutes of maintenance on the selected
// service. A missing reason keeps the prompt open and changes nothing; a read-only console has none
// of the keys.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import { createAlertsStore } from '../../src/health/alerts-store';
import { MuteStore } from '../../src/health/alerts-mute';
import { localAlertControl } from '../../src/core/alert-control';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const dirs: string[] = [];
afterEach(() => {
  cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

async function setup(opts: { readOnly?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'doai-alertkeys-'));
  dirs.push(dir);
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3 }), service({ name: 'caddy' })]);
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'demo-vm', kind: 'orchestrator' }, { name: 'caddy', host: 'demo-vm' }] });
  const clock = new FakeClock(T0);
  const audit: string[] = [];
  const mutes = new MuteStore({ clock, services: ['doai-orchestrator', 'caddy'], audit: (m) => audit.push(m) });
  const alerts = createAlertsStore({ config, clock, fleet, mutes, file: join(dir, 'alerts.jsonl'), audit: (m) => audit.push(m) });
  await alerts.evaluateNow();
  const r = renderApp({
    fleet,
    configPath: '/home/orion/.config/doai-console/console.yaml',
    width: 160,
    height: 40,
    readOnly: opts.readOnly,
    fleetStores: { alerts, alertControl: localAlertControl(alerts, mutes, 'orion') },
  });
  return { ...r, alerts, mutes, audit };
}

describe('alert keys', () => {
  it('a acknowledges the firing alert under the cursor, as the operator, audited', async () => {
    const { stdin, lastFrame, alerts, audit } = await setup();
    await waitForFrame(lastFrame, (x) => x.includes('orchestrator_down'));
    await press(stdin, 'alert.ack');
    expect(await waitForFrame(lastFrame, (x) => x.includes('Tab to the alerts pane and select a firing alert'))).toContain('Tab to the alerts pane and select a firing alert');
    await press(stdin, 'pane.next');
    await press(stdin, 'alert.ack');
    const f = await waitForFrame(lastFrame, (x) => x.includes('Acknowledged orchestrator_down on doai-orchestrator'));
    expect(f).toContain('Acknowledged orchestrator_down on doai-orchestrator — no more notifications for it but the resolve');
    expect(f).toMatch(/ACKED +orchestrator_down/);
    expect(alerts.getSnapshot().alerts[0]!.acknowledged?.by).toBe('orion');
    expect(audit).toEqual(['ACK orchestrator_down:doai-orchestrator by orion']);
    await press(stdin, 'alert.ack');
    expect(await waitForFrame(lastFrame, (x) => x.includes('already acknowledged'))).toContain('already acknowledged');
  });

  it('s silences the alert for the typed minutes and reason; a missing reason keeps the prompt; s again removes it', async () => {
    const { stdin, lastFrame, mutes, audit } = await setup();
    await waitForFrame(lastFrame, (x) => x.includes('orchestrator_down'));
    await press(stdin, 'pane.next');
    await press(stdin, 'alert.silence');
    await waitForFrame(lastFrame, (x) => x.includes('Silence orchestrator_down on doai-orchestrator — minutes and reason'));
    stdin.write('45');
    await delay();
    await press(stdin, 'prompt.submit');
    expect(await waitForFrame(lastFrame, (x) => x.includes('a reason is required'))).toContain('a reason is required');
    expect(mutes.getSnapshot().silences).toEqual([]);
    stdin.write(' deploying the orchestrator');
    await delay();
    await press(stdin, 'prompt.submit');
    const f = await waitForFrame(lastFrame, (x) => x.includes('Silenced orchestrator_down on doai-orchestrator until'));
    expect(f).toContain('Silenced orchestrator_down on doai-orchestrator until');
    const s = mutes.getSnapshot().silences[0]!;
    expect(s).toMatchObject({ rule: 'orchestrator_down', subject: 'doai-orchestrator', reason: 'deploying the orchestrator', by: 'orion', until: new Date(T0.getTime() + 45 * 60_000) });
    expect(audit[0]).toContain(`SILENCE ${s.id} rule=orchestrator_down subject=doai-orchestrator for 45 min`);
    await press(stdin, 'alert.silence');
    await waitForFrame(lastFrame, (x) => x.includes(`Remove silence ${s.id}`));
    await press(stdin, 'confirm.yes');
    expect(await waitForFrame(lastFrame, (x) => x.includes(`Silence ${s.id} removed`))).toContain(`Silence ${s.id} removed`);
    expect(mutes.getSnapshot().silences).toEqual([]);
  });

  it('m starts 30 minutes of maintenance on the selected service with a reason', async () => {
    const { stdin, lastFrame, mutes, audit } = await setup();
    await waitForFrame(lastFrame, (x) => x.includes('orchestrator_down'));
    await press(stdin, 'service.maintenance');
    await waitForFrame(lastFrame, (x) => x.includes('Maintenance on doai-orchestrator for 30 min — reason'));
    stdin.write('kernel upgrade');
    await delay();
    await press(stdin, 'prompt.submit');
    expect(await waitForFrame(lastFrame, (x) => x.includes('doai-orchestrator in maintenance until'))).toContain('its alerts are muted');
    expect(mutes.getSnapshot().maintenance[0]).toMatchObject({ service: 'doai-orchestrator', reason: 'kernel upgrade', by: 'orion', until: new Date(T0.getTime() + 30 * 60_000) });
    expect(audit[0]).toMatch(/^MAINTENANCE m-[0-9a-f]{6} doai-orchestrator for 30 min/);
  });

  it('the reason and Enter in two reads before a render (text then Enter over SSH): Enter submits the typed reason', async () => {
    const { stdin, lastFrame, mutes } = await setup();
    await waitForFrame(lastFrame, (x) => x.includes('orchestrator_down'));
    await press(stdin, 'service.maintenance');
    await waitForFrame(lastFrame, (x) => x.includes('Maintenance on doai-orchestrator for 30 min — reason'));
    stdin.write('10 kernel upgrade');
    stdin.write('\r');
    const f = await waitForFrame(lastFrame, (x) => x.includes('in maintenance until') || x.includes('a reason is required'));
    expect(f).not.toContain('a reason is required');
    expect(mutes.getSnapshot().maintenance[0]).toMatchObject({ service: 'doai-orchestrator', reason: 'kernel upgrade', until: new Date(T0.getTime() + 10 * 60_000) });
  });

  it('a read-only console offers none of them', async () => {
    const { stdin, lastFrame, alerts } = await setup({ readOnly: true });
    await waitForFrame(lastFrame, (x) => x.includes('orchestrator_down'));
    await press(stdin, 'pane.next');
    await press(stdin, 'alert.ack');
    await waitForFrame(lastFrame, (x) => x.includes('read-only'));
    expect(alerts.getSnapshot().alerts[0]!.acknowledged).toBeUndefined();
  });
});
