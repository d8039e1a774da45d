// The audit log under `state.backend: postgres` (R-HA-1, R-AUD-1): every box's lines go into
// `doai_audit`, and each box's server writes them, every one and in order, into its own
// emergency.log in seed 000's format, so an operator's `tail -f` there shows both boxes.
// - Writing (any command): one INSERT per line, under a transaction advisory lock, so ids are
//   handed out in commit order and a reader that follows ids never skips a line committed late.
//   A line the database does not take (it is unreachable) is kept on this box, fsynced, in
//   <audit folder>/audit-pending/<pid>.<start>.jsonl, and written, marked LATE, by this process's
//   next line once the database answers, or by this box's server when the process has ended.
//   Only when neither the database nor the local file takes it does append throw (the engine then
//   keeps it in the run's journal, as for an unwritable log file).
// - Mirroring (serve): lines after the last id written here are appended in id order, fsynced,
//   then the id is saved (<state>/audit-mirror.json). A crash between the two repeats lines
//   rather than losing them.
import { closeSync, constants, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import type pg from 'pg';
import { AuditLog, formatAuditLine, formatIsoLocal, type AuditLogOptions } from '../audit/emergency-log';
import { holderAlive, processStartTime } from '../core/process-identity';
import { redact } from '../audit/redact';
import { ensureStateDir } from '../core/shared-dir';
import { writeFileAtomic } from '../core/atomic-file';
import { SyncPg } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

/** Serialises audit inserts so ids follow commit order (any constant the boxes agree on). */
const AUDIT_LOCK = 0x64_6f_61_75; // "doau"

const INSERT_SQL = `WITH serial AS (SELECT pg_advisory_xact_lock(${AUDIT_LOCK}))
  INSERT INTO doai_audit (line, box) SELECT $1, $2 FROM serial`;

export const PENDING_DIR = 'audit-pending';

/** A kept line as inserted once the database is back: its own time first, then when it was written. */
function late(line: string, now: Date): string {
  return `${line} (LATE: the state database was unreachable then; written ${formatIsoLocal(now)})`;
}

function readPending(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const v = JSON.parse(l) as { line?: unknown };
        return typeof v.line === 'string' ? [v.line] : [];
      } catch {
        return []; // a torn last line: the process died mid-write, before the line counted as kept
      }
    });
}

function appendDurably(path: string, text: string, mode: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, mode);
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class PgAuditLog extends AuditLog {
  private db: SyncPg | undefined;
  private target: PgTarget | undefined;
  private readonly box = `${hostname()} (pid ${process.pid})`;
  private readonly pendingDir: string;
  private readonly pendingFile: string;
  private pending = false;

  constructor(
    path: string,
    opts: AuditLogOptions,
    private readonly urlEnv: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super(path, opts);
    this.pendingDir = join(dirname(path), PENDING_DIR);
    this.pendingFile = join(this.pendingDir, `${process.pid}.${processStartTime(process.pid) ?? '0'}.jsonl`);
  }

  override append(auditName: string, message: string, at: Date): string {
    const line = redact(formatAuditLine(at, auditName, message), this.secrets());
    if (!this.db) {
      const r = resolvePgUrl(this.urlEnv, this.env);
      if (!r.ok) throw new Error(`cannot record the audit line: ${r.error}`);
      this.target = r.target;
      this.db = new SyncPg(r.target.url, { timeoutMs: 4000, name: `doai-console audit ${this.box}` });
    }
    try {
      // Kept lines first, so this process's lines reach the database in the order they happened.
      if (this.pending) this.flushPending();
      this.db.query(INSERT_SQL, [line, this.box]);
    } catch (err) {
      const words = scrubPg((err as Error).message, this.target!);
      try {
        const { fileMode } = ensureStateDir(this.pendingDir);
        appendDurably(this.pendingFile, JSON.stringify({ line }) + '\n', fileMode);
        this.pending = true;
      } catch (fileErr) {
        throw new Error(`cannot record the audit line in the state database ${this.target!.shown} (${words}) nor keep it in ${this.pendingFile} (${(fileErr as Error).message})`);
      }
    }
    return line;
  }

  /** Writes this process's kept lines (LATE) into the database; what it could not write stays kept. */
  private flushPending(): void {
    let lines: string[];
    try {
      lines = readPending(this.pendingFile);
    } catch {
      this.pending = false;
      return;
    }
    const now = new Date();
    for (let i = 0; i < lines.length; i++) {
      try {
        this.db!.query(INSERT_SQL, [late(lines[i]!, now), this.box]);
      } catch (err) {
        // Keep the rest, in order, and let the caller keep its own line after them.
        writeFileAtomic(this.pendingFile, lines.slice(i).map((l) => JSON.stringify({ line: l }) + '\n').join(''));
        throw err;
      }
    }
    unlinkSync(this.pendingFile);
    this.pending = false;
  }
}

