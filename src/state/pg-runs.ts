// Runs seen live across boxes (R-HA-1: "a run started on box A is visible live in a console
// attached to box B within 1 s"). Each server publishes its engine's runs — the view and the
// output tail — into `doai_runs` and says so with NOTIFY; every server LISTENs and folds the other
// boxes' runs into the wall topic its consoles read. Watching only: a run is controlled on the
// box that runs it. Publishing is batched (at most one write per run every 200 ms).
import type pg from 'pg';
import { BatchedStore, type Store } from '../core/store';
import { SingleFlight } from '../core/single-flight';
import type { OutputLine, RunView, RunsSnapshot, RunsStore } from '../core/views';
import type { ObservedRuns } from '../watch/merged-runs';
import type { WallRunsSnapshot } from '../protocol/health';
import { WALL_OUTPUT_LINES } from '../protocol/health';
import type { FinishedRun, RunOwner } from '../watch/live-runs';
import { promptWithoutCode } from '../runbook/event-records';

export const RUNS_CHANNEL = 'doai_runs';
const PUBLISH_MS = 200;
/** Finished runs of other boxes shown among the recent ones. */
const REMOTE_FINISHED_KEPT = 20;
/** Finished runs of any box remembered (the newest). */
const REMOTE_KEPT = 100;
const DATE_KEYS = new Set(['startedAt', 'finishedAt', 'since', 'at', 'expiresAt', 'waitUntil']);

function revive(text: string): unknown {
  return JSON.parse(text, (k, v) => (DATE_KEYS.has(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : v));
}

/**
 * What other boxes may see of a run: everything but an approval's one-time code, which only the
 * requester's own form shows (whoever reads it to the approver is the proof of a declared approval).
 */
export function shareable(run: RunView): RunView {
  const prompt = promptWithoutCode(run.prompt);
  return prompt === run.prompt ? run : { ...run, prompt };
}

/** Writes this server's runs to the database whenever they change. */
export class RunsPublisher {
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** One write at a time; a change meanwhile (or a failed write) writes once more, on the timer. */
  private readonly writing = new SingleFlight((again) => this.write(again), { followUp: () => this.schedule() });
  private readonly off: () => void;

  constructor(
    private readonly pool: pg.Pool,
    private readonly engine: RunsStore,
    private readonly box: string,
    private readonly onError: (err: unknown) => void,
  ) {
    this.off = engine.subscribe(() => this.schedule());
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.publish();
    }, PUBLISH_MS);
    this.timer.unref?.();
  }

  publish(): Promise<void> {
    return this.writing.request();
  }

  private async write(again: () => void): Promise<void> {
    try {
      const runs = this.engine.getSnapshot().runs;
      // Bounded: only runs the engine still lists are remembered.
      const listed = new Set(runs.map((r) => r.runId));
      for (const id of this.published.keys()) if (!listed.has(id)) this.published.delete(id);
      for (const run of runs) {
        const output: OutputLine[] = this.engine.getOutput(run.runId, WALL_OUTPUT_LINES);
        const view = JSON.stringify(shareable(run));
        const out = JSON.stringify(output);
        const key = `${view}\n${out}`;
        if (this.published.get(run.runId) === key) continue;
        await this.pool.query(
          `WITH up AS (
             INSERT INTO doai_runs (run_id, box, state, view_json, output_json, updated_at) VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT (run_id) DO UPDATE SET box = EXCLUDED.box, state = EXCLUDED.state, view_json = EXCLUDED.view_json,
               output_json = EXCLUDED.output_json, updated_at = now()
             RETURNING run_id)
           SELECT pg_notify('${RUNS_CHANNEL}', run_id) FROM up`,
          [run.runId, this.box, run.state, view, out],
        );
        this.published.set(run.runId, key);
      }
    } catch (err) {
      // The database is away: published stays as it was, so the next change (or return) writes again.
      this.onError(err);
      again();
    }
  }

  stop(): void {
    this.off();
    if (this.timer) clearTimeout(this.timer);
  }
}

interface RemoteRun {
  box: string;
  view: RunView;
  output: OutputLine[];
}

/**
 * The other boxes' runs as an operator console lists them (beside its server's own): watched,
 * never controlled here (observedBy set), with their output tails.
 */
export class RemoteRunsView extends BatchedStore<RunsSnapshot & { owners: Record<string, RunOwner> }> implements ObservedRuns {
  private output = new Map<string, OutputLine[]>();

  constructor() {
    super({ runs: [], outputVersion: 0, owners: {} });
  }

  update(runs: RunView[], output: Map<string, OutputLine[]>, owners: Record<string, RunOwner>, version: number): void {
    this.output = output;
    this.set({ runs, outputVersion: version, owners });
  }

