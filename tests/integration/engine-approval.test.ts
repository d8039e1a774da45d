// The engine's approval hook, secret redaction and store batching, with runbooks whose steps
// need no host (wait, and a real node:http endpoint): the parts of a run around the steps.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { readJournal } from '../../src/audit/journal';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { createRunEngine, type ApprovalContext, type ApprovalResult, type RunEngine } from '../../src/runbook/engine';
import type { RunEvent, RunOutcome } from '../../src/runbook/events';
import { parseRunbook } from '../../src/runbook/loader';
import type { Runbook } from '../../src/runbook/schema';
import type { RemoteShell } from '../../src/ssh/types';
import { FileLockStore } from '../../src/runbook/locks';

const noShell: RemoteShell = {
  exec: () => Promise.reject(new Error('no ssh in this test')),
  probe: async () => ({ ok: false, error: 'no ssh' }),
  close: () => {},
};

let dir: string;
let http: Server;
let port: number;
let clock: FakeClock;
let engines: RunEngine[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-engine-apr-'));
  clock = new FakeClock();
  http = createServer((req, res) => {
    if (req.url === '/noisy') {
      // A secret showing up in a response must not reach the screen, journal or log.
      res.end('token=sk-SECRET-123 ok');
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const e of engines.splice(0)) for (const r of e.activeRuns()) e.cancel(r.runId);
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function runbook(yaml: string): Runbook {
  const r = parseRunbook(yaml, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.runbook;
}

/** An L2 runbook needing code approval, on a service: `steps` (YAML list items), then the runbook's failure line. */
const l2Runbook = (steps: string) => `id: l2-test
level: L2
audit_name: L2_SERVICE_RESET
title: { ko: L2 테스트, en: L2 test }
approval: code
target: service
steps:
${steps}on_failure: { audit: "FAILED - Escalate to L3", escalate_to: l3-box-reset }
`;

const l2ish = l2Runbook(`  - id: settle
    kind: wait
    seconds: 2
    audit: SERVICES_STOPPED
`);

const lastFinished = (events: RunEvent[]) => events.filter((e) => e.type === 'run.finished').at(-1) as Extract<RunEvent, { type: 'run.finished' }>;

function engineWith(rb: Runbook, approve?: (ctx: ApprovalContext) => Promise<ApprovalResult>, secrets?: string[]) {
  const engine = createRunEngine({
    config: configSchema.parse({
      hosts: [{ name: 'h1', address: '127.0.0.1' }],
      services: [{ name: 'api', host: 'h1', unit: 'api', health_url: `http://127.0.0.1:${port}/noisy` }],
    }),
    runbooks: new Map([[rb.id, rb]]),
    shell: noShell,
    clock,
    operator: 'orion',
    audit: new AuditLog(join(dir, 'emergency.log'), { secrets: () => secrets ?? [] }),
    journalDir: join(dir, 'journal'),
    locks: new FileLockStore(join(dir, 'locks')),
    approve,
  });
  engines.push(engine);
  const events: RunEvent[] = [];
  engine.on((e) => events.push(e));
  return { engine, events };
}

function auditLines(): string[] {
  try {
    return readFileSync(join(dir, 'emergency.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\[[^\]]+\] /, ''));
  } catch {
    return [];
  }
}

async function drive(engine: RunEngine, runId: string): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  void engine.waitFor(runId).then((o) => (outcome = o));
  for (let i = 0; i < 500 && outcome === undefined; i++) {
    await clock.advance(500);
    await new Promise((r) => setTimeout(r, 2));
  }
  if (!outcome) throw new Error('run did not finish');
  return outcome;
}

describe('approval hook', () => {
  it('a runbook that needs approval is refused when the console has no approval module', () => {
    const { engine } = engineWith(runbook(l2ish));
    const r = engine.start('l2-test', 'api');
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/cannot start l2-test on api: it needs code approval and this console has no approval module/) });
    // A dry run needs no approval: it changes nothing.
    expect(engine.start('l2-test', 'api', { dryRun: true }).ok).toBe(true);
  });

  it('waits for the hook before any step; its events and audit lines are recorded in order', async () => {
    let release!: (r: ApprovalResult) => void;
    const seen: ApprovalContext[] = [];
    const { engine, events } = engineWith(runbook(l2ish), (ctx) => {
      seen.push(ctx);
      ctx.emit({ type: 'approval.requested', step: 1 });
      ctx.emit({ type: 'run.prompt', prompt: { kind: 'approval', step: 1, code: 'A3B2C1', triesLeft: 3 } });
      return new Promise((r) => (release = r));
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    await clock.advance(10_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ runId: started.runId, target: 'api', level: 'L2', policy: 'code', operator: 'orion' });
    expect(events.some((e) => e.type === 'step.started')).toBe(false);
    expect(engine.getSnapshot().runs[0].prompt).toMatchObject({ kind: 'approval', code: 'A3B2C1' });

    seen[0].emit({ type: 'audit', message: 'STEP1_APPROVED by vega' });
    seen[0].emit({ type: 'approval.granted', step: 1, approver: 'vega', how: 'code' });
    release({ ok: true, approver: 'vega' });
    expect(await drive(engine, started.runId)).toBe('success');
    expect(auditLines()).toEqual(['L2_SERVICE_RESET: START', 'L2_SERVICE_RESET: STEP1_APPROVED by vega', 'L2_SERVICE_RESET: SERVICES_STOPPED', 'L2_SERVICE_RESET: SUCCESS']);
    // The hook emitted approval.granted itself: the engine adds none.
    expect(events.filter((e) => e.type === 'approval.granted')).toHaveLength(1);
    expect(engine.getSnapshot().runs[0].prompt).toBeUndefined();
    const types = events.map((e) => e.type);
    expect(types.indexOf('approval.granted')).toBeLessThan(types.indexOf('step.started'));
  });

  it('a hook that only returns ok gets approval.granted and STEP1_APPROVED recorded for it', async () => {
    const { engine, events } = engineWith(runbook(l2ish), async () => ({ ok: true, approver: 'vega' }));
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('success');
    expect(events.find((e) => e.type === 'approval.granted')).toMatchObject({ approver: 'vega', how: 'code', step: 1 });
    expect(auditLines()[1]).toBe('L2_SERVICE_RESET: STEP1_APPROVED by vega');
  });

  it('a refused approval runs nothing, escalates nowhere, and does not repeat CANCELLED by user', async () => {
    const { engine, events } = engineWith(runbook(l2ish), async (ctx) => {
      ctx.emit({ type: 'audit', message: 'STEP1_REJECTED - wrong code 3 times' });
      ctx.emit({ type: 'approval.rejected', step: 1, reason: 'wrong code 3 times' });
      ctx.emit({ type: 'audit', message: 'CANCELLED by user' });
      return { ok: false, reason: 'wrong code 3 times' };
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('cancelled');
    expect(auditLines()).toEqual(['L2_SERVICE_RESET: START', 'L2_SERVICE_RESET: STEP1_REJECTED - wrong code 3 times', 'L2_SERVICE_RESET: CANCELLED by user']);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'cancelled', message: 'wrong code 3 times' });
    expect((events.at(-1) as { escalateTo?: string }).escalateTo).toBeUndefined();
    expect(events.filter((e) => e.type === 'step.finished').map((e) => (e as { outcome: string }).outcome)).toEqual(['skipped']);
  });

  it('cancel while waiting for approval aborts the hook signal and records CANCELLED by user', async () => {
    let signal: AbortSignal | undefined;
    const { engine } = engineWith(runbook(l2ish), (ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    await clock.advance(100);
    engine.cancel(started.runId);
    expect(await engine.waitFor(started.runId)).toBe('cancelled');
    expect(signal?.aborted).toBe(true);
    expect(auditLines()).toEqual(['L2_SERVICE_RESET: START', 'L2_SERVICE_RESET: CANCELLED by user']);
  });
});

describe('a run that fails before any step ran', () => {
  // An approval hook that throws, or resolves to something that is not an answer, is a bug in the
  // approval module, not a failed recovery: nothing ran on any host, so the log must not say the
  // runbook's "FAILED - Escalate to L3" and the console must not offer the next level.

  it('an approval hook that throws: failed, nothing ran, no escalation', async () => {
    const { engine, events } = engineWith(runbook(l2ish), async () => {
      throw new Error('approval board unreachable');
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    const end = lastFinished(events);
    expect(end).toMatchObject({ outcome: 'failed', message: expect.stringMatching(/approval failed: approval board unreachable.*nothing ran/) });
    expect(end.escalateTo).toBeUndefined();
    expect(auditLines()).toEqual(['L2_SERVICE_RESET: START', 'L2_SERVICE_RESET: FAILED - approval failed: approval board unreachable, nothing ran']);
    expect(auditLines().join('\n')).not.toContain('Escalate to');
    expect(events.some((e) => e.type === 'step.started')).toBe(false);
    expect(engine.getSnapshot().runs[0]).toMatchObject({ state: 'failed', escalateTo: undefined });
  });

  it('an approval hook that resolves to no answer (internal error): the same, in the internal-error wording', async () => {
    const { engine, events } = engineWith(runbook(l2ish), async () => undefined as unknown as ApprovalResult);
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    const end = lastFinished(events);
    expect(end).toMatchObject({ outcome: 'failed', message: expect.stringMatching(/^internal error: .*nothing ran/) });
    expect(end.escalateTo).toBeUndefined();
    const lines = auditLines();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^L2_SERVICE_RESET: FAILED - internal error: .*, nothing ran$/);
    expect(lines.join('\n')).not.toContain('Escalate to');
  });

  it('a step that ran and failed still escalates, with the runbook\'s failure line', async () => {
    const failing = runbook(l2Runbook(`  - id: check
    kind: http
    url: "{{service.health_url}}"
    expect_body: "never in the body"
`));
    const { engine, events } = engineWith(failing, async () => ({ ok: true, approver: 'vega' }));
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(events.some((e) => e.type === 'step.started')).toBe(true);
    expect(lastFinished(events)).toMatchObject({ outcome: 'failed', escalateTo: 'l3-box-reset' });
    expect(lastFinished(events).message ?? '').not.toContain('nothing ran');
    const lines = auditLines();
    expect(lines[0]).toBe('L2_SERVICE_RESET: START');
    expect(lines[1]).toBe('L2_SERVICE_RESET: STEP1_APPROVED by vega');
    expect(lines.at(-1)).toBe('L2_SERVICE_RESET: FAILED - Escalate to L3');
  });
});

describe('an approval_gate after checks', () => {
  // The steps before an approval_gate are checks that change nothing live (what the gate
  // declares); the approval is asked at the gate. When the approval module fails there, the
  // checks ran but no recovery step did: the log says why and from which step nothing ran, not
  // the runbook's "FAILED - Escalate to L3", and the console offers no escalation.
  const gated = (after = '') =>
    l2Runbook(`  - id: check
    kind: http
    url: "{{service.health_url}}"
    expect_body: "ok"
    audit: HEALTH_CHECKED
  - id: stop
    kind: wait
    seconds: 2
    approval_gate: true
    audit: SERVICES_STOPPED
${after}`);

  it('a hook that throws at the gate: failed, the reason logged, nothing from the gate on ran, no escalation', async () => {
    const { engine, events } = engineWith(runbook(gated()), async () => {
      throw new Error('approval board unreachable');
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    const end = lastFinished(events);
    expect(end).toMatchObject({ outcome: 'failed', message: 'approval failed: approval board unreachable — nothing ran from step 2 (stop) on' });
    expect(end.escalateTo).toBeUndefined();
    expect(auditLines()).toEqual([
      'L2_SERVICE_RESET: START',
      'L2_SERVICE_RESET: HEALTH_CHECKED',
      'L2_SERVICE_RESET: FAILED - approval failed: approval board unreachable, nothing ran from step 2 (stop) on',
    ]);
    expect(events.filter((e) => e.type === 'step.started').map((e) => (e as { stepId: string }).stepId)).toEqual(['check']);
    expect(engine.getSnapshot().runs[0]).toMatchObject({ state: 'failed', escalateTo: undefined });
  });

  it('a hook that resolves to no answer at the gate: the same, in the internal-error wording', async () => {
    const { engine, events } = engineWith(runbook(gated()), async () => undefined as unknown as ApprovalResult);
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(lastFinished(events).escalateTo).toBeUndefined();
    const lines = auditLines();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^L2_SERVICE_RESET: FAILED - internal error: .*, nothing ran from step 2 \(stop\) on$/);
    expect(lines.join('\n')).not.toContain('Escalate to');
  });

  it('approved at the gate, a step after it ran and a later one failed: the runbook\'s failure line and escalation', async () => {
    const failing = gated(`  - id: verify
    kind: http
    url: "{{service.health_url}}"
    expect_body: "never in the body"
`);
    const { engine, events } = engineWith(runbook(failing), async () => ({ ok: true, approver: 'vega' }));
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(lastFinished(events)).toMatchObject({ outcome: 'failed', escalateTo: 'l3-box-reset' });
    expect(lastFinished(events).message ?? '').not.toContain('nothing ran');
    const lines = auditLines();
    expect(lines.slice(0, 4)).toEqual(['L2_SERVICE_RESET: START', 'L2_SERVICE_RESET: HEALTH_CHECKED', 'L2_SERVICE_RESET: STEP1_APPROVED by vega', 'L2_SERVICE_RESET: SERVICES_STOPPED']);
    expect(lines.at(-2)).toMatch(/^L2_SERVICE_RESET: STEP_FAILED verify - /);
    expect(lines.at(-1)).toBe('L2_SERVICE_RESET: FAILED - Escalate to L3');
  });

  it('a check before the gate that fails: the runbook\'s failure line and escalation, as before', async () => {
    const { engine, events } = engineWith(runbook(gated().replace('expect_body: "ok"', 'expect_body: "never in the body"')), async () => {
      throw new Error('never asked');
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(lastFinished(events)).toMatchObject({ outcome: 'failed', escalateTo: 'l3-box-reset' });
    expect(auditLines().at(-1)).toBe('L2_SERVICE_RESET: FAILED - Escalate to L3');
  });

  // What the checks before the gate left, said by the gate step (when_not_approved) when the run
  // ends at its approval: in the message however it ended, in the FAILED line when it failed.
  const leaving = gated().replace(
    '    approval_gate: true\n',
    '    approval_gate: true\n    when_not_approved: { ko: "{{service.name}} 점검 결과는 남음", en: "the check of {{service.name}} is kept: `rm -f -- {{service.name}}.check`" }\n',
  );
  const KEPT = 'the check of api is kept: `rm -f -- api.check`';

  it('when_not_approved: a hook that throws at the gate: the message and the FAILED line say what is kept', async () => {
    const { engine, events } = engineWith(runbook(leaving), async () => {
      throw new Error('approval board unreachable');
    });
    const started = engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(lastFinished(events)).toMatchObject({ outcome: 'failed', message: `approval failed: approval board unreachable — nothing ran from step 2 (stop) on; ${KEPT}`, escalateTo: undefined });
    expect(auditLines()).toEqual([
      'L2_SERVICE_RESET: START',
      'L2_SERVICE_RESET: HEALTH_CHECKED',
      `L2_SERVICE_RESET: FAILED - approval failed: approval board unreachable, nothing ran from step 2 (stop) on; ${KEPT}`,
    ]);
  });

  it('when_not_approved: refused at the gate: cancelled, the message says what is kept; approved: never said', async () => {
    const refused = engineWith(runbook(leaving), async () => ({ ok: false, reason: 'refused by vega' }));
    const started = refused.engine.start('l2-test', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(refused.engine, started.runId)).toBe('cancelled');
    expect(lastFinished(refused.events)).toMatchObject({ outcome: 'cancelled', message: `refused by vega; ${KEPT}` });
    expect(auditLines().at(-1)).toBe('L2_SERVICE_RESET: CANCELLED by user');

    const approved = engineWith(runbook(leaving.replace('    kind: wait\n    seconds: 2\n', '    kind: http\n    url: "{{service.health_url}}"\n    expect_body: "never in the body"\n')), async () => ({ ok: true, approver: 'vega' }));
    const again = approved.engine.start('l2-test', 'api');
    if (!again.ok) throw new Error(again.error);
    expect(await drive(approved.engine, again.runId)).toBe('failed');
    expect(lastFinished(approved.events).message ?? '').not.toContain('is kept');
  });

  it('when_not_approved on a step that is not the approval gate is refused at load', () => {
    const r = parseRunbook(gated().replace('    audit: HEALTH_CHECKED\n', '    audit: HEALTH_CHECKED\n    when_not_approved: { ko: x, en: x }\n'), 'test.yaml');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join('\n')).toContain('steps[0].when_not_approved: expected on the step with approval_gate: true only');
  });
});

describe('secrets', () => {
  const probe = `id: probe
level: L1
audit_name: PROBE
title: { ko: 확인, en: Probe }
approval: auto
target: service
steps:
  - id: get
    kind: http
    url: "{{service.health_url}}"
    expect_body: "sk-SECRET-123"
`;

  it('masks secrets in events, the journal and the audit log', async () => {
    const { engine, events } = engineWith(runbook(probe), undefined, ['sk-SECRET-123']);
    const started = engine.start('probe', 'api');
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('success');
    const all = JSON.stringify(events) + readFileSync(join(dir, 'journal', `${started.runId}.jsonl`), 'utf8') + auditLines().join('\n');
    expect(all).not.toContain('sk-SECRET-123');
    expect(readJournal(join(dir, 'journal', `${started.runId}.jsonl`)).length).toBe(events.length);
  });
});
