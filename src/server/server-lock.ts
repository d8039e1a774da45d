// One server per state folder, held through the shared LockStore (src/runbook/lock-store.ts, files
// by default): the server takes the lock of the pseudo-target "serve" in <state>/server/. A second
// server finds it held by a live process (pid, boot and start time checked by the store) and
// refuses, naming it; a lock left by a server that died (SIGKILL, power loss) is stale and taken over.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { FileLockStore } from '../runbook/locks';
import type { LockInfo } from '../runbook/lock-store';

export const SERVER_LOCK_TARGET = 'serve';

export class ServerRunningError extends Error {
  constructor(
    readonly holder: LockInfo,
    readonly where: string,
  ) {
    super(`another doai-console server (pid ${holder.pid}, running since ${holder.since}, as ${holder.operator}) already owns this state folder (${where}) — stop it first, or give this one another state folder`);
    this.name = 'ServerRunningError';
  }
}

export function acquireServerLock(stateDir: string, socket: string): { where: string; release(): void } {
  const store = new FileLockStore(join(stateDir, 'server'));
  const got = store.acquire(SERVER_LOCK_TARGET, {
    operator: userInfo().username,
    runbook: `serve ${socket}`,
    level: 'server',
    since: new Date().toISOString(),
    runId: `serve-${process.pid}`,
  });
  if (!got.ok) throw new ServerRunningError(got.holder, stateDir);
  return { where: store.where, release: got.release };
}
