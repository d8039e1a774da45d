// The `?` screen laid out for use (k9s / lazygit style), still generated from the registry: what
// works now comes first — on 80 × 24 the dashboard's usable keys are the first page, without
// scrolling — then the keys of every screen, then, dimmed under "Not available now", the keys that
// do nothing at the moment, each with why. A command that changes the fleet is marked "!" in
// front of its keys (the title bar says what "!" means) instead of a trailing "[changes the
// fleet]" that took rows of its own. From 140 columns up the keys sit in two columns, so a wall-
// sized terminal shows all of them at once. Every key is listed once, whole, in English and Korean.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import type { Lang } from '../../src/core/views';
import { FakeClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import { createAlertsStore } from '../../src/health/alerts-store';
import { MuteStore } from '../../src/health/alerts-mute';
import { localAlertControl } from '../../src/core/alert-control';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-help-layout-'));
});
afterEach(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

/** A console with the alerts pane and its keys (acknowledge, silence, maintenance), every service UP. */
async function consoleWithAlerts(width: number, height: number, lang: Lang = 'en') {
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator' }), service({ name: 'caddy' })]);
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'demo-vm', kind: 'orchestrator' }, { name: 'caddy', host: 'demo-vm' }] });
  const clock = new FakeClock(T0);
  const mutes = new MuteStore({ clock, services: ['doai-orchestrator', 'caddy'], audit: () => {} });
  const alerts = createAlertsStore({ config, clock, fleet, mutes, file: join(dir, 'alerts.jsonl'), audit: () => {} });
  await alerts.evaluateNow();
  const r = renderApp({ fleet, lang, configPath: '/x/console.yaml', width, height, fleetStores: { alerts, alertControl: localAlertControl(alerts, mutes, 'orion') } });
  await delay();
  await press(r.stdin, 'help');
  return r;
}

/** The dashboard's keys that work with every service UP and no alert selected, as the help lists them. */
const USABLE = [/! 1 +L1 Soft Reset/, /! 2 +L2 Service Reset .*\(approval needed\)/, /! 3 +L3 Box Reset/, / {2}d +Dry run of L1/, / {2}Tab +Move the focus/, /! m +Maintenance on the selected service/, / {2}\/ +Filter the focused list/, / {2}PgUp +Page up/, / {2}PgDn +Page down/, /! b +Every runbook/, / {2}i +Show the open incident/, / {2}l +Checklists/];

describe('the help at 80 × 24', () => {
  it('the first page holds every key that works now; the ones that do not come last, each with why (en)', async () => {
    const r = await consoleWithAlerts(80, 24);
    const first = await waitForFrame(r.lastFrame, (f) => / 0 above · \d+ below/.test(f));
    expect(first).toContain(' Keys — Dashboard   ! changes the fleet');
    for (const key of USABLE) expect(first).toMatch(key);
    expect(first).not.toContain('Not available now');
    // The rest, a page down: the global keys, then what does nothing now and why.
    await press(r.stdin, 'help.pageDown');
    const rest = await waitForFrame(r.lastFrame, (f) => / 0 below/.test(f));
    const lines = rest.split('\n');
    const everywhere = lines.findIndex((l) => l === 'Everywhere' || l.startsWith('Everywhere '));
    const notNow = lines.findIndex((l) => l.startsWith('Not available now'));
    expect(everywhere).toBeGreaterThan(-1);
    expect(notNow).toBeGreaterThan(everywhere);
    const after = lines.slice(notNow).map((l) => l.trim()).join(' ');
    expect(after).toMatch(/! r +Start the recommended runbook on its target \(nothing to recommend — all services healthy\)/);
    expect(after).toMatch(/! a +Acknowledge the selected firing alert: .* \(Tab to the alerts pane and select a firing alert\)/);
    expect(after).toMatch(/! s +Silence the selected alert .* \(Tab to the alerts pane and select an alert\)/);
    expect(after).toMatch(/Enter +Open the latest run \(no run yet — start one first\)/);
    for (const l of [...first.split('\n'), ...lines]) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    // Two pages, not three.
    expect(Number(/ 0 above · (\d+) below/.exec(first)![1])).toBeLessThanOrEqual(18);
  });

  it('in Korean: the same order, the same marks, nothing wider than 80', async () => {
    const r = await consoleWithAlerts(80, 24, 'ko');
    const first = await waitForFrame(r.lastFrame, (f) => /위 0개 · 아래 \d+개/.test(f));
    expect(first).toContain(' 키 — 대시보드   ! 시스템 변경');
    expect(first).toMatch(/! 1 +/);
    expect(first).toMatch(/ {2}l +/);
    expect(first).not.toContain('지금은 쓸 수 없음');
    await press(r.stdin, 'help.pageDown');
    const rest = await waitForFrame(r.lastFrame, (f) => /아래 0개/.test(f));
    expect(rest).toContain('모든 화면');
    expect(rest).toContain('지금은 쓸 수 없음');
    for (const l of [...first.split('\n'), ...rest.split('\n')]) expect(stringWidth(l)).toBeLessThanOrEqual(80);
  });
});

describe('the help on a wide terminal', () => {
  it('200 × 50: two columns, every key at once, nothing to scroll, each description whole', async () => {
    const r = await consoleWithAlerts(200, 50);
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('Not available now'));
    expect(f).not.toMatch(/ above · \d+ below/);
    for (const key of USABLE) expect(f).toMatch(key);
    // Two columns: a row holds a key of the left column and one of the right.
    expect(f.split('\n').some((l) => /^(! | {2})\S.{60,}\s(! | {2})\S+ +\S/.test(l) && l.indexOf('  ', 100) > 0)).toBe(true);
    expect(f).toMatch(/Everywhere/);
    expect(f).toMatch(/q \/ Ctrl-C +Quit the console/);
    for (const l of f.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(200);
    // The whole help fits in fewer rows than the one-column list would need.
    const lines = f.split('\n');
    const used = lines.slice(0, lines.findIndex((l) => /^Esc close/.test(l))).filter((l) => l.trim() !== '').length;
    expect(used).toBeLessThan(24);
  });

  it('120 columns (under 140): one column, as at 80', async () => {
    const r = await consoleWithAlerts(120, 60);
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('Not available now'));
    for (const l of f.split('\n')) expect(l.replace(/\s+$/, '').length).toBeLessThanOrEqual(120);
    expect(f.split('\n').filter((l) => /^(! | {2})\S/.test(l) && /\S {2,}(! | {2})\S+ {2,}\S/.test(l.slice(40)))).toEqual([]);
  });
});
