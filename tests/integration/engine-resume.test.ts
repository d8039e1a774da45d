// Resuming an interrupted run (R-UI-5): L2 interrupted in a resumable wait goes on from that step
// in a new run with a FRESH approval; the steps done before are recorded skipped, "done in run
// <id>", and never run again on the box. Runs against the demo fleet with a FakeClock.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findInterruptedRuns, interruptedNotice, replayRuns, resumePlan, withResume } from '../../src/cli/resume';
import type { RunEvent } from '../../src/runbook/events';
import { builtinRunbook, startRig, type Rig } from '../helpers/recovery-rig';

let rig: Rig | undefined;

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function started(r: { ok: true; runId: string } | { ok: false; error: string }): string {
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resume an interrupted run', () => {
  it('L2 interrupted in start-settle resumes there: fresh code, earlier steps skipped "done in run", RESUMED line, nothing stopped twice', async () => {
    rig = await startRig();
    const { engine } = rig;
    const first = started(engine.start('l2-service-reset', 'doai-orchestrator'));
    const p1 = await rig.waitPrompt(first, (x) => !!x.code, 'the first code');
    expect(rig.answer(first, { kind: 'approve', name: 'vega', code: p1.code! }).accepted).toBe(true);
    // Let the steps run until the wait after start-service, then interrupt as SIGHUP would.
    const inSettle = () => rig!.events.some((e) => e.runId === first && e.type === 'step.started' && e.stepId === 'start-settle');
    for (let i = 0; i < 2000 && !inSettle(); i++) {
      await rig.clock.advance(200);
      await sleep(3);
    }
    expect(inSettle()).toBe(true);
    engine.interrupt(first, 'SIGHUP during step "start-settle" (Wait 5 s)');
    expect(await engine.waitFor(first)).toBe('interrupted');

    const runbooks = (id: string) => engine.getRunbook(id);
    const found = findInterruptedRuns({ journalDir: join(rig.dir, 'journal'), lockDir: join(rig.dir, 'locks'), runbook: runbooks });
    expect(found).toHaveLength(1);
    expect(found[0]!.resume).toMatchObject({ runId: first, stepId: 'start-settle', index: 7, params: {} });

    // The console's path: found without the runbooks, the replay works out where it can resume.
    const bare = findInterruptedRuns({ journalDir: join(rig.dir, 'journal'), lockDir: join(rig.dir, 'locks') });
    expect(bare[0]!.resume).toBeUndefined();
    const replay = replayRuns(bare, runbooks);
    expect(replay.getSnapshot().runs.find((r) => r.runId === first)?.resumeAt).toEqual({ stepId: 'start-settle', index: 7 });
    expect(interruptedNotice(bare, 'en', { open: 'Enter', resume: 'r' })).toMatch(/— Enter: what happened, then r: resume from step 8 \(start-settle\) with a fresh approval$/);

    const control = withResume(engine, bare, replay);
    const second = started(control.resume(first));
    // Resumed once: the replayed run no longer offers it.
    expect(replay.getSnapshot().runs.find((r) => r.runId === first)?.resumeAt).toBeUndefined();
    // A fresh approval: a new code, asked again (never the first run's).
    const p2 = await rig.waitPrompt(second, (x) => !!x.code, 'the fresh code');
    expect(p2.code).not.toBe(p1.code);
    expect(p2.plan?.[0]).toBe(`Resumes run ${first} at step 8 (start-settle); steps 1-7 were done there and do not run again:`);
    expect(rig.answer(second, { kind: 'approve', name: 'vega', code: p1.code! === p2.code ? 'XXXXXX' : p1.code! }).accepted).toBe(false);
    expect(rig.answer(second, { kind: 'approve', name: 'vega', code: p2.code! }).accepted).toBe(true);
    expect(await rig.drive(second)).toBe('success');

    const view = engine.getSnapshot().runs.find((r) => r.runId === second)!;
    expect(view.steps.map((s) => `${s.id}:${s.state}`)).toEqual([
      'snapshot:skipped',
      'stop:skipped',
      'stop-settle:skipped',
      'clear-cache:skipped',
      'start-proxy:skipped',
      'proxy-settle:skipped',
      'start-service:skipped',
      'start-settle:ok',
      'verify:ok',
    ]);
    const skipped = rig.events.filter((e): e is Extract<RunEvent, { type: 'step.finished' }> => e.runId === second && e.type === 'step.finished' && e.outcome === 'skipped');
    expect(new Set(skipped.map((e) => e.message))).toEqual(new Set([`done in run ${first}`]));
    // The resumed run never started a step before start-settle.
    expect(rig.events.filter((e) => e.runId === second && e.type === 'step.started').map((e) => (e as { stepId: string }).stepId)).toEqual(['start-settle', 'verify']);

    const lines = rig.audit();
    const from = lines.lastIndexOf(`L2_SERVICE_RESET: START - Confirm: ${p2.code}`);
    expect(lines.slice(from - 1)).toEqual([
      // The first run's code is refused: its approval is never reused. Written when it happened,
      // while this run's code still approved, so before the START line that holds that code.
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by kim)',
      `L2_SERVICE_RESET: START - Confirm: ${p2.code}`,
      `L2_SERVICE_RESET: RESUMED from ${first} at step start-settle`,
      'L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by kim)',
      // start-settle's own audit line, which the interrupted run never reached.
      'L2_SERVICE_RESET: SERVICES_RESTARTED',
      'L2_SERVICE_RESET: SUCCESS',
    ]);
    expect(lines.filter((l) => l === 'L2_SERVICE_RESET: SERVICES_STOPPED')).toHaveLength(1);
    expect(lines).toContain('L2_SERVICE_RESET: INTERRUPTED - SIGHUP during step "start-settle" (Wait 5 s)');

    // Once resumed, it is not offered again.
    expect(control.resume(first)).toEqual({ ok: false, error: `run ${first} was already resumed as run ${second}; open that one` });
    // The next start finds nothing to offer: a later run on the target finished.
    expect(findInterruptedRuns({ journalDir: join(rig.dir, 'journal'), lockDir: join(rig.dir, 'locks'), runbook: runbooks })).toEqual([]);
  }, 60_000);

  it('refuses a resume the runbook does not allow, with the reason and what to do', async () => {
    rig = await startRig();
    const { engine } = rig;
    const earlier = { snapshot: 'ok', stop: 'ok' } as const;
    // stop-settle is resumable but clear-cache is not.
    expect(engine.start('l2-service-reset', 'doai-orchestrator', { resume: { runId: 'R1', stepId: 'clear-cache', earlier: { ...earlier, 'stop-settle': 'ok' } } })).toEqual({
      ok: false,
      error: 'cannot start l2-service-reset on doai-orchestrator: resume from run R1: step "clear-cache" is not marked resumable (running it again may not be safe); start over instead',
    });
    expect(engine.start('l2-service-reset', 'doai-orchestrator', { resume: { runId: 'R1', stepId: 'verify', earlier } })).toEqual({
      ok: false,
      error: 'cannot start l2-service-reset on doai-orchestrator: resume from run R1: step "stop-settle" has no recorded end in that run, so it may not have finished; start over instead',
    });
    expect(engine.start('l2-service-reset', 'doai-orchestrator', { resume: { runId: 'R1', stepId: 'nope', earlier } })).toMatchObject({ ok: false, error: expect.stringContaining('has no step "nope" (it may have changed since); start over instead') });
    expect(engine.start('l2-service-reset', 'doai-orchestrator', { dryRun: true, resume: { runId: 'R1', stepId: 'stop-settle', earlier } })).toMatchObject({ ok: false, error: expect.stringContaining('a dry run cannot resume') });
    // Nothing started, nothing written.
    expect(rig.audit()).toEqual([]);
    expect(engine.activeRuns()).toEqual([]);
  });
});

