// One server per state folder: `serve.pid` created exclusively (O_EXCL) with the owner's pid. A
// second server finds it, sees the pid alive and refuses, naming it. A pid file left by a server
// that died (SIGKILL, power loss) is taken over. This is a process lock, not the per-target run
// locks (those stay in src/runbook/locks.ts; the shared LockStore of issue 11 replaces both
// backends' details when it lands).
import { openSync, readFileSync, unlinkSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerLockInfo {
  pid: number;
  startedAt: string;
  socket: string;
}

export class ServerRunningError extends Error {
  constructor(readonly holder: ServerLockInfo, readonly file: string) {
    super(`another doai-console server (pid ${holder.pid}, started ${holder.startedAt}, socket ${holder.socket}) already owns this state folder (${file}) — stop it first, or give this one another state folder`);
    this.name = 'ServerRunningError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): ServerLockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as ServerLockInfo;
    return Number.isInteger(v.pid) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function acquireServerLock(stateDir: string, socket: string): { file: string; release(): void } {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'serve.pid');
  const me: ServerLockInfo = { pid: process.pid, startedAt: new Date().toISOString(), socket };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      return {
        file,
        release() {
          if (readHolder(file)?.pid === process.pid) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    // A half-written file from a server starting this instant: look again shortly.
    if (holder && alive(holder.pid) && holder.pid !== process.pid) throw new ServerRunningError(holder, file);
    // Stale (its process is gone): take it over, unless it changed since we read it.
    const again = readHolder(file);
    if (again?.pid === holder?.pid) {
      try {
        unlinkSync(file);
      } catch {
        // another starter took it first; the next attempt sees theirs
      }
    }
  }
  const holder = readHolder(file);
  throw holder ? new ServerRunningError(holder, file) : new Error(`cannot take ${file}: it keeps changing — is another server starting?`);
}
