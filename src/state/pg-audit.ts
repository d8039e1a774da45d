// The audit log under `state.backend: postgres` (R-HA-1, R-AUD-1): every box's lines go into
// `doai_audit`, and each box's server writes them, every one and in order, into its own
// emergency.log in seed 000's format, so an operator's `tail -f` there shows both boxes.
// - Writing (any command): one INSERT per line, under a transaction advisory lock, so ids are
//   handed out in commit order and a reader that follows ids never skips a line committed late.
//   A line the database does not take throws, as a full disk does for the file log: the engine
//   keeps it in the run's journal and appends it, marked LATE, with its next line.
// - Mirroring (serve): lines after the last id written here are appended in id order, fsynced,
//   then the id is saved (<state>/audit-mirror.json). A crash between the two repeats lines
//   rather than losing them.
import { closeSync, constants, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import type pg from 'pg';
import { AuditLog, formatAuditLine, type AuditLogOptions } from '../audit/emergency-log';
import { redact } from '../audit/redact';
import { ensureStateDir } from '../core/shared-dir';
import { writeFileAtomic } from '../core/atomic-file';
import { SyncPg } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

/** Serialises audit inserts so ids follow commit order (any constant the boxes agree on). */
const AUDIT_LOCK = 0x64_6f_61_75; // "doau"

export class PgAuditLog extends AuditLog {
  private db: SyncPg | undefined;
  private target: PgTarget | undefined;
  private readonly box = `${hostname()} (pid ${process.pid})`;

  constructor(
    path: string,
    opts: AuditLogOptions,
    private readonly urlEnv: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super(path, opts);
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
      this.db.query(
        `WITH serial AS (SELECT pg_advisory_xact_lock(${AUDIT_LOCK}))
         INSERT INTO doai_audit (line, box) SELECT $1, $2 FROM serial`,
        [line, this.box],
      );
    } catch (err) {
      const words = scrubPg((err as Error).message, this.target!);
      throw new Error(`cannot record the audit line in the state database ${this.target!.shown}: ${words}`);
    }
    return line;
  }
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
