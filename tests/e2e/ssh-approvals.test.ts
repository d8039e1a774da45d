// Approvals by identity over SSH (R-SSH-2, R-APR-6): an operator's L3 (policy proven) is offered
// in the approver sessions of two other keys with the exact plan, requester and target; each
// approves its step with a key press, the requester's form advances live, and the audit says
// which key approved (self-approval and the same approver twice, refused by identity:
// tests/unit/approval-board.test.ts). Real OpenSSH clients in tmux against the built server.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTmux, type TmuxSession } from '../helpers/tmux';
import { sshRig, type SshRig } from '../helpers/ssh-console';
import { waitUntil } from '../helpers/console-server';

let rig: SshRig;
const terms: TmuxSession[] = [];

beforeAll(async () => {
  rig = await sshRig(
    [
      { name: 'alice', roles: ['operator', 'approver'] },
      { name: 'bob', roles: ['approver'] },
      { name: 'carol', roles: ['approver'] },
    ],
    { approval: { L3: 'proven' } },
  );
  await rig.start();
}, 60_000);

afterEach(() => {
  for (const t of terms.splice(0)) t.kill();
});

afterAll(async () => {
  await rig?.stop();
});

function term(name: string, cols = 160, rows = 60): TmuxSession {
  const t = startTmux(rig.ssh(name, { tty: true }), { cols, rows, env: { HOME: rig.base } });
  terms.push(t);
  return t;
}

const auditLines = () => readFileSync(rig.audit, 'utf8').trim().split('\n').map((l) => l.replace(/^\[[^\]]+\] /, ''));

describe('approvals by SSH key', () => {
  it('L3 approved by two approver keys from two other sessions, each shown the exact plan; the requester form advances live and the audit names each key', async () => {
    const alice = term('alice');
    const bob = term('bob');
    const carol = term('carol');
    for (const t of [alice, bob, carol]) await t.waitFor(/doai-orchestrator\s+UP/, 30_000);
    alice.send('3');
    const s0 = await alice.waitFor(/restart anyway with L3 Box Reset\? \(y\/n\)|BOX RESET - TWO-STEP VERIFICATION/, 20_000);
    if (/restart anyway/.test(s0)) alice.send('y');
    await alice.waitFor(/BOX RESET - TWO-STEP VERIFICATION — demo-vm/, 20_000);

    // Bob's session offers it: the exact plan, who asked, the target, the step.
    let s = await bob.waitFor(/APPROVAL REQUESTED — L3 Box Reset on demo-vm · step 1 of 2/, 20_000);
    expect(s).toMatch(/requested by alice · policy proven/);
    expect(s).toContain('vultr API: POST');
    expect(s).toMatch(/a approve as bob \(your SSH key\)/);
    // Alice's own session does not offer her own request.
    expect(alice.screen()).not.toContain('APPROVAL REQUESTED');
    bob.send('a');
    await bob.waitFor(/step 1 approved by bob/, 10_000);
    // The requester's form moved on by itself, naming the key.
    s = await alice.waitFor(/STEP 1: first approver — ✓ bob · \d\d:\d\d:\d\d · ssh-key SHA256:/, 10_000);
    // Carol sees step 2 once the enforced 30 s wait (real time) is over.
    s = await carol.waitFor(/step 1 approved by bob \(ssh-key SHA256:/, 20_000);
    await carol.waitFor(/a approve as carol/, 45_000);
    carol.send('a');
    await carol.waitFor(/step 2 approved by carol/, 10_000);
    s = await alice.waitFor(/STEP 2: .*✓ carol · \d\d:\d\d:\d\d · ssh-key SHA256:/, 20_000);
    alice.type('box hung, SSH refused');
    alice.send('Enter');
    await alice.waitFor('Check the summary, then press Enter to continue', 20_000);
    alice.send('Enter');
    await alice.waitFor(/yes/, 20_000);
    alice.type('yes');
    alice.send('Enter');
    // Approved: the steps run (the form is gone).
    await alice.waitFor(/Back up config and logs/, 20_000);
    await waitUntil('the run to execute', () => auditLines().some((l) => /^L3_BOX_RESET: (EXECUTING|STEP 1)/.test(l) || /L3_BOX_RESET: .*Back up/.test(l)), 20_000);
    const lines = auditLines();
    expect(lines).toContain(`L3_BOX_RESET: STEP1_APPROVED by bob (ssh-key ${rig.fingerprintOf('bob')})`);
    expect(lines).toContain(`L3_BOX_RESET: STEP2_APPROVED by carol (ssh-key ${rig.fingerprintOf('carol')})`);
    expect(lines).toContain('L3_BOX_RESET: REASON: box hung, SSH refused');
    // No refusal on the way: three different identities.
    expect(lines.filter((l) => /REJECTED|REFUSED/.test(l))).toEqual([]);
  }, 150_000);
});
