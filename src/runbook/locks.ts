// One recovery per target across every console process on the machine (R-RUN-7). A lock is a
// file created with O_EXCL, so exactly one process wins; it names who holds it so a second
// operator sees "L2 in progress by orion since 15:31". A lock whose process is gone is stale and
// is replaced, so a crashed console never blocks recovery.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LockInfo {
  pid: number;
  operator: string;
  runbook: string;
  level: string;
  /** ISO 8601 */
  since: string;
  runId: string;
  hostname: string;
}

export interface HeldLock extends LockInfo {
  /** False when the holder process is gone (the lock will be replaced by the next start). */
  alive: boolean;
}

export function lockPath(lockDir: string, target: string): string {
  // Target names are config names ([A-Za-z0-9._@-]); encode anyway so no name escapes lockDir.
  return join(lockDir, `${encodeURIComponent(target).replace(/^\.+/, (m) => '%2E'.repeat(m.length))}.lock`);
}

/** Whether the process that wrote the lock still runs. Another machine's pid cannot be checked: assume alive. */
export function holderAlive(info: Pick<LockInfo, 'pid' | 'hostname'>): boolean {
  if (info.hostname && info.hostname !== hostname()) return true;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (another operator's console).
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    if (v && typeof v === 'object' && typeof v.pid === 'number' && typeof v.runId === 'string') return v;
  } catch {
    // torn or empty: handled by the caller
  }
  return undefined;
}

function readLockFile(path: string): { info?: LockInfo; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const mtimeMs = statSync(path).mtimeMs;
    return { info: parseLock(text), mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Who holds the target's lock, if anyone (for other consoles and watch mode). */
export function readLock(lockDir: string, target: string): HeldLock | undefined {
  const file = readLockFile(lockPath(lockDir, target));
  if (!file?.info) return undefined;
  return { ...file.info, alive: holderAlive(file.info) };
}

/** Every lock in the directory, keyed by target. */
export function listLocks(lockDir: string): Map<string, HeldLock> {
  const out = new Map<string, HeldLock>();
  let names: string[] = [];
  try {
    names = readdirSync(lockDir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.lock')) continue;
    const target = decodeURIComponent(name.slice(0, -5));
    const held = readLock(lockDir, target);
    if (held) out.set(target, held);
  }
  return out;
}

function hhmm(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** `L2 in progress by orion since 15:31 (run <id>)` */
export function describeLock(info: LockInfo): string {
  return `${info.level} in progress by ${info.operator} since ${hhmm(info.since)} (run ${info.runId})`;
}

export type AcquireResult = { ok: true; release: () => void; replacedStale?: LockInfo } | { ok: false; holder: LockInfo; message: string };

// A lock file that exists but cannot be parsed is being written right now by its creator; only
// after this long is it treated as debris.
const UNREADABLE_GRACE_MS = 10_000;

export function acquireLock(lockDir: string, target: string, info: Omit<LockInfo, 'pid' | 'hostname'> & { pid?: number; hostname?: string }): AcquireResult {
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  const path = lockPath(lockDir, target);
  const full: LockInfo = { pid: info.pid ?? process.pid, hostname: info.hostname ?? hostname(), ...stripUndefined(info) } as LockInfo;
  let replacedStale: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, JSON.stringify(full) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { ok: true, release: () => releaseLock(lockDir, target, full.runId), replacedStale };
    }
    const current = readLockFile(path);
    if (!current) continue; // released between our open and read: try again
    if (!current.info) {
      if (Date.now() - current.mtimeMs < UNREADABLE_GRACE_MS) {
        const holder: LockInfo = { pid: 0, operator: 'another console', runbook: '?', level: 'a recovery', since: new Date(current.mtimeMs).toISOString(), runId: '?', hostname: '' };
        return { ok: false, holder, message: `${describeLock(holder)}; try again in a few seconds` };
      }
    } else if (holderAlive(current.info)) {
      return { ok: false, holder: current.info, message: describeLock(current.info) };
    }
    // Stale: move it aside atomically. If someone else replaced it meanwhile, what we moved is
    // their live lock: put it back (link fails if yet another lock appeared) and report it.
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = readLockFile(aside);
    if (moved?.info && current.info && moved.info.runId !== current.info.runId && holderAlive(moved.info)) {
      try {
        linkSync(aside, path);
      } catch {
        // another lock took the place: it is the one to respect now
      }
      safeUnlink(aside);
      return { ok: false, holder: moved.info, message: describeLock(moved.info) };
    }
    safeUnlink(aside);
    replacedStale = current.info ?? replacedStale;
  }
  const holder = readLock(lockDir, target);
  const fallback: LockInfo = holder ?? { pid: 0, operator: 'another console', runbook: '?', level: 'a recovery', since: new Date().toISOString(), runId: '?', hostname: '' };
  return { ok: false, holder: fallback, message: `${describeLock(fallback)}; the lock keeps changing hands, try again` };
}

/** Removes the lock if it is still ours (a stale-lock replacement may have taken it over). */
export function releaseLock(lockDir: string, target: string, runId: string): void {
  const path = lockPath(lockDir, target);
  const current = readLockFile(path);
  if (current?.info?.runId === runId) safeUnlink(path);
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
