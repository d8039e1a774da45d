// After a dropped SSH session (R-UI-5): on the next start the console finds runs that were
// interrupted — recorded INTERRUPTED by the signal handler, or with no end at all because the
// console was killed outright — and offers to show what happened, to check the target's health
// now, to resume from the interrupted step when the runbook marks it resumable, or to start over.
// Resuming or starting over is a new run with a new approval: an approval granted to the
// interrupted run is never reused (it has expired with its run).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JournalTail, readJournalEnds } from '../audit/journal-tail';
import { BatchedStore } from '../core/store';
import type { Lang, OutputLine, RunControl, RunsSnapshot, RunsStore, RunView, StartResult } from '../core/views';
import { resumeProblem, type ResumeFrom, type StartOptions } from '../runbook/engine';
import type { RunEvent } from '../runbook/events';
import { RunViewStore } from '../runbook/runs-store';
import type { Runbook } from '../runbook/schema';
import { readLocks } from '../watch/lock-reader';
import { summarizeEvents, type FinishedRun } from '../watch/live-runs';

export interface InterruptedRun extends FinishedRun {
  path: string;
  /** Where a new run can go on (the interrupted step is resumable), with the values it used. */
  resume?: ResumePlan;
  /** Why it cannot resume (shown when the operator asks anyway). */
  notResumable?: string;
}

export interface ResumePlan extends ResumeFrom {
  /** 0-based index of the step it resumes at. */
  index: number;
  params: Record<string, string>;
}

export interface FindOptions {
  journalDir: string;
  lockDir: string;
  now?: Date;
  /** Older interruptions are history, not news (default 24 h). */
  maxAgeMs?: number;
  /** Journals looked at, newest first (bounded start-up cost). */
  maxJournals?: number;
  /** The runbooks as loaded now: with it, each run says whether and where it can resume. */
  runbook?: (id: string) => Runbook | undefined;
}

/**
 * Interrupted runs worth offering, newest first: the journal ends in `interrupted`, or has no end
 * and no live console holds its lock. A run is left out once a later run on the same target
 * finished (the operator already dealt with it).
 */
