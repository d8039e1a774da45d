import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import {
  ApprovalFlow,
  L3_WAIT_MS,
  modeForLevel,
  normalizeName,
  summaryLines,
  type ApprovalEffect,
  type ApprovalMode,
} from '../../src/approval/policy';

/** Deterministic random source: each 3-byte draw is the next code in the list. */
function codes(...hex: string[]) {
  let i = 0;
  return (n: number) => {
    const v = hex[i++ % hex.length]!;
    return Buffer.from(v.padEnd(n * 2, '0').slice(0, n * 2), 'hex');
  };
}

function setup(mode: ApprovalMode, opts: { approvers?: string[]; codes?: string[]; requirement?: 'declared' | 'proven' } = {}) {
  const clock = new FakeClock();
  const effects: ApprovalEffect[] = [];
  const flow = new ApprovalFlow({
    mode,
    clock,
    approvers: opts.approvers,
    requirement: opts.requirement,
    // The operator at this console: "kim", OS user "kimsh", uid 1000.
    requester: { name: 'kim', osUser: 'kimsh', uid: 1000 },
    random: codes(...(opts.codes ?? ['a3b2c1', '1f2e3d', 'c0ffee', 'beef01'])),
    onEffect: (e) => effects.push(e),
  });
  const audits = () => effects.flatMap((e) => ('audit' in e ? [e.audit] : []));
  const events = () => effects.flatMap((e) => ('event' in e ? [e] : []));
  return { clock, flow, effects, audits, events };
}

/** Step 1 done at t0, clock advanced past the wait: the flow is at step 2. */
async function toStep2(s: ReturnType<typeof setup>) {
  s.flow.start();
  expect(s.flow.approve('orion', s.flow.getSnapshot().code!).accepted).toBe(true);
  await s.clock.advance(L3_WAIT_MS);
  expect(s.flow.getSnapshot().phase).toBe('step2');
}

describe('normalizeName', () => {
  it('lowercases and removes all whitespace', () => {
    expect(normalizeName(' Orion ')).toBe('orion');
    expect(normalizeName('O r\tion')).toBe('orion');
    expect(normalizeName('ＯＲＩＯＮ')).toBe('orion');
    expect(normalizeName('or\u200Bion\u0007')).toBe('orion');
  });
});

describe('L1 (auto)', () => {
  it('is granted at once with approver auto, and still recorded', () => {
    const s = setup('auto');
    const r = s.flow.start();
    expect(r.accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'granted', done: true, step1: { name: 'auto', how: 'auto' } });
    expect(s.events()).toContainEqual({ event: 'granted', step: 1, approver: 'auto', how: 'auto' });
    expect(s.audits()).toEqual(['STEP1_APPROVED by auto']);
    expect(s.events().at(-1)).toEqual({ event: 'done', outcome: 'granted' });
  });

  it('maps levels to flows, strictest by default', () => {
    expect(modeForLevel('L1')).toBe('auto');
    expect(modeForLevel('l2')).toBe('code');
    expect(modeForLevel('L3')).toBe('two-step');
    expect(modeForLevel('L9')).toBe('two-step');
  });
});

