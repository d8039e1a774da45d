// Run journals shared by every box (issue 15): each server copies this box's run journals
// (<journal_dir>/<runId>.jsonl, written by whichever process ran the run) into doai_journal,
// byte range by byte range, and writes the other boxes' journals into
// <journal_dir>/other-boxes/<runId>.jsonl, so `doai-console log` on either box lists and shows
// every box's runs. The other boxes' copies sit in their own folder: nothing on this box takes
// them for its own runs (no resume, no "interrupted run" of another box).
//
// Every row carries the byte offsets it covers in its run's file, so a copy is exact and
// idempotent: the local copy is filled from its own size on, in offset order, and a range not in
// the database yet is waited for rather than skipped.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

/** Where the other boxes' journals are written, under journal_dir. */
export const OTHER_BOXES_DIR = 'other-boxes';
/** Bytes read from one journal per round (bounded), and rows per INSERT. */
const SHIP_CHUNK = 256 * 1024;
const MIRROR_BATCH = 500;
const RUN_ID = /^[A-Za-z0-9._-]{1,200}$/;
/** Serialises journal inserts between servers (any constant). */
const JOURNAL_LOCK = 0x64_6f_6a_6c; // "dojl"

export class JournalShare {
  /** This box's journals: how far each is in the database (bytes). */
  private shipped: Map<string, number> | undefined;
  /** This box's runs whose end is shipped (their files are not looked at again). */
  private readonly finished = new Set<string>();
  /** The other boxes' rows: the last id looked at. */
  private lastId = 0;
  private busy = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly journalDir: string,
    /** This box's `state.box_name`: the rows it ships, and the rows it does not copy back. */
    private readonly boxName: string,
  ) {}

  /** One round: ship what grew here, copy what is new from the others. Errors propagate. */
  async sync(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.ship();
      await this.mirror();
    } finally {
      this.busy = false;
    }
  }

  private async ship(): Promise<void> {
    if (!this.shipped) {
      const { rows } = await this.pool.query<{ run_id: string; end_off: string; finished: boolean }>(
        `SELECT run_id, max(end_off) AS end_off, bool_or(line LIKE '%"type":"run.finished"%') AS finished FROM doai_journal WHERE box = $1 GROUP BY run_id`,
        [this.boxName],
      );
      this.shipped = new Map(rows.map((r) => [r.run_id, Number(r.end_off)]));
      for (const r of rows) if (r.finished) this.finished.add(r.run_id);
    }
    let names: string[];
    try {
      names = readdirSync(this.journalDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (!name.endsWith('.jsonl')) continue;
      const file = { runId: name.slice(0, -'.jsonl'.length), path: join(this.journalDir, name), size: 0 };
      // A run whose end is in the database has nothing more to ship: not even a stat.
      if (!RUN_ID.test(file.runId) || this.finished.has(file.runId)) continue;
      try {
        const st = statSync(file.path);
        if (!st.isFile()) continue;
        file.size = st.size;
      } catch {
        continue;
      }
      const from = this.shipped.get(file.runId) ?? 0;
      if (file.size <= from) continue;
      const chunk = readRange(file.path, from, Math.min(file.size, from + SHIP_CHUNK));
      // Whole lines only: a line being written is shipped next round.
      const last = chunk.lastIndexOf(0x0a);
      if (last < 0) continue;
      const lines: { start: number; end: number; text: string }[] = [];
      let at = 0;
      while (at <= last) {
        const nl = chunk.indexOf(0x0a, at);
        lines.push({ start: from + at, end: from + nl + 1, text: chunk.subarray(at, nl).toString('utf8') });
        at = nl + 1;
      }
      for (let i = 0; i < lines.length; i += MIRROR_BATCH) {
        const part = lines.slice(i, i + MIRROR_BATCH);
        // Inserts are serialised (as the audit lines are) so ids follow commit order: a reader that
        // has seen id N has seen every row below it.
        const c = await this.pool.connect();
        try {
          await c.query('BEGIN');
          await c.query('SELECT pg_advisory_xact_lock($1)', [JOURNAL_LOCK]);
          await c.query(
            `INSERT INTO doai_journal (run_id, box, start_off, end_off, line)
             SELECT $1, $2, s, e, l FROM unnest($3::bigint[], $4::bigint[], $5::text[]) AS t(s, e, l)
             ON CONFLICT (run_id, start_off) DO NOTHING`,
            [file.runId, this.boxName, part.map((l) => l.start), part.map((l) => l.end), part.map((l) => l.text)],
          );
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          c.release();
        }
      }
      this.shipped.set(file.runId, lines[lines.length - 1]!.end);
      // Only a journal line itself starts with this: inside an output line the quotes are escaped.
      if (lines.some((l) => l.text.includes('"type":"run.finished"'))) this.finished.add(file.runId);
    }
  }

  private async mirror(): Promise<void> {
    const dir = join(this.journalDir, OTHER_BOXES_DIR);
    // Bounded: at most 20 batches per round; the next round goes on.
    for (let round = 0; round < 20; round++) {
      const { rows } = await this.pool.query<{ id: string; run_id: string }>('SELECT id, run_id FROM doai_journal WHERE id > $1 AND box <> $2 ORDER BY id LIMIT $3', [this.lastId, this.boxName, MIRROR_BATCH]);
      if (rows.length === 0) return;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Each run named in the batch is brought up to date from its file's size on, in offset order.
      for (const runId of new Set(rows.map((r) => r.run_id))) if (RUN_ID.test(runId)) await this.fill(join(dir, `${runId}.jsonl`), runId);
      this.lastId = Number(rows[rows.length - 1]!.id);
      if (rows.length < MIRROR_BATCH) return;
    }
  }

  private async fill(path: string, runId: string): Promise<void> {
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      let size = fstatSync(fd).size;
      for (let round = 0; round < 100; round++) {
        const { rows } = await this.pool.query<{ start_off: string; end_off: string; line: string }>(
          'SELECT start_off, end_off, line FROM doai_journal WHERE run_id = $1 AND box <> $2 AND end_off > $3 ORDER BY start_off LIMIT $4',
          [runId, this.boxName, size, MIRROR_BATCH],
        );
        let wrote = false;
        for (const r of rows) {
          if (Number(r.start_off) !== size) break; // not contiguous with what is here: wait for it
          const buf = Buffer.from(r.line + '\n', 'utf8');
          let off = 0;
          while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
          size += buf.length;
          wrote = true;
        }
        if (!wrote || rows.length < MIRROR_BATCH) return;
      }
    } finally {
      closeSync(fd);
    }
  }
}

function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const buf = Buffer.alloc(to - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The other boxes' journal files on this box (for `doai-console log`). */
export function otherBoxesJournalDir(journalDir: string): string {
  return join(journalDir, OTHER_BOXES_DIR);
}

