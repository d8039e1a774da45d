// The machine-readable run journal (R-AUD-4): one JSON line per RunEvent at
// <journalDir>/<runId>.jsonl. Output lines are buffered (at most ~100 ms) so a chatty command costs
// a few writes a second, not one per line; every other event flushes the buffer first, so the
// order on disk is the order of events. Step boundaries and the run's end are fsynced: after a
// crash the journal says at least which step was running.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent, RunOutcome } from '../runbook/events';
import { recordableEvent } from '../runbook/event-records';
import { redactDeep } from './redact';

export interface RunJournalOptions {
  secrets?: () => string[];
  /** Longest time an output line waits in memory (real time). */
  flushMs?: number;
  /** Called when a write fails; the run goes on (its audit log is the durable record). */
  onError?: (err: Error) => void;
}

export function journalPath(journalDir: string, runId: string): string {
  return join(journalDir, `${runId}.jsonl`);
}

export class RunJournal {
  readonly path: string;
  private fd: number | undefined;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failed = false;

  constructor(
    journalDir: string,
    readonly runId: string,
    private readonly opts: RunJournalOptions = {},
  ) {
    this.path = journalPath(journalDir, runId);
    mkdirSync(journalDir, { recursive: true, mode: 0o700 });
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  }

  record(event: RunEvent): void {
    if (this.fd === undefined) return;
    // A pending approval's one-time code stays on the requester's screen (recordableEvent).
    const line = JSON.stringify(redactDeep(recordableEvent(event), this.secrets())) + '\n';
    if (event.type === 'step.output') {
      this.buffer.push(line);
      if (!this.timer) {
        this.timer = setTimeout(() => this.flush(), this.opts.flushMs ?? 100);
        this.timer.unref?.();
      }
      return;
    }
    this.buffer.push(line);
    const boundary = event.type === 'step.started' || event.type === 'step.finished' || event.type === 'run.finished';
    this.flush(boundary);
    if (event.type === 'run.finished') this.close();
  }

  /** Writes buffered lines now; with sync, also fsyncs. Safe to call at any time (signals). */
  flush(sync = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fd === undefined) return;
    try {
      if (this.buffer.length) {
        this.followRotation();
        const buf = Buffer.from(this.buffer.join(''), 'utf8');
        this.buffer = [];
        let off = 0;
        // Bounded: each write makes progress or throws.
        while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      }
      if (sync) fsyncSync(this.fd);
    } catch (err) {
      this.buffer = [];
      if (!this.failed) {
        this.failed = true;
        this.opts.onError?.(new Error(`cannot write the run journal ${this.path}: ${(err as Error).message}`));
      }
    }
  }

  /**
   * An external logrotate that renamed the journal away (R-AUD-2): reopen the path so the next
   * lines land in the new file, where watch mode and other consoles look. copytruncate needs
   * nothing: O_APPEND writes at the new end.
   */
  private followRotation(): void {
    if (this.fd === undefined) return;
    let current: number | undefined;
    try {
      current = statSync(this.path).ino;
    } catch {
      current = undefined;
    }
    if (current === fstatSync(this.fd).ino) return;
    const next = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      closeSync(this.fd);
    } catch {
      // the old file is gone with its descriptor
    }
    this.fd = next;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush(true);
    try {
      closeSync(this.fd);
    } catch {
      // already closed by the OS (e.g. disk gone): nothing left to save
    }
    this.fd = undefined;
  }

  private secrets(): string[] {
    try {
      return this.opts.secrets?.() ?? [];
    } catch {
      return [];
    }
  }
}

const DATE_KEYS = new Set(['at', 'expiresAt', 'waitUntil']);

/** Parses one journal line back into a RunEvent (ISO strings become Dates); undefined if torn. */
export function parseJournalLine(line: string): RunEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const raw = JSON.parse(line, (key, value) => (DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value)) as RunEvent;
    if (!raw || typeof raw !== 'object' || typeof (raw as { type?: unknown }).type !== 'string') return undefined;
    return raw;
  } catch {
    return undefined;
  }
}

/**
 * Reads a journal. A torn last line (the process died mid-write) is ignored; a bad line in the
 * middle is skipped too, so one damaged record never hides the rest of a run.
 */
export function readJournal(path: string): RunEvent[] {
  const text = readFileSync(path, 'utf8');
  const out: RunEvent[] = [];
  for (const line of text.split('\n')) {
    const ev = parseJournalLine(line);
    if (ev) out.push(ev);
  }
  return out;
}

export interface JournalFile {
  runId: string;
  path: string;
  size: number;
  modifiedAt: Date;
}

/** Journals in a directory, newest first. A missing directory is an empty list. */
export function listJournals(journalDir: string): JournalFile[] {
  let names: string[];
  try {
    names = readdirSync(journalDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: JournalFile[] = [];
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const path = join(journalDir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      out.push({ runId: name.slice(0, -'.jsonl'.length), path, size: st.size, modifiedAt: st.mtime });
    } catch {
      // removed between readdir and stat
    }
  }
  return out.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || b.runId.localeCompare(a.runId));
}

export interface RunSummary {
  runId: string;
  runbook?: string;
  level?: string;
  target?: string;
  operator?: string;
  dryRun?: boolean;
  startedAt?: Date;
  finishedAt?: Date;
  /** Undefined while the journal has no run.finished: running elsewhere, or the console died. */
  outcome?: RunOutcome;
  message?: string;
  escalateTo?: string;
  /** The step that was running last (useful for "interrupted during restart"). */
  lastStep?: string;
}

/** What a journal says happened, for `log`, reports and the "resume or show" prompt. */
export function summarizeJournal(events: RunEvent[]): RunSummary {
  const s: RunSummary = { runId: events[0]?.runId ?? '' };
  for (const ev of events) {
    if (ev.type === 'run.started') {
      Object.assign(s, { runbook: ev.runbook, level: ev.level, target: ev.target, operator: ev.operator, dryRun: ev.dryRun, startedAt: ev.at });
    } else if (ev.type === 'step.started') s.lastStep = ev.stepId;
    else if (ev.type === 'run.finished') Object.assign(s, { outcome: ev.outcome, finishedAt: ev.at, message: ev.message, escalateTo: ev.escalateTo });
  }
  return s;
}