describe('resumePlan', () => {
  const l1 = builtinRunbook('l1-soft-reset');
  const l3 = builtinRunbook('l3-box-reset');
  const byId = (id: string) => (id === l1.id ? l1 : id === l3.id ? l3 : undefined);
  const at = new Date('2026-03-01T10:00:00Z');
  const startedEv = (runbook: string, params?: Record<string, string>): RunEvent => ({ type: 'run.started', runId: 'R1', runbook, level: 'L1', auditName: 'X', target: 's', operator: 'o', dryRun: false, ...(params ? { params } : {}), at });
  const fin = (stepId: string, outcome: 'ok' | 'skipped' | 'failed' | 'cancelled', message?: string): RunEvent => ({ type: 'step.finished', runId: 'R1', stepId, outcome, ...(message ? { message } : {}), at });

  it('resumes at the first step without a recorded end when it is resumable', () => {
    const events = [startedEv('l1-soft-reset'), fin('health-check', 'ok'), fin('restart', 'ok'), fin('settle', 'cancelled'), fin('status', 'skipped'), fin('verify', 'skipped')];
    expect(resumePlan(events, byId)).toEqual({ ok: true, plan: { runId: 'R1', stepId: 'settle', index: 2, params: {}, earlier: { 'health-check': 'ok', restart: 'ok' } } });
  });

  it('says why not: an unsafe step, no step done, missing parameter values, an unknown runbook', () => {
    expect(resumePlan([startedEv('l1-soft-reset'), fin('health-check', 'ok'), fin('restart', 'cancelled')], byId)).toEqual({
      ok: false,
      why: 'step "restart" is not marked resumable (running it again may not be safe); start over instead',
    });
    expect(resumePlan([startedEv('l1-soft-reset')], byId)).toEqual({ ok: false, why: 'no step had finished; start over' });
    expect(resumePlan([startedEv('l3-box-reset'), fin('backup', 'ok'), fin('reboot-api', 'ok')], byId)).toEqual({
      ok: false,
      why: 'its journal does not record the parameter values it used; start over',
    });
    expect(resumePlan([startedEv('gone')], byId)).toEqual({ ok: false, why: 'runbook gone is not loaded any more' });
  });

  it('a resumed run interrupted again resumes from its own interrupted step ("done in run" counts as done)', () => {
    const events = [startedEv('l1-soft-reset'), fin('health-check', 'skipped', 'done in run R0'), fin('restart', 'skipped', 'done in run R0'), fin('settle', 'ok'), fin('status', 'ok')];
    expect(resumePlan(events, byId)).toMatchObject({ ok: true, plan: { stepId: 'verify', index: 4, earlier: { 'health-check': 'ok', restart: 'ok', settle: 'ok', status: 'ok' } } });
  });
});
