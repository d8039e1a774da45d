// What a failed run says (issue 12 item 5): only what the steps that ran established. A runbook's
// on_failure.message is the headline, true however the run failed; a step adds `when_failed`
// when the run fails at that step (what the failure means: "nginx was left running") and
// `when_later_failed` when it succeeded and a later step failed (what it established: "the old
// file is kept as …"). Steps skipped or never reached add nothing.
import { renderText, type RunScope } from './render';
import type { Runbook, Step } from './schema';

export interface FailurePoint {
  /** The step that ended the run. */
  stepId: string;
  /** Why it failed, as the step said (exit code 1, timed out after 60 s, HTTP 503 …). */
  reason: string;
}

/** The run's closing message for a failure at `failed` (English; the screens show the step states too). */
export function failureMessage(runbook: Runbook, steps: Step[], outcomes: ReadonlyMap<string, string>, failed: FailurePoint | undefined, fallback: string | undefined, scope: RunScope): string | undefined {
  const parts: string[] = [];
  const head = runbook.on_failure.message ? renderText(runbook.on_failure.message.en, scope) : undefined;
  if (head) parts.push(head);
  for (const step of steps) {
    if (failed && step.id === failed.stepId) {
      if (step.when_failed) parts.push(renderText(step.when_failed.en, scope));
      break;
    }
    if (outcomes.get(step.id) === 'ok' && step.when_later_failed) parts.push(renderText(step.when_later_failed.en, scope));
  }
  const text = parts.join('; ');
  if (!text) return fallback;
  return fallback ? `${text} (${fallback})` : text;
}

/** The emergency.log line naming the step that ended the run and why: `STEP_FAILED stop - exit code 1`. */
export function stepFailedAuditLine(failed: FailurePoint): string {
  return `STEP_FAILED ${failed.stepId} - ${failed.reason.replace(/[\r\n]+/g, ' ').slice(0, 300)}`;
}
