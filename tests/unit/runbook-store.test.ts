import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/runbook/events';
import { parseRunbook } from '../../src/runbook/loader';
import { RunViewStore } from '../../src/runbook/runs-store';
import { auditMessagesFor } from '../../src/runbook/audit-events';

const rb = parseRunbook(
  `id: l1-soft-reset
level: L1
audit_name: L1_SOFT_RESET
title: { ko: L1 소프트 리셋, en: L1 Soft Reset }
approval: auto
target: service
steps:
  - { id: restart, kind: ssh, run: "systemctl restart {{service.unit}}", audit: SERVICE_RESTARTED }
  - { id: settle, kind: wait, seconds: 5 }
on_failure: { audit: "FAILED - Escalate to L2", escalate_to: l2-service-reset }
`,
  't.yaml',
);
if (!rb.ok) throw new Error(rb.problems.join('\n'));
const runbook = rb.runbook;
const at = new Date(Date.UTC(2026, 0, 4, 6, 30));
const started: RunEvent = { type: 'run.started', runId: 'r1', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'orch', operator: 'orion', dryRun: false, at };

describe('RunViewStore', () => {
  it('drops a live countdown detail when the step ends, keeps the finished step\'s own message', () => {
    const store = new RunViewStore({ runbook: () => runbook });
    store.apply(started);
    store.apply({ type: 'step.started', runId: 'r1', stepId: 'settle', at });
    store.apply({ type: 'step.progress', runId: 'r1', stepId: 'settle', detail: '1 s left', at });
    expect(store.getSnapshot().runs[0].steps[1].detail).toBe('1 s left');
    store.apply({ type: 'step.finished', runId: 'r1', stepId: 'settle', outcome: 'ok', at });
    expect(store.getSnapshot().runs[0].steps[1].detail).toBeUndefined();
    store.apply({ type: 'step.started', runId: 'r1', stepId: 'restart', at });
    store.apply({ type: 'step.progress', runId: 'r1', stepId: 'restart', detail: 'attempt 2/6', at });
    store.apply({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'ok', message: 'passed on attempt 2/6', at });
    expect(store.getSnapshot().runs[0].steps[0].detail).toBe('passed on attempt 2/6');
  });

  it('builds the run view from events only', () => {
    const store = new RunViewStore({ runbook: () => runbook });
    store.apply(started);
    let view = store.getSnapshot().runs[0];
    expect(view).toMatchObject({ runId: 'r1', title: { en: 'L1 Soft Reset' }, state: 'running', outputCount: 0 });
    expect(view.steps.map((s) => [s.id, s.state, s.title.en])).toEqual([
      ['restart', 'pending', 'Run: systemctl restart {{service.unit}}'],
      ['settle', 'pending', 'Wait 5 s'],
    ]);
    store.apply({ type: 'step.started', runId: 'r1', stepId: 'restart', at });
    store.apply({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'failed', message: 'exit code 1', at });
    store.apply({ type: 'step.finished', runId: 'r1', stepId: 'settle', outcome: 'skipped', at });
    store.apply({ type: 'run.prompt', runId: 'r1', prompt: { kind: 'confirm', stepId: 'settle', message: { ko: 'a', en: 'b' } }, at });
    expect(store.getSnapshot().runs[0].prompt).toBeDefined();
    store.apply({ type: 'run.finished', runId: 'r1', outcome: 'failed', escalateTo: 'l2-service-reset', message: 'why', at });
    view = store.getSnapshot().runs[0];
    expect(view).toMatchObject({ state: 'failed', escalateTo: 'l2-service-reset', message: 'why', finishedAt: at, prompt: undefined });
    expect(view.steps.map((s) => `${s.id}:${s.state}:${s.detail ?? ''}`)).toEqual(['restart:failed:exit code 1', 'settle:skipped:']);
  });

  it('keeps the last 2,000 output lines per run and notifies in batches, not per line', async () => {
    const store = new RunViewStore({ runbook: () => runbook, batchMs: 50 });
    let notifications = 0;
    store.subscribe(() => notifications++);
    store.apply(started);
    const before = store.getSnapshot();
    for (let i = 0; i < 5000; i++) store.apply({ type: 'step.output', runId: 'r1', stepId: 'restart', stream: i % 2 ? 'stderr' : 'stdout', line: `line ${i}`, at });
    const tail = store.getOutput('r1', 5000);
    expect(tail).toHaveLength(2000);
    expect(tail[0]).toEqual({ stepId: 'restart', stream: 'stdout', line: 'line 3000' });
    expect(tail.at(-1)!.line).toBe('line 4999');
    expect(store.getOutput('r1', 2).map((l) => l.line)).toEqual(['line 4998', 'line 4999']);
    const after = store.getSnapshot();
    expect(after).not.toBe(before);
    expect(after.runs[0].outputCount).toBe(5000);
    expect(after.outputVersion).toBe(before.outputVersion + 5000);
    // Read twice without a change: the same snapshot (useSyncExternalStore requires it).
    expect(store.getSnapshot()).toBe(after);
    expect(notifications).toBe(0);
    await new Promise((r) => setTimeout(r, 150));
    expect(notifications).toBe(1);
  });

  it('keeps a bounded number of finished runs', () => {
    const store = new RunViewStore({ runbook: () => runbook, keepFinished: 3 });
    for (let i = 0; i < 10; i++) {
      store.apply({ ...started, runId: `r${i}` });
      store.apply({ type: 'step.output', runId: `r${i}`, stepId: 'restart', stream: 'stdout', line: 'x', at });
      store.apply({ type: 'run.finished', runId: `r${i}`, outcome: 'success', at });
    }
    expect(store.getSnapshot().runs.map((r) => r.runId)).toEqual(['r7', 'r8', 'r9']);
    expect(store.getOutput('r0', 10)).toEqual([]);
  });
});

describe('audit mapping', () => {
  const run = { auditName: 'L1_SOFT_RESET', runbook, dryRun: false };
  it('maps events to seed 000 messages', () => {
    expect(auditMessagesFor(started, undefined)).toEqual(['START']);
    expect(auditMessagesFor({ ...started, dryRun: true }, undefined)).toEqual(['DRY_RUN']);
    expect(auditMessagesFor({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'ok', at }, run)).toEqual(['SERVICE_RESTARTED']);
    expect(auditMessagesFor({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'failed', at }, run)).toEqual([]);
    expect(auditMessagesFor({ type: 'step.finished', runId: 'r1', stepId: 'settle', outcome: 'ok', at }, run)).toEqual([]);
    expect(auditMessagesFor({ type: 'run.finished', runId: 'r1', outcome: 'success', at }, run)).toEqual(['SUCCESS']);
    expect(auditMessagesFor({ type: 'run.finished', runId: 'r1', outcome: 'failed', at }, run)).toEqual(['FAILED - Escalate to L2']);
    expect(auditMessagesFor({ type: 'run.finished', runId: 'r1', outcome: 'cancelled', at }, run)).toEqual(['CANCELLED by user']);
    expect(auditMessagesFor({ type: 'audit', runId: 'r1', message: 'REASON: disk full', at }, run)).toEqual(['REASON: disk full']);
    // A dry run writes nothing after its DRY_RUN line.
    expect(auditMessagesFor({ type: 'run.finished', runId: 'r1', outcome: 'success', at }, { ...run, dryRun: true })).toEqual([]);
  });
});
