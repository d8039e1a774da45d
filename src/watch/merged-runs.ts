// The runs an operator console shows: its own engine's runs, plus runs it can only watch — those
// of other console processes on the machine (R-RUN-7: "L2 in progress by orion since 15:31",
// opened live from the journal) and runs interrupted in an earlier session (R-UI-5: "view what
// happened"). Observed runs carry `observedBy`, so the screens offer no control over them.
import type { OutputLine, RunsSnapshot, RunsStore, RunView } from '../core/views';
import type { LiveRunsSnapshot } from './live-runs';

export interface ObservedRuns extends RunsStore {
  getSnapshot(): RunsSnapshot & Partial<Pick<LiveRunsSnapshot, 'owners'>>;
}

export class MergedRunsStore implements RunsStore {
  private cache?: { own: RunsSnapshot; observed: RunsSnapshot[]; merged: RunsSnapshot };
  private readonly marked = new WeakMap<RunView, RunView>();
  /** Owners are remembered after the lock goes, so a finished observed run still says whose it was. */
  private readonly owners = new Map<string, NonNullable<RunView['observedBy']>>();

  constructor(
    private readonly own: RunsStore,
    private readonly observed: readonly ObservedRuns[],
  ) {}

  getSnapshot = (): RunsSnapshot => {
    const own = this.own.getSnapshot();
    const observed = this.observed.map((o) => o.getSnapshot());
    const c = this.cache;
    if (c && c.own === own && c.observed.length === observed.length && c.observed.every((s, i) => s === observed[i])) return c.merged;
    const ownIds = new Set(own.runs.map((r) => r.runId));
    const extra: RunView[] = [];
    for (const snap of observed) {
      for (const [runId, o] of Object.entries(snap.owners ?? {})) this.owners.set(runId, { operator: o.operator, since: o.since, pid: o.pid });
      for (const run of snap.runs) {
        if (ownIds.has(run.runId)) continue;
        ownIds.add(run.runId);
        extra.push(this.mark(run));
      }
    }
    const merged: RunsSnapshot = {
      runs: extra.length ? [...own.runs, ...extra] : own.runs,
      outputVersion: own.outputVersion + observed.reduce((n, s) => n + s.outputVersion, 0),
    };
    this.cache = { own, observed, merged };
    return merged;
  };

  subscribe = (onChange: () => void): (() => void) => {
    const offs = [this.own, ...this.observed].map((s) => s.subscribe(onChange));
    return () => offs.forEach((off) => off());
  };

  getOutput = (runId: string, max: number): OutputLine[] => {
    if (this.own.getSnapshot().runs.some((r) => r.runId === runId)) return this.own.getOutput(runId, max);
    for (const o of this.observed) if (o.getSnapshot().runs.some((r) => r.runId === runId)) return o.getOutput(runId, max);
    return [];
  };

  /** Whether a run shown belongs to this console (its engine can cancel or answer it). */
  isOwn(runId: string): boolean {
    return this.own.getSnapshot().runs.some((r) => r.runId === runId);
  }

  private mark(run: RunView): RunView {
    const hit = this.marked.get(run);
    if (hit) return hit;
    const observedBy = run.observedBy ?? this.owners.get(run.runId) ?? { operator: run.operator, since: run.startedAt };
    const out = { ...run, observedBy };
    this.marked.set(run, out);
    return out;
  }
}
