// Reads the per-target run locks (stateDir/locks, written by src/runbook/locks.ts) without any way
// to take, replace or release one: watch mode and observing consoles only look. Same file format.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { holderAlive } from '../core/process-identity';

export interface ObservedLock {
  target: string;
  pid: number;
  hostname: string;
  bootId?: string;
  startTime?: string;
  operator: string;
  runbook: string;
  level: string;
  /** When the run took the lock. */
  since: Date;
  runId: string;
  /** False when the holder process is gone (a console that crashed or was killed, or its pid reused). */
  alive: boolean;
}

function parse(target: string, text: string): ObservedLock | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (!v || typeof v !== 'object' || typeof v.pid !== 'number' || typeof v.runId !== 'string') return undefined;
    const str = (x: unknown, d: string) => (typeof x === 'string' ? x : d);
    const since = new Date(str(v.since, ''));
    const host = str(v.hostname, '');
    const identity = { ...(typeof v.bootId === 'string' ? { bootId: v.bootId } : {}), ...(typeof v.startTime === 'string' ? { startTime: v.startTime } : {}) };
    return {
      target,
      pid: v.pid,
      hostname: host,
      operator: str(v.operator, '?'),
      runbook: str(v.runbook, '?'),
      level: str(v.level, '?'),
      since: Number.isNaN(since.getTime()) ? new Date(0) : since,
      runId: v.runId,
      ...identity,
      alive: holderAlive({ pid: v.pid, hostname: host, ...identity }),
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