  getOutput = (runId: string, max: number): OutputLine[] => (this.output.get(runId) ?? []).slice(-max);
}

/**
 * The wall topic this server publishes: its own (local) runs, plus the other boxes' runs from the
 * database, each marked as observed (watch only) and named by box.
 */
export class SharedWallRuns extends BatchedStore<WallRunsSnapshot> {
  private readonly remote = new Map<string, RemoteRun>();
  private remoteVersion = 0;
  /** The other boxes' runs for operator consoles (src/server/run-intents.ts merges them). */
  readonly others = new RemoteRunsView();
  private readonly off: () => void;

  constructor(
    private readonly local: Store<WallRunsSnapshot>,
    private readonly box: string,
  ) {
    super(local.getSnapshot(), 0);
    this.off = local.subscribe(() => this.refresh());
  }

  /**
   * A run row as read from the database. This server's own runs come back too: under a shared
   * backend no lock files say which runs are in progress here, so the echo is what the wall shows.
   */
  apply(row: { run_id: string; box: string; view_json: string; output_json: string }): void {
    try {
      this.remote.set(row.run_id, { box: row.box, view: revive(row.view_json) as RunView, output: revive(row.output_json) as OutputLine[] });
    } catch {
      return; // a row this build cannot read: shown by its own box
    }
    this.remoteVersion++;
    this.prune();
    this.refresh();
  }

  /** The box running this run, when it is another box's and still running. */
  remoteOwner(runId: string): string | undefined {
    const r = this.remote.get(runId);
    return r && r.box !== this.box && r.view.state === 'running' ? r.box : undefined;
  }

  /** The other boxes' runs waiting for an approval now (for `approve` on this box). */
  remotePending(): { runId: string; box: string; view: RunView }[] {
    const out: { runId: string; box: string; view: RunView }[] = [];
    for (const [runId, r] of this.remote) {
      const p = r.view.prompt;
      if (r.box === this.box || r.view.state !== 'running' || p?.kind !== 'approval') continue;
      if (p.phase && !['code', 'step1', 'waiting', 'step2'].includes(p.phase)) continue;
      out.push({ runId, box: r.box, view: r.view });
    }
    return out;
  }

  /** Bounded: every running run, and the newest finished ones. */
  private prune(): void {
    const finished = [...this.remote].filter(([, r]) => r.view.state !== 'running');
    if (finished.length <= REMOTE_KEPT) return;
    finished.sort(([, a], [, b]) => (b.view.finishedAt ?? b.view.startedAt).getTime() - (a.view.finishedAt ?? a.view.startedAt).getTime());
    for (const [id] of finished.slice(REMOTE_KEPT)) this.remote.delete(id);
  }

  private refresh(): void {
    const snap = this.local.getSnapshot();
    const mine = new Set(snap.runs.map((r) => r.runId));
    const runs = [...snap.runs];
    const output = { ...snap.output };
    const owners = { ...snap.owners };
    const finished: FinishedRun[] = [];
    for (const [runId, r] of this.remote) {
      if (mine.has(runId)) continue;
      const v = r.view;
      const operator = r.box === this.box ? v.operator : `${v.operator}@${r.box}`;
      if (v.state === 'running') {
        runs.push({ ...v, operator, observedBy: { operator, since: v.startedAt } });
        output[runId] = r.output;
        owners[runId] = { operator, pid: 0, since: v.startedAt, level: v.level };
      } else {
        finished.push({ runId, runbook: v.runbook, level: v.level, target: v.target, operator, dryRun: v.dryRun, startedAt: v.startedAt, ...(v.finishedAt ? { finishedAt: v.finishedAt } : {}), outcome: v.state, ...(v.message ? { message: v.message } : {}) });
      }
    }
    const recent = [...snap.finished, ...finished.sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0)).slice(0, REMOTE_FINISHED_KEPT)].sort(
      (a, b) => (b.finishedAt ?? b.startedAt).getTime() - (a.finishedAt ?? a.startedAt).getTime(),
    );
    this.set({ ...snap, runs, output, owners, finished: recent, outputVersion: snap.outputVersion + this.remoteVersion });
    const others: RunView[] = [];
    const otherOutput = new Map<string, OutputLine[]>();
    const otherOwners: Record<string, RunOwner> = {};
    for (const [runId, r] of this.remote) {
      if (r.box === this.box || mine.has(runId)) continue;
      const operator = `${r.view.operator}@${r.box}`;
      others.push({ ...r.view, operator, observedBy: { operator, since: r.view.startedAt } });
      otherOutput.set(runId, r.output);
      otherOwners[runId] = { operator, pid: 0, since: r.view.startedAt, level: r.view.level };
    }
    this.others.update(others, otherOutput, otherOwners, this.remoteVersion);
  }

  stop(): void {
    this.off();
  }
}