describe('L2 (code)', () => {
  it('full flow: code shown, name + code → granted, STEP1_APPROVED by <name>', () => {
    const s = setup('code');
    s.flow.start();
    const snap = s.flow.getSnapshot();
    expect(snap).toMatchObject({ phase: 'code', code: 'A3B2C1', triesLeft: 3, codeStatus: 'active', step: 1 });
    expect(snap.expiresAt!.getTime() - s.clock.now().getTime()).toBe(5 * 60_000);
    expect(s.events()).toEqual([{ event: 'requested', step: 1 }]);

    const r = s.flow.approve('  orion ', 'a3b2c1');
    expect(r.accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'granted', done: true, step1: { name: 'orion', how: 'code' } });
    expect(s.audits()).toEqual(['STEP1_APPROVED by orion (declared by kim)']);
    expect(s.events()).toContainEqual({ event: 'granted', step: 1, approver: 'orion', how: 'code' });
    expect(s.events().at(-1)).toEqual({ event: 'done', outcome: 'granted' });
    // Nothing more is accepted once granted.
    expect(s.flow.approve('vega', 'A3B2C1').accepted).toBe(false);
  });

  it('refuses an empty approver name without using a try', () => {
    const s = setup('code');
    s.flow.start();
    for (const name of ['', '   ', '\t']) {
      const r = s.flow.approve(name, 'A3B2C1');
      expect(r.accepted).toBe(false);
      expect(r.error!.en).toMatch(/approver's name/);
    }
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'code', triesLeft: 3, code: 'A3B2C1' });
    expect(s.flow.approve('orion', 'A3B2C1').accepted).toBe(true);
  });

  it('wrong codes say tries left; the 4th try (after void) is refused even with the right code', () => {
    const s = setup('code');
    s.flow.start();
    const r1 = s.flow.approve('orion', '000000');
    expect(r1.accepted).toBe(false);
    expect(r1.error!.en).toMatch(/wrong code.*2 tries left/i);
    expect(s.flow.getSnapshot().triesLeft).toBe(2);
    expect(s.flow.approve('orion', '000001').error!.en).toMatch(/1 try left/);
    const r3 = s.flow.approve('orion', '000002');
    expect(r3.error!.en).toMatch(/void/i);
    const snap = s.flow.getSnapshot();
    expect(snap).toMatchObject({ phase: 'code', codeStatus: 'void-tries', triesLeft: 0 });
    expect(snap.code).toBeUndefined();
    const r4 = s.flow.approve('orion', 'A3B2C1');
    expect(r4.accepted).toBe(false);
    expect(r4.error!.en).toMatch(/void.*new code/i);
    expect(s.flow.getSnapshot().phase).toBe('code');
    expect(s.audits()).toEqual([
      'STEP1_REJECTED - Wrong code (2 tries left): orion (declared by kim)',
      'STEP1_REJECTED - Wrong code (1 try left): orion (declared by kim)',
      'STEP1_REJECTED - Wrong code (3 wrong tries, code void): orion (declared by kim)',
      'STEP1_REJECTED - Code void: orion (declared by kim)',
    ]);

    // A new code must be issued; the old one stays dead, the new one works.
    expect(s.flow.reissueCode().accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ code: '1F2E3D', triesLeft: 3 });
    expect(s.flow.approve('orion', 'A3B2C1').accepted).toBe(false);
    expect(s.flow.approve('orion', '1f2e3d').accepted).toBe(true);
  });

  it('an expired code is void (5 minutes, clock time) until a new one is issued', async () => {
    const s = setup('code');
    s.flow.start();
    await s.clock.advance(5 * 60_000 - 1);
    expect(s.flow.getSnapshot().codeStatus).toBe('active');
    await s.clock.advance(1);
    // The expiry timer updates the snapshot without any input.
    expect(s.flow.getSnapshot()).toMatchObject({ codeStatus: 'void-expired', code: undefined });
    const r = s.flow.approve('orion', 'A3B2C1');
    expect(r.accepted).toBe(false);
    expect(r.error!.en).toMatch(/expired/i);
    expect(s.flow.getSnapshot().phase).toBe('code');
    s.flow.reissueCode();
    expect(s.flow.approve('orion', '1F2E3D').accepted).toBe(true);
  });

  it('refuses an approver not in the configured list (normalized), without using a try', () => {
    const s = setup('code', { approvers: ['Orion', 'Vega Lyra'] });
    s.flow.start();
    const r = s.flow.approve('mallory', 'A3B2C1');
    expect(r.accepted).toBe(false);
    expect(r.error!.en).toMatch(/mallory is not in the approvers list/);
    expect(s.audits()).toEqual(['STEP1_REJECTED - Approver not allowed: mallory (declared by kim)']);
    expect(s.flow.getSnapshot().triesLeft).toBe(3);
    expect(s.flow.approve('vegalyra', 'A3B2C1').accepted).toBe(true);
  });

  it('refuses the reserved name auto', () => {
    const s = setup('code');
    s.flow.start();
    expect(s.flow.approve('AUTO', 'A3B2C1').accepted).toBe(false);
  });

  it('approves from another session (R-APR-4) with the same list rules', () => {
    const s = setup('code', { approvers: ['vega'] });
    s.flow.start();
    expect(s.flow.approveFromSession({ name: 'nobody', uid: 65534 }).accepted).toBe(false);
    expect(s.flow.approveFromSession({ name: 'vega', uid: 1001 }).accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'granted', step1: { name: 'vega', how: 'session', uid: 1001 } });
    expect(s.events()).toContainEqual({ event: 'granted', step: 1, approver: 'vega', how: 'session' });
  });

  it('inputs before start() are refused', () => {
    const s = setup('code');
    expect(s.flow.approve('orion', 'A3B2C1').accepted).toBe(false);
  });
});

