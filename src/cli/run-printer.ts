// The lines `doai-console run` prints for a run's events (R-RUN-9), whether the engine runs in
// this process or in the server it is attached to: one line per event, no colour, no cursor.
import type { RunEvent } from '../runbook/events';
import { plainLine } from './plain-text';

function hhmmss(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

export interface RunPrinterOptions {
  /** The runbook's title in the operator's language. */
  title: string;
  /** Output goes to a terminal: the host's colour codes are kept (piped, they are stripped). */
  toTerminal: boolean;
  write(line: string): void;
  /** Each step's title by id, read when the run starts. */
  stepTitles(runId: string): Iterable<[string, string]>;
  /** Where a finished run escalates to (R-RUN-6), for the last line. */
  escalation(ev: Extract<RunEvent, { type: 'run.finished' }>): { runbook: string; target: string } | undefined;
}

export interface RunPrinter {
  print(ev: RunEvent): void;
  /** A finished event said the audit log missed lines (R-AUD-2). */
  auditIncomplete(): boolean;
}

export function runPrinter(o: RunPrinterOptions): RunPrinter {
  const titles = new Map<string, string>();
  const started = new Map<string, number>();
  let auditIncomplete = false;
  const { write } = o;
  return {
    auditIncomplete: () => auditIncomplete,
    print(ev) {
      const t = hhmmss(ev.at);
      switch (ev.type) {
        case 'run.started':
          write(`${t} ${o.title} (${ev.runbook}) on ${ev.target} by ${ev.operator}${ev.dryRun ? ' — DRY RUN, nothing will run' : ''}`);
          for (const [id, title] of o.stepTitles(ev.runId)) titles.set(id, title);
          break;
        case 'approval.granted':
          write(`${t} approval step ${ev.step} granted (${ev.how}) by ${ev.approver}`);
          break;
        case 'approval.rejected':
          write(`${t} approval step ${ev.step} rejected: ${ev.reason}`);
          break;
        case 'step.started':
          started.set(ev.stepId, ev.at.getTime());
          write(`${t} > ${titles.get(ev.stepId) ?? ev.stepId}`);
          break;
        case 'step.progress':
          write(`${t}   ${ev.detail}`);
          break;
        case 'step.output':
          // Piped (| tee log): the host's colour codes would land in the log as raw escapes.
          write(`${ev.stream === 'stderr' ? '  ! ' : '  | '}${o.toTerminal ? ev.line : plainLine(ev.line)}`);
          break;
        case 'step.finished': {
          const ms = ev.at.getTime() - (started.get(ev.stepId) ?? ev.at.getTime());
          // A step allowed to fail is no failure of the run: said as such, not `FAILED … exit code 3`.
          if (ev.allowed) write(`${t} (allowed) ${titles.get(ev.stepId) ?? ev.stepId} (${(ms / 1000).toFixed(1)}s) — ended with ${ev.message ?? 'a failure'}, which this step may; the run goes on`);
          else write(`${t} ${ev.outcome.toUpperCase()} ${titles.get(ev.stepId) ?? ev.stepId} (${(ms / 1000).toFixed(1)}s)${ev.message ? ` — ${ev.message}` : ''}`);
          break;
        }
        case 'run.finished': {
          // L2 → L3 escalates to the service's host (R-RUN-6).
          const next = o.escalation(ev);
          if (ev.auditIncomplete) auditIncomplete = true;
          write(`${t} ${ev.outcome.toUpperCase()}${ev.auditIncomplete ? ', audit incomplete' : ''}${ev.message ? ` — ${ev.message}` : ''}${next ? ` — escalate: doai-console run ${next.runbook} --target ${next.target}` : ''}`);
          break;
        }
        default:
          break;
      }
    },
  };
}
