// The L2/L3 approval forms driven by registry keys through the App, against the real approval flow
// (src/approval/policy.ts, on a FakeClock) behind FakeApprovalControl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { App } from '../../screens/app';
import { FakeClock } from '../../src/core/clock';
import { acquireLock } from '../../src/runbook/locks';
import type { Lang } from '../../src/core/views';
import {
  codeSequence,
  delay,
  FakeApprovalControl,
  MemoryFleetStore,
  MemoryRunsStore,
  press,
  service,
  T0,
  waitForFrame,
  renderApp,
} from './fixtures';

const PLAN = [
  'vultr: journalctl -u doai-orchestrator -n 1000 --no-pager > $SNAP/orchestrator.log',
  'vultr: journalctl -u caddy -n 200 --no-pager > $SNAP/caddy.log',
  'vultr: systemctl stop doai-orchestrator',
  'vultr: systemctl stop caddy',
  "vultr: find /opt/aifarm -type d -name __pycache__ -exec rm -rf {} +",
  'vultr: systemctl start caddy',
  'vultr: systemctl start doai-orchestrator',
];

async function setup(opts: { lang?: Lang; width?: number; height?: number; requirement?: 'declared' | 'proven'; demoDeclared?: boolean; sshApprovals?: boolean; plan?: string[] } = {}) {
  const clock = new FakeClock(T0);
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 })]);
  const runs = new MemoryRunsStore();
  const control = new FakeApprovalControl(runs, clock, {
    random: codeSequence('A3B2C1', '0F1E2D', '99AA77'),
    plan: opts.plan ?? PLAN,
    requestId: 'req-7f3a',
    requirement: opts.requirement,
    demoDeclared: opts.demoDeclared,
    sshApprovals: opts.sshApprovals,
  });
  const r = renderApp({ fleet, runs, control, lang: opts.lang ?? 'en', configPath: 'console.yaml', width: opts.width ?? 100, height: opts.height ?? 30, clock });
  await delay();
  return { ...r, clock, runs, control };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * Waits until the frame has stopped changing, so the field that just got focus is listening
 * before the next key (a person cannot type faster than the screen shows the cursor move).
 */
