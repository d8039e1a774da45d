// Seed 000's `START - Confirm: <code>` audit line without a live secret in the log (R-AUD-1,
// R-AUD-3, R-APR-2): the engine and approval hook in one process, as a standalone console runs
// them. While the L2 form waits, neither emergency.log nor the run's journal holds the code; the
// START line, in the seed's exact format, is written once the code can no longer approve —
// approved, cancelled, expired, replaced, voided by wrong tries, or the run interrupted — before
// the approval's own line and every step. A START line that cannot be written stops the run
// before its first step.
import { readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CODE_TTL_MS } from '../../src/approval/codes';
import { readJournal } from '../../src/audit/journal';
import type { RunEvent } from '../../src/runbook/events';
import { started, startRig, type Rig } from '../helpers/recovery-rig';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Seed 000's line: `[2026-01-04T15:31:00+09:00] L2_SERVICE_RESET: START - Confirm: A3B2C1`. */
const seedStart = (code: string) => new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d\\] L2_SERVICE_RESET: START - Confirm: ${code}$`);

const text = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

async function pendingL2(r: Rig): Promise<{ id: string; code: string; journal: string }> {
  const id = started(r.engine.start('l2-service-reset', 'doai-orchestrator'));
  const p = await r.waitPrompt(id, (x) => !!x.code && !!x.requestId, 'the L2 form with its code and request');
  const journal = join(r.dir, 'journal', `${id}.jsonl`);
  // The form is up and the requester's screen has the code; no record on disk does.
  expect(p.code).toMatch(/^[0-9A-F]{6}$/);
  expect(text(r.auditPath)).not.toContain(p.code!);
  expect(text(journal)).toContain('"run.prompt"');
  expect(text(journal)).not.toContain(p.code!);
  expect(r.audit()).toEqual([]);
  return { id, code: p.code!, journal };
}

const runEvents = (r: Rig, id: string) => r.events.filter((e) => e.runId === id);

describe('the START line holds the approval code only once it is spent', () => {
  it('approved: no code in the log or journal while the form waits; then START - Confirm: <code> in the seed format, before STEP1_APPROVED and every step', async () => {
    rig = await startRig();
    rig.fleet.injectFault('crash-loop');
    const { id, code, journal } = await pendingL2(rig);
    // A refused try while the code still approves is recorded at once, without the code.
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: wrong }).accepted).toBe(false);
    expect(rig.audit()).toEqual(['L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by kim)']);
    expect(text(rig.auditPath) + text(journal)).not.toContain(code);

    expect(rig.answer(id, { kind: 'approve', name: 'vega', code }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('success');
    const raw = text(rig.auditPath).split('\n').filter(Boolean);
    expect(raw[1]).toMatch(seedStart(code));
    expect(rig.audit()).toEqual([
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by kim)',
      `L2_SERVICE_RESET: START - Confirm: ${code}`,
      'L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by kim)',
      'L2_SERVICE_RESET: SNAPSHOT_SAVED',
      'L2_SERVICE_RESET: SERVICES_STOPPED',
      'L2_SERVICE_RESET: CACHE_CLEARED',
      'L2_SERVICE_RESET: SERVICES_RESTARTED',
      'L2_SERVICE_RESET: SUCCESS',
    ]);
    // The journal has the code only in that START line, recorded before the grant and the steps.
    const events = readJournal(journal);
    const withCode = events.filter((e) => JSON.stringify(e).includes(code));
    expect(withCode).toEqual([expect.objectContaining({ type: 'audit', message: `START - Confirm: ${code}` })]);
    const types = events.map((e) => (e.type === 'audit' && e.message.startsWith('START') ? 'START' : e.type));
    expect(types.indexOf('START')).toBeLessThan(types.indexOf('approval.granted'));
    expect(types.indexOf('START')).toBeLessThan(types.indexOf('step.started'));
    expect(events[0]).toMatchObject({ type: 'run.started', startDeferred: true });
    // The form recorded in the journal is there, without its code.
    const prompts = events.filter((e): e is Extract<RunEvent, { type: 'run.prompt' }> => e.type === 'run.prompt' && e.prompt?.kind === 'approval');
    expect(prompts.length).toBeGreaterThan(0);
    for (const p of prompts) expect(p.prompt).not.toHaveProperty('code');
  }, 60_000);

  it('cancelled while the form waits: START with the dead code, then CANCELLED by user; nothing ran', async () => {
    rig = await startRig();
    const { id, code } = await pendingL2(rig);
    expect(rig.answer(id, { kind: 'cancel' }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('cancelled');
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CANCELLED by user']);
    expect(text(rig.auditPath).split('\n')[0]).toMatch(seedStart(code));
    expect(runEvents(rig, id).some((e) => e.type === 'step.started')).toBe(false);
  }, 60_000);

  it('expired: START with the dead code as soon as it expires (no input needed); a reissued code never reaches the log', async () => {
    rig = await startRig();
    const { id, code, journal } = await pendingL2(rig);
    await rig.clock.advance(CODE_TTL_MS + 1000);
    await rig.waitFor(() => rig!.audit().length > 0, 'the START line after the expiry');
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`]);
    expect(text(rig.auditPath).trim()).toMatch(seedStart(code));
    // A new code for the same form: it is live, so it is nowhere on disk.
    expect(rig.answer(id, { kind: 'reissue' }).accepted).toBe(true);
    const fresh = await rig.waitPrompt(id, (x) => !!x.code && x.code !== code, 'the new code');
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CODE_REISSUED - step 1']);
    expect(text(rig.auditPath) + text(journal)).not.toContain(fresh.code!);
    expect(rig.answer(id, { kind: 'cancel' }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('cancelled');
    // Cancelled with the second code still unused: START names the first one only, once.
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CODE_REISSUED - step 1', 'L2_SERVICE_RESET: CANCELLED by user']);
    expect(text(rig.auditPath) + text(journal)).not.toContain(fresh.code!);
  }, 60_000);

  it('replaced before it expired: START with the first code just before CODE_REISSUED', async () => {
    rig = await startRig();
    const { id, code } = await pendingL2(rig);
    expect(rig.answer(id, { kind: 'reissue' }).accepted).toBe(true);
    const fresh = await rig.waitPrompt(id, (x) => !!x.code && x.code !== code, 'the new code');
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CODE_REISSUED - step 1']);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code: fresh.code! }).accepted).toBe(true);
    await rig.waitFor(() => rig!.audit().includes('L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by kim)'), 'the approval line');
    expect(rig.audit().filter((l) => l.includes('START'))).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`]);
    expect(text(rig.auditPath)).not.toContain(fresh.code!);
    rig.engine.cancel(id);
    await rig.drive(id);
  }, 60_000);

  it('interrupted while the form waits (SIGHUP, SIGTERM): START with the dead code, then INTERRUPTED', async () => {
    rig = await startRig();
    const { id, code } = await pendingL2(rig);
    rig.engine.interrupt(id, 'SIGHUP while waiting for approval');
    expect(await rig.drive(id)).toBe('interrupted');
    expect(rig.audit()).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: INTERRUPTED - SIGHUP while waiting for approval']);
  }, 60_000);

  it('a START line the log refuses when the code is spent: the run ends FAILED before its first step, the line kept to append late', async () => {
    rig = await startRig();
    const { id, code } = await pendingL2(rig);
    // From now on every write fails with ENOSPC.
    symlinkSync('/dev/full', rig.auditPath);
    expect(rig.answer(id, { kind: 'approve', name: 'vega', code }).accepted).toBe(true);
    expect(await rig.drive(id)).toBe('failed');
    const events = runEvents(rig, id);
    expect(events.some((e) => e.type === 'step.started')).toBe(false);
    const finished = events.find((e): e is Extract<RunEvent, { type: 'run.finished' }> => e.type === 'run.finished')!;
    expect(finished.message).toMatch(/cannot write the audit log .*no space left on device.* — nothing ran/i);
    expect(finished.auditIncomplete).toBe(true);
    expect(finished.escalateTo).toBeUndefined();
    // Writable again: the next line written first appends what was missed, START included.
    unlinkSync(rig.auditPath);
    rig.fleet.injectFault('crash');
    const next = started(rig.engine.start('l1-soft-reset', 'doai-orchestrator'));
    await rig.drive(next);
    expect(rig.audit().slice(0, 4)).toEqual([
      expect.stringMatching(new RegExp(`^L2_SERVICE_RESET: START - Confirm: ${code} \\(LATE: `)),
      expect.stringMatching(/^L2_SERVICE_RESET: STEP1_APPROVED by vega \(declared by kim\) \(LATE: /),
      expect.stringMatching(/^L2_SERVICE_RESET: FAILED - START line not written, nothing ran \(LATE: /),
      'L1_SOFT_RESET: START',
    ]);
  }, 60_000);
});
