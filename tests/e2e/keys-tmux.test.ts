// Screens and keys of issue 12 on the built binary in a real 80 × 24 terminal (tmux) against the
// demo fleet: q backs out one level on every screen and quits only from the dashboard; a one-key
// start on a service that is UP asks first; keys typed in one write all act in a text field; the
// L2 form's plan scrolls and the answer waits until all of it was on screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli';
import { demoConsoleInTmux, stopDemoConsole, type ServedDemo } from '../helpers/demo-serve';
import type { TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let term: TmuxSession;
let auditPath: string;

const pause = (ms = 300) => new Promise((r) => setTimeout(r, ms));
const DASHBOARD = /SERVICE\s+STATE/;

function audit(): string[] {
  try {
    return readFileSync(auditPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function press(...keys: string[]): Promise<void> {
  for (const k of keys) {
    term.send(k);
    await pause();
  }
}

const footer = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';

beforeAll(async () => {
  ({ demo, term, auditPath } = await demoConsoleInTmux({ cols: 80, rows: 24 }));
  await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
  await term.waitFor(/caddy\s+UP/, 30_000);
}, 60_000);

afterAll(() => stopDemoConsole({ demo, term }));

describe('keys in a real terminal (80 × 24)', () => {
  it('q backs out of help, the runbook picker and the checklists, one level each; the console stays up', async () => {
    for (const [open, shows] of [
      ['?', /Show every key/],
      ['b', /Runbooks for/],
      ['l', /Start a checklist/],
    ] as const) {
      await press(open);
      if (open === '?') {
        // 80 × 24 does not hold every dashboard key: the help's title bar says what is below and
        // PgDn scrolls to the end.
        await term.waitFor(/\d+ above · \d+ below/, 10_000);
        for (let i = 0; i < 10 && !/ 0 below/.test(term.screen()); i++) {
          const before = term.screen().match(/(\d+) above/)?.[1];
          await press('NPage');
          for (let j = 0; j < 50 && term.screen().match(/(\d+) above/)?.[1] === before; j++) await pause();
        }
      }
      await term.waitFor(shows, 10_000);
      await press('q');
      const back = await term.waitFor(DASHBOARD, 10_000);
      expect(back).not.toMatch(shows);
      expect(back).not.toContain('[exit');
    }
    expect(term.screen()).not.toContain('[exit');
  }, 60_000);

  it('demo fault clear says the faults were cleared, not "fault clear injected"', async () => {
    const r = await runCli(['demo', 'fault', 'clear', '--config', demo.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('every demo fault cleared\n');
  }, 30_000);

  it('1 on a service that is UP asks first; n starts nothing', async () => {
    await press('1');
    const asked = await term.waitFor(/\S+ is UP — restart anyway with L1 Soft Reset\? \(y\/n\)/, 10_000);
    expect(asked).toMatch(DASHBOARD);
    await press('n');
    await pause(800);
    expect(term.screen()).not.toMatch(/restart anyway|L1 Soft Reset · /);
    expect(audit().some((l) => l.includes('L1_SOFT_RESET: START'))).toBe(false);
  }, 30_000);

  it('a filter typed with a Backspace in the same write selects the orchestrator; 2 asks (UP), then the L2 plan scrolls and the answer waits until all of it was shown', async () => {
    await press('/');
    term.type('orcx\u007Fh'); // one write: "orcx", Backspace, "h"
    await term.waitFor(/\/ orch/, 10_000);
    await press('Enter', '2');
    await term.waitFor(/doai-orchestrator is UP — restart anyway with L2 Service Reset\? \(y\/n\)/, 10_000);
    await press('y');
    await term.waitFor(/SERVICE RESET CONFIRMATION — doai-orchestrator/, 15_000);
    const form = await term.waitFor(/read the plan to approve \(\d+ more\)/, 10_000);
    expect(form).toMatch(/lines 1–\d+ of \d+/);
    const code = /Code ([0-9A-F]{6}) · valid/.exec(form)?.[1];
    expect(code, form).toBeDefined();
    term.type(`${code}\tkim`);
    await pause();
    await press('Enter');
    await term.waitFor(/read the whole plan first: \d+ more lines below/, 10_000);
    expect(audit().some((l) => l.includes('L2_SERVICE_RESET: STEP1_APPROVED'))).toBe(false);
    for (let i = 0; i < 20 && /more below/.test(term.screen()); i++) await press('NPage');
    const read = await term.waitFor('— end of plan —', 10_000);
    expect(footer(read)).not.toContain('read the plan');
    await press('Enter');
    const approved = () => audit().some((l) => /L2_SERVICE_RESET: STEP1_APPROVED by kim \(declared by [^)]+\)$/.test(l));
    for (let i = 0; i < 50 && !approved(); i++) await pause(200);
    expect(approved()).toBe(true);
  }, 90_000);
});
