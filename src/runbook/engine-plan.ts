// The runbook engine's pure helpers: run ids and stamps, the plan an approver reads (planLines uses
// the step kinds engine.ts registers), resume checks and overlapping targets. engine.ts re-exports
// the public ones.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema';
import { skipReason, type RunScope } from './render';
import type { Runbook, Step } from './schema';
import { stepKind } from './step-kinds';
import type { ResumeFrom } from './engine-types';

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local YYYYMMDD_HHMMSS ({{run.stamp}}, seed 000's snapshot directory names). */
export function runStamp(at: Date): string {
  return `${at.getFullYear()}${pad2(at.getMonth() + 1)}${pad2(at.getDate())}_${pad2(at.getHours())}${pad2(at.getMinutes())}${pad2(at.getSeconds())}`;
}

export function newRunId(at: Date, runbookId: string): string {
  return `${runStamp(at).replace('_', 'T')}-${runbookId}-${randomBytes(2).toString('hex')}`;
}

/** The dry-run lines of a run's steps, in order: what an approver sees before approving. */
export function planLines(steps: Step[], scope: RunScope): string[] {
  const out: string[] = [];
  steps.forEach((step, i) => {
    const skip = skipReason(step, scope);
    const head = `${i + 1}. ${step.title?.en ?? step.id}`;
    if (skip) {
      out.push(`${head} — ${skip}`);
      return;
    }
    const lines = stepKind(step.kind)?.describe(step, { hosts: scope.hosts }) ?? [`${step.kind} step`];
    out.push(`${head}${step.may_fail ? ' (may fail)' : ''}${step.only_if_failed ? ` (only if "${step.only_if_failed}" fails)` : ''}`);
    for (const line of lines) out.push(`   ${line}`);
  });
  return out;
}

/** The step the approval is asked before: the first with approval_gate, else the first step. */
export function approvalGateIndex(steps: Step[]): number {
  const i = steps.findIndex((s) => s.approval_gate);
  return i < 0 ? 0 : i;
}

/** A gated approval's plan: what the steps so far established, then what is still to run. */
export function gatedPlan(notes: string[], plan: string[], gate: number): string[] {
  const head = notes.length ? ['Established by the steps that ran (nothing live changed yet):', ...notes] : [];
  // planLines numbers steps "N. title"; keep those from the gate on.
  const from = plan.findIndex((l) => l.startsWith(`${gate + 1}. `));
  return [...head, `Still to run, after your approval (steps ${gate + 1}–):`, ...(from < 0 ? plan : plan.slice(from))];
}

/** A resumed run's plan says first which steps were done in the interrupted run. */
export function resumedPlan(resume: (ResumeFrom & { index: number }) | undefined, plan: string[]): string[] {
  if (!resume) return plan;
  return [`Resumes run ${resume.runId} at step ${resume.index + 1} (${resume.stepId}); steps 1-${resume.index} were done there and do not run again:`, ...plan];
}

/** Why a run cannot resume at `from.stepId`, or undefined when it can. */
export function resumeProblem(runbook: Runbook, from: ResumeFrom, dryRun = false): string | undefined {
  if (dryRun) return 'a dry run cannot resume; start a dry run afresh';
  const at = runbook.steps.findIndex((s) => s.id === from.stepId);
  if (at < 0) return `${runbook.id} has no step "${from.stepId}" (it may have changed since); start over instead`;
  const step = runbook.steps[at]!;
  if (!step.resumable) return `step "${step.id}" is not marked resumable (running it again may not be safe); start over instead`;
  for (const s of runbook.steps.slice(0, at)) {
    const did = from.earlier[s.id];
    if (did === undefined) return `step "${s.id}" has no recorded end in that run, so it may not have finished; start over instead`;
    if (did === 'failed' && !s.may_fail) return `step "${s.id}" failed in that run; start over instead`;
  }
  return undefined;
}

/** Targets whose recovery would overlap this one: the host of a service, the services of a host. */
export function relatedTargets(config: Config, kind: 'service' | 'host', target: string, hostName: string | undefined): string[] {
  if (kind === 'service') return hostName && hostName !== target ? [hostName] : [];
  return config.services.filter((s) => s.host === target && s.name !== target).map((s) => s.name);
}

export function stepTitle(step: Step): string {
  return step.title?.en ? `step "${step.id}" (${step.title.en})` : `step "${step.id}"`;
}
