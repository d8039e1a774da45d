// Runs in progress in ANY console on this machine, seen from the outside (R-RUN-7, R-UI-2): the
// lock files say who runs what where, the run's journal says what it is doing. This source only
// reads files; it has no way to start, stop or answer a run. Watch mode renders it, and the
// interactive console merges it with its own engine's runs so a second operator can watch.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JournalTail, readJournalEnds } from '../audit/journal-tail';
import { PolledSource } from './polled-source';
import type { OutputLine, RunsSnapshot, RunsStore, RunView } from '../core/views';
import type { RunEvent, RunOutcome } from '../runbook/events';
import { RunViewStore } from '../runbook/runs-store';
import type { Runbook } from '../runbook/schema';
import { readLocks, type ObservedLock } from './lock-reader';
import { holderAlive } from '../core/process-identity';

/** A finished run as its journal tells it (the wall screen's "recent runs"). */
export interface FinishedRun {
  runId: string;
  runbook: string;
  level: string;
  target: string;
  operator: string;
  dryRun: boolean;
  startedAt: Date;
  finishedAt?: Date;
  /** 'interrupted' also for a journal without an end whose console is gone. */
  outcome: RunOutcome;
  message?: string;
  /** The step that was running last. */
  lastStep?: string;
}

/** Who runs an observed run: the lock's holder. */
export interface RunOwner {
  operator: string;
  pid: number;
  since: Date;
  level: string;
}

export interface LiveRunsSnapshot extends RunsSnapshot {
  /** Newest first, at most `recent`. */
  finished: FinishedRun[];
  /** Owner of each observed run by runId. */
  owners: Record<string, RunOwner>;
  /** Last time the sources were read (null before the first poll). */
  polledAt: Date | null;
}

export interface LiveRunsOptions {
  journalDir: string;
  lockDir: string;
  runbook(id: string): Runbook | undefined;
  /** Runs of this process come from its own engine, not from files. */
  excludePid?: number;
  /** Real ms between polls (wall screen 1–5 s). */
  pollMs?: number;
  /** Finished runs listed. */
  recent?: number;
  /** Output lines kept per observed run (ring buffer; the journal has all). */
  maxOutputLines?: number;
  /** Minimum real ms between change notifications. */
  batchMs?: number;
  /** Real ms between journal directory scans for the finished list. */
  scanMs?: number;
  now?: () => Date;
}

interface Tailed {
  tail: JournalTail;
  lock?: ObservedLock;
  finished: boolean;
  /** Polls in a row with the lock gone and nothing new in the journal. */
  quiet: number;
}

/** Summarises a journal's first and last events; undefined when it has no run.started. */
export function summarizeEvents(events: RunEvent[], alive: boolean): FinishedRun | undefined {
  let started: Extract<RunEvent, { type: 'run.started' }> | undefined;
  let finished: Extract<RunEvent, { type: 'run.finished' }> | undefined;
  let lastStep: string | undefined;
  for (const ev of events) {
    if (ev.type === 'run.started') started = ev;
    else if (ev.type === 'step.started') lastStep = ev.stepId;
    else if (ev.type === 'run.finished') finished = ev;
  }
  if (!started) return undefined;
  if (!finished && alive) return undefined;
  return {
    runId: started.runId,
    runbook: started.runbook,
    level: started.level,
    target: started.target,
    operator: started.operator,
    dryRun: started.dryRun,
    startedAt: started.at,
    finishedAt: finished?.at,
    outcome: finished?.outcome ?? 'interrupted',
    message: finished ? finished.message : 'no end recorded: the console running it stopped',
    lastStep,
  };
}

export class LiveRunsSource extends PolledSource<LiveRunsSnapshot> implements RunsStore {
  private readonly views: RunViewStore;
  private readonly tails = new Map<string, Tailed>();
  private readonly summaries = new Map<string, { mtimeMs: number; size: number; run?: FinishedRun }>();
  private lastScan = -Infinity;
  private finished: FinishedRun[] = [];
  private owners: Record<string, RunOwner> = {};
  private readonly unsubscribeViews: () => void;

  constructor(private readonly opts: LiveRunsOptions) {
    super({ runs: [], outputVersion: 0, finished: [], owners: {}, polledAt: null }, opts.batchMs ?? 0, opts.pollMs ?? 2000);
    this.views = new RunViewStore({ runbook: opts.runbook, batchMs: 0, maxLines: opts.maxOutputLines ?? 200, keepFinished: 3 });
    this.unsubscribeViews = this.views.subscribe(() => this.publish());
  }

  getOutput = (runId: string, max: number): OutputLine[] => this.views.getOutput(runId, max);

  override stop(): void {
    super.stop();
    this.unsubscribeViews();
  }

