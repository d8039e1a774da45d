import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import { ApprovalFlow, L3_WAIT_MS, type ApprovalEffect } from '../../src/approval/policy';
import { approvalPrompt, effectToRunEvent } from '../../src/approval/run-events';

describe('effectToRunEvent', () => {
  it('maps every effect of an L3 flow to the engine vocabulary, in order', async () => {
    const clock = new FakeClock();
    const effects: ApprovalEffect[] = [];
    let n = 0;
    const flow = new ApprovalFlow({
      mode: 'two-step',
      clock,
      random: () => Buffer.from(n++ === 0 ? 'a3b2c1' : '1f2e3d', 'hex'),
      onEffect: (e) => effects.push(e),
    });
    flow.start();
    flow.approve('orion', '000000');
    flow.approve('orion', 'A3B2C1');
    await clock.advance(L3_WAIT_MS);
    flow.approve('vega', '1F2E3D');
    flow.giveReason('box down');
    flow.continueToConfirm();
    flow.confirm('yes');
    expect(effects.map(effectToRunEvent).filter(Boolean)).toEqual([
      { type: 'approval.requested', step: 1 },
      { type: 'audit', message: 'STEP1_REJECTED - Wrong code (2 tries left): orion (declared by console)' },
      { type: 'approval.rejected', step: 1, approver: 'orion', reason: 'Wrong code (2 tries left): orion (declared by console)' },
      { type: 'approval.granted', step: 1, approver: 'orion', how: 'code' },
      { type: 'audit', message: 'STEP1_APPROVED by orion (declared by console)' },
      { type: 'approval.requested', step: 2 },
      { type: 'approval.granted', step: 2, approver: 'vega', how: 'code' },
      { type: 'audit', message: 'STEP2_APPROVED by vega (declared by console)' },
      { type: 'audit', message: 'REASON: box down' },
      { type: 'audit', message: 'EXECUTING' },
    ]);
    expect(effectToRunEvent({ event: 'done', outcome: 'granted' })).toBeUndefined();
  });
});

describe('approvalPrompt', () => {
  it('shows the code, expiry and tries, then the countdown, then nothing once over', async () => {
    const clock = new FakeClock();
    const flow = new ApprovalFlow({ mode: 'two-step', clock, random: () => Buffer.from('a3b2c1', 'hex') });
    flow.start();
    let p = approvalPrompt(flow.getSnapshot());
    expect(p).toMatchObject({ kind: 'approval', step: 1, code: 'A3B2C1', triesLeft: 3 });
    expect(p && 'message' in p && p.message?.en).toMatch(/Read code A3B2C1/);
    flow.approve('orion', 'FFFFFF');
    p = approvalPrompt(flow.getSnapshot());
    expect(p).toMatchObject({ triesLeft: 2, message: { en: expect.stringMatching(/Wrong code/) } });
    flow.approve('orion', 'A3B2C1');
    p = approvalPrompt(flow.getSnapshot());
    expect(p).toMatchObject({ kind: 'approval', step: 2, waitUntil: new Date(clock.now().getTime() + 30_000) });
    expect(p && 'code' in p ? p.code : undefined).toBeUndefined();
    flow.cancel();
    expect(approvalPrompt(flow.getSnapshot())).toBeNull();
    flow.dispose();
  });
});
