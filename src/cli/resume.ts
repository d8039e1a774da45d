// After a dropped SSH session (R-UI-5): on the next start the console finds runs that were
// interrupted — recorded INTERRUPTED by the signal handler, or with no end at all because the
// console was killed outright — and offers to show what happened, to check the target's health
// now, or to start over. Starting over is a new run with a new approval: an approval granted to the
// interrupted run is never reused (it has expired with its run).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JournalTail, readJournalEnds } from '../audit/journal-tail';
import type { Lang, RunsSnapshot, RunsStore } from '../core/views';
import { RunViewStore } from '../runbook/runs-store';
import type { Runbook } from '../runbook/schema';
import { readLocks } from '../watch/lock-reader';
import { summarizeEvents, type FinishedRun } from '../watch/live-runs';

export interface InterruptedRun extends FinishedRun {
  path: string;
}

export interface FindOptions {
  journalDir: string;
  lockDir: string;
  now?: Date;
  /** Older interruptions are history, not news (default 24 h). */
  maxAgeMs?: number;
  /** Journals looked at, newest first (bounded start-up cost). */
  maxJournals?: number;
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
    if (run.outcome === 'interrupted') out.push({ ...run, path: f.path });
    else handled.add(run.target);
  }
  return out;
}

/** The interrupted runs replayed from their journals, for the run screen ("view what happened"). */
export function replayRuns(runs: InterruptedRun[], runbook: (id: string) => Runbook | undefined): RunsStore & { getSnapshot(): RunsSnapshot } {
  const store = new RunViewStore({ runbook, batchMs: 0, maxLines: 2000, keepFinished: Math.max(1, runs.length) });
  for (const run of [...runs].reverse()) {
    const tail = new JournalTail(run.path);
    let sawEnd = false;
    for (let guard = 0; guard < 10_000 && tail.hasMore(); guard++) {
      for (const ev of tail.read()) {
        store.apply(ev);
        if (ev.type === 'run.finished') sawEnd = true;
      }
    }
    if (!sawEnd) {
      store.apply({ type: 'run.finished', runId: run.runId, outcome: 'interrupted', message: run.message, at: run.finishedAt ?? run.startedAt });
    }
  }
  return store;
}

/** One line for the message bar at start-up. */
export function interruptedNotice(runs: InterruptedRun[], lang: Lang, keys: { open?: string }): string | undefined {
  const first = runs[0];
  if (!first) return undefined;
  const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const more = runs.length > 1 ? (lang === 'ko' ? ` (외 ${runs.length - 1}건)` : ` (+${runs.length - 1} more)`) : '';
  const step = first.lastStep ?? '-';
  if (lang === 'ko') {
    return `중단됨: ${first.target} ${first.runbook} (${first.operator}, ${hhmm(first.startedAt)}, ${step} 단계)${more} — ${keys.open ?? 'Enter'}: 경과 보기 · 다시 시작하면 새 승인`;
  }
  return `Interrupted: ${first.runbook} on ${first.target} (${first.operator}, ${hhmm(first.startedAt)}, during ${step})${more} — ${keys.open ?? 'Enter'}: what happened · start again for a fresh run`;
}
