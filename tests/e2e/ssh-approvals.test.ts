// Approvals by identity over SSH (R-SSH-2, R-APR-6): an operator's L3 (policy proven) is offered
// in the approver sessions of two other keys with the exact plan, requester and target; each
// approves its step with a key press, the requester's form advances live, and the audit says
// which key approved (self-approval and the same approver twice, refused by identity:
// tests/unit/approval-board.test.ts). Real OpenSSH clients in tmux against the built server.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { runCli } from '../helpers/cli';
import { describe, expect, it } from 'vitest';
import type { TmuxSession } from '../helpers/tmux';
import type { SshRig } from '../helpers/ssh-console';
import { sshRigForFile } from '../helpers/ssh-rig-file';
import { waitUntil } from '../helpers/console-server';

let rig: SshRig;
const file = sshRigForFile(
  [
    { name: 'alice', roles: ['operator', 'approver'] },
    { name: 'bob', roles: ['approver'] },
    { name: 'carol', roles: ['approver'] },
  ],
  { approval: { L2: 'proven', L3: 'proven' } },
  { prepare: (r) => (rig = r) },
);

const term = (name: string, cols = 160, rows = 60): TmuxSession => file.term(rig.ssh(name, { tty: true }), cols, rows);

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
    // Each key's `a` was the server's approvals.approve intent: in its history under the key.
    const intents = readFileSync(join(rig.state, 'history', 'intents.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string; via: string; key?: string; intent: string; outcome?: string });
    for (const who of ['bob', 'carol']) {
      expect(intents).toContainEqual(expect.objectContaining({ user: who, via: 'ssh-key', key: rig.fingerprintOf(who), intent: 'approvals.approve', outcome: 'ok' }));
    }
    expect(intents).toContainEqual(expect.objectContaining({ user: 'alice', via: 'ssh-key', intent: 'run.start', outcome: 'ok' }));
    // The run ends (its host lock goes with it) before the next test starts an L2 on that host.
    // The audit's SUCCESS line is written when the run finishes, just before its lock goes; a
    // SUCCESS on screen alone can be read before that on a loaded machine.
    await waitUntil('the run to finish', () => auditLines().includes('L3_BOX_RESET: SUCCESS'), 60_000);
    await alice.waitFor(/SUCCESS/, 20_000);
  }, 150_000);

  it('TOTP: enrol prints an otpauth URI and a QR code (secret owner-only); the requester types bob and the code computed from it; audited (totp)', async () => {
    const enrolled = await runCli(['operator', 'enroll', 'bob', '--config', rig.config]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const uri = /otpauth:\/\/totp\/\S+/.exec(enrolled.stdout)?.[0];
    expect(uri).toMatch(/^otpauth:\/\/totp\/doai-console:bob\?issuer=doai-console&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/);
    expect(enrolled.stdout).toMatch(/[█▀▄]{10}/);
    expect(statSync(join(rig.state, 'totp-secrets.json')).mode & 0o777).toBe(0o600);
    // Enrolling again without --replace is refused (the phone's entry would silently stop working).
    const again = await runCli(['operator', 'enroll', 'bob', '--config', rig.config]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('bob is enrolled already — give --replace');
    const viewerOnly = await runCli(['operator', 'enroll', 'nobody-here', '--config', rig.config]);
    expect(viewerOnly.stderr).toContain('no operator named "nobody-here"');
    const totp = OTPAuth.URI.parse(uri!) as OTPAuth.TOTP;

    const alice = term('alice');
    await alice.waitFor(/doai-orchestrator\s+UP/, 30_000);
    alice.send('Down');
    alice.send('Down');
    await alice.waitFor(/› doai-orchestrator/, 10_000);
    alice.send('2');
    const s0 = await alice.waitFor(/restart anyway with L2 Service Reset\? \(y\/n\)|SERVICE RESET CONFIRMATION/, 20_000);
    if (/restart anyway/.test(s0)) alice.send('y');
    const form = await alice.waitFor(/SERVICE RESET CONFIRMATION — doai-orchestrator/, 20_000);
    expect(form).toContain('type their name and the 6-digit code from their authenticator');
    for (let i = 0; i < 20 && /more below/.test(alice.screen()); i++) alice.send('NPage');
    // A wrong code first: refused in words, audited as a TOTP attempt.
    const wrong = String((Number(totp.generate()) + 1) % 1_000_000).padStart(6, '0');
    alice.type(wrong);
    alice.send('Tab');
    alice.type('bob');
    alice.send('Enter');
    const after = await alice.waitFor(/wrong one-time password for bob \(4 left before a 5 min lock\)/, 10_000);
    // The wrong code is cleared; the name stays. Type the right one into the code field.
    if (!/›\s*\[CONFIRM\] Code/.test(after)) alice.send('BTab');
    await alice.waitFor(/›\[CONFIRM\] Code:/, 5_000);
    // The next step's code (good for ±1 step, so still good after the restart below).
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    alice.type(code);
    alice.send('Enter'); // code field → name field (bob is kept)
    alice.send('Enter'); // submit
    await waitUntil('STEP1_APPROVED by bob (totp)', () => auditLines().includes('L2_SERVICE_RESET: STEP1_APPROVED by bob (totp)'), 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; audit: ${auditLines().join(' | ')}; screen:\n${alice.screen()}`);
    });
    // The form is gone: the run goes on.
    await alice.waitFor(/✓ Stop|Stop the|Snapshot|SUCCESS/, 30_000);
    const lines = auditLines();
    expect(lines).toContain('L2_SERVICE_RESET: STEP1_REJECTED - Wrong one-time password: bob (totp)');
    expect(lines).toContain('L2_SERVICE_RESET: STEP1_APPROVED by bob (totp)');
    // The secret is nowhere but its file: not in the audit log, not in the server's log.
    const secret = /secret=([A-Z2-7]+)/.exec(uri!)![1]!;
    expect(readFileSync(rig.audit, 'utf8')).not.toContain(secret);
    expect(rig.server!.log()).not.toContain(secret);

    // Single use survives a restart of the server process (the code is still inside its ±1 step).
    await alice.waitFor(/SUCCESS/, 60_000);
    expect(statSync(join(rig.state, 'totp-used.json')).mode & 0o777).toBe(0o600);
    await rig.server!.stop('SIGTERM');
    await rig.start();
    const alice2 = term('alice');
    await alice2.waitFor(/doai-orchestrator\s+UP/, 30_000);
    alice2.send('Down');
    alice2.send('Down');
    await alice2.waitFor(/› doai-orchestrator/, 10_000);
    alice2.send('2');
    const s1 = await alice2.waitFor(/restart anyway with L2 Service Reset\? \(y\/n\)|SERVICE RESET CONFIRMATION/, 20_000);
    if (/restart anyway/.test(s1)) alice2.send('y');
    await alice2.waitFor(/SERVICE RESET CONFIRMATION — doai-orchestrator/, 20_000);
    for (let i = 0; i < 20 && /more below/.test(alice2.screen()); i++) alice2.send('NPage');
    alice2.type(code);
    alice2.send('Tab');
    alice2.type('bob');
    alice2.send('Enter');
    await alice2.waitFor(/that one-time password of bob was used already/, 10_000);
    await waitUntil('the reuse audited', () => auditLines().includes('L2_SERVICE_RESET: STEP1_REJECTED - One-time password reused: bob (totp)'), 10_000);
    expect(auditLines().filter((l) => l === 'L2_SERVICE_RESET: STEP1_APPROVED by bob (totp)')).toHaveLength(1);
  }, 150_000);
});