describe('L3 (two-step)', () => {
  it('full flow with audit intents in order', async () => {
    const s = setup('two-step');
    s.flow.start();
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'step1', step: 1, code: 'A3B2C1' });

    const t1 = s.clock.now();
    expect(s.flow.approve('orion', 'A3B2C1').accepted).toBe(true);
    let snap = s.flow.getSnapshot();
    expect(snap.phase).toBe('waiting');
    expect(snap.step1).toMatchObject({ name: 'orion', at: t1 });
    expect(snap.waitUntil!.getTime()).toBe(t1.getTime() + 30_000);
    expect(snap.waitRemainingS).toBe(30);
    expect(snap.code).toBeUndefined();

    await s.clock.advance(10_000);
    // The countdown refreshes by itself every second.
    expect(s.flow.getSnapshot().waitRemainingS).toBe(20);

    await s.clock.advance(20_000);
    snap = s.flow.getSnapshot();
    expect(snap.phase).toBe('step2');
    // Step 2 has a NEW code, issued after the wait.
    expect(snap.code).toBe('1F2E3D');
    expect(snap.expiresAt!.getTime()).toBe(t1.getTime() + 30_000 + 5 * 60_000);

    expect(s.flow.approve('vega', '1f2e3d').accepted).toBe(true);
    expect(s.flow.getSnapshot().phase).toBe('reason');
    expect(s.flow.giveReason('  box unreachable\nsince 15:20 ').accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'summary', reason: 'box unreachable since 15:20' });
    // Local time with its offset, like the audit log (FakeClock starts at 06:30 UTC).
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Seoul';
    try {
      expect(summaryLines(s.flow.getSnapshot(), 'en')).toEqual([
        'Step 1 approver: orion (2026-01-04T15:30:00+09:00, declared by kim)',
        'Step 2 approver: vega (2026-01-04T15:30:30+09:00, declared by kim)',
        'Reason: box unreachable since 15:20',
      ]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(summaryLines(s.flow.getSnapshot(), 'ko')[2]).toBe('사유: box unreachable since 15:20');
    expect(s.flow.continueToConfirm().accepted).toBe(true);
    expect(s.flow.getSnapshot().phase).toBe('confirm-yes');
    expect(s.flow.confirm(' yes ').accepted).toBe(true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'granted', done: true, step2: { name: 'vega' } });

    expect(s.audits()).toEqual([
      'STEP1_APPROVED by orion (declared by kim)',
      'STEP2_APPROVED by vega (declared by kim)',
      'REASON: box unreachable since 15:20',
      'EXECUTING',
    ]);
    expect(s.events().map((e) => [e.event, 'step' in e ? e.step : undefined])).toEqual([
      ['requested', 1],
      ['granted', 1],
      ['requested', 2],
      ['granted', 2],
      ['done', undefined],
    ]);
    expect(s.events().at(-1)).toEqual({ event: 'done', outcome: 'granted' });
  });

  it('refuses any step-2 input before the 30 s are over, even at 29.9 s', async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('orion', 'A3B2C1');
    for (const ms of [0, 1_000, 15_000, 29_900]) {
      await s.clock.advance(ms - (s.clock.now().getTime() - s.flow.getSnapshot().step1!.at.getTime()));
      for (const attempt of [
        () => s.flow.approve('vega', 'A3B2C1'),
        () => s.flow.approve('vega', '1F2E3D'),
        () => s.flow.approveFromSession({ name: 'vega', uid: 1001 }),
        () => s.flow.giveReason('skip'),
        () => s.flow.continueToConfirm(),
        () => s.flow.confirm('yes'),
        () => s.flow.reissueCode(),
      ]) {
        expect(attempt().accepted).toBe(false);
        expect(s.flow.getSnapshot().phase).toBe('waiting');
      }
    }
    const r = s.flow.approve('vega', '1F2E3D');
    expect(r.error!.en).toMatch(/^Wait 1 s/);
    expect(s.flow.getSnapshot().step2).toBeUndefined();
    await s.clock.advance(100);
    expect(s.flow.getSnapshot().phase).toBe('step2');
    expect(s.audits()).toEqual(['STEP1_APPROVED by orion (declared by kim)']);
  });

  it('says how long to wait', async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('orion', 'A3B2C1');
    await s.clock.advance(12_300);
    expect(s.flow.approve('vega', 'x').error!.en).toMatch(/^Wait 18 s/);
    expect(s.flow.approve('vega', 'x').error!.ko).toMatch(/18초/);
  });

  it("rejects the same approver ('Orion' then ' orion ') with STEP2_REJECTED - Same approver; the flow is over", async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('Orion', 'A3B2C1');
    await s.clock.advance(L3_WAIT_MS);
    const r = s.flow.approve(' orion ', '1F2E3D');
    expect(r.accepted).toBe(false);
    expect(r.error!.en).toMatch(/someone other than Orion/);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'rejected', done: true });
    expect(s.audits()).toEqual(['STEP1_APPROVED by Orion (declared by kim)', 'STEP2_REJECTED - Same approver: orion (declared by kim)']);
    expect(s.events().at(-1)).toEqual({ event: 'done', outcome: 'rejected' });
    // Over: a different approver with the right code gets nowhere now.
    expect(s.flow.approve('vega', '1F2E3D').accepted).toBe(false);
    expect(s.flow.reissueCode().accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('rejected');
  });

  it('a zero-width character does not make the same approver a different one', async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('orion', 'A3B2C1');
    await s.clock.advance(L3_WAIT_MS);
    expect(s.flow.approve('or\u200Bion', '1F2E3D').accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('rejected');
  });

  it('keeps audit lines on one line whatever is typed', async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('ori\non\x1b[31m', 'A3B2C1');
    await s.clock.advance(L3_WAIT_MS);
    s.flow.approve('vega', '1F2E3D');
    s.flow.giveReason('line one\r\n[2026-01-04T15:30:00+09:00] L3_BOX_RESET: EXECUTING');
    for (const a of s.audits()) expect(a).not.toMatch(/[\r\n\x1b]/);
    expect(s.audits()[0]).toBe('STEP1_APPROVED by ori on [31m (declared by kim)');
  });

  it('rejects the same OS user approving step 2 from a session even under another name', async () => {
    const s = setup('two-step');
    s.flow.start();
    expect(s.flow.approveFromSession({ name: 'nobody', uid: 65534 }).accepted).toBe(true);
    await s.clock.advance(L3_WAIT_MS);
    expect(s.flow.approveFromSession({ name: 'someone-else', uid: 65534 }).accepted).toBe(false);
    expect(s.audits().at(-1)).toBe('STEP2_REJECTED - Same approver: someone-else (os-user someone-else uid 65534)');
  });

  it('the step-1 code does not work for step 2', async () => {
    const s = setup('two-step');
    await toStep2(s);
    const r = s.flow.approve('vega', 'A3B2C1');
    expect(r.accepted).toBe(false);
    expect(r.error!.en).toMatch(/wrong code/i);
  });

  it('refuses an empty or whitespace-only reason', async () => {
    const s = setup('two-step');
    await toStep2(s);
    s.flow.approve('vega', '1F2E3D');
    for (const reason of ['', '   ', '\n\t ']) {
      const r = s.flow.giveReason(reason);
      expect(r.accepted).toBe(false);
      expect(r.error!.en).toMatch(/reason/);
      expect(s.flow.getSnapshot().phase).toBe('reason');
    }
    expect(s.audits().some((a) => a.startsWith('REASON'))).toBe(false);
  });

  for (const word of ['YES', 'y', '', 'yes!', 'no', 'Yes']) {
    it(`typing ${JSON.stringify(word)} instead of yes cancels with CANCELLED by user`, async () => {
      const s = setup('two-step');
      await toStep2(s);
      s.flow.approve('vega', '1F2E3D');
      s.flow.giveReason('box down');
      s.flow.continueToConfirm();
      const r = s.flow.confirm(word);
      expect(r.accepted).toBe(false);
      expect(s.flow.getSnapshot()).toMatchObject({ phase: 'cancelled', done: true });
      expect(s.audits().at(-1)).toBe('CANCELLED by user');
      expect(s.audits()).not.toContain('EXECUTING');
      expect(s.events().at(-1)).toEqual({ event: 'done', outcome: 'cancelled' });
      expect(s.flow.confirm('yes').accepted).toBe(false);
    });
  }

  it('yes is not accepted before the summary has been shown', async () => {
    const s = setup('two-step');
    await toStep2(s);
    s.flow.approve('vega', '1F2E3D');
    expect(s.flow.confirm('yes').accepted).toBe(false);
    s.flow.giveReason('box down');
    expect(s.flow.confirm('yes').accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('summary');
  });

  it('an expired step-2 code must be reissued; the wait is not repeated', async () => {
    const s = setup('two-step');
    await toStep2(s);
    await s.clock.advance(5 * 60_000);
    expect(s.flow.approve('vega', '1F2E3D').error!.en).toMatch(/expired/i);
    s.flow.reissueCode();
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'step2', code: 'C0FFEE' });
    expect(s.flow.approve('vega', 'C0FFEE').accepted).toBe(true);
  });

  it('a 4th try at step 1 is refused until a new code is issued', () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('orion', '000000');
    s.flow.approve('orion', '000000');
    s.flow.approve('orion', '000000');
    expect(s.flow.approve('orion', 'A3B2C1').accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('step1');
  });

  it('refuses a step-2 approver not in the list', async () => {
    const s = setup('two-step', { approvers: ['orion', 'vega'] });
    await toStep2(s);
    expect(s.flow.approve('mallory', '1F2E3D').accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('step2');
    expect(s.flow.approve('Vega', '1F2E3D').accepted).toBe(true);
  });

  it('cancel at any point records CANCELLED by user', () => {
    const s = setup('two-step');
    s.flow.start();
    expect(s.flow.cancel().accepted).toBe(true);
    expect(s.flow.getSnapshot().phase).toBe('cancelled');
    expect(s.audits()).toEqual(['CANCELLED by user']);
    expect(s.flow.cancel().accepted).toBe(false);
  });

  it('notifies subscribers when step 2 opens (the screen advances without input)', async () => {
    const s = setup('two-step');
    s.flow.start();
    s.flow.approve('orion', 'A3B2C1');
    let notified = 0;
    s.flow.subscribe(() => notified++);
    await s.clock.advance(L3_WAIT_MS);
    await new Promise((r) => setImmediate(r));
    expect(notified).toBeGreaterThan(0);
    expect(s.flow.getSnapshot().phase).toBe('step2');
    s.flow.dispose();
  });
});

