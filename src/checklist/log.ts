// Checklist persistence (R-CHK-5): one append-only JSON-lines file per checklist instance under
// <stateDir>/checklists. Every sign-off is one write(2) of one whole line with O_APPEND, then
// fsync, before the console says it happened: a console killed right after still has it, and two
// consoles appending to the same file interleave whole lines, never lose one.
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, readSync, fstatSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Localized } from '../core/views';
import type { AutoStatus } from './facts';
import { fsyncDir } from '../core/atomic-file';

export type ChecklistEntry =
  | {
      type: 'created';
      instanceId: string;
      checklist: string;
      title: Localized;
      target?: string;
      incidentId?: string;
      anchorAt?: string;
      operator: string;
      at: string;
    }
  | { type: 'signed'; item: string; operator: string; at: string; override?: boolean; note?: string; auto?: AutoStatus; autoDetail?: string }
  | { type: 'note'; item: string; operator: string; at: string; text: string }
  | { type: 'undone'; item: string; operator: string; at: string };

export function instancePath(dir: string, instanceId: string): string {
  return join(dir, `${instanceId}.jsonl`);
}

/** Writes one entry durably: a single appended line, fsynced. Throws with the path in the message. */
export function appendEntry(dir: string, instanceId: string, entry: ChecklistEntry, opts: { create?: boolean } = {}): void {
  const path = instancePath(dir, instanceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const flags = constants.O_WRONLY | constants.O_APPEND | (opts.create ? constants.O_CREAT | constants.O_EXCL : 0);
  const fd = openSync(path, flags, 0o600);
  try {
    const buf = Buffer.from(JSON.stringify(entry) + '\n', 'utf8');
    // One write for the whole line: O_APPEND places it atomically at the end for every writer.
    const n = writeSync(fd, buf, 0, buf.length);
    if (n !== buf.length) throw new Error(`short write (${n} of ${buf.length} bytes)`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (opts.create) fsyncDir(dir);
}

export interface ReadResult {
  entries: ChecklistEntry[];
  /** Byte offset after the last whole line read; a later read starts here. */
  offset: number;
  /** Lines that are not valid entries (a torn write from a crash mid-line), with line numbers. */
  bad: string[];
}

/** Reads the whole lines from `offset` on; a trailing partial line is left for the next read. */
export function readEntries(path: string, offset = 0): ReadResult {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { entries: [], offset: Math.min(offset, size), bad: [] };
    const buf = Buffer.alloc(size - offset);
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const end = buf.lastIndexOf(0x0a, read - 1);
    if (end === -1) return { entries: [], offset, bad: [] };
    const text = buf.subarray(0, end + 1).toString('utf8');
    const entries: ChecklistEntry[] = [];
    const bad: string[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as ChecklistEntry;
        if (e && typeof e === 'object' && typeof e.type === 'string') entries.push(e);
        else bad.push(line.slice(0, 80));
      } catch {
        bad.push(line.slice(0, 80));
      }
    }
    return { entries, offset: offset + end + 1, bad };
  } finally {
    closeSync(fd);
  }
}

export function listInstanceFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .map((n) => n.slice(0, -'.jsonl'.length));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
