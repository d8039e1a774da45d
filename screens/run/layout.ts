// How the run screen's height is shared: title, steps, the final message or prompt, then the log
// pane takes what is left (at least a few lines whenever the terminal allows).
import type { RunView } from '../../src/core/views';

export interface RunLayout {
  titleLines: number;
  stepRows: number;
  bottomLines: number;
  /** Output lines shown (excluding the pane's own header line). */
  logRows: number;
}

const MIN_LOG = 3;

/** Lines taken by the final message or prompt under the steps. */
export function bottomLinesFor(run: RunView | undefined, hasNotice = false): number {
  if (!run) return 0;
  if (run.prompt?.kind === 'confirm') return 4; // bordered box: message + hint
  if (run.prompt?.kind === 'approval') return 1;
  if (run.state === 'running') return 0;
  // The verdict, then on its own line the escalation offer or what the approval flow said.
  return (run.state === 'failed' && run.escalateTo) || hasNotice ? 2 : 1;
}

export function runLayout(height: number, run: RunView | undefined, hasNotice = false): RunLayout {
  const titleLines = 1 + (run?.dryRun ? 1 : 0);
  const bottomLines = bottomLinesFor(run, hasNotice);
  const steps = run?.steps.length ?? 0;
  const room = Math.max(0, height - titleLines - bottomLines - 1 /* log header */);
  const stepRows = Math.min(steps, Math.max(Math.min(steps, 1), room - MIN_LOG));
  const logRows = Math.max(0, room - stepRows);
  return { titleLines, stepRows, bottomLines, logRows };
}
