// The server's runs, checklists and incidents as an attached console sees them (R-SRV-3): the
// stores the screens read are the server's snapshots, and the controls the screens call send
// intents. Nothing here runs, approves, signs or writes; the server does, as the operator the
// socket proved. Answers come back later (views.ts Answer), and the screens wait for them.
import type { Store } from '../core/store';
import type {
  ApprovalAnswer,
  ChecklistControl,
  ChecklistsSnapshot,
  IncidentControl,
  IncidentsSnapshot,
  Lang,
  OutputLine,
  RunbookSummary,
  RunControl,
  RunsSnapshot,
  RunsStore,
  Severity,
} from '../core/views';
import type { ConsoleRunsSnapshot } from '../protocol/runs';
import type { IntentPort } from './port';
import { Latest } from './remote-health';

/**
 * The server's runs and their output, behind the RunsStore the screens read. A running run's
 * output is in every snapshot (put together from the server's deltas: src/attach/console-output.ts,
 * or the in-process topic's own tail); a finished run's is kept from when it was running, or asked
 * for once (it no longer changes) and shown when it arrives.
 */
export class RemoteRuns implements RunsStore {
  private readonly latest: Latest<ConsoleRunsSnapshot>;
  private cache?: { from: ConsoleRunsSnapshot; fetched: number; out: RunsSnapshot };
  /** Output of runs no longer running: the last seen while running, then the final one fetched. */
  private readonly kept = new Map<string, OutputLine[]>();
  private readonly asked = new Set<string>();
  private fetched = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly link: IntentPort,
    first: ConsoleRunsSnapshot,
  ) {
    this.latest = new Latest(link.store('console'), first);
  }

  getSnapshot = (): RunsSnapshot => {
    const from = this.latest.getSnapshot();
    if (this.cache?.from === from && this.cache.fetched === this.fetched) return this.cache.out;
    for (const [runId, chunk] of Object.entries(from.output)) this.kept.set(runId, chunk.lines);
    const out: RunsSnapshot = { runs: from.runs, outputVersion: from.outputVersion + this.fetched };
    this.cache = { from, fetched: this.fetched, out };
    return out;
  };

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    const off = this.latest.subscribe(cb);
    return () => {
      this.listeners.delete(cb);
      off();
    };
  };

  getOutput = (runId: string, max: number): OutputLine[] => {
    const snap = this.latest.getSnapshot();
    let lines = snap.output[runId]?.lines;
    if (!lines) {
      // Over (or never seen running): its final output, asked for once; meanwhile what was seen.
      this.fetch(runId);
      lines = this.kept.get(runId) ?? [];
    }
    return lines.length > max ? lines.slice(lines.length - max) : lines;
  };

  private fetch(runId: string): void {
    if (this.asked.has(runId)) return;
    this.asked.add(runId);
    this.link.request('run.output', { runId }).then(
      (lines) => {
        this.kept.set(runId, lines);
        this.fetched++;
        for (const l of [...this.listeners]) l();
      },
      // Not attached right now: asked again next time the screen wants it.
      () => this.asked.delete(runId),
    );
  }

  /** The server's message for runs it found interrupted at its start, in the console's language. */
  notice(lang: Lang): string | undefined {
    return this.latest.getSnapshot().notice?.[lang];
  }
}

/** The run screen's intents, sent to the server. */
export class RemoteRunControl implements RunControl {
  private readonly runbooks: Latest<{ runbooks: RunbookSummary[] }>;

  constructor(
    private readonly link: IntentPort,
    firstRunbooks: { runbooks: RunbookSummary[] },
  ) {
    this.runbooks = new Latest(link.store('runbooks'), firstRunbooks);
  }

  listRunbooks(): RunbookSummary[] {
    return this.runbooks.getSnapshot().runbooks;
  }

  start(runbookId: string, target: string, opts: { dryRun?: boolean; params?: Record<string, string> } = {}) {
    return this.link.request('run.start', { runbook: runbookId, target, ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.params ? { params: opts.params } : {}) });
  }

  listChoices(runbookId: string, target: string, param: string, given?: Record<string, string>) {
    return this.link.request('run.choices', { runbook: runbookId, target, param, ...(given ? { given } : {}) });
  }

  paramDefaults(runbookId: string, target: string, given?: Record<string, string>) {
    return this.link.request('run.defaults', { runbook: runbookId, target, ...(given ? { given } : {}) });
  }

  /** A refusal (the run ended meanwhile, a role the operator lacks, the server away) rejects: the screen says it. */
  cancel(runId: string): Promise<void> {
    return this.link.request('run.cancel', { runId }).then(() => undefined);
  }

  confirm(runId: string): Promise<void> {
    return this.link.request('run.confirm', { runId }).then(() => undefined);
  }

  answerApproval(runId: string, answer: ApprovalAnswer) {
    return this.link.request('run.answer', { runId, answer });
  }

  resume(runId: string) {
    return this.link.request('run.resume', { runId });
  }
}

export class RemoteChecklists implements ChecklistControl {
  constructor(private readonly link: IntentPort) {}
  open(checklistId: string, opts: { target?: string; incidentId?: string; anchorAt?: Date } = {}) {
    return this.link.request('checklist.open', { checklist: checklistId, ...opts });
  }
  sign(instanceId: string, itemId: string, opts: { override?: boolean; note?: string } = {}) {
    return this.link.request('checklist.sign', { instanceId, itemId, ...opts });
  }
  note(instanceId: string, itemId: string, text: string) {
    return this.link.request('checklist.note', { instanceId, itemId, text });
  }
  undo(instanceId: string, itemId: string) {
    return this.link.request('checklist.undo', { instanceId, itemId });
  }
}

export class RemoteIncidents implements IncidentControl {
  constructor(private readonly link: IntentPort) {}
  openManual(title: string, severity?: Severity) {
    return this.link.request('incident.open', { title, ...(severity ? { severity } : {}) });
  }
  setSeverity(id: string, severity: Severity) {
    return this.link.request('incident.severity', { id, severity });
  }
  close(id: string, answers: { rootCause?: string; prevention?: string[] }) {
    return this.link.request('incident.close', { id, ...answers });
  }
}

export interface RemoteOps {
  runs: RemoteRuns;
  control: RemoteRunControl;
  checklists: Store<ChecklistsSnapshot>;
  checklistControl: RemoteChecklists;
  incidents: Store<IncidentsSnapshot>;
  incidentControl: RemoteIncidents;
}

/** Subscribes to the server's runs, runbooks, checklists and incidents and waits for the first of each. */
export async function remoteOps(link: IntentPort): Promise<RemoteOps> {
  const [runs, runbooks, checklists, incidents] = await Promise.all([link.first('console'), link.first('runbooks'), link.first('checklists'), link.first('incidents')]);
  return {
    runs: new RemoteRuns(link, runs),
    control: new RemoteRunControl(link, runbooks),
    checklists: new Latest(link.store('checklists'), checklists),
    checklistControl: new RemoteChecklists(link),
    incidents: new Latest(link.store('incidents'), incidents),
    incidentControl: new RemoteIncidents(link),
  };
}
