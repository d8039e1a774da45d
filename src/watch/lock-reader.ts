// Reads the per-target run locks (stateDir/locks, written by src/runbook/locks.ts) without any way
// to take, replace or release one: watch mode and observing consoles only look. Same file format.
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface ObservedLock {
  target: string;
  pid: number;
  hostname: string;
  operator: string;
  runbook: string;
  level: string;
  /** When the run took the lock. */
  since: Date;
  runId: string;
  /** False when the holder process is gone (a console that crashed or was killed). */
  alive: boolean;
}

/** Whether the lock's process still runs; another machine's pid cannot be checked: assume alive. */
export function processAlive(pid: number, host?: string): boolean {
  if (host && host !== hostname()) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (another operator's console).
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function parse(target: string, text: string): ObservedLock | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (!v || typeof v !== 'object' || typeof v.pid !== 'number' || typeof v.runId !== 'string') return undefined;
    const str = (x: unknown, d: string) => (typeof x === 'string' ? x : d);
    const since = new Date(str(v.since, ''));
    const host = str(v.hostname, '');
    return {
      target,
      pid: v.pid,
      hostname: host,
      operator: str(v.operator, '?'),
      runbook: str(v.runbook, '?'),
      level: str(v.level, '?'),
      since: Number.isNaN(since.getTime()) ? new Date(0) : since,
      runId: v.runId,
      alive: processAlive(v.pid, host),
    };
  } catch {
    // Being written right now, or debris: the next poll sees it whole.
    return undefined;
  }
}

/** Every readable lock in the directory; a missing directory means no run anywhere. */
export function readLocks(lockDir: string): ObservedLock[] {
  let names: string[];
  try {
    names = readdirSync(lockDir);
  } catch {
    return [];
  }
  const out: ObservedLock[] = [];
  for (const name of names) {
    if (!name.endsWith('.lock')) continue;
    let target: string;
    try {
      target = decodeURIComponent(name.slice(0, -'.lock'.length));
    } catch {
      continue;
    }
    let text: string;
    try {
      text = readFileSync(join(lockDir, name), 'utf8');
    } catch {
      continue; // released between readdir and read
    }
    const lock = parse(target, text);
    if (lock) out.push(lock);
  }
  return out.sort((a, b) => a.since.getTime() - b.since.getTime() || a.target.localeCompare(b.target));
}
