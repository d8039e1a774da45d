// The approval prompt of headless `doai-console run` on a real terminal (tmux), on the built
// binary against the demo fleet in its own process: the code is printed for the requester to read
// out, a wrong code is refused with the tries left, name + code run L2 to SUCCESS; L3 asks two
// approvers, waits the real 30 s, asks the reason, shows the summary and anything but `yes`
// cancels; Ctrl-C at a question or during the countdown cancels the run (exit 130) with an audit
// line, never silently. The code is in no log or journal while it can approve: seed 000's
// `START - Confirm: <code>` is written once it is used or dead.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, runCli } from '../helpers/cli';
import { demoJournals, serveDemo, type ServedDemo } from '../helpers/demo-serve';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let auditPath: string;
let term: TmuxSession | undefined;

const pause = (ms = 300) => new Promise((r) => setTimeout(r, ms));

function audit(): string[] {
  try {
    return readFileSync(auditPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\[[^\]]+\] /, ''));
  } catch {
    return [];
  }
}

const journals = () => demoJournals(demo.configPath);

function run(runbook: string, target: string, configPath = demo.configPath): TmuxSession {
  // Tall enough that the plan, the box and every answer stay on screen for the assertions.
  term = startTmux(`node ${BIN} run ${runbook} --target ${target} --config ${configPath} --lang en`, {
    cols: 120,
    rows: 120,
    env: { DOAI_OPERATOR: 'orion', NO_COLOR: '1' },
  });
  return term;
}

/** Types a line like an operator and presses Enter. */
async function answer(t: TmuxSession, text: string): Promise<void> {
  if (text) t.type(text);
  await pause(150);
  t.send('Enter');
  await pause();
}

/** The last non-empty line: where the cursor waits for an answer. */
function lastLine(screen: string): string {
  return screen.trimEnd().split('\n').at(-1) ?? '';
}

function count(screen: string, needle: string): number {
  return screen.split(needle).length - 1;
}

/** Waits until the cursor line is this question (capture-pane drops the trailing space). */
async function prompt(t: TmuxSession, question: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = t.screen();
    if (lastLine(screen) === question) return screen;
    await pause(150);
  }
  throw new Error(`the last line never became "${question}" within ${timeoutMs} ms; last screen:\n${screen}`);
}

async function codeOnScreen(t: TmuxSession, step?: number, timeoutMs = 20_000): Promise<string> {
  const title = step ? `TWO-STEP VERIFICATION: STEP ${step} / 2` : 'SERVICE RESET CONFIRMATION';
  const screen = await t.waitFor(new RegExp(`${title}\\n│ code: [0-9A-F]{6}`), timeoutMs);
  const after = screen.slice(screen.lastIndexOf(title));
  return /code: ([0-9A-F]{6})/.exec(after)![1];
}

beforeAll(async () => {
  demo = await serveDemo();
  auditPath = join(dirname(demo.configPath), 'emergency.log');
}, 30_000);

afterEach(() => {
  term?.kill();
  term = undefined;
});

afterAll(async () => {
  await demo?.stop();
});

