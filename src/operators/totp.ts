// Approvals by phone (R-ID-3): an approver away from a terminal proves presence with a one-time
// password from their own authenticator (RFC 6238 TOTP, through the otpauth library). The secret
// is enrolled once (`doai-console operator enroll <name>`) and held only by the server, in an
// owner-only file in its state folder; the requester types the approver's name and the current
// code. Codes are single-use (a step once accepted is never accepted again for that approver),
// ±1 step; 5 wrong codes lock that approver for 5 minutes. Both are remembered in the state
// folder (src/operators/totp-used.ts), so a restart within the 90 s window does not forget them.
import { closeSync, fstatSync, openSync, readFileSync, renameSync, writeSync, constants, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { readTotpUsed, TotpRecordError, writeTotpUsed } from './totp-used';

export const TOTP_FILE = 'totp-secrets.json';
export const TOTP_MAX_FAILURES = 5;
export const TOTP_LOCK_MS = 5 * 60_000;
const ISSUER = 'doai-console';

interface Enrolled {
  secret: string;
  enrolledAt: string;
}

export type TotpCheck =
  | { ok: true; name: string }
  | { ok: false; why: 'not-enrolled' | 'format' | 'wrong' | 'reused' | 'locked'; name: string; message: string; failures?: number };

export class TotpError extends Error {}

function readAll(path: string): Record<string, Enrolled> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TotpError(`TOTP secrets ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.mode & 0o077) throw new TotpError(`TOTP secrets ${path} are readable by others (mode ${(st.mode & 0o777).toString(8)}) — refusing them: chmod 600 ${path} and enrol again (the secrets may have leaked)`);
    if (typeof process.geteuid === 'function' && st.uid !== process.geteuid()) throw new TotpError(`TOTP secrets ${path} belong to uid ${st.uid}, not this server's — refusing them`);
    const parsed = JSON.parse(readFileSync(fd, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, Enrolled>) : {};
  } finally {
    closeSync(fd);
  }
}

function writeAll(path: string, all: Record<string, Enrolled>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, JSON.stringify(all, null, 2) + '\n');
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function totpFor(name: string, secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label: name, algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret) });
}

/** Enrols (or, with replace, re-enrols) `name`: a new secret, written owner-only; returns the otpauth:// URI. */
export function enrol(stateDir: string, name: string, opts: { replace?: boolean } = {}): { uri: string; path: string } {
  const path = join(stateDir, TOTP_FILE);
  const all = readAll(path);
  if (all[name] && !opts.replace) throw new TotpError(`${name} is enrolled already — give --replace to issue a new secret (the old authenticator entry stops working)`);
  const secret = new OTPAuth.Secret({ size: 20 });
  all[name] = { secret: secret.base32, enrolledAt: new Date().toISOString() };
  writeAll(path, all);
  return { uri: totpFor(name, secret.base32).toString(), path };
}

export class TotpVerifier {
  constructor(
    private readonly stateDir: string,
    /** The approvers TOTP may prove: the config's operators with the approver role, by lower-case name. */
    private readonly approvers: () => ReadonlyMap<string, string>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private path(): string {
    return join(this.stateDir, TOTP_FILE);
  }

  /** The config's spelling of `typed` when that approver has a secret enrolled. */
  enrolled(typed: string): string | undefined {
    const name = this.approvers().get(typed.trim().toLowerCase());
    if (!name) return undefined;
    try {
      return readAll(this.path())[name] ? name : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether any approver can approve by TOTP at all (the form then asks for a name and code). */
  any(): boolean {
    try {
      const all = readAll(this.path());
      return [...this.approvers().values()].some((n) => all[n]);
    } catch {
      return false;
    }
  }

  check(typed: string, code: string): TotpCheck {
    const name = this.approvers().get(typed.trim().toLowerCase()) ?? typed.trim();
    const all = readAll(this.path());
    const entry = this.approvers().has(typed.trim().toLowerCase()) ? all[name] : undefined;
    if (!entry) return { ok: false, why: 'not-enrolled', name, message: `${name} has no authenticator enrolled (doai-console operator enroll ${name})` };
    const now = this.now();
    // Throws (the check is then refused) when the record cannot be trusted: see totp-used.ts.
    const record = readTotpUsed(this.stateDir);
    const save = (what: string) => {
      try {
        writeTotpUsed(this.stateDir, record, now);
      } catch (err) {
        throw new TotpRecordError(`${what} cannot be recorded in ${this.stateDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — refused, so that no code counts twice`);
      }
    };
    const f = record.failures[name] ?? { count: 0 };
    if (f.lockedUntil !== undefined && now < f.lockedUntil) {
      return { ok: false, why: 'locked', name, message: `${name}'s one-time passwords are locked for ${Math.ceil((f.lockedUntil - now) / 1000)} s after ${TOTP_MAX_FAILURES} wrong codes` };
    }
    if (f.lockedUntil !== undefined) delete record.failures[name];
    const token = code.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(token)) return { ok: false, why: 'format', name, message: 'a one-time password is 6 digits' };
    const totp = totpFor(name, entry.secret);
    const delta = totp.validate({ token, timestamp: now, window: 1 });
    const step = Math.floor(now / 1000 / 30) + (delta ?? 0);
    if (delta === null || delta === undefined) {
      const count = (record.failures[name]?.count ?? 0) + 1;
      const locked = count >= TOTP_MAX_FAILURES;
      record.failures[name] = { count, ...(locked ? { lockedUntil: now + TOTP_LOCK_MS } : {}) };
      save(`a wrong one-time password of ${name}`);
      return {
        ok: false,
        why: 'wrong',
        name,
        failures: count,
        message: locked ? `wrong one-time password for ${name}: ${TOTP_MAX_FAILURES} wrong codes, locked for ${TOTP_LOCK_MS / 60_000} min` : `wrong one-time password for ${name} (${TOTP_MAX_FAILURES - count} left before a ${TOTP_LOCK_MS / 60_000} min lock)`,
      };
    }
    const last = record.used[name];
    if (last !== undefined && step <= last) return { ok: false, why: 'reused', name, message: `that one-time password of ${name} was used already: wait for the next one` };
    record.used[name] = step;
    delete record.failures[name];
    // On disk before it counts: a restart must not make it good again.
    save(`the one-time password of ${name} as used`);
    return { ok: true, name };
  }
}
