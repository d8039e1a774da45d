// The one place where RunEvents become emergency.log lines (R-AUD-1), in seed 000's words. A
// runbook declares its audit name and messages; adding a runbook never touches this mapping.
import { formatAuditLine, formatIsoLocal, type AuditLog } from '../audit/emergency-log';
import type { RunEvent } from './events';
import type { Runbook } from './schema';

interface RunAuditState {
  auditName: string;
  runbook?: Runbook;
  dryRun: boolean;
  /** The last message written for the run: an approval flow that already wrote "CANCELLED by user" is not echoed. */
  last?: string;
  /** Each running step's last stdout line (for steps with audit_detail). */
  lastOut?: Map<string, string>;
}

/** The audit messages an event produces, given what run.started said about its run. */
export function auditMessagesFor(event: RunEvent, run: RunAuditState | undefined): string[] {
  if (event.type === 'run.started') return event.dryRun ? ['DRY_RUN'] : event.startDeferred ? [] : ['START'];
  // A dry run changes nothing; its single DRY_RUN line says it happened.
  if (!run || run.dryRun) return [];
  switch (event.type) {
    // Approval lines (STEP1_APPROVED by X, STEP2_REJECTED - ..., REASON: ..., EXECUTING) arrive
    // as audit events from the approval flow, which words them; the approval.* events themselves
    // feed the journal and the screens.
    case 'step.finished': {
      if (event.outcome !== 'ok') return [];
      const step = run.runbook?.steps.find((s) => s.id === event.stepId);
      if (!step?.audit) return [];
      const detail = step.audit_detail ? run.lastOut?.get(step.id)?.replace(/[\x00-\x1f\x7f]/g, ' ').trim().slice(0, 400) : undefined;
      return [detail ? `${step.audit} - ${detail}` : step.audit];
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
/** Lines the audit log refused; thrown so the engine can say so, keep them in the journal and mark the run. */
export class AuditNotWritten extends Error {
  constructor(
    readonly lines: string[],
    cause: Error,
  ) {
    super(cause.message);
    this.name = 'AuditNotWritten';
  }
}

export function createAuditRecorder(audit: AuditLog, runbook: (id: string) => Runbook | undefined, now: () => Date = () => new Date()): (event: RunEvent) => void {
  const runs = new Map<string, RunAuditState>();
  // Lines not written when they happened (log unwritable: ENOSPC, permissions), in order. Each
  // later write first appends them, with their own time and marked LATE, once the log takes them.
  const pending: { auditName: string; message: string; at: Date }[] = [];
  const write = (auditName: string, message: string, at: Date): void => {
    while (pending.length) {
      const p = pending[0]!;
      audit.append(p.auditName, `${p.message} (LATE: the log was not writable then; written ${formatIsoLocal(now())})`, p.at);
      pending.shift();
    }
    audit.append(auditName, message, at);
  };
  return (event) => {
    if (event.type === 'run.started') runs.set(event.runId, { auditName: event.auditName, runbook: runbook(event.runbook), dryRun: event.dryRun });
    const run = runs.get(event.runId);
    if (run && event.type === 'step.output' && event.stream === 'stdout' && run.runbook?.steps.some((s) => s.id === event.stepId && s.audit_detail)) {
      (run.lastOut ??= new Map()).set(event.stepId, event.line);
    }
    let messages = auditMessagesFor(event, run);
    if (event.type === 'run.finished') {
      runs.delete(event.runId);
      messages = messages.filter((m) => m !== run?.last);
    }
    if (!run) return;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      try {
        write(run.auditName, m, event.at);
      } catch (err) {
        const missed = messages.slice(i).map((message) => ({ auditName: run.auditName, message, at: event.at }));
        // Without its START line a run does not happen (the engine refuses it): nothing to append later.
        if (event.type !== 'run.started') pending.push(...missed);
        throw new AuditNotWritten(missed.map((x) => formatAuditLine(x.at, x.auditName, x.message)), err as Error);
      }
      run.last = m;
    }
  };
}
