// The human audit log, emergency.log, in seed 000's format:
//   [2026-01-04T15:30:00+09:00] L1_SOFT_RESET: START
// Each line is one write() on a file opened O_APPEND, then fsync, then close (R-AUD-2):
// - O_APPEND + a single write keeps lines whole when several consoles append at once;
// - fsync makes a line durable before the console says it happened;
// - reopening per line follows an external logrotate (rename: the next open creates a new file;
//   copytruncate: O_APPEND writes at the new end, i.e. the start). Lines are rare, so it is cheap.
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync, constants } from 'node:fs';
import { ensureStateDir } from '../core/shared-dir';
import { dirname } from 'node:path';
import { redact } from './redact';

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, '0');
}

/**
 * ISO 8601 with the local UTC offset and no milliseconds, like `date -Iseconds`:
 * `2026-01-04T15:30:00+09:00`, `+00:00` for UTC (never `Z`). `offsetMinutes` (east of UTC)
 * defaults to the process time zone's offset at that instant.
 */
export function formatIsoLocal(at: Date, offsetMinutes: number = -at.getTimezoneOffset()): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** One audit line without the trailing newline. Newlines inside the message are flattened. */
export function formatAuditLine(at: Date, auditName: string, message: string, offsetMinutes?: number): string {
  const flat = `${auditName}: ${message}`.replace(/[\r\n]+/g, ' ');
  return `[${formatIsoLocal(at, offsetMinutes)}] ${flat}`;
}

export interface AuditLogOptions {
  /** Current secret values, masked as *** in every line. */
  secrets?: () => string[];
}

export class AuditLog {
  constructor(
    readonly path: string,
    private readonly opts: AuditLogOptions = {},
  ) {}

  /** The secrets this log masks (the engine masks the same ones in events and the journal). */
  secrets(): string[] {
    try {
      return this.opts.secrets?.() ?? [];
    } catch {
      return [];
    }
  }

  /**
   * Appends one line durably. Throws an Error whose message says which file failed and what to
   * do; the caller decides whether the action may go on without its audit line.
   */
  append(auditName: string, message: string, at: Date): string {
    const line = redact(formatAuditLine(at, auditName, message), this.secrets()) + '\n';
    let fd: number | undefined;
    try {
      // In the system state dir (setgid) the log is the group's: 0660; elsewhere owner-only.
      const { shared, fileMode } = ensureStateDir(dirname(this.path));
      fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, fileMode);
      if (shared) {
        const st = fstatSync(fd);
        if (st.uid === process.getuid?.() && (st.mode & 0o777) !== fileMode) fchmodSync(fd, fileMode);
      }
      const buf = Buffer.from(line, 'utf8');
      const written = writeSync(fd, buf, 0, buf.length);
      if (written !== buf.length) throw new Error(`short write (${written} of ${buf.length} bytes)`);
      fsyncSync(fd);
    } catch (err) {
      throw new Error(
        `cannot write the audit log ${this.path}: ${(err as Error).message}. ` +
          'Check that the directory exists and is writable by you (paths.audit_log in the config).',
      );
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return line.slice(0, -1);
  }
}