async function settle(s: Setup) {
  let last = s.lastFrame();
  let still = 0;
  for (let i = 0; i < 100 && still < 3; i++) {
    await delay(20);
    const now = s.lastFrame();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

/** Text as a terminal sends it when typed quickly (one chunk), then lets Ink render. */
async function type(s: Setup, text: string) {
  await settle(s);
  s.stdin.write(text);
  await delay();
  await settle(s);
}

/** Presses a form key by command id once the screen is settled. */
async function key(s: Setup, commandId: string) {
  await settle(s);
  await press(s.stdin, commandId);
  await settle(s);
}

const frame = async (s: Setup) => {
  await delay();
  await settle(s);
  return s.lastFrame() ?? '';
};

const footerOf = (f: string) => f.split('\n').at(-1) ?? '';

async function startL2(opts: Parameters<typeof setup>[0] = {}) {
  const s = await setup(opts);
  await press(s.stdin, 'runbook.l2');
  expect(s.control.starts.at(-1)).toMatchObject({ runbookId: 'l2-service-reset', target: 'doai-orchestrator' });
  await waitForFrame(s.lastFrame, (f) => f.includes('SERVICE RESET CONFIRMATION'));
  return s;
}

async function startL3(opts: Parameters<typeof setup>[0] = {}) {
  const s = await setup(opts);
  await press(s.stdin, 'runbook.l3');
  expect(s.control.starts.at(-1)).toMatchObject({ runbookId: 'l3-box-reset', target: 'vultr' });
  await waitForFrame(s.lastFrame, (f) => f.includes('BOX RESET - TWO-STEP VERIFICATION'));
  return s;
}

/** L3 up to the wait: step 1 approved by orion at T0. */
async function approveStep1(s: Setup) {
  await type(s, 'orion');
  await key(s, 'approval.next');
  await type(s, 'A3B2C1');
  await key(s, 'approval.submit');
  return frame(s);
}

afterEach(() => cleanup());

describe('L2 approval form', () => {
  it('shows the boxed form: impact, recovery time, the plan, the code to read out, both fields and the remote-approval hint', async () => {
    const s = await startL2();
    const f = await frame(s);
    expect(f).toContain('SERVICE RESET CONFIRMATION — doai-orchestrator');
    expect(f).toContain('Impact: all connected nodes paused');
    expect(f).toContain('Expected recovery: ~2 min');
    expect(f).toContain('Will run, in order (host: command):');
    expect(f).toContain('vultr: systemctl stop caddy');
    expect(f).toContain('Code A3B2C1 · valid 5:00 · 3 tries — read it out to the approver');
    expect(f).toMatch(/›\[CONFIRM\] Code: /);
    expect(f).toMatch(/ Approver: +______/);
    expect(f).toContain('or approve from another session: doai-console approve req-7f3a');
    const footer = footerOf(f);
    expect(footer).toContain('Enter submit');
    expect(footer).toContain('Esc cancel');
    expect(footer).toContain('Tab/Shift-Tab field');
    expect(footer).not.toContain('plan'); // the plan fits whole: nothing to scroll
    expect(footer).not.toContain('new code');
  });

  it('the validity counts down with the clock', async () => {
    const s = await startL2();
    await s.clock.advance(48_000);
    s.runs.updateRun('run-1', {}); // any store change redraws (the console's 1 s ticker does this)
    expect(await frame(s)).toContain('valid 4:12 · 3 tries');
  });

  it('letters typed into a field never fire commands (q, r, c, e, ?), Ctrl-C still asks to quit', async () => {
    const s = await startL2();
    for (const ch of ['q', 'r', 'c', 'e', '?', 'b']) await type(s, ch);
    let f = await frame(s);
    expect(s.exits).toEqual([]);
    expect(f).not.toContain('quit anyway');
    expect(f).not.toContain('Cancel the approval');
    expect(f).toMatch(/\[CONFIRM\] Code: +QRCE\?B/);
    expect(s.control.answers).toEqual([]);
    await press(s.stdin, 'quit', 1); // Ctrl-C
    f = await frame(s);
    expect(f).toContain('A run is active — quit anyway? (y/n)');
    await key(s, 'confirm.no');
    f = await frame(s);
    expect(s.exits).toEqual([]);
    // What was typed survives the question.
    expect(f).toMatch(/\[CONFIRM\] Code: +QRCE\?B/);
  });

  it('wrong code: the error in words with tries left; then the right code approves and the run goes on', async () => {
    const s = await startL2();
    await type(s, '111111');
    await key(s, 'approval.next');
    await type(s, 'orion');
    await key(s, 'approval.submit');
    let f = await frame(s);
    expect(s.control.answers).toEqual([{ runId: 'run-1', answer: { kind: 'approve', name: 'orion', code: '111111' } }]);
    expect(f).toContain('✗ Wrong code — 2 tries left');
    expect(f).toContain('Code A3B2C1 · valid 5:00 · 2 tries');
    // The code field is cleared and focused again; the name is kept.
    expect(f).toMatch(/›\[CONFIRM\] Code: +│/);
    expect(f).toMatch(/ Approver: +orion/);
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): orion (declared by console)');

    await type(s, 'a3b2c1'); // read out in lower case: the form sends it as typed, upper-cased
    await key(s, 'approval.submit'); // from the code field: to the name field
    expect(s.control.answers).toHaveLength(1);
    await key(s, 'approval.submit');
    expect(s.control.answers.at(-1)).toEqual({ runId: 'run-1', answer: { kind: 'approve', name: 'orion', code: 'A3B2C1' } });
    f = await waitForFrame(s.lastFrame, (x) => !x.includes('SERVICE RESET CONFIRMATION'));
    expect(f).not.toContain('SERVICE RESET CONFIRMATION');
    expect(f).toMatch(/✓ Approval/);
    expect(f).toContain('L2 Service Reset · doai-orchestrator · orion · RUNNING');
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_APPROVED by orion (declared by console)');
    // Back on the run screen, c cancels again (no field has the keyboard).
    expect(footerOf(f)).toContain('c cancel');
  });

  it('keys typed faster than one read ("111111\\tkim\\r" in one chunk) still move and submit; control characters never land in a field', async () => {
    const s = await startL2();
    await type(s, '111111\tkim\r');
    expect(s.control.answers).toEqual([{ runId: 'run-1', answer: { kind: 'approve', name: 'kim', code: '111111' } }]);
    let f = await frame(s);
    expect(f).toContain('✗ Wrong code — 2 tries left');
    expect(f).toMatch(/ Approver: +kim +│/);
    await type(s, 'a3b\u00072c1\r'); // a stray control character inside the paste is dropped
    f = await frame(s);
    expect(f).toMatch(/›Approver: +kim/); // Enter from the code field went to the name field
    await type(s, '\r');
    expect(s.control.answers.at(-1)).toEqual({ runId: 'run-1', answer: { kind: 'approve', name: 'kim', code: 'A3B2C1' } });
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_APPROVED by kim (declared by console)');
  });

  it('the header names the runbook: a SQLite restore is not a "SERVICE RESET"; in Korean the seed header is Korean too', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'app-db', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 })]);
    const runs = new MemoryRunsStore();
    runs.addRun({
      runId: 'r-sql',
      runbook: 'sqlite-restore',
      title: { en: 'SQLite restore', ko: 'SQLite 복구' },
      level: 'L2',
      target: 'app-db',
      operator: 'orion',
      dryRun: false,
      state: 'running',
      steps: [],
      startedAt: T0,
      outputCount: 0,
      prompt: { kind: 'approval', step: 1, phase: 'code', mode: 'code', code: 'A1B2C3', expiresAt: new Date(T0.getTime() + 300_000), triesLeft: 3, plan: ['app-box: cp /srv/app.db /srv/app.db.corrupted'] },
    });
    const r = renderApp({ fleet, runs, width: 100, height: 30 });
    await delay();
    await press(r.stdin, 'run.open');
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('CONFIRMATION'));
    expect(f).toContain('SQLITE RESTORE CONFIRMATION — app-db');
    expect(f).not.toContain('SERVICE RESET');
    expect(f).not.toContain('Impact: all connected nodes paused');
    cleanup();
    const ko = await startL2({ lang: 'ko' });
    const k = await frame(ko);
    expect(k).toContain('서비스 리셋 확인 — doai-orchestrator');
    expect(k).not.toContain('SERVICE RESET CONFIRMATION');
  });

  it('under --lang ko the plan\'s step heads are the runbook\'s Korean titles (issue 12 item 16)', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'app-db', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 })]);
    const runs = new MemoryRunsStore();
    const step = (id: string, en: string, ko: string) => ({ id, title: { en, ko }, kind: 'command', state: 'pending' as const });
    runs.addRun({
      runId: 'r-sql',
      runbook: 'sqlite-restore',
      title: { en: 'SQLite restore', ko: 'SQLite 복구' },
      level: 'L2',
      target: 'app-db',
      operator: 'orion',
      dryRun: false,
      state: 'running',
      steps: [step('check', 'Integrity check', '무결성 검사'), step('keep', 'Keep the current file', '현재 파일 보존')],
      startedAt: T0,
      outputCount: 0,
      prompt: {
        kind: 'approval', step: 1, phase: 'code', mode: 'code', code: 'A1B2C3', expiresAt: new Date(T0.getTime() + 300_000), triesLeft: 3,
        plan: ['1. Integrity check', '   app-box: sqlite3 /srv/app.db', '2. Keep the current file', '   app-box: cp /srv/app.db /srv/app.db.corrupted'],
      },
    });
    const r = renderApp({ fleet, runs, lang: 'ko', width: 100, height: 30 });
    await delay();
    await press(r.stdin, 'run.open');
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('확인 — app-db'));
    expect(f).toContain('1. 무결성 검사');
    expect(f).toContain('2. 현재 파일 보존');
    expect(f).toContain('app-box: cp /srv/app.db /srv/app.db.corrupted');
    expect(f).not.toContain('Integrity check');
  });

  it('says "1 try", not "1 tries", when one try is left', async () => {
    const s = await startL2();
    for (const wrong of ['111111', '222222']) {
      await type(s, wrong);
      await key(s, 'approval.next');
      if (wrong === '111111') await type(s, 'orion');
      await key(s, 'approval.submit');
    }
    const f = await frame(s);
    expect(f).toContain('Code A3B2C1 · valid 5:00 · 1 try —');
    expect(f).not.toContain('1 tries');
  });

  it('80 × 24 with a 24-line plan: the plan scrolls (PgDn, arrows), and the answer is refused until all of it has been on screen (footer says so)', async () => {
    const plan = Array.from({ length: 24 }, (_, i) => `vultr: step ${String(i + 1).padStart(2, '0')} of the plan`);
    const s = await startL2({ width: 80, height: 24, plan });
    let f = await frame(s);
    expect(f).toMatch(/Will run, in order \(host: command\): lines 1–\d+ of 24/);
    expect(f).toMatch(/↓ \d+ more below — PgDn/);
    expect(f).not.toContain('step 24 of the plan');
    expect(footerOf(f)).toMatch(/PgDn\/PgUp read the plan to approve \(\d+ more\)/);
    await type(s, 'A3B2C1');
    await key(s, 'approval.next');
    await type(s, 'orion');
    await key(s, 'approval.submit');
    f = await frame(s);
    expect(s.control.answers).toEqual([]); // refused: part of the plan was never shown
    expect(f).toMatch(/read the whole plan first: \d+ more lines below \(PgDn\)/);
    await key(s, 'approval.plan.down', ); // PgDn: a page
    f = await frame(s);
    expect(f).not.toMatch(/lines 1–/);
    await key(s, 'approval.plan.up');
    expect(await frame(s)).toMatch(/lines 1–/);
    await settle(s);
    await press(s.stdin, 'approval.plan.down', 1); // ↓: one line
    expect(await frame(s)).toMatch(/lines 2–/);
    for (let i = 0; i < 10 && !(await frame(s)).includes('end of plan'); i++) await key(s, 'approval.plan.down');
    f = await frame(s);
    expect(f).toContain('step 24 of the plan');
    expect(f).toContain('— end of plan —');
    expect(footerOf(f)).not.toContain('read the plan');
    expect(f).toMatch(/›Approver: +orion/); // what was typed is kept
    await key(s, 'approval.submit');
    expect(s.control.answers).toEqual([{ runId: 'run-1', answer: { kind: 'approve', name: 'orion', code: 'A3B2C1' } }]);
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_APPROVED by orion (declared by console)');
  });

  it('three Backspaces in one read delete three characters: clearing "bob" and typing "root" records root (issue 12 item 2)', async () => {
    const s = await startL2();
    await type(s, 'A3B2C1');
    await key(s, 'approval.next');
    await type(s, 'bob');
    await type(s, '\u007F\u007F\u007F'); // a held Backspace: one chunk
    let f = await frame(s);
    expect(f).toMatch(/›Approver: +│/);
    await type(s, 'root');
    await key(s, 'approval.submit');
    expect(s.control.answers.at(-1)).toEqual({ runId: 'run-1', answer: { kind: 'approve', name: 'root', code: 'A3B2C1' } });
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_APPROVED by root (declared by console)');
  });

  it('editing keys, text and Enter in one chunk act in order; typing after moving back into a field goes at its end', async () => {
    const s = await startL2();
    await type(s, '111111\tbobb\u007F\u007F\u007F\u007Fkx\u0008im\r');
    expect(s.control.answers).toEqual([{ runId: 'run-1', answer: { kind: 'approve', name: 'kim', code: '111111' } }]);
    // The code field has the focus again (wrong code); the name field holds "kim".
    await key(s, 'approval.next');
    await type(s, '\u001B[D'); // the cursor one to the left: "ki|m"
    await key(s, 'approval.prev');
    await key(s, 'approval.next'); // back into the name field
    await type(s, 'o');
    const f = await frame(s);
    expect(f).toMatch(/›Approver: +kimo/);
  });

  it('a badly formed code costs no try and says what a code looks like; an empty name is refused', async () => {
    const s = await startL2();
    await type(s, 'XYZ');
    await key(s, 'approval.next');
    await type(s, 'orion');
    await key(s, 'approval.submit');
    let f = await frame(s);
    expect(f).toContain('The code is 6 characters, 0-9 and A-F');
    expect(f).toContain('3 tries');
    await type(s, 'A3B2C1');
    await key(s, 'approval.next'); // to the name field
    for (let i = 0; i < 5; i++) await type(s, '\u007f'); // backspace the name away
    await key(s, 'approval.submit');
    f = await frame(s);
    expect(f).toContain("Type the approver's name");
    expect(s.control.flows.get('run-1')!.getSnapshot().phase).toBe('code');
  });

  it('three wrong tries void the code; r issues a new one, which then approves', async () => {
    const s = await startL2();
    await type(s, '111111');
    await key(s, 'approval.next');
    await type(s, 'orion');
    await key(s, 'approval.submit');
    for (let i = 0; i < 2; i++) {
      await type(s, '222222');
      await key(s, 'approval.next');
      await key(s, 'approval.submit');
    }
    let f = await frame(s);
    expect(f).toContain('Wrong code — no tries left; this code is now void. Issue a new code');
    expect(f).toContain('The code is void — press r to issue a new one');
    expect(f).not.toContain('A3B2C1');
    expect(footerOf(f)).toContain('r new code');
    expect(footerOf(f)).not.toContain('Enter submit');
    // The fields are closed while the code is void: Enter only says why.
    await key(s, 'approval.submit');
    expect(await frame(s)).toContain('the code is void — issue a new code first');
    expect(s.control.answers).toHaveLength(3);

    await key(s, 'approval.reissue');
    f = await frame(s);
    expect(s.control.answers.at(-1)?.answer).toEqual({ kind: 'reissue' });
    expect(f).toContain('Code 0F1E2D · valid 5:00 · 3 tries');
    expect(s.control.audit).toContain('L2_SERVICE_RESET: CODE_REISSUED - step 1');
    await type(s, '0F1E2D');
    await key(s, 'approval.submit');
    await key(s, 'approval.submit');
    expect(s.control.audit).toContain('L2_SERVICE_RESET: STEP1_APPROVED by orion (declared by console)');
  });

  it('an expired code says so and offers a new one', async () => {
    const s = await startL2();
    await s.clock.advance(5 * 60_000);
    const f = await waitForFrame(s.lastFrame, (x) => x.includes('The code is void'));
    expect(f).toContain('The code is void — press r to issue a new one');
    expect(f).not.toContain('valid');
    await key(s, 'approval.reissue');
    expect(await frame(s)).toContain('Code 0F1E2D · valid 5:00 · 3 tries');
  });

  it('Esc asks, n keeps the form, y cancels through answerApproval and the run is CANCELLED', async () => {
    const s = await startL2();
    await key(s, 'approval.cancel');
    let f = await frame(s);
    expect(f).toContain('Cancel the approval of L2 Service Reset on doai-orchestrator? Nothing has run yet (y/n)');
    await key(s, 'confirm.no');
    expect(s.control.answers).toEqual([]);
    expect(await frame(s)).toContain('SERVICE RESET CONFIRMATION');
    await key(s, 'approval.cancel');
    await key(s, 'confirm.yes');
    expect(s.control.answers).toEqual([{ runId: 'run-1', answer: { kind: 'cancel' } }]);
    f = await waitForFrame(s.lastFrame, (x) => x.includes('CANCELLED'));
    expect(f).toMatch(/⊘ CANCELLED/);
    expect(s.control.audit).toContain('L2_SERVICE_RESET: CANCELLED by user');
  });

  it('fits 80 × 24 in Korean with the footer on the last line', async () => {
    const s = await startL2({ lang: 'ko', width: 80, height: 24 });
    const f = await frame(s);
    expect(f).toContain('영향: 모든 연결된 노드 일시 중단');
    expect(f).toContain('예상 복구 시간: ~2분');
    expect(f).toContain('코드 A3B2C1');
    expect(f).toContain('… '); // the plan is cut and says how much is left
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
    // Plan lines wider than the box wrap, so at 80 × 24 the plan takes more than one page: the
    // footer says to read it; once all of it was shown it offers the answer.
    expect(footerOf(f)).toMatch(/계획을 읽으세요|Enter 제출/);
    let g = f;
    for (let i = 0; i < 10 && !g.includes('계획 끝'); i++) {
      await key(s, 'approval.plan.down');
      g = await frame(s);
    }
    expect(g).toContain('계획 끝');
    for (const line of g.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(g.split('\n').length).toBeLessThanOrEqual(23);
    expect(footerOf(g)).toContain('Enter 제출');
  });
});

