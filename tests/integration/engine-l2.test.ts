// L2 Service Reset end to end against the demo fleet (R-RUN-1 L2, R-APR-2, R-AUD-1, R-RUN-6):
// crash-loop makes L1 fail and L2 fix it; every audit line in seed order; the snapshot lands on
// the box and in the local snapshots folder; every code bypass through the ENGINE path.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CODE_TTL_MS } from '../../src/approval/codes';
import { readJournal } from '../../src/audit/journal';
import { escalationOffer } from '../../src/runbook/escalation';
import { requestFiles, startRig, type Rig } from '../helpers/recovery-rig';

let rig: Rig | undefined;

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function started(r: { ok: true; runId: string } | { ok: false; error: string }): string {
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

/** The other code of the same length: never the right one. */
function wrong(code: string): string {
  return code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
}

describe('L2 Service Reset', () => {
  it('crash-loop: L1 fails and offers L2 for the same service; L2 with code + approver fixes it, every audit line in seed order', async () => {
    rig = await startRig();
    const { engine, fleet } = rig;
    fleet.injectFault('crash-loop');

    const l1 = started(engine.start('l1-soft-reset', 'doai-orchestrator'));
    expect(await rig.drive(l1)).toBe('failed');
    const l1View = engine.getSnapshot().runs.find((r) => r.runId === l1)!;
    expect(l1View.escalateTo).toBe('l2-service-reset');
    const offer = escalationOffer(rig.config, engine.getRunbook, { escalateTo: l1View.escalateTo, target: l1View.target });
    expect(offer).toEqual({ runbook: 'l2-service-reset', target: 'doai-orchestrator' });

    const l2 = started(engine.start(offer!.runbook, offer!.target));
    const p = await rig.waitPrompt(l2, (x) => x.phase === 'code' && !!x.code, 'the L2 code prompt');
    expect(p).toMatchObject({ kind: 'approval', step: 1, mode: 'code', triesLeft: 3 });
    expect(p.code).toMatch(/^[0-9A-F]{6}$/);
    expect(p.expiresAt!.getTime() - rig.clock.now().getTime()).toBe(CODE_TTL_MS);
    // What will run, on which host, before anyone approves.
    expect(p.plan).toEqual(
      expect.arrayContaining([
        expect.stringContaining("ssh root@demo-vm: sh -c 'journalctl -u '\\''doai-orchestrator'\\'' -n 1000 --no-pager' >"),
        "   ssh root@demo-vm: systemctl stop 'doai-orchestrator' && systemctl stop 'caddy'",
        "   ssh root@demo-vm: find '/opt/aifarm' -type d -name __pycache__ -exec rm -rf {} + 2>/dev/null; rm -rf /tmp/doai_*",
        "   ssh root@demo-vm: systemctl start 'caddy'",
        "   ssh root@demo-vm: systemctl start 'doai-orchestrator'",
      ]),
    );
    // Another OS user could approve it too: a request is out while the form waits.
    await rig.waitFor(() => requestFiles(rig!.approvalsDir).length === 1, 'the cross-session request');
    expect(rig.prompt(l2)?.requestId).toMatch(/^[0-9a-f]{8}$/);

    expect(rig.answer(l2, { kind: 'approve', name: 'vega', code: p.code!.toLowerCase() })).toEqual({ accepted: true });
    expect(await rig.drive(l2)).toBe('success');
    // The typed code won: the request was withdrawn.
    await rig.waitFor(() => requestFiles(rig!.approvalsDir).length === 0, 'the request withdrawn');

    const lines = rig.audit();
    expect(lines.slice(lines.indexOf('L2_SERVICE_RESET: START - Confirm: ' + p.code))).toEqual([
      `L2_SERVICE_RESET: START - Confirm: ${p.code}`,
      'L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by kim)',
      'L2_SERVICE_RESET: SNAPSHOT_SAVED',
      'L2_SERVICE_RESET: SERVICES_STOPPED',
      'L2_SERVICE_RESET: CACHE_CLEARED',
      'L2_SERVICE_RESET: SERVICES_RESTARTED',
      'L2_SERVICE_RESET: SUCCESS',
    ]);
    expect(lines.slice(0, 3)).toEqual(['L1_SOFT_RESET: START', 'L1_SOFT_RESET: STEP1_APPROVED by auto', 'L1_SOFT_RESET: SERVICE_RESTARTED']);
    expect(lines).toContain('L1_SOFT_RESET: FAILED - Escalate to L2');

    // The box: caches gone at the reset (the app writes new ones), service healthy, snapshot saved.
    const state = fleet.state();
    expect(state.health).toBe('ok');
    expect(state.faults.crashLoop).toBe(false);
    const snapFiles = state.files.filter((f) => f.startsWith('/var/log/doai/snapshots/'));
    expect(snapFiles.map((f) => f.split('/').pop()).sort()).toEqual(['caddy.log', 'orchestrator.log', 'ports.txt', 'processes.txt']);
    expect(snapFiles[0]).toMatch(/^\/var\/log\/doai\/snapshots\/\d{8}_\d{6}\//);

    // ...and copied back into the local snapshots folder of this run.
    const local = join(rig.snapshotsDir, l2);
    expect(readdirSync(local).sort()).toEqual(['caddy.log', 'orchestrator.log', 'ports.txt', 'processes.txt']);
    expect(readFileSync(join(local, 'orchestrator.log'), 'utf8').trim().split('\n')).toHaveLength(1000);
    expect(readFileSync(join(local, 'caddy.log'), 'utf8').trim().split('\n')).toHaveLength(200);
    expect(readFileSync(join(local, 'processes.txt'), 'utf8')).toMatch(/^USER\s+PID/);
    expect(readFileSync(join(local, 'ports.txt'), 'utf8')).toMatch(/LISTEN/);
    expect(statSync(join(local, 'ps.txt'), { throwIfNoEntry: false })).toBeUndefined();
    expect(statSync(join(local, 'processes.txt')).mode & 0o777).toBe(0o600);

    // The journal has the approval and every step.
    const journal = readJournal(join(rig.dir, 'journal', `${l2}.jsonl`)).map((e) => (e as { type: string }).type);
    expect(journal).toContain('approval.granted');
    const view = engine.getSnapshot().runs.find((r) => r.runId === l2)!;
    expect(view.steps.map((s) => `${s.id}:${s.state}`)).toEqual([
      'snapshot:ok',
      'stop:ok',
      'stop-settle:ok',
      'clear-cache:ok',
      'start-proxy:ok',
      'proxy-settle:ok',
      'start-service:ok',
      'start-settle:ok',
      'verify:ok',
    ]);
    expect(view.prompt).toBeUndefined();
  });

  it('fails and escalates to L3 on the service host when the service does not come back', async () => {
    rig = await startRig();
    const { engine, fleet } = rig;
    const id = started(engine.start('l2-service-reset', 'doai-orchestrator'));
    const p = await rig.waitPrompt(id, (x) => !!x.code, 'code');
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! }).accepted).toBe(true);
    // The box hangs right after the approval: nothing on it answers any more.
    await rig.waitFor(() => rig!.events.some((e) => e.type === 'step.started' && e.runId === id), 'first step');
    fleet.injectFault('box-down');
    expect(await rig.drive(id)).toBe('failed');
    const view = engine.getSnapshot().runs.find((r) => r.runId === id)!;
    expect(view.escalateTo).toBe('l3-box-reset');
    expect(view.message).toMatch(/^❌ L2 recovery failed → L3 needed \(/);
    expect(escalationOffer(rig.config, engine.getRunbook, view)).toEqual({ runbook: 'l3-box-reset', target: 'demo-vm' });
    expect(rig.audit().at(-1)).toBe('L2_SERVICE_RESET: FAILED - Escalate to L3');
  });
});