describe('headless run approval on a terminal', () => {
  it('L2: the code is shown once, the request hint sits above the prompt, a wrong code costs a try, name + code run to SUCCESS; audit in seed order', async () => {
    const fault = await runCli(['demo', 'fault', 'crash-loop', '--config', demo.configPath]);
    expect(fault.code, fault.stderr).toBe(0);
    const before = audit().length;
    const t = run('l2-service-reset', 'doai-orchestrator');
    const code = await codeOnScreen(t);
    let screen = await t.waitFor(/doai-console approve [0-9a-f]{8}/, 10_000);
    screen = await prompt(t, 'approver name:');
    expect(screen).toContain('What will run, on which host, in order:');
    expect(screen).toMatch(/ssh \S+@demo-vm: systemctl stop 'doai-orchestrator'/);
    expect(screen).toMatch(new RegExp(`code: ${code}  \\(valid until \\d\\d:\\d\\d:\\d\\d, 3 tries\\)`));
    // The cross-session request arriving does not redraw the box or restart the question,
    // and its lines are not glued onto the prompt.
    expect(count(screen, 'SERVICE RESET CONFIRMATION')).toBe(1);
    expect(screen).toMatch(/^approval request [0-9a-f]{8} \(step 1\) is pending; another user approves it with:$/m);
    expect(lastLine(screen)).toBe('approver name:');
    // The code is on the requester's terminal only: while it can approve, no log holds it.
    expect(audit().slice(before)).toEqual([]);
    expect(journals()).toContain('"run.prompt"');
    expect(journals()).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    await answer(t, 'alice');
    await prompt(t, 'code:');
    await answer(t, wrong);
    screen = await t.waitFor(/✗ Wrong code — 2 tries left/, 5_000);
    expect(screen).toMatch(/approval step 1 rejected: Wrong code \(2 tries left\): alice \(declared by orion\)/);
    expect(await prompt(t, 'approver name:')).toMatch(/✗ Wrong code — 2 tries left\napprover name:\s*$/);

    await answer(t, 'alice');
    await prompt(t, 'code:');
    await answer(t, code.toLowerCase()); // read out over the phone, typed in lower case
    screen = await t.waitFor(/\[exit \d+\]/, 60_000);
    expect(screen).toMatch(/approval step 1 granted \(code\) by alice/);
    expect(screen).toMatch(/SUCCESS — ✅ L2 recovery succeeded/);
    expect(screen).toContain('[exit 0]');
    expect(audit().slice(before)).toEqual([
      // Refused while the code still approved: recorded then, without it.
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): alice (declared by orion)',
      // Seed 000's START line, once the code is used.
      `L2_SERVICE_RESET: START - Confirm: ${code}`,
      'L2_SERVICE_RESET: STEP1_APPROVED by alice (declared by orion)',
      'L2_SERVICE_RESET: SNAPSHOT_SAVED',
      'L2_SERVICE_RESET: SERVICES_STOPPED',
      'L2_SERVICE_RESET: CACHE_CLEARED',
      'L2_SERVICE_RESET: SERVICES_RESTARTED',
      'L2_SERVICE_RESET: SUCCESS',
    ]);
  }, 120_000);

  it('L2 with stdout piped into a log (| tee): the prompts are plain lines, no escape code reaches the log', async () => {
    await runCli(['demo', 'fault', 'crash-loop', '--config', demo.configPath]);
    const log = join(dirname(demo.configPath), 'piped-run.log');
    const t = startTmux(`node ${BIN} run l2-service-reset --target doai-orchestrator --config ${demo.configPath} --lang en | tee ${log}`, {
      cols: 120,
      rows: 120,
      env: { DOAI_OPERATOR: 'orion', NO_COLOR: '1' },
    });
    term = t;
    const code = await codeOnScreen(t);
    await t.waitFor(/approver name:/, 10_000);
    await pause(500);
    await answer(t, 'alice');
    await t.waitFor(/\ncode:/, 10_000);
    await answer(t, code);
    await t.waitFor(/\[exit \d+\]/, 60_000);
    const text = readFileSync(log, 'utf8');
    expect(text).toContain('approver name:');
    expect(text).toMatch(/approval step 1 granted \(code\) by alice/);
    expect(text).not.toMatch(/\x1b/);
  }, 120_000);

  it('L2: Ctrl-C at the approver prompt cancels the run (exit 130) and the audit log says so', async () => {
    const before = audit().length;
    const t = run('l2-service-reset', 'doai-orchestrator');
    const code = await codeOnScreen(t);
    await prompt(t, 'approver name:');
    expect(audit().slice(before)).toEqual([]);
    t.type('ali');
    await pause();
    t.send('C-c');
    const screen = await t.waitFor(/\[exit \d+\]/, 15_000);
    expect(screen).toContain('received SIGINT: cancelling the run');
    expect(screen).not.toContain('stdin closed');
    expect(screen).toContain('[exit 130]');
    // The code died with the run: START holds it now, before the cancel.
    expect(audit().slice(before)).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CANCELLED by user']);
  }, 60_000);

  it('L3: Ctrl-C during the enforced 30 s wait cancels at once (the terminal is not left in raw mode)', async () => {
    const before = audit().length;
    const t = run('l3-box-reset', 'demo-vm');
    const code = await codeOnScreen(t, 1);
    await prompt(t, 'approver name:');
    await answer(t, 'alice');
    await prompt(t, 'code:');
    await answer(t, code);
    await t.waitFor(/step 2 opens in \d+ s/, 10_000);
    const started = Date.now();
    t.send('C-c');
    const screen = await t.waitFor(/\[exit \d+\]/, 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(screen).toContain('[exit 130]');
    expect(audit().slice(before)).toEqual([
      `L3_BOX_RESET: START - Confirm: ${code}`,
      'L3_BOX_RESET: STEP1_APPROVED by alice (declared by orion)',
      'L3_BOX_RESET: CANCELLED by user',
    ]);
  }, 60_000);

  it('L3: two approvers, the real 30 s countdown, reason, summary; `no` at the yes prompt is CANCELLED by user', async () => {
    const before = audit().length;
    const t = run('l3-box-reset', 'demo-vm');
    const code1 = await codeOnScreen(t, 1);
    await prompt(t, 'approver name:');
    await answer(t, 'alice');
    await prompt(t, 'code:');
    await answer(t, code1);
    let screen = await t.waitFor(/step 2 opens in 2\d s/, 10_000);
    expect(screen).toMatch(/approval step 1 granted \(code\) by alice/);
    const waitStarted = Date.now();

    // The countdown redraws one line in place, and step 2 cannot open before the 30 s are up.
    const code2 = await codeOnScreen(t, 2, 45_000);
    expect(Date.now() - waitStarted).toBeGreaterThan(20_000);
    screen = await prompt(t, 'step 2 approver name (not the step 1 approver):');
    expect(screen.match(/step 2 opens in \d+ s/g)).toHaveLength(1);
    expect(screen).toMatch(/step 2 opens in 0 s/);
    // The step 2 box starts its own line: the countdown line was ended before it was printed.
    expect(screen).toMatch(/^┌ BOX RESET — TWO-STEP VERIFICATION: STEP 2 \/ 2/m);
    expect(screen).toMatch(/│ step 1 approved by alice at \d\d:\d\d:\d\d/);
    expect(count(screen, 'TWO-STEP VERIFICATION: STEP 2 / 2')).toBe(1);

    await answer(t, 'bob');
    await prompt(t, 'code:');
    await answer(t, code2);
    await prompt(t, 'reason for this box reset:');
    await answer(t, 'box hung, SSH refused');
    screen = await prompt(t, 'execute? type yes (anything else cancels):');
    expect(screen).toContain('━━ Box Reset summary ━━');
    expect(screen).toMatch(/Step 1 approver: alice/);
    expect(screen).toMatch(/Step 2 approver: bob/);
    expect(screen).toMatch(/Reason: box hung, SSH refused/);

    await answer(t, 'no');
    screen = await t.waitFor(/\[exit \d+\]/, 15_000);
    expect(screen).toMatch(/CANCELLED/);
    expect(screen).toContain('[exit 1]');
    expect(audit().slice(before)).toEqual([
      `L3_BOX_RESET: START - Confirm: ${code1}`,
      'L3_BOX_RESET: STEP1_APPROVED by alice (declared by orion)',
      'L3_BOX_RESET: STEP2_APPROVED by bob (declared by orion)',
      'L3_BOX_RESET: REASON: box hung, SSH refused',
      'L3_BOX_RESET: CANCELLED by user',
    ]);
  }, 120_000);
  it('L3 under the proven policy (the default outside the demo): no code and no question; a name and code typed at the terminal approve nothing', async () => {
    const before = audit().length;
    // The demo's own config with its declared L3 taken out: the real default applies.
    const proven = join(dirname(demo.configPath), 'proven.yaml');
    writeFileSync(proven, readFileSync(demo.configPath, 'utf8').replace(/\n {2}L3: declared/, ''), { mode: 0o600 });
    const t = run('l3-box-reset', 'demo-vm', proven);
    let screen = await t.waitFor(/waiting for another user to approve \(only a proven approval counts\)\.\.\./, 20_000);
    // Longer than the 120 columns: the terminal wraps it.
    expect(screen.replace(/\n/g, '')).toContain('approval policy: proven — another person runs `doai-console approve <id>` as their own OS user; a name typed here does not count');
    expect(screen).toMatch(/approval request [0-9a-f]{8} \(step 1\) is pending; another user approves it with:/);
    expect(screen).not.toMatch(/code: [0-9A-F]{6}|approver name:/);
    await answer(t, 'alice');
    await answer(t, 'A3B2C1');
    await pause(1500);
    screen = t.screen();
    expect(screen).not.toMatch(/granted|step 2 opens/);
    expect(audit().slice(before)).toEqual(['L3_BOX_RESET: START']);
    t.send('C-c');
    await t.waitFor(/\[exit 130\]/, 15_000);
    expect(audit().slice(before)).toEqual(['L3_BOX_RESET: START', 'L3_BOX_RESET: CANCELLED by user']);
  }, 60_000);
});
