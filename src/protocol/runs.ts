// The runs domain on the wire (R-SRV-3): what a server publishes about the runs it owns, and the
// intents a console sends to start, answer, cancel and resume them, and to work checklists and
// incidents. The shapes are the screens' own (src/core/views.ts); nothing here carries who asks:
// the server takes that from the transport.
import type {
  ApprovalAnswer,
  ChecklistResult,
  ChecklistsSnapshot,
  ChoicesView,
  IncidentsSnapshot,
  Localized,
  OutputLine,
  ParamDefaultsView,
  RunbookSummary,
  RunsSnapshot,
  Severity,
  StartResult,
} from '../core/views';
import type { RunEvent } from '../runbook/events';

/** Output lines per run a console receives (from the start of the run, up to this many). */
export const CONSOLE_OUTPUT_LINES = 2000;

/**
 * A running run's output on the wire. Lines are numbered per run from its first line (0): `from`
 * is the number of the first line here. With `reset`, these are the run's newest lines (up to
 * CONSOLE_OUTPUT_LINES) and replace whatever the console had for it; without, they follow what the
 * console has, whose count must be `from` (else it asks for the tail again: run.tail).
 */
export interface OutputChunk {
  from: number;
  lines: OutputLine[];
  reset?: true;
}

/**
 * The server's runs as an operator console shows them, with the output of each run still going
 * (a finished run's output is asked for once, with run.output: it no longer changes). The topic's
 * own snapshot carries every running run's tail (`reset` chunks); on the socket each connection
 * gets that once, then only the lines appended since its last frame (src/server/output-deltas.ts),
 * and the console puts the tail back together (src/attach/console-output.ts).
 */
export interface ConsoleRunsSnapshot extends RunsSnapshot {
  /** Running runs whose output changed since this console's last frame (all of them in the topic itself). */
  output: Record<string, OutputChunk>;
  /** Runs found INTERRUPTED when the server started (killed mid-run): the message bar's line. */
  notice?: Localized;
}

export interface RunTopics {
  /** The server's runs: its own (controllable), other consoles' and interrupted ones (observed). */
  console: ConsoleRunsSnapshot;
  /** The runbooks the server can run, for the picker (changes only with the server's config). */
  runbooks: { runbooks: RunbookSummary[] };
  checklists: ChecklistsSnapshot;
  incidents: IncidentsSnapshot;
}

export type ChecklistOpened = { ok: true; instanceId: string } | { ok: false; error: Localized };
export type IncidentOpened = { ok: true; id: string } | { ok: false; error: Localized };
export type IncidentClosed = { ok: true; reportPath: string } | { ok: false; error: Localized };

/** Intent name → [arguments, answer]. */
export interface RunIntents {
  'run.start': [{ runbook: string; target: string; dryRun?: boolean; params?: Record<string, string> }, StartResult];
  'run.resume': [{ runId: string }, StartResult];
  'run.cancel': [{ runId: string }, null];
  /** A run's output as the server keeps it (up to CONSOLE_OUTPUT_LINES, from the start). */
  'run.output': [{ runId: string }, OutputLine[]];
  /** A run's newest lines with the count of all its lines so far: a console that lost track resyncs. */
  'run.tail': [{ runId: string }, { total: number; lines: OutputLine[] }];
  'run.confirm': [{ runId: string }, null];
  /**
   * A run's events from index `after` on (what `doai-console run` prints), its steps' titles, and
   * once it has finished, where it escalates to. Kept for the server's recent runs.
   */
  'run.events': [{ runId: string; after: number }, RunEventsPage];
  'run.answer': [{ runId: string; answer: ApprovalAnswer }, { accepted: boolean; error?: Localized }];
  'run.choices': [{ runbook: string; target: string; param: string; given?: Record<string, string> }, ChoicesView];
  'run.defaults': [{ runbook: string; target: string; given?: Record<string, string> }, ParamDefaultsView];
  'checklist.open': [{ checklist: string; target?: string; incidentId?: string; anchorAt?: Date }, ChecklistOpened];
  'checklist.sign': [{ instanceId: string; itemId: string; override?: boolean; note?: string }, ChecklistResult];
  'checklist.note': [{ instanceId: string; itemId: string; text: string }, ChecklistResult];
  'checklist.undo': [{ instanceId: string; itemId: string }, ChecklistResult];
  'incident.open': [{ title: string; severity?: Severity }, IncidentOpened];
  'incident.severity': [{ id: string; severity: Severity }, ChecklistResult];
  'incident.close': [{ id: string; rootCause?: string; prevention?: string[] }, IncidentClosed];
}

export interface RunEventsPage {
  events: RunEvent[];
  /** The index to ask from next time. */
  next: number;
  titles: Record<string, Localized>;
  /** Set with the run.finished event: the escalation `run` prints (R-RUN-6). */
  offer?: { runbook: string; target: string };
}