describe('L3 approval form', () => {
  it('step 1 takes name and code, records the time, then a visible 30 s wait that no key skips', async () => {
    const s = await startL3();
    let f = await frame(s);
    expect(f).toContain('BOX RESET - TWO-STEP VERIFICATION — vultr');
    expect(f).toContain('Warning: this restarts the whole host');
    expect(f).toContain('STEP 1: first approver');
    expect(f).toContain('STEP 2: second approver (must differ from step 1) — opens 30 s after step 1');

    f = await approveStep1(s);
    expect(s.control.audit).toContain('L3_BOX_RESET: STEP1_APPROVED by orion (declared by console)');
    const at = T0;
    const hhmmss = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    expect(f).toContain(`STEP 1: first approver — ✓ orion · ${hhmmss}`);
    expect(f).toContain('Step 2 opens in 30 s — the wait cannot be skipped');
    expect(footerOf(f)).not.toContain('submit');

    await s.clock.advance(13_000);
    f = await waitForFrame(s.lastFrame, (x) => x.includes('opens in 17 s'));
    expect(f).toContain('Step 2 opens in 17 s');

    // Keys during the wait: Enter says why, letters and Tab go nowhere, nothing reaches the flow.
    const answered = s.control.answers.length;
    await key(s, 'approval.submit');
    expect(await frame(s)).toContain('step 2 opens after the enforced 30 s wait — nothing skips it');
    await type(s, 'kim');
    await key(s, 'approval.next');
    await key(s, 'approval.submit');
    expect(s.control.answers).toHaveLength(answered);

    await s.clock.advance(16_000); // 29 s after step 1
    f = await waitForFrame(s.lastFrame, (x) => x.includes('opens in 1 s'));
    expect(f).toContain('Step 2 opens in 1 s');
    await key(s, 'approval.submit');
    expect(s.control.answers).toHaveLength(answered);
    expect(s.control.flows.get('run-1')!.getSnapshot().phase).toBe('waiting');
    expect(f).not.toMatch(/› *Name:/);

    await s.clock.advance(1_000); // 30 s
    f = await waitForFrame(s.lastFrame, (x) => x.includes('Code 0F1E2D'));
    expect(f).toContain('STEP 2: second approver (must differ from step 1)');
    expect(f).toContain('Code 0F1E2D · valid 5:00 · 3 tries');
    expect(f).toMatch(/› +Name:/);
    // Nothing typed during the wait leaked into step 2.
    expect(f).not.toContain('kim');
  });

  it('the same approver at step 2 (other case, spaces) is rejected in the seed\'s words and the run ends', async () => {
    const s = await startL3();
    await approveStep1(s);
    await s.clock.advance(30_000);
    await waitForFrame(s.lastFrame, (x) => x.includes('Code 0F1E2D'));
    await type(s, ' Orion ');
    await key(s, 'approval.next');
    await type(s, '0F1E2D');
    await key(s, 'approval.submit');
    const f = await waitForFrame(s.lastFrame, (x) => x.includes('FAILED'));
    expect(f).toContain('STEP2_REJECTED - Same approver — Step 2 must be approved by someone other than orion');
    expect(f).toMatch(/✗ FAILED/);
    expect(f).not.toContain('press e'); // a refused approval is not escalated
    expect(s.control.audit).toContain('L3_BOX_RESET: STEP2_REJECTED - Same approver: Orion (declared by console)');
  });

  it('step 2, an empty reason refused, the summary box, then `no` cancels', async () => {
    const s = await startL3();
    await approveStep1(s);
    await s.clock.advance(30_000);
    await waitForFrame(s.lastFrame, (x) => x.includes('Code 0F1E2D'));
    await type(s, 'kim');
    await key(s, 'approval.next');
    await type(s, '0F1E2D');
    await key(s, 'approval.submit');
    let f = await frame(s);
    expect(s.control.audit).toContain('L3_BOX_RESET: STEP2_APPROVED by kim (declared by console)');
    expect(f).toContain('STEP 2: second approver (must differ from step 1) — ✓ kim');
    expect(f).toMatch(/›Reason: /);

    await key(s, 'approval.submit');
    f = await frame(s);
    expect(f).toContain('✗ Type the reason for this recovery (it goes into the audit log)');
    expect(s.control.flows.get('run-1')!.getSnapshot().phase).toBe('reason');

    await type(s, 'SSH unreachable after L2');
    await key(s, 'approval.submit');
    f = await frame(s);
    expect(s.control.audit).toContain('L3_BOX_RESET: REASON: SSH unreachable after L2');
    expect(f).toContain('Box Reset summary');
    expect(f).toContain('Step 1 approver: orion');
    expect(f).toContain('Step 2 approver: kim');
    expect(f).toContain('Reason: SSH unreachable after L2');
    expect(f).toContain('Check the summary, then press Enter to continue');

    await key(s, 'approval.submit');
    f = await frame(s);
    expect(f).toContain('Type yes to execute; anything else cancels');
    await type(s, 'no');
    await key(s, 'approval.submit');
    expect(s.control.answers.at(-1)?.answer).toEqual({ kind: 'confirm', word: 'no' });
    f = await waitForFrame(s.lastFrame, (x) => x.includes('CANCELLED'));
    expect(f).toMatch(/⊘ CANCELLED/);
    expect(f).toContain('Cancelled — only the word yes executes');
    expect(s.control.audit.at(-1)).toBe('L3_BOX_RESET: CANCELLED by user');
  });

  it('typing yes executes', async () => {
    const s = await startL3();
    await approveStep1(s);
    await s.clock.advance(30_000);
    await waitForFrame(s.lastFrame, (x) => x.includes('Code 0F1E2D'));
    await type(s, 'kim');
    await key(s, 'approval.next');
    await type(s, '0F1E2D');
    await key(s, 'approval.submit');
    await type(s, 'provider console shows kernel panic');
    await key(s, 'approval.submit');
    await key(s, 'approval.submit');
    await type(s, 'yes');
    await key(s, 'approval.submit');
    const f = await waitForFrame(s.lastFrame, (x) => !x.includes('TWO-STEP'));
    expect(s.control.audit.at(-1)).toBe('L3_BOX_RESET: EXECUTING');
    expect(f).toContain('L3 Box Reset · vultr · orion · RUNNING');
    expect(f).toMatch(/✓ Approval/);
  });

  it('fits 80 × 24 during step 2 in both languages', async () => {
    for (const lang of ['en', 'ko'] as const) {
      const s = await startL3({ lang, width: 80, height: 24 });
      await approveStep1(s);
      await s.clock.advance(30_000);
      const f = await waitForFrame(s.lastFrame, (x) => x.includes('0F1E2D'));
      expect(f).toContain('STEP 2');
      for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
      expect(f.split('\n').length).toBeLessThanOrEqual(23);
      expect(f).toContain('doai-console approve req-7f3a');
      cleanup();
    }
  });
});