describe('L2 approval bypass attempts (through answerApproval)', () => {
  it('a wrong code says so and counts down; the 4th try after 3 wrong ones is refused; nothing ran', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l2-service-reset', 'doai-orchestrator'));
    const p = await rig.waitPrompt(id, (x) => !!x.code, 'code');
    const bad = wrong(p.code!);
    const r1 = rig.answer(id, { kind: 'approve', name: 'vega', code: bad });
    expect(r1.accepted).toBe(false);
    expect(r1.error?.en).toMatch(/wrong code.*2 tries left/i);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: bad }).error?.en).toMatch(/1 try left/i);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: bad }).error?.en).toMatch(/void|new code/i);
    // The right code on the 4th try: still refused, the code is void.
    const fourth = rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! });
    expect(fourth.accepted).toBe(false);
    expect(fourth.error?.en).toMatch(/void|new code/i);
    await rig.waitPrompt(id, (x) => x.code === undefined, 'the void code gone from the prompt');
    expect(rig.events.some((e) => e.type === 'step.started' && e.runId === id)).toBe(false);
    expect(rig.answer(id, { kind: 'cancel' }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('cancelled');
    expect(rig.audit()).toEqual([
      // Refused while the code still approved: written then, before START (which holds the code).
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by kim)',
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (1 try left): vega (declared by kim)',
      // The third wrong try voids the code: START carries it from then on.
      `L2_SERVICE_RESET: START - Confirm: ${p.code}`,
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (3 wrong tries, code void): vega (declared by kim)',
      'L2_SERVICE_RESET: STEP1_REJECTED - Code void: vega (declared by kim)',
      'L2_SERVICE_RESET: CANCELLED by user',
    ]);
    expect(rig.fleet.state().files.some((f) => f.startsWith('/var/log/doai/snapshots/'))).toBe(false);
  });

  it('an expired code is refused; a reissued code works once', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l2-service-reset', 'doai-orchestrator'));
    const p = await rig.waitPrompt(id, (x) => !!x.code, 'code');
    await rig.clock.advance(CODE_TTL_MS + 1000);
    const late = rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! });
    expect(late.accepted).toBe(false);
    expect(late.error?.en).toMatch(/expired/i);
    expect(rig.answer(id, { kind: 'reissue' }).accepted).toBe(true);
    const fresh = await rig.waitPrompt(id, (x) => !!x.code && x.code !== p.code, 'a new code');
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! }).accepted).toBe(p.code === fresh.code);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: fresh.code! }).accepted).toBe(true);
    // One-time: the same code again is refused (the approval is over).
    expect(rig.answer(id, { kind: 'approve', name: 'deneb', code: fresh.code! }).accepted).toBe(false);
    expect(await rig.drive(id)).toBe('success');
    const lines = rig.audit();
    // The expiry timer voided the code before the try: the line says void, the form said expired.
    expect(lines).toContain('L2_SERVICE_RESET: STEP1_REJECTED - Code void: vega (declared by kim)');
    expect(lines).toContain('L2_SERVICE_RESET: CODE_REISSUED - step 1');
    expect(lines.filter((l) => l.includes('STEP1_APPROVED'))).toEqual(['L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by kim)']);
  });

  it('an empty approver name, a malformed code and an answer to a run not waiting are refused in words', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l2-service-reset', 'doai-orchestrator'));
    const p = await rig.waitPrompt(id, (x) => !!x.code, 'code');
    expect(rig.answer(id, { kind: 'approve', name: '  ', code: p.code! }).error?.en).toMatch(/approver's name/);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: '12' }).accepted).toBe(false);
    expect(rig.answer(id, { kind: 'confirm', word: 'yes' }).error?.en).toMatch(/not expected now/);
    expect(rig.answer('no-such-run', { kind: 'approve', name: 'vega', code: p.code! }).error?.en).toMatch(/over/);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('success');
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p.code! }).error?.en).toMatch(/over/);
  });

  it('a dry run shows the plan and needs no approval; nothing runs on the box', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l2-service-reset', 'doai-orchestrator', { dryRun: true }));
    expect(await rig.drive(id)).toBe('success');
    const out = rig.events.filter((e) => e.type === 'step.output' && e.runId === id).map((e) => (e as { line: string }).line);
    expect(out).toContain("[dry-run] ssh root@demo-vm: systemctl stop 'doai-orchestrator' && systemctl stop 'caddy'");
    expect(out.some((l) => l.includes('local snapshots folder'))).toBe(true);
    expect(rig.audit()).toEqual(['L2_SERVICE_RESET: DRY_RUN']);
    expect(existsSync(join(rig.snapshotsDir, id))).toBe(false);
  });
});