  /** Reads locks and journals once (tests call it directly). */
  poll(): void {
    const now = this.opts.now?.() ?? new Date();
    const locks = readLocks(this.opts.lockDir).filter((l) => l.pid !== this.opts.excludePid);
    const owners: Record<string, RunOwner> = {};
    let anyEnded = false;
    for (const lock of locks) {
      if (!lock.alive) continue;
      owners[lock.runId] = { operator: lock.operator, pid: lock.pid, since: lock.since, level: lock.level };
      const known = this.tails.get(lock.runId);
      if (known) known.lock = lock;
      else this.tails.set(lock.runId, { tail: new JournalTail(join(this.opts.journalDir, `${lock.runId}.jsonl`)), lock, finished: false, quiet: 0 });
    }
    const held = new Set(Object.keys(owners));
    for (const [runId, t] of this.tails) {
      let events: RunEvent[] = [];
      try {
        events = t.tail.read();
      } catch {
        // unreadable journal (permissions): the lock line still shows the run
      }
      for (const ev of events) {
        this.views.apply(ev);
        if (ev.type === 'run.finished') t.finished = true;
      }
      if (t.finished) {
        this.tails.delete(runId);
        anyEnded = true;
        continue;
      }
      const lockGone = !held.has(runId);
      const holderDead = t.lock ? !holderAlive(t.lock) : true;
      t.quiet = lockGone && events.length === 0 ? t.quiet + 1 : 0;
      // The lock went away without a run.finished: the console died (SIGKILL) or the last lines
      // are still on their way. Two quiet polls, or a dead holder, end it on this screen only.
      if (lockGone && (holderDead || t.quiet >= 2)) {
        this.views.apply({ type: 'run.finished', runId, outcome: 'interrupted', message: 'the console running it stopped; no end recorded', at: now });
        this.tails.delete(runId);
        anyEnded = true;
      }
    }
    this.owners = owners;
    const scanMs = this.opts.scanMs ?? 10_000;
    if (anyEnded || now.getTime() - this.lastScan >= scanMs) {
      this.lastScan = now.getTime();
      this.scanFinished(held);
    }
    this.publish(now);
  }

  private scanFinished(live: Set<string>): void {
    const dir = this.opts.journalDir;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      names = [];
    }
    const files: { runId: string; path: string; mtimeMs: number; size: number }[] = [];
    for (const name of names) {
      const path = join(dir, name);
      try {
        const st = statSync(path);
        if (st.isFile()) files.push({ runId: name.slice(0, -'.jsonl'.length), path, mtimeMs: st.mtimeMs, size: st.size });
      } catch {
        // removed meanwhile
      }
    }
    files.sort((a, b) => b.mtimeMs - a.mtimeMs || b.runId.localeCompare(a.runId));
    const want = this.opts.recent ?? 8;
    const out: FinishedRun[] = [];
    const seen = new Set<string>();
    for (const f of files) {
      if (out.length >= want) break;
      if (live.has(f.runId) || this.tails.has(f.runId)) continue;
      seen.add(f.runId);
      let cached = this.summaries.get(f.runId);
      if (!cached || cached.mtimeMs !== f.mtimeMs || cached.size !== f.size) {
        let run: FinishedRun | undefined;
        try {
          // A journal without an end and without a live lock belongs to a console that is gone
          // (or to a dry run, which takes no lock and ends within moments).
          run = summarizeEvents(readJournalEnds(f.path), false);
        } catch {
          run = undefined;
        }
        cached = { mtimeMs: f.mtimeMs, size: f.size, run };
        this.summaries.set(f.runId, cached);
      }
      if (cached.run) out.push(cached.run);
    }
    // Bounded cache: only what the list can show.
    for (const id of this.summaries.keys()) if (!seen.has(id)) this.summaries.delete(id);
    this.finished = out;
  }

  private publish(now?: Date): void {
    const views = this.views.getSnapshot();
    const prev = this.getSnapshot();
    const next: LiveRunsSnapshot = {
      runs: views.runs,
      outputVersion: views.outputVersion,
      finished: this.finished,
      owners: this.owners,
      polledAt: now ?? prev.polledAt,
    };
    // A frame only when something a screen shows changed (the poll time alone is not news).
    if (
      next.runs === prev.runs &&
      next.outputVersion === prev.outputVersion &&
      sameFinished(next.finished, prev.finished) &&
      sameOwners(next.owners, prev.owners)
    ) {
      return;
    }
    this.set(next);
  }
}

function sameFinished(a: FinishedRun[], b: FinishedRun[]): boolean {
  return a.length === b.length && a.every((r, i) => r.runId === b[i]!.runId && r.outcome === b[i]!.outcome && r.finishedAt?.getTime() === b[i]!.finishedAt?.getTime());
}

function sameOwners(a: Record<string, RunOwner>, b: Record<string, RunOwner>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] && b[k]!.pid === a[k]!.pid && b[k]!.operator === a[k]!.operator);
}
