// The server's approval board (R-SSH-2, R-APR-6): approvals by SSH key go through the run's own
// ApprovalFlow with the key's operator as a proven identity. Refused by identity: the key that
// started the run (self-approval), the step-1 key at step 2 (same approver: ends the approval as
// seed 000 says), a key without the approver role (audited by the gate). Granted: the audit line
// names the key.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import { ApprovalFlow, L3_WAIT_MS, type ApprovalEffect } from '../../src/approval/policy';
import { ApprovalBoard } from '../../src/operators/approval-board';
import type { Principal } from '../../src/operators/directory';
import type { IntentGate } from '../../src/operators/gate';
import { OperatorDirectory } from '../../src/operators/directory';
import { createIntentGate } from '../../src/operators/gate';
import type { AuditLog } from '../../src/audit/emergency-log';
import type { OpenApproval } from '../../src/approval/engine-hook';

function key(name: string, roles: Principal['roles'] extends ReadonlySet<infer R> ? R[] : never): Principal {
  return { name, known: true, roles: new Set(['viewer', ...roles]), proof: { kind: 'ssh-key', fingerprint: `SHA256:${name}key`, keyType: 'ssh-ed25519' } };
}

function setup() {
  const clock = new FakeClock();
  const effects: ApprovalEffect[] = [];
  const flow = new ApprovalFlow({ mode: 'two-step', clock, requirement: 'proven', requester: { name: 'root', osUser: 'root', uid: 0 }, onEffect: (e) => effects.push(e) });
  flow.start();
  const access: string[] = [];
  const audit = { append: (_n: string, m: string) => (access.push(m), '') } as unknown as AuditLog;
  const gate: IntentGate = createIntentGate({ directory: new OperatorDirectory({ unknown: 'refused', people: [] }, '/'), audit, log: () => undefined, now: () => clock.now() });
  const board = new ApprovalBoard(gate);
  const entry = {
    info: { runId: 'run-1', runbook: { id: 'l3-box-reset', title: { en: 'L3 Box Reset' } }, target: 'demo-vm', level: 'L3', operator: 'root', policy: 'two-step', clock },
    plan: ['1. Reboot', '   vultr API: POST …/reboot'],
    flow,
  } as unknown as OpenApproval;
  board.track(entry);
  board.noteStarter('run-1', key('alice', ['operator', 'approver']));
  const audits = () => effects.flatMap((e) => ('audit' in e ? [e.audit] : []));
  return { clock, flow, board, audits, access };
}

describe('approval board', () => {
  it('lists the open approval with the plan and the proven requester; refuses the starter by identity; grants bob then carol by key', async () => {
    const s = setup();
    await new Promise((r) => setTimeout(r, 80));
    const pending = s.board.getSnapshot().pending;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ runId: 'run-1', requester: 'alice', step: 1, steps: 2, target: 'demo-vm', plan: ['1. Reboot', '   vultr API: POST …/reboot'] });

    expect(s.board.approve('run-1', 1, key('alice', ['operator', 'approver']))).toEqual({ ok: false, message: 'refused: you started this run — another approver must approve it' });
    expect(s.audits()).toContain('STEP1_REJECTED - Self-approval: alice (ssh-key SHA256:alicekey)');

    const viewer = key('vic', []);
    expect(s.board.approve('run-1', 1, viewer).message).toBe('refused: approvals.approve needs the approver role; vic has role viewer');
    expect(s.access).toContain('REFUSED approvals.approve by vic (ssh-key SHA256:vickey) - role viewer, needs approver');

    expect(s.board.approve('run-1', 1, key('bob', ['approver']))).toEqual({ ok: true, message: 'step 1 approved by bob' });
    expect(s.audits()).toContain('STEP1_APPROVED by bob (ssh-key SHA256:bobkey)');
    // Step 2 only after the enforced wait, and never by the step-1 key.
    expect(s.board.approve('run-1', 2, key('carol', ['approver'])).ok).toBe(false);
    await s.clock.advance(L3_WAIT_MS);
    expect(s.board.approve('run-1', 2, key('carol', ['approver']))).toEqual({ ok: true, message: 'step 2 approved by carol' });
    expect(s.audits()).toContain('STEP2_APPROVED by carol (ssh-key SHA256:carolkey)');
    expect(s.flow.getSnapshot().phase).toBe('reason');
  });

  it('the step-1 key at step 2 is the same approver: refused, and the approval ends (seed 000)', async () => {
    const s = setup();
    expect(s.board.approve('run-1', 1, key('bob', ['approver'])).ok).toBe(true);
    await s.clock.advance(L3_WAIT_MS);
    const again = s.board.approve('run-1', 2, key('bob', ['approver']));
    expect(again.ok).toBe(false);
    expect(s.audits()).toContain('STEP2_REJECTED - Same approver: bob (ssh-key SHA256:bobkey)');
    expect(s.flow.getSnapshot().phase).toBe('rejected');
  });
});

describe('approval.approver_role', () => {
  it('L3 listed: every step needs an operator with the approver role (a typed name of someone else is refused); L2 unlisted: open', async () => {
    const { approversByRole } = await import('../../src/operators/server-gate');
    const directory = new OperatorDirectory(
      { unknown: 'refused', people: [ { name: 'bob', os_users: [], keys: [], roles: ['approver'] }, { name: 'dave', os_users: [], keys: [], roles: ['operator'] } ] },
      '/',
    );
    const loaded = { config: { approval: { L2: 'declared', L3: 'declared', approver_role: ['L3'] } } } as unknown as Parameters<typeof approversByRole>[0];
    const forLevel = approversByRole(loaded, directory);
    expect(forLevel('L2')).toBeUndefined();
    expect(forLevel('L3')).toEqual(['bob']);
    const clock = new FakeClock();
    const effects: ApprovalEffect[] = [];
    const flow = new ApprovalFlow({ mode: 'two-step', clock, requirement: 'declared', approvers: forLevel('L3'), requester: { name: 'alice' }, random: () => Buffer.from([0xa3, 0xb2, 0xc1]), onEffect: (e) => effects.push(e) });
    flow.start();
    const code = flow.getSnapshot().code!;
    expect(flow.input({ kind: 'approve', name: 'dave', code }).accepted).toBe(false);
    expect(effects.flatMap((e) => ('audit' in e ? [e.audit] : []))).toContain('STEP1_REJECTED - Approver not allowed: dave (declared by alice)');
    expect(flow.input({ kind: 'approve', name: 'bob', code }).accepted).toBe(true);
  });
});
