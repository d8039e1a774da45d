// What a run says, in order. The audit log, the journal, the run screen, watch mode and the
// incident timeline are all consumers of these events; none of them reaches into the engine.

import type { RunPrompt } from '../core/views';
import type { TrustFailure } from '../ssh/types';

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'cancelled';
export type RunOutcome = 'success' | 'failed' | 'cancelled' | 'interrupted';
export type OutputStream = 'stdout' | 'stderr';

export type RunEvent =
  | {
      type: 'run.started';
      runId: string;
      runbook: string;
      level: string;
      auditName: string;
      target: string;
      operator: string;
      dryRun: boolean;
      /**
       * The START line waits: it will carry the approval's one-time code (seed 000's
       * `START - Confirm: <code>`), written once that code can no longer approve — never while it
       * still could. It comes as an `audit` event before the approval's lines and every step.
       */
      startDeferred?: boolean;
      /** The parameter values the run uses: a resumed run uses them again. */
      params?: Record<string, string>;
      /** Set when this run resumes an interrupted one: the steps before `stepId` were done there. */
      resumedFrom?: { runId: string; stepId: string };
      at: Date;
    }
  | { type: 'approval.requested'; runId: string; step: 1 | 2; at: Date }
  | { type: 'approval.granted'; runId: string; step: 1 | 2; approver: string; how: 'auto' | 'code' | 'session'; at: Date }
  | { type: 'approval.rejected'; runId: string; step: 1 | 2; approver?: string; reason: string; at: Date }
  | { type: 'step.started'; runId: string; stepId: string; at: Date }
  | { type: 'step.progress'; runId: string; stepId: string; detail: string; at: Date }
  | { type: 'step.output'; runId: string; stepId: string; stream: OutputStream; line: string; at: Date }
  | {
      type: 'step.finished';
      runId: string;
      stepId: string;
      outcome: StepOutcome;
      message?: string;
      /** A failure of a step with may_fail: recorded, and the run goes on (shown `(allowed)`, not as a real failure). */
      allowed?: boolean;
      at: Date;
    }
  | { type: 'audit'; runId: string; message: string; at: Date }
  /** What the run now waits for from the operator (a confirm, an approval form); null when nothing. */
  | { type: 'run.prompt'; runId: string; prompt: RunPrompt | null; at: Date }
  | {
      type: 'run.finished';
      runId: string;
      outcome: RunOutcome;
      message?: string;
      escalateTo?: string;
      /** The run ended on a refused host key: no escalation, `FAILED - <summary>` in the log. */
      trust?: TrustFailure;
      /** The approval flow already wrote the closing audit line (STEP2_REJECTED - Same approver, CANCELLED by user). */
      auditWritten?: boolean;
      /** Some of the run's audit lines could not be written (ENOSPC, permissions): kept in the journal, appended late. */
      auditIncomplete?: boolean;
      at: Date;
    };

export type RunEventListener = (event: RunEvent) => void;
