// The L2 approval form on the built binary in a real terminal (tmux) against the demo fleet:
// crash-loop → L1 fails → `e` → the boxed form with the plan and a code → a wrong code is refused
// in words → the code read off the screen and a name approve → L2 runs and the audit log says so.
// While the form waits, the code is on the form only: no audit line or journal holds it; seed
// 000's `START - Confirm: <code>` comes once it is used, before the approval and the steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli';
import { demoConsoleInTmux, demoJournals, stopDemoConsole, type ServedDemo } from '../helpers/demo-serve';
import type { TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let term: TmuxSession;
let auditPath: string;

const ISO = String.raw`\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\]`;
const pause = (ms = 250) => new Promise((r) => setTimeout(r, ms));

function audit(): string[] {
  try {
    return readFileSync(auditPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const journals = () => demoJournals(demo.configPath);

/** Types like an operator: text, then each named key, with a short pause between. */
async function typeText(text: string): Promise<void> {
  term.type(text);
  await pause();
}

async function key(name: string): Promise<void> {
  term.send(name);
  await pause();
}

/** PgDn until the whole plan has been on screen (the form refuses an answer before that). */
async function readPlan(): Promise<void> {
  for (let i = 0; i < 20 && /more below/.test(term.screen()); i++) await key('NPage');
  await term.waitFor('— end of plan —', 5_000);
}

beforeAll(async () => {
  ({ demo, term, auditPath } = await demoConsoleInTmux({ cols: 100, rows: 30 }));
}, 30_000);

afterAll(() => stopDemoConsole({ demo, term }));

describe('L2 approval form in a real terminal', () => {
  it('crash-loop: L1 fails and offers L2 on the same target', async () => {
    await term.waitFor(/doai-orchestrator\s+UP/, 20_000);
    const r = await runCli(['demo', 'fault', 'crash-loop', '--config', demo.configPath]);
    expect(r.code, r.stderr).toBe(0);
    await term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
    // DOWN recommends L2 (seed 000); L1 has its own key.
    term.send('1');
    const failed = await term.waitFor(/L1 failed → press e for L2 Service Reset on doai-orchestrator/, 40_000);
    expect(failed).toMatch(/✗ FAILED/);
    const footer = failed.trimEnd().split('\n').at(-1) ?? '';
    expect(footer).toContain('e escalate');
    expect(footer).not.toMatch(/c cancel|Enter confirm/);
  }, 90_000);

  it('e opens the boxed form: impact, recovery time, what runs on which host, the code and the remote-approval hint', async () => {
    term.send('e');
    const form = await term.waitFor(/SERVICE RESET CONFIRMATION — doai-orchestrator/, 15_000);
    expect(form).toContain('Impact: all connected nodes paused');
    expect(form).toContain('Expected recovery: ~2 min');
    expect(form).toContain('Will run, in order');
    expect(form).toMatch(/ssh \S+@\S+: /); // the plan names the host of every command
    expect(form).toMatch(/Code [0-9A-F]{6} · valid \d:\d\d · 3 tries/);
    expect(form).toMatch(/or approve from another session: doai-console approve \S+/);
    // R-APR-6: the form says which kind of approval this level takes.
    expect(form).toContain('Approval for L2: declared — a typed name, not proven');
    // The code can still approve: no log holds it, and the START line that will carry it waits.
    const code = /Code ([0-9A-F]{6}) · valid/.exec(form)![1]!;
    expect(audit().some((l) => l.includes('L2_SERVICE_RESET: START'))).toBe(false);
    expect(audit().join('\n')).not.toContain(code);
    expect(journals()).toContain('"run.prompt"');
    expect(journals()).not.toContain(code);
  }, 30_000);

  it('q typed into the code field is a letter, not quit', async () => {
    await typeText('q');
    const screen = await term.waitFor(/\[CONFIRM\] Code: +Q/, 5_000);
    expect(screen).not.toContain('quit anyway');
    expect(screen).toContain('SERVICE RESET CONFIRMATION');
    await key('BSpace');
  }, 20_000);

  it('a wrong code is refused in words with the tries left', async () => {
    await typeText('111111');
    await key('Tab');
    await typeText('bob');
    // A held Backspace and the new name in one write (one read on the console's side): every
    // key acts, in order (issue 12 item 2).
    await typeText('\u007F\u007F\u007Fkim');
    // The demo's L2 plan is longer than the form's rows: Enter is refused until it was all shown.
    await key('Enter');
    const refused = await term.waitFor(/read the whole plan first: \d+ more lines below/, 10_000);
    expect(refused.trimEnd().split('\n').at(-1)).toMatch(/PgDn\/PgUp read the plan to approve \(\d+ more\)/);
    expect(audit().some((l) => l.includes('STEP1_REJECTED'))).toBe(false);
    await readPlan();
    await key('Enter');
    const screen = await term.waitFor(/Wrong code — 2 tries left/, 10_000);
    expect(screen).toMatch(/Code [0-9A-F]{6} · valid \d:\d\d · 2 tries/);
    expect(audit().some((l) => /L2_SERVICE_RESET: STEP1_REJECTED - Wrong code \(2 tries left\): kim \(declared by [^)]+\)$/.test(l))).toBe(true);
    expect(audit().some((l) => l.includes('L2_SERVICE_RESET: START'))).toBe(false);
  }, 20_000);

  it('the code read off the screen and a name approve, and the run proceeds to SUCCESS', async () => {
    const code = /Code ([0-9A-F]{6}) · valid/.exec(term.screen())?.[1];
    expect(code, term.screen()).toBeDefined();
    await typeText(code!.toLowerCase()); // read out loud; case does not matter
    await key('Enter'); // code field → approver field (the name typed before is kept)
    await key('Enter'); // submit
    const running = await term.waitFor(/L2 Service Reset · doai-orchestrator · orion · (RUNNING|SUCCESS)/, 15_000);
    expect(running).not.toContain('SERVICE RESET CONFIRMATION');
    const done = await term.waitFor(/✓ SUCCESS/, 60_000);
    expect(done).toMatch(/✓ Save a state snapshot/);
    const l2 = audit().filter((l) => l.includes('L2_SERVICE_RESET'));
    // Seed 000's line with the code, now used; then the approval and the steps.
    const start = l2.findIndex((l) => new RegExp(`^${ISO} L2_SERVICE_RESET: START - Confirm: ${code}$`).test(l));
    expect(start, l2.join('\n')).toBeGreaterThan(0);
    expect(l2[start + 1]).toMatch(/L2_SERVICE_RESET: STEP1_APPROVED by kim \(declared by [^)]+\)$/);
    expect(l2.at(-1)).toMatch(new RegExp(`^${ISO} L2_SERVICE_RESET: SUCCESS$`));
    const footer = done.trimEnd().split('\n').at(-1) ?? '';
    expect(footer).not.toMatch(/e escalate|c cancel|Enter confirm/);
    term.send('q'); // back to the dashboard (q backs out of every screen) …
    await term.waitFor(/SERVICE\s+STATE/, 15_000);
    term.send('q'); // … where it quits
    await term.waitFor(/\[exit 0\]/, 15_000);
  }, 90_000);
});
