// Follows a run journal another process is writing (R-AUD-4): watch mode and other consoles read
// it live. Read-only by construction: the file is opened O_RDONLY and only complete lines are
// returned, so a line the writer has half-written is picked up whole on the next read. A file
// that shrank (copytruncate) or was replaced (rename rotation) is read again from its start.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { RunEvent } from '../runbook/events';

const DATE_KEYS = new Set(['at', 'expiresAt', 'waitUntil']);

/**
 * One journal line as a RunEvent (ISO strings become Dates), or undefined for a torn or foreign
 * line. The same shape journal.ts writes; kept here so readers never load the writer.
 */
export function parseJournalEvent(line: string): RunEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const raw = JSON.parse(line, (key, value) => (DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value)) as unknown;
    if (!raw || typeof raw !== 'object') return undefined;
    const ev = raw as { type?: unknown; runId?: unknown };
    if (typeof ev.type !== 'string' || typeof ev.runId !== 'string') return undefined;
    return raw as RunEvent;
  } catch {
    return undefined;
  }
}

export interface JournalTailOptions {
  /** Most bytes read per poll, so a huge journal never blocks the screen (the rest comes next poll). */
  maxBytesPerRead?: number;
  /** A single line longer than this is dropped (bounded memory even on a corrupt file). */
  maxLineBytes?: number;
}

export class JournalTail {
  private offset = 0;
  private ino: number | undefined;
  private partial: Buffer = Buffer.alloc(0);
  private skipping = false;
  private readonly maxRead: number;
  private readonly maxLine: number;

  constructor(
    readonly path: string,
    opts: JournalTailOptions = {},
  ) {
    this.maxRead = opts.maxBytesPerRead ?? 1 << 20;
    this.maxLine = opts.maxLineBytes ?? 256 * 1024;
  }

  /** Bytes consumed so far (the start of the next read). */
  get position(): number {
    return this.offset;
  }

  /**
   * New complete events since the last call. A missing file yields nothing (it may not exist
   * yet, or was rotated away); errors other than that are thrown to the caller.
   */
  read(): RunEvent[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const st = fstatSync(fd);
      if (this.ino !== undefined && st.ino !== this.ino) this.restart();
      this.ino = st.ino;
      if (st.size < this.offset) this.restart();
      const out: RunEvent[] = [];
      let budget = this.maxRead;
      while (budget > 0 && this.offset < st.size) {
        const want = Math.min(budget, st.size - this.offset, 64 * 1024);
        const buf = Buffer.allocUnsafe(want);
        const n = readSync(fd, buf, 0, want, this.offset);
        if (n <= 0) break;
        this.offset += n;
        budget -= n;
        this.consume(buf.subarray(0, n), out);
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  /** True when the file has bytes we have not read yet (cheap: one stat). */
  hasMore(): boolean {
    try {
      const st = statSync(this.path);
      return st.size !== this.offset || (this.ino !== undefined && st.ino !== this.ino);
    } catch {
      return false;
    }
  }

  private restart(): void {
    this.offset = 0;
    this.partial = Buffer.alloc(0);
    this.skipping = false;
  }

  private consume(chunk: Buffer, out: RunEvent[]): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        // The end of an over-long line: drop it and carry on with the next.
        this.skipping = false;
        this.partial = Buffer.alloc(0);
        continue;
      }
      const line = this.partial.length ? Buffer.concat([this.partial, piece]) : piece;
      this.partial = Buffer.alloc(0);
      const ev = parseJournalEvent(line.toString('utf8'));
      if (ev) out.push(ev);
    }
    const rest = chunk.subarray(start);
    if (this.skipping) return;
    if (this.partial.length + rest.length > this.maxLine) {
      this.partial = Buffer.alloc(0);
      this.skipping = true;
      return;
    }
    if (rest.length) this.partial = Buffer.concat([this.partial, rest]);
  }
}

/**
 * The first and last events of a journal without reading all of it: enough for a run's summary
 * (who, what, when, how it ended) even when its output is megabytes long.
 */
export function readJournalEnds(path: string, edgeBytes = 64 * 1024): RunEvent[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (pos: number, len: number) => {
      const buf = Buffer.allocUnsafe(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.subarray(0, n).toString('utf8');
    };
    const lines =
      size <= edgeBytes * 2
        ? read(0, size).split('\n')
        : [...read(0, edgeBytes).split('\n').slice(0, -1), ...read(size - edgeBytes, edgeBytes).split('\n').slice(1)];
    const out: RunEvent[] = [];
    for (const line of lines) {
      const ev = parseJournalEvent(line);
      if (ev) out.push(ev);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