describe('escalation and the run footer', () => {
  async function failedL1(s: Setup) {
    await press(s.stdin, 'runbook.l1');
    s.runs.updateStep('run-1', 'verify', { state: 'failed', startedAt: T0, finishedAt: new Date(T0.getTime() + 30_000), detail: 'no 200 in 6 attempts' });
    s.runs.updateRun('run-1', {
      state: 'failed',
      message: '❌ L1 recovery failed → proceed to L2 (step "verify" failed: still failing after 6 attempts: GET http://127.0.0.1:1/health: connection reset)',
      escalateTo: 'l2-service-reset',
    });
    return frame(s);
  }

  it('a failed L1 offers L2 on its own line, and e opens the L2 form for the same target', async () => {
    const s = await setup({ width: 80, height: 24 });
    const f = await failedL1(s);
    expect(f).toContain('L1 failed → press e for L2 Service Reset on doai-orchestrator');
    const footer = footerOf(f);
    expect(footer).toContain('e escalate');
    expect(footer).not.toContain('cancel');
    expect(footer).not.toContain('confirm');
    await press(s.stdin, 'run.escalate');
    expect(s.control.starts.at(-1)).toEqual({ runbookId: 'l2-service-reset', target: 'doai-orchestrator', opts: { dryRun: false } });
    const form = await waitForFrame(s.lastFrame, (x) => x.includes('SERVICE RESET CONFIRMATION'));
    expect(form).toContain('Code A3B2C1');
  });

  it('a start refused by a lock says who runs what since when', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'doai-locks-'));
    try {
      const since = new Date(2026, 0, 4, 15, 31, 0).toISOString();
      const held = acquireLock(dir, 'doai-orchestrator', { operator: 'orion', runbook: 'l2-service-reset', level: 'L2', since, runId: 'r-1' });
      expect(held.ok).toBe(true);
      const second = acquireLock(dir, 'doai-orchestrator', { operator: 'kim', runbook: 'l2-service-reset', level: 'L2', since, runId: 'r-2' });
      if (second.ok) throw new Error('the second lock should be refused');
      const s = await setup({ width: 100 });
      await failedL1(s);
      s.control.failNextStart = second.message;
      await press(s.stdin, 'run.escalate');
      const f = await frame(s);
      expect(f).toContain('L2 in progress by orion since 15:31');
      expect(f).toContain('L2 Service Reset on doai-orchestrator not started');
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  });

  it('the footer lists only what applies: no escalate while running, no confirm without a prompt, no cancel after the end', async () => {
    const s = await setup();
    await press(s.stdin, 'runbook.l1');
    let footer = footerOf(await frame(s));
    expect(footer).toContain('c cancel');
    expect(footer).not.toContain('escalate');
    expect(footer).not.toContain('confirm');
    s.runs.updateRun('run-1', { prompt: { kind: 'confirm', stepId: 'reboot', message: { en: 'Reboot, then press Enter', ko: '재부팅 후 Enter' } } });
    footer = footerOf(await frame(s));
    expect(footer).toContain('Enter confirm');
    s.runs.updateRun('run-1', { prompt: undefined, state: 'success', message: 'health 200' });
    footer = footerOf(await frame(s));
    expect(footer).not.toContain('escalate');
    expect(footer).not.toContain('confirm');
    expect(footer).not.toContain('cancel');
    expect(footer).toContain('Esc back');
    // The keys still explain themselves when pressed.
    await press(s.stdin, 'run.escalate');
    expect(await frame(s)).toContain('escalation is offered only after a failed run');
  });
});

