// L3 Box Reset end to end against the demo fleet (R-RUN-1 L3, R-APR-3, R-AUD-1): box-down is
// fixed by a provider reboot; without a provider the runbook asks for a manual reboot instead;
// every two-step bypass attempt through the ENGINE path; the API key never shows anywhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { L3_WAIT_MS } from '../../src/approval/policy';
import { startRig, type Rig } from '../helpers/recovery-rig';

let rig: Rig | undefined;

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function started(r: { ok: true; runId: string } | { ok: false; error: string }): string {
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

/** Step 1 by `first`, the enforced wait, step 2 by `second`; returns the step-2 answer. */
async function twoApprovals(r: Rig, id: string, first: string, second: string) {
  const p1 = await r.waitPrompt(id, (x) => x.phase === 'step1' && !!x.code, 'step 1 code');
  expect(p1).toMatchObject({ mode: 'two-step', step: 1 });
  expect(r.answer(id, { kind: 'approve', name: first, code: p1.code! })).toEqual({ accepted: true });
  const waiting = await r.waitPrompt(id, (x) => x.phase === 'waiting', 'the 30 s wait');
  expect(waiting.waitUntil!.getTime() - r.clock.now().getTime()).toBe(L3_WAIT_MS);
  expect(waiting.step1).toMatchObject({ name: first });
  expect(waiting.code).toBeUndefined();
  await r.clock.advance(L3_WAIT_MS);
  const p2 = await r.waitPrompt(id, (x) => x.phase === 'step2' && !!x.code, 'step 2 code');
  expect(p2.code).not.toBe(p1.code);
  return r.answer(id, { kind: 'approve', name: second, code: p2.code! });
}

describe('L3 Box Reset', () => {
  it('box-down: two approvers, reason, summary, yes → provider reboot → SSH back → services → healthy; audit lines in seed order', async () => {
    rig = await startRig();
    const { engine, fleet } = rig;
    fleet.injectFault('box-down');
    const id = started(engine.start('l3-box-reset', 'demo-vm'));
    expect(await twoApprovals(rig, id, 'orion', 'vega')).toEqual({ accepted: true });
    await rig.waitPrompt(id, (x) => x.phase === 'reason', 'reason');
    expect(rig.answer(id, { kind: 'reason', reason: '   ' }).error?.en).toMatch(/reason/i);
    expect(rig.answer(id, { kind: 'reason', reason: 'SSH unreachable, console shows kernel hang' }).accepted).toBe(true);
    const summary = await rig.waitPrompt(id, (x) => x.phase === 'summary', 'summary');
    expect(summary.summary?.map((l) => l.en)).toEqual([
      // Local time with its offset, the audit log's format (never UTC `Z` with milliseconds).
      expect.stringMatching(/^Step 1 approver: orion \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d, declared by kim\)$/),
      expect.stringMatching(/^Step 2 approver: vega \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d, declared by kim\)$/),
      'Reason: SSH unreachable, console shows kernel hang',
    ]);
    expect(summary.summary?.[0]?.ko).toMatch(/^1차 승인: orion/);
    expect(summary.plan).toEqual(
      expect.arrayContaining([expect.stringMatching(/vultr API: POST http:\/\/127\.0\.0\.1:\d+\/v2\/instances\/demo-instance\/reboot \(bearer key from \$DOAI_DEMO_PROVIDER_KEY\)/)]),
    );
    expect(summary.plan!.some((l) => l.includes('reboot-manual') || /Reboot by hand.*skipped/.test(l))).toBe(true);
    expect(rig.answer(id, { kind: 'continue' }).accepted).toBe(true);
    await rig.waitPrompt(id, (x) => x.phase === 'confirm-yes', 'confirm yes');
    expect(rig.answer(id, { kind: 'confirm', word: 'yes' }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('success');

    expect(rig.audit()).toEqual([
      expect.stringMatching(/^L3_BOX_RESET: START - Confirm: [0-9A-F]{6}$/),
      'L3_BOX_RESET: STEP1_APPROVED by orion (declared by kim)',
      'L3_BOX_RESET: STEP2_APPROVED by vega (declared by kim)',
      'L3_BOX_RESET: REASON: SSH unreachable, console shows kernel hang',
      'L3_BOX_RESET: EXECUTING',
      'L3_BOX_RESET: SUCCESS',
    ]);
    const view = engine.getSnapshot().runs.find((r) => r.runId === id)!;
    const states = Object.fromEntries(view.steps.map((s) => [s.id, s.state]));
    // The backup could not reach the hung box: tolerated and shown.
    expect(states).toMatchObject({ backup: 'failed', 'reboot-api': 'ok', 'reboot-manual': 'skipped', 'wait-ssh': 'ok', 'start-proxy': 'ok', 'start-service': 'ok', verify: 'ok' });
    expect(view.steps.find((s) => s.id === 'reboot-manual')?.detail).toMatch(/skipped: a provider API is configured/);
    expect(fleet.state()).toMatchObject({ power: 'up', health: 'ok', caddyUp: true, reboots: 1 });
    // The SSH wait showed its attempts as it went.
    const progress = rig.events.filter((e) => e.type === 'step.progress' && e.runId === id && e.stepId === 'wait-ssh').map((e) => (e as { detail: string }).detail);
    expect(progress[0]).toBe('attempt 1/60');

    // The provider key never reaches the screen, the journal or the log.
    const everything = JSON.stringify(rig.events) + readFileSync(join(rig.dir, 'journal', `${id}.jsonl`), 'utf8') + readFileSync(rig.auditPath, 'utf8');
    expect(rig.providerKey.length).toBeGreaterThan(10);
    expect(everything).not.toContain(rig.providerKey);
  });

  it('without a provider: the manual reboot confirm step instead of the API, then the same recovery', async () => {
    rig = await startRig({ provider: false });
    const { engine, fleet } = rig;
    fleet.injectFault('box-down');
    const id = started(engine.start('l3-box-reset', 'demo-vm'));
    expect((await twoApprovals(rig, id, 'orion', 'vega')).accepted).toBe(true);
    expect(rig.answer(id, { kind: 'reason', reason: 'box hung' }).accepted).toBe(true);
    expect(rig.answer(id, { kind: 'continue' }).accepted).toBe(true);
    expect(rig.answer(id, { kind: 'confirm', word: 'yes' }).accepted).toBe(true);
    // The run stops at the confirm prompt until the operator says the reboot is done.
    await rig.waitFor(() => engine.getSnapshot().runs.find((r) => r.runId === id)?.prompt?.kind === 'confirm', 'the manual reboot prompt', 10_000);
    const prompt = engine.getSnapshot().runs.find((r) => r.runId === id)!.prompt!;
    expect(prompt).toMatchObject({ kind: 'confirm', stepId: 'reboot-manual' });
    expect((prompt as { message: { en: string } }).message.en).toBe('Reboot demo-vm (127.0.0.1) in the provider console (Vultr: https://my.vultr.com), then press Enter');
    // The operator reboots it in the provider's console (here: the fake API), then confirms.
    const base = rig.fleet.state().ports.provider;
    const res = await fetch(`http://127.0.0.1:${base}/v2/instances/demo-instance/reboot`, { method: 'POST', headers: { authorization: `Bearer ${rig.providerKey}` } });
    expect(res.status).toBe(204);
    engine.confirm(id);
    expect(await rig.drive(id)).toBe('success');
    const view = engine.getSnapshot().runs.find((r) => r.runId === id)!;
    expect(Object.fromEntries(view.steps.map((s) => [s.id, s.state]))).toMatchObject({ 'reboot-api': 'skipped', 'reboot-manual': 'ok', 'wait-ssh': 'ok', verify: 'ok' });
    expect(rig.audit().at(-1)).toBe('L3_BOX_RESET: SUCCESS');
  });

  it('SSH never comes back: FAILED with the manual inspection / provider support message', async () => {
    rig = await startRig({ provider: false });
    const { engine, fleet } = rig;
    fleet.injectFault('box-down');
    const id = started(engine.start('l3-box-reset', 'demo-vm'));
    expect((await twoApprovals(rig, id, 'orion', 'vega')).accepted).toBe(true);
    rig.answer(id, { kind: 'reason', reason: 'box hung' });
    rig.answer(id, { kind: 'continue' });
    rig.answer(id, { kind: 'confirm', word: 'yes' });
    await rig.waitFor(() => engine.getSnapshot().runs.find((r) => r.runId === id)?.prompt?.kind === 'confirm', 'the manual reboot prompt', 10_000);
    // Confirmed without rebooting: the box stays hung for all 60 attempts.
    engine.confirm(id);
    expect(await rig.drive(id, 5_000)).toBe('failed');
    const view = engine.getSnapshot().runs.find((r) => r.runId === id)!;
    expect(view.message).toMatch(/manual inspection required; contact provider support.*Vultr console/);
    expect(view.message).toMatch(/still failing after 60 attempts/);
    expect(view.escalateTo).toBeUndefined();
    expect(rig.audit().at(-1)).toBe('L3_BOX_RESET: FAILED');
  });
});

describe('L3 approval bypass attempts (through answerApproval)', () => {
  it('step 2 before the 30 s wait is refused with the seconds left; nothing skips the wait', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l3-box-reset', 'demo-vm'));
    const p1 = await rig.waitPrompt(id, (x) => !!x.code, 'step 1 code');
    expect(rig.answer(id, { kind: 'approve', name: 'orion', code: p1.code! }).accepted).toBe(true);
    await rig.clock.advance(10_000);
    const early = rig.answer(id, { kind: 'approve', name: 'vega', code: p1.code! });
    expect(early.accepted).toBe(false);
    expect(early.error?.en).toMatch(/^Wait 20 s — step 2 opens 30 s after step 1/);
    for (const answer of [{ kind: 'continue' }, { kind: 'reason', reason: 'x' }, { kind: 'confirm', word: 'yes' }, { kind: 'reissue' }] as const) {
      expect(rig.answer(id, answer).accepted).toBe(false);
    }
    await rig.clock.advance(19_000);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p1.code! }).error?.en).toMatch(/^Wait 1 s/);
    await rig.clock.advance(1_000);
    const p2 = await rig.waitPrompt(id, (x) => x.phase === 'step2' && !!x.code, 'step 2');
    // The step-1 code was one-time: it does not open step 2.
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: p1.code! }).accepted).toBe(p1.code === p2.code);
    expect(rig.events.some((e) => e.type === 'step.started' && e.runId === id)).toBe(false);
    rig.answer(id, { kind: 'cancel' });
    expect(await rig.drive(id)).toBe('cancelled');
  });

  for (const same of ['orion', ' ORION ', 'Or ion']) {
    it(`the same approver for step 2 (${JSON.stringify(same)}) is rejected: STEP2_REJECTED - Same approver, nothing runs`, async () => {
      rig = await startRig();
      const id = started(rig.engine.start('l3-box-reset', 'demo-vm'));
      const res = await twoApprovals(rig, id, 'orion', same);
      expect(res.accepted).toBe(false);
      expect(res.error?.en).toMatch(/Step 2 must be approved by someone other than orion/);
      expect(await rig.drive(id)).toBe('cancelled');
      expect(rig.audit()).toEqual([
        expect.stringMatching(/^L3_BOX_RESET: START - Confirm: /),
        'L3_BOX_RESET: STEP1_APPROVED by orion (declared by kim)',
        `L3_BOX_RESET: STEP2_REJECTED - Same approver: ${same.trim()} (declared by kim)`,
      ]);
      expect(rig.events.some((e) => e.type === 'step.started' && e.runId === id)).toBe(false);
      expect(rig.fleet.state().reboots).toBe(0);
    });
  }

  for (const word of ['no', 'YES', 'y', '']) {
    it(`anything but "yes" (${JSON.stringify(word)}) cancels: CANCELLED by user, no reboot`, async () => {
      rig = await startRig();
      const id = started(rig.engine.start('l3-box-reset', 'demo-vm'));
      expect((await twoApprovals(rig, id, 'orion', 'vega')).accepted).toBe(true);
      expect(rig.answer(id, { kind: 'reason', reason: 'box hung' }).accepted).toBe(true);
      // The typed word before the summary was seen is out of phase.
      expect(rig.answer(id, { kind: 'confirm', word: 'yes' }).accepted).toBe(false);
      expect(rig.answer(id, { kind: 'continue' }).accepted).toBe(true);
      const r = rig.answer(id, { kind: 'confirm', word });
      expect(r.accepted).toBe(false);
      expect(r.error?.en).toMatch(/only the word yes executes/);
      expect(await rig.drive(id)).toBe('cancelled');
      expect(rig.audit().slice(1)).toEqual([
        'L3_BOX_RESET: STEP1_APPROVED by orion (declared by kim)',
        'L3_BOX_RESET: STEP2_APPROVED by vega (declared by kim)',
        'L3_BOX_RESET: REASON: box hung',
        'L3_BOX_RESET: CANCELLED by user',
      ]);
      expect(rig.fleet.state().reboots).toBe(0);
    });
  }

  it('cancel from the form during the wait: CANCELLED by user, the cross-session request is withdrawn', async () => {
    rig = await startRig();
    const id = started(rig.engine.start('l3-box-reset', 'demo-vm'));
    const p1 = await rig.waitPrompt(id, (x) => !!x.code && !!x.requestId, 'step 1 code and request');
    expect(rig.answer(id, { kind: 'approve', name: 'orion', code: p1.code! }).accepted).toBe(true);
    expect(rig.answer(id, { kind: 'cancel' }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('cancelled');
    expect(rig.audit().slice(1)).toEqual(['L3_BOX_RESET: STEP1_APPROVED by orion (declared by kim)', 'L3_BOX_RESET: CANCELLED by user']);
  });
});