export function findInterruptedRuns(opts: FindOptions): InterruptedRun[] {
  const now = (opts.now ?? new Date()).getTime();
  const maxAge = opts.maxAgeMs ?? 24 * 3600_000;
  let names: string[];
  try {
    names = readdirSync(opts.journalDir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const files = names
    .map((name) => {
      const path = join(opts.journalDir, name);
      try {
        return { path, mtimeMs: statSync(path).mtimeMs };
      } catch {
        return undefined;
      }
    })
    .filter((f): f is { path: string; mtimeMs: number } => f !== undefined && now - f.mtimeMs <= maxAge)
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(0, opts.maxJournals ?? 200);
  const live = new Set(readLocks(opts.lockDir).filter((l) => l.alive).map((l) => l.runId));
  const out: InterruptedRun[] = [];
  const handled = new Set<string>();
  for (const f of files) {
    let run: FinishedRun | undefined;
    try {
      const events = readJournalEnds(f.path);
      const runId = events.find((e) => e.type === 'run.started')?.runId;
      run = summarizeEvents(events, runId !== undefined && live.has(runId));
    } catch {
      continue;
    }
    if (!run || run.dryRun) continue;
    // Newest first: a later finished run on the target means this one was dealt with.
    if (handled.has(run.target)) continue;
    if (run.outcome === 'interrupted') {
      const found: InterruptedRun = { ...run, path: f.path };
      if (opts.runbook) {
        const plan = resumePlan(readWhole(f.path), opts.runbook);
        if (plan.ok) found.resume = plan.plan;
        else found.notResumable = plan.why;
      }
      out.push(found);
    }
    else handled.add(run.target);
  }
  return out;
}

/** Every event of a journal (bounded: a journal is read in 1 MiB pieces, at most 10,000 of them). */
function readWhole(path: string): RunEvent[] {
  const tail = new JournalTail(path);
  const out: RunEvent[] = [];
  for (let guard = 0; guard < 10_000 && tail.hasMore(); guard++) out.push(...tail.read());
  return out;
}

/**
 * Where an interrupted run could go on: the first step with no recorded end (or ended by the
 * interruption), when the runbook marks that step resumable. Steps skipped after the interruption
 * carry no message, so they count as never run; "done in run X" (an earlier resume) counts as done.
 */
export function resumePlan(events: RunEvent[], runbookOf: (id: string) => Runbook | undefined): { ok: true; plan: ResumePlan } | { ok: false; why: string } {
  const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
  if (!started) return { ok: false, why: 'its journal has no start' };
  if (started.dryRun) return { ok: false, why: 'it was a dry run' };
  const runbook = runbookOf(started.runbook);
  if (!runbook) return { ok: false, why: `runbook ${started.runbook} is not loaded any more` };
  const earlier: ResumeFrom['earlier'] = {};
  for (const e of events) {
    if (e.type !== 'step.finished') continue;
    if (e.outcome === 'ok' || e.outcome === 'failed') earlier[e.stepId] = e.outcome;
    else if (e.outcome === 'skipped' && e.message) earlier[e.stepId] = e.message.startsWith('done in run ') ? 'ok' : 'skipped';
  }
  const index = runbook.steps.findIndex((s) => earlier[s.id] === undefined);
  if (index < 0) return { ok: false, why: 'every step has finished; only its end is missing' };
  const step = runbook.steps[index]!;
  if (index === 0) return { ok: false, why: 'no step had finished; start over' };
  const params = started.params ?? {};
  if (Object.keys(runbook.params).some((name) => params[name] === undefined)) {
    return { ok: false, why: 'its journal does not record the parameter values it used; start over' };
  }
  const from: ResumeFrom = { runId: started.runId, stepId: step.id, earlier };
  const why = resumeProblem(runbook, from);
  if (why) return { ok: false, why };
  return { ok: true, plan: { ...from, index, params } };
}

/**
 * The console's control with `resume`: a new run of the same runbook on the same target, with the
 * same parameters, from the interrupted step. The engine asks for approval again.
 */
export function withResume<C extends RunControl>(
  control: C & { start(runbookId: string, target: string, opts?: StartOptions): StartResult },
  runs: InterruptedRun[],
  replay?: { dropResume(runId: string): void },
): Omit<C, 'resume'> & { resume(runId: string, by?: { operator?: string }): StartResult } {
  const resumed = new Map<string, string>();
  const resume = (runId: string, by: { operator?: string } = {}): StartResult => {
    const run = runs.find((r) => r.runId === runId);
    if (!run) return { ok: false, error: `run ${runId} is not an interrupted run of an earlier session; start the runbook again instead` };
    const already = resumed.get(runId);
    if (already) return { ok: false, error: `run ${runId} was already resumed as run ${already}; open that one` };
    if (!run.resume) return { ok: false, error: `run ${runId} cannot resume: ${run.notResumable ?? 'no resumable step'}` };
    const { index: _index, params, ...from } = run.resume;
    const res = control.start(run.runbook, run.target, { params, resume: from, ...(by.operator ? { operator: by.operator } : {}) });
    if (res.ok) {
      resumed.set(runId, res.runId);
      replay?.dropResume(runId);
    }
    return res;
  };
  return Object.assign(Object.create(control) as Omit<C, 'resume'>, { resume });
}

/** The interrupted runs replayed from their journals, for the run screen ("view what happened"). */
export function replayRuns(runs: InterruptedRun[], runbook: (id: string) => Runbook | undefined): ReplayedRuns {
  const store = new RunViewStore({ runbook, batchMs: 0, maxLines: 2000, keepFinished: Math.max(1, runs.length) });
  for (const run of [...runs].reverse()) {
    const tail = new JournalTail(run.path);
    let sawEnd = false;
    const events: RunEvent[] = [];
    for (let guard = 0; guard < 10_000 && tail.hasMore(); guard++) {
      for (const ev of tail.read()) {
        store.apply(ev);
        if (ev.type !== 'step.output') events.push(ev);
        if (ev.type === 'run.finished') sawEnd = true;
      }
    }
    // Found without the runbooks at hand: where it can resume is worked out from the same read.
    if (!run.resume && run.notResumable === undefined) {
      const plan = resumePlan(events, runbook);
      if (plan.ok) run.resume = plan.plan;
      else run.notResumable = plan.why;
    }
    if (!sawEnd) {
      store.apply({ type: 'run.finished', runId: run.runId, outcome: 'interrupted', message: run.message, at: run.finishedAt ?? run.startedAt });
    }
  }
  return new ReplayedRuns(store, runs);
}

/** The replayed runs, those that can resume carrying resumeAt until they are resumed. */
export class ReplayedRuns extends BatchedStore<RunsSnapshot> implements RunsStore {
  private readonly resumable = new Map<string, RunView['resumeAt']>();

  constructor(
    private readonly replayed: RunViewStore,
    runs: InterruptedRun[],
  ) {
    super(replayed.getSnapshot());
    for (const r of runs) if (r.resume) this.resumable.set(r.runId, { stepId: r.resume.stepId, index: r.resume.index });
    this.rebuild();
  }

  getOutput = (runId: string, max: number): OutputLine[] => this.replayed.getOutput(runId, max);

  /** Resumed once: the run is history now, the new run carries on. */
  dropResume(runId: string): void {
    if (this.resumable.delete(runId)) this.rebuild();
  }

  private rebuild(): void {
    const snap = this.replayed.getSnapshot();
    this.set({ ...snap, runs: snap.runs.map((r) => (this.resumable.has(r.runId) ? { ...r, resumeAt: this.resumable.get(r.runId) } : r)) });
  }
}

/** One line for the message bar at start-up. */
export function interruptedNotice(runs: InterruptedRun[], lang: Lang, keys: { open?: string; resume?: string }): string | undefined {
  const first = runs[0];
  if (!first) return undefined;
  const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const more = runs.length > 1 ? (lang === 'ko' ? ` (외 ${runs.length - 1}건)` : ` (+${runs.length - 1} more)`) : '';
  // Stopped before its first step (an L2/L3 waiting for its approval): say so, not "during -".
  const step = first.lastStep;
  const open = keys.open ?? 'Enter';
  const r = first.resume;
  if (lang === 'ko') {
    const offer = r ? `${open}: 경과 보기, 그 화면에서 ${keys.resume ?? 'r'}: ${r.index + 1}단계(${r.stepId})부터 이어서 (새 승인)` : `${open}: 경과 보기 · 다시 시작하면 새 승인`;
    return `중단됨: ${first.target} ${first.runbook} (${first.operator}, ${hhmm(first.startedAt)}, ${step ? `${step} 단계` : '첫 단계 전'})${more} — ${offer}`;
  }
  const offer = r ? `${open}: what happened, then ${keys.resume ?? 'r'}: resume from step ${r.index + 1} (${r.stepId}) with a fresh approval` : `${open}: what happened · start again for a fresh run`;
  return `Interrupted: ${first.runbook} on ${first.target} (${first.operator}, ${hhmm(first.startedAt)}, ${step ? `during ${step}` : 'before its first step'})${more} — ${offer}`;
}