describe('declared versus proven on the form (R-APR-6)', () => {
  it('L3 under proven: no code and no fields, the way to a proven approval said plainly; a typed name and code approve nothing', async () => {
    const s = await startL3({ requirement: 'proven', width: 80, height: 24 });
    const f = await frame(s);
    expect(f).toContain('Approval for L3: PROVEN only — a name typed here does not count');
    expect(f).toContain('Another person runs, as their own OS user:  doai-console approve req-7f3a');
    expect(f).not.toMatch(/Code [0-9A-F]{6}/);
    expect(f).not.toContain('Name:');
    // Typed anyway: nothing reaches the flow as an approval, nothing is approved.
    await type(s, 'vega');
    await key(s, 'approval.next');
    await type(s, 'A3B2C1');
    await key(s, 'approval.submit');
    const after = await frame(s);
    expect(s.control.answers.filter((a) => a.answer.kind === 'approve')).toEqual([]);
    expect(s.control.audit.filter((l) => l.includes('APPROVED'))).toEqual([]);
    expect(after).toContain('STEP 1: first approver');
    expect(after).not.toContain('✓ vega');
    for (const line of after.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
  });

  it('a proven form says the approve command once (L2 and L3, en and ko, 80 × 24); a declared one keeps its "or …" line', async () => {
    const count = (f: string) => f.split('doai-console approve req-7f3a').length - 1;
    for (const lang of ['en', 'ko'] as const) {
      const l2 = await startL2({ requirement: 'proven', lang, width: 80, height: 24 });
      const f2 = await frame(l2);
      expect(f2).toContain(lang === 'en' ? 'Another person runs, as their own OS user:  doai-console approve req-7f3a' : '다른 사람이 자신의 OS 계정으로 실행:  doai-console approve req-7f3a');
      expect(count(f2)).toBe(1);
      cleanup();
      const l3 = await startL3({ requirement: 'proven', lang, width: 80, height: 24 });
      expect(count(await frame(l3))).toBe(1);
      cleanup();
    }
    const declared = await startL2({ width: 80, height: 24 });
    const f = await frame(declared);
    expect(f).toMatch(/Code [0-9A-F]{6}/);
    expect(f).toContain('or approve from another session: doai-console approve req-7f3a');
    expect(count(f)).toBe(1);
  });

  it('a server with SSH sessions: the proven form also says an approver approves in their own SSH session, one row, nothing of the plan cut (L2 and L3, en and ko, 80 × 24)', async () => {
    const sshLine = { en: 'or an approver in their own SSH session to this server: press a (their key)', ko: '또는 승인자가 자신의 SSH 세션으로 이 콘솔 서버에서: a 누름 (자신의 키)' };
    // The plan as read: box borders off, a command wrapped under itself joined again.
    const flat = (f: string) => f.split('\n').map((l) => l.replace(/^\s*│\s*|\s*│\s*$/g, '')).join(' ').replace(/\s+/g, ' ');
    for (const lang of ['en', 'ko'] as const) {
      for (const start of [startL2, startL3]) {
        const s = await start({ requirement: 'proven', sshApprovals: true, lang, width: 80, height: 24 });
        let f = await frame(s);
        const lines = f.split('\n');
        // One row, right under the approve command, which is still said once.
        const at = lines.findIndex((l) => l.includes(sshLine[lang]));
        expect(at).toBeGreaterThan(0);
        expect(lines[at - 1]).toContain('doai-console approve req-7f3a');
        expect(f.split('doai-console approve req-7f3a')).toHaveLength(2);
        for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
        expect(lines.length).toBeLessThanOrEqual(24);
        // Nothing of the plan is cut: L2's whole plan is on screen; L3's two-step form scrolls it
        // (as it did without this row), and paging down shows every command whole.
        let seen = flat(f);
        if (start === startL2) expect(f).not.toMatch(/lines \d+–\d+ of|줄 중 \d+–/);
        for (let i = 0; i < 10 && !/end of plan|계획 끝/.test(f); i++) {
          await key(s, 'approval.plan.down');
          f = await frame(s);
          seen += ` ${flat(f)}`;
        }
        for (const cmd of PLAN) expect(seen).toContain(cmd);
        cleanup();
      }
    }
    // Without SSH sessions (or under declared) the row is not there.
    const plain = await startL2({ requirement: 'proven', width: 80, height: 24 });
    expect(await frame(plain)).not.toContain('SSH session');
    cleanup();
    const declared = await startL2({ sshApprovals: true, width: 80, height: 24 });
    expect(await frame(declared)).not.toContain('SSH session');
  });

  it('L2 declared says so; the demo marks its declared L3', async () => {
    const l2 = await startL2();
    expect(await frame(l2)).toContain('Approval for L2: declared — a typed name, not proven');
    cleanup();
    const demo = await startL3({ demoDeclared: true });
    expect(await frame(demo)).toContain('demo: declared approvals — a typed name counts for L3 (real configs: proven)');
  });
});
