// The files implementation of LockStore (R-RUN-7). A lock is a file created with O_EXCL, so
// exactly one process wins; it names who holds it (operator, runbook, level, since) and which
// process: pid, host, boot id and process start time. A lock whose process is gone — or whose pid
// now belongs to another boot or another program — is stale and is replaced, so a crashed
// console never blocks recovery. In the system state dir the folder is group-shared, so every
// operator's console on the machine meets the same locks.
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { holderAlive, selfIdentity } from '../core/process-identity';
import { ensureStateDir } from '../core/shared-dir';
import { describeLock, type AcquireResult, type HeldLock, type LockInfo, type LockRequest, type LockStore } from './lock-store';

export { describeLock, type AcquireResult, type HeldLock, type LockInfo } from './lock-store';

export function lockPath(lockDir: string, target: string): string {
  // Target names are config names ([A-Za-z0-9._@-]); encode anyway so no name escapes lockDir.
  return join(lockDir, `${encodeURIComponent(target).replace(/^\.+/, (m) => '%2E'.repeat(m.length))}.lock`);
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

// A lock file that exists but cannot be parsed is being written right now by its creator; only
// after this long is it treated as debris.
const UNREADABLE_GRACE_MS = 10_000;

function unknownHolder(since: string): LockInfo {
  return { pid: 0, operator: 'another console', runbook: '?', level: 'a recovery', since, runId: '?', hostname: '' };
}

export class FileLockStore implements LockStore {
  constructor(readonly where: string) {}

  clearHint(target: string): string {
    const held = this.holder(target);
    const who = held ? `pid ${held.pid}${held.hostname ? ` on ${held.hostname}` : ''}` : 'its process';
    return `if you are sure that console is gone (\`ps -p ${held?.pid ?? '<pid>'}\` shows nothing, or another program), remove the lock of ${who}: rm '${lockPath(this.where, target)}'`;
  }

  holder(target: string): HeldLock | undefined {
    const file = readLockFile(lockPath(this.where, target));
    if (!file?.info) return undefined;
    return { ...file.info, alive: holderAlive(file.info) };
  }

  list(): Map<string, HeldLock> {
    const out = new Map<string, HeldLock>();
    let names: string[] = [];
    try {
      names = readdirSync(this.where);
    } catch {
      return out;
    }
    for (const name of names) {
      if (!name.endsWith('.lock')) continue;
      let target: string;
      try {
        target = decodeURIComponent(name.slice(0, -5));
      } catch {
        continue;
      }
      const held = this.holder(target);
      if (held) out.set(target, held);
    }
    return out;
  }

  private refuse(target: string, holder: LockInfo, extra = ''): AcquireResult {
    return { ok: false, holder, message: `${describeLock(holder)}${extra}`, hint: this.clearHint(target) };
  }

  acquire(target: string, request: LockRequest): AcquireResult {
    const { fileMode } = ensureStateDir(this.where);
    const path = lockPath(this.where, target);
    // A request for another pid (a test, a server acting for a client) does not get our boot and start time.
    const self = selfIdentity();
    const identity = request.pid !== undefined && request.pid !== self.pid ? { pid: request.pid, hostname: self.hostname } : self;
    const full: LockInfo = { ...identity, ...stripUndefined(request) } as LockInfo;
    let replacedStale: LockInfo | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      let fd: number | undefined;
      try {
        fd = openSync(path, 'wx', fileMode);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (fd !== undefined) {
        try {
          fchmodSync(fd, fileMode); // the umask would strip the group's write bit
          writeSync(fd, JSON.stringify(full) + '\n');
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        return { ok: true, release: () => this.release(target, full.runId), replacedStale };
      }
      const current = readLockFile(path);
      if (!current) continue; // released between our open and read: try again
      if (!current.info) {
        if (Date.now() - current.mtimeMs < UNREADABLE_GRACE_MS) {
          const holder = unknownHolder(new Date(current.mtimeMs).toISOString());
          return { ok: false, holder, message: `${describeLock(holder)}; try again in a few seconds` };
        }
      } else if (holderAlive(current.info)) {
        return this.refuse(target, current.info);
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
        return this.refuse(target, moved.info);
      }
      safeUnlink(aside);
      replacedStale = current.info ?? replacedStale;
    }
    const holder = this.holder(target) ?? unknownHolder(new Date().toISOString());
    return this.refuse(target, holder, '; the lock keeps changing hands, try again');
  }

  release(target: string, runId: string): void {
    const path = lockPath(this.where, target);
    const current = readLockFile(path);
    if (current?.info?.runId === runId) safeUnlink(path);
  }
}

/** Who holds the target's lock, if anyone (for other consoles and tests). */
export function readLock(lockDir: string, target: string): HeldLock | undefined {
  return new FileLockStore(lockDir).holder(target);
}

export function acquireLock(lockDir: string, target: string, request: LockRequest): AcquireResult {
  return new FileLockStore(lockDir).acquire(target, request);
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
