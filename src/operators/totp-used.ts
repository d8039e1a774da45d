// What makes a one-time password single-use across a restart (R-ID-3): the last step each
// approver's code was accepted for, and the wrong-code counts and locks, kept in an owner-only
// file in the server's state folder (`totp-used.json`), written atomically before a code is
// accepted. A code is good for ±1 step (90 s), so a step older than the current one minus one can
// never validate again: those are pruned on every write, as are locks that have run out.
//
// A record that cannot be read (not JSON, others may read or write it, not ours) proves nothing:
// every TOTP check is refused, said with the path, until an operator removes or fixes the file.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file';

export const TOTP_USED_FILE = 'totp-used.json';

export interface TotpFailures {
  count: number;
  lockedUntil?: number;
}

export interface TotpUsedRecord {
  /** Approver → the last 30 s step a code was accepted for. */
  used: Record<string, number>;
  failures: Record<string, TotpFailures>;
}

export class TotpRecordError extends Error {}

export function totpUsedPath(stateDir: string): string {
  return join(stateDir, TOTP_USED_FILE);
}

function isRecord(x: unknown): x is TotpUsedRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  if (!r.used || typeof r.used !== 'object' || !r.failures || typeof r.failures !== 'object') return false;
  if (!Object.values(r.used).every((v) => Number.isInteger(v))) return false;
  return Object.values(r.failures).every(
    (f) => !!f && typeof f === 'object' && Number.isInteger((f as TotpFailures).count) && ((f as TotpFailures).lockedUntil === undefined || Number.isFinite((f as TotpFailures).lockedUntil)),
  );
}

export function readTotpUsed(stateDir: string): TotpUsedRecord {
  const path = totpUsedPath(stateDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { used: {}, failures: {} };
    throw new TotpRecordError(`the record of used one-time passwords ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.mode & 0o077) throw new TotpRecordError(`the record of used one-time passwords ${path} is open to others (mode ${(st.mode & 0o777).toString(8)}) — refusing it: chmod 600 ${path}`);
    if (typeof process.geteuid === 'function' && st.uid !== process.geteuid()) throw new TotpRecordError(`the record of used one-time passwords ${path} belongs to uid ${st.uid}, not this server's — refusing it`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(fd, 'utf8'));
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed)) throw new TotpRecordError(`the record of used one-time passwords ${path} is damaged — refusing one-time passwords until it is removed (wait 90 s after the last TOTP approval, then rm ${path})`);
    return { used: { ...parsed.used }, failures: { ...parsed.failures } };
  } finally {
    closeSync(fd);
  }
}

/** Writes the record atomically (0600), without steps that can no longer validate or locks that ran out. */
export function writeTotpUsed(stateDir: string, record: TotpUsedRecord, now: number): void {
  const current = Math.floor(now / 1000 / 30);
  const used: Record<string, number> = {};
  for (const [name, step] of Object.entries(record.used)) if (step >= current - 1) used[name] = step;
  const failures: Record<string, TotpFailures> = {};
  for (const [name, f] of Object.entries(record.failures)) {
    if (f.lockedUntil !== undefined && f.lockedUntil <= now) continue;
    if (f.count > 0 || f.lockedUntil !== undefined) failures[name] = f;
  }
  writeFileAtomic(totpUsedPath(stateDir), JSON.stringify({ used, failures }, null, 2) + '\n', 0o600);
}
