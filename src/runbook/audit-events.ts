// The one place where RunEvents become emergency.log lines (R-AUD-1), in seed 000's words. A
// runbook declares its audit name and messages; adding a runbook never touches this mapping.
import type { AuditLog } from '../audit/emergency-log';
import type { RunEvent } from './events';
import type { Runbook } from './schema';

interface RunAuditState {
  auditName: string;
  runbook?: Runbook;
  dryRun: boolean;
  /** The last message written for the run: an approval flow that already wrote "CANCELLED by user" is not echoed. */
  last?: string;
}

/** The audit messages an event produces, given what run.started said about its run. */
export function auditMessagesFor(event: RunEvent, run: RunAuditState | undefined): string[] {
  if (event.type === 'run.started') return [event.dryRun ? 'DRY_RUN' : event.startNote ? `START - ${event.startNote}` : 'START'];
  // A dry run changes nothing; its single DRY_RUN line says it happened.
  if (!run || run.dryRun) return [];
  switch (event.type) {
    // Approval lines (STEP1_APPROVED by X, STEP2_REJECTED - ..., REASON: ..., EXECUTING) arrive
    // as audit events from the approval flow, which words them; the approval.* events themselves
    // feed the journal and the screens.
    case 'step.finished': {
      if (event.outcome !== 'ok') return [];
      const step = run.runbook?.steps.find((s) => s.id === event.stepId);
      return step?.audit ? [step.audit] : [];
    }
    case 'audit':
      return [event.message];
    case 'run.finished':
      if (event.auditWritten) return [];
      switch (event.outcome) {
        case 'success':
          return [run.runbook?.on_success.audit ?? 'SUCCESS'];
        case 'failed':
          // A refused host key is no reason to escalate: the line says what it was and what to do.
          if (event.trust) return [`FAILED - ${event.trust.summary}: ${event.trust.fix}`];
          return [run.runbook?.on_failure.audit ?? 'FAILED'];
        case 'cancelled':
          return ['CANCELLED by user'];
        case 'interrupted':
          return [`INTERRUPTED${event.message ? ` - ${event.message}` : ''}`];
      }
      return [];
    default:
      return [];
  }
}

/**
 * Feeds an AuditLog from events. Throws when a line cannot be written so the caller can refuse
 * to go on (a run must not start without its START line).
 */
export function createAuditRecorder(audit: AuditLog, runbook: (id: string) => Runbook | undefined): (event: RunEvent) => void {
  const runs = new Map<string, RunAuditState>();
  return (event) => {
    if (event.type === 'run.started') runs.set(event.runId, { auditName: event.auditName, runbook: runbook(event.runbook), dryRun: event.dryRun });
    const run = runs.get(event.runId);
    let messages = auditMessagesFor(event, run);
    if (event.type === 'run.finished') {
      runs.delete(event.runId);
      messages = messages.filter((m) => m !== run?.last);
    }
    if (!run) return;
    for (const m of messages) {
      audit.append(run.auditName, m, event.at);
      run.last = m;
    }
  };
}