/**
 * A box's server writes the lines kept by processes that have ended (a `run` that finished while
 * the database was away) once the database is back. Resolves with how many.
 */
export async function flushEndedPending(pool: pg.Pool, auditPath: string, box: string): Promise<number> {
  const dir = join(dirname(auditPath), PENDING_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names.sort()) {
    const m = /^(\d+)\.(\d+)\.jsonl$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || holderAlive({ pid, hostname: hostname(), ...(m[2] !== '0' ? { startTime: m[2] } : {}) })) continue;
    const taking = join(dir, `${name}.taking-${process.pid}`);
    try {
      renameSync(join(dir, name), taking);
    } catch {
      continue; // another server took it
    }
    const lines = readPending(taking);
    const now = new Date();
    let done = 0;
    try {
      for (const line of lines) {
        await pool.query(INSERT_SQL, [late(line, now), box]);
        done++;
      }
      unlinkSync(taking);
      total += done;
    } catch (err) {
      writeFileAtomic(join(dir, name), lines.slice(done).map((l) => JSON.stringify({ line: l }) + '\n').join(''));
      unlinkSync(taking);
      throw err;
    }
  }
  return total;
}

export function pgAuditLog(path: string, opts: AuditLogOptions, urlEnv: string): AuditLog {
  return new PgAuditLog(path, opts, urlEnv);
}

const MIRROR_FILE = 'audit-mirror.json';
const MIRROR_BATCH = 500;

/** Appends the database's audit lines to this box's emergency.log, in id order. */
export class AuditMirror {
  private lastId: number;
  private readonly cursorPath: string;
  private busy = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logPath: string,
    stateDir: string,
    private readonly database: string,
  ) {
    this.cursorPath = join(stateDir, MIRROR_FILE);
    this.lastId = this.readCursor();
  }

  private readCursor(): number {
    try {
      const v = JSON.parse(readFileSync(this.cursorPath, 'utf8')) as { database?: string; lastId?: number };
      // Another database: its ids mean nothing here.
      return v.database === this.database && typeof v.lastId === 'number' ? v.lastId : 0;
    } catch {
      return 0;
    }
  }

  /** Writes what is new; resolves with how many lines. Errors (database away, disk) propagate. */
  async catchUp(): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    let total = 0;
    try {
      // Bounded: at most 20 batches per call; the next tick continues.
      for (let round = 0; round < 20; round++) {
        const { rows } = await this.pool.query<{ id: string; line: string }>('SELECT id, line FROM doai_audit WHERE id > $1 ORDER BY id LIMIT $2', [this.lastId, MIRROR_BATCH]);
        if (rows.length === 0) break;
        this.appendLines(rows.map((r) => r.line));
        this.lastId = Number(rows[rows.length - 1]!.id);
        writeFileAtomic(this.cursorPath, JSON.stringify({ database: this.database, lastId: this.lastId }) + '\n');
        total += rows.length;
        if (rows.length < MIRROR_BATCH) break;
      }
      return total;
    } finally {
      this.busy = false;
    }
  }

  private appendLines(lines: string[]): void {
    const { fileMode } = ensureStateDir(dirname(this.logPath));
    const fd = openSync(this.logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, fileMode);
    try {
      const buf = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