describe('declared versus proven (R-APR-6)', () => {
  it("a declared name equal to the operator's own (case, spaces, invisible characters) or OS user name is refused and audited; the code's tries are kept", () => {
    const s = setup('code');
    s.flow.start();
    for (const name of [' K i m ', 'KIM', 'ki\u200Bm', 'kimsh']) {
      const r = s.flow.approve(name, 'A3B2C1');
      expect(r.accepted).toBe(false);
      expect(r.error!.en).toMatch(/^Self-approval refused: .* is the operator of this console — another person must approve/);
    }
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'code', triesLeft: 3, code: 'A3B2C1' });
    expect(s.audits()).toEqual([
      'STEP1_REJECTED - Self-approval: K i m (declared by kim)',
      'STEP1_REJECTED - Self-approval: KIM (declared by kim)',
      'STEP1_REJECTED - Self-approval: ki m (declared by kim)',
      'STEP1_REJECTED - Self-approval: kimsh (declared by kim)',
    ]);
    expect(s.events().filter((e) => e.event === 'rejected')).toHaveLength(4);
    // Another name with the code approves, recorded as declared.
    expect(s.flow.approve('vega', 'A3B2C1').accepted).toBe(true);
    expect(s.audits().at(-1)).toBe('STEP1_APPROVED by vega (declared by kim)');
    expect(s.flow.getSnapshot().step1).toMatchObject({ name: 'vega', source: { kind: 'declared', by: 'kim' } });
  });

  it('under proven no code is issued, a typed name and code do not approve (audited), and another OS user does', () => {
    const s = setup('two-step', { requirement: 'proven' });
    s.flow.start();
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'step1', requirement: 'proven' });
    expect(s.flow.getSnapshot().code).toBeUndefined();
    const typed = s.flow.approve('vega', 'A3B2C1');
    expect(typed.accepted).toBe(false);
    expect(typed.error!.en).toMatch(/needs a PROVEN approval: a name typed here is only declared and does not count — another person runs `doai-console approve <id>`/);
    expect(s.flow.reissueCode().accepted).toBe(false);
    // The requester's own uid from "another session" is self-approval.
    expect(s.flow.approveFromSession({ name: 'kimsh', uid: 1000 }).accepted).toBe(false);
    expect(s.flow.getSnapshot().phase).toBe('step1');
    expect(s.flow.approveFromSession({ name: 'nobody', uid: 65534 }).accepted).toBe(true);
    expect(s.audits()).toEqual([
      'STEP1_REJECTED - Declared approval refused (policy: proven): vega (declared by kim)',
      'STEP1_REJECTED - Self-approval: kimsh (os-user kimsh uid 1000)',
      'STEP1_APPROVED by nobody (os-user nobody uid 65534)',
    ]);
    s.flow.dispose();
  });

  it('recordRefusal audits an attempt refused elsewhere; final ends the approval', () => {
    const s = setup('code');
    s.flow.start();
    s.flow.recordRefusal(1, 'Approver not allowed (doai-console approve)', { name: 'nobody', source: { kind: 'os-user', uid: 65534, user: 'nobody' } });
    expect(s.flow.getSnapshot().phase).toBe('code');
    s.flow.recordRefusal(1, 'Request 0badc0de voided (its file was changed after the console wrote it)', undefined, true);
    expect(s.flow.getSnapshot()).toMatchObject({ phase: 'rejected', done: true });
    expect(s.audits()).toEqual([
      'STEP1_REJECTED - Approver not allowed (doai-console approve): nobody (os-user nobody uid 65534)',
      'STEP1_REJECTED - Request 0badc0de voided (its file was changed after the console wrote it)',
    ]);
    expect(s.flow.approve('vega', 'A3B2C1').accepted).toBe(false);
  });
});
