// Who a lock's process is, well enough to tell it from a later process that reuses its pid: the
// boot it ran in (/proc/sys/kernel/random/boot_id) and its start time in clock ticks since boot
// (/proc/<pid>/stat field 22). Read-only: the wall screen uses it too (R-UI-2).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  hostname: string;
  /** The kernel's boot id; a lock from another boot is stale whatever its pid. */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot), as a decimal string. */
  startTime?: string;
}

let cachedBootId: string | undefined | null = null;

export function currentBootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined; // not Linux: pid liveness is all there is
    }
  }
  return cachedBootId;
}

/** The start time of a process, or undefined when it is gone or /proc is not there. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: fields 3.. start at index 0
  } catch {
    return undefined;
  }
}

export function selfIdentity(): ProcessIdentity {
  const bootId = currentBootId();
  const startTime = processStartTime(process.pid);
  return { pid: process.pid, hostname: hostname(), ...(bootId ? { bootId } : {}), ...(startTime ? { startTime } : {}) };
}

/**
 * Whether the process that wrote a lock still runs. Another machine's pid cannot be checked:
 * assume alive. A pid that runs but in another boot, or started at another time, is another
 * program that got the same pid: the lock is stale.
 */
export function holderAlive(info: Partial<ProcessIdentity> & { pid: number }): boolean {
  if (info.hostname && info.hostname !== hostname()) return true;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user (another operator's console).
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const boot = currentBootId();
  if (info.bootId && boot && info.bootId !== boot) return false;
  if (info.startTime) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.startTime) return false;
  }
  return true;
}
