// Proof files a console left behind (src/server/identity.ts). A console makes its proof file right
// before it connects and removes it when the handshake fails; the server removes it once read. A
// console killed between the two leaves it in the challenge folder for good: an empty file that
// still names its owner's uid to whoever knows its 128-bit name. The server sweeps them: at start
// (before it listens, so no handshake with it is under way) and then every minute, removing what is
// older than any live handshake can be. A handshake lasts at most the console's own timeout (5 s)
// or the server's wait for the proof (10 s); a file older than PROOF_MAX_AGE_MS (60 s) is no live
// console's. Only entries named like a proof (32 lowercase hex digits) that are regular files are
// removed: lstat, never stat, so a symbolic link is neither followed nor removed; folders and
// every other name are left as they are. The log says how many, whose, and never a file's name.
import { lstatSync, opendirSync, unlinkSync, type Dir } from 'node:fs';
import { join } from 'node:path';
import { userName } from '../protocol/socket-path';
import { isNonce } from './identity';
import type { ServerLog } from './log';

export const PROOF_MAX_AGE_MS = 60_000;
export const PROOF_SWEEP_EVERY_MS = 60_000;
/** Entries looked at per sweep, at most: anyone may create names in the folder. */
export const PROOF_SWEEP_MAX_ENTRIES = 100_000;

export interface SweepResult {
  /** Owners (uid) of the files removed, one entry per file. */
  removed: number[];
  /** Files that were stale but could not be removed, with why. */
  failed: string[];
}

/** Removes the stale proof files in `dir` once; `now` in ms since the epoch (file times are wall-clock). */
export function sweepProofs(dir: string, now: number = Date.now(), maxAgeMs: number = PROOF_MAX_AGE_MS): SweepResult {
  const result: SweepResult = { removed: [], failed: [] };
  let folder: Dir;
  try {
    folder = opendirSync(dir);
  } catch {
    return result;
  }
  try {
    for (let seen = 0; seen < PROOF_SWEEP_MAX_ENTRIES; seen++) {
      const entry = folder.readSync();
      if (!entry) break;
      if (isNonce(entry.name)) sweepOne(join(dir, entry.name), now, maxAgeMs, result);
    }
  } catch (err) {
    result.failed.push((err as Error).message);
  } finally {
    folder.closeSync();
  }
  return result;
}

function sweepOne(path: string, now: number, maxAgeMs: number, result: SweepResult): void {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return;
    if (now - st.mtimeMs <= maxAgeMs) return;
    unlinkSync(path);
    result.removed.push(st.uid);
  } catch (err) {
    // Gone meanwhile (removed by its owner): nothing to say.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push((err as Error).message);
  }
}

function describeOwners(uids: number[]): string {
  const count = new Map<number, number>();
  for (const uid of uids) count.set(uid, (count.get(uid) ?? 0) + 1);
  return [...count].map(([uid, n]) => `${userName(uid)} (uid ${uid})${n > 1 ? ` ×${n}` : ''}`).join(', ');
}

/** One sweep, said in the server's log when it removed (or failed to remove) anything. */
export function sweepProofsLogged(dir: string, log: ServerLog, now: number = Date.now(), maxAgeMs: number = PROOF_MAX_AGE_MS): SweepResult {
  const r = sweepProofs(dir, now, maxAgeMs);
  const age = `older than ${Math.round(maxAgeMs / 1000)} s`;
  if (r.removed.length) log('info', `removed ${r.removed.length} stale proof file${r.removed.length === 1 ? '' : 's'} (${age}, left by consoles that stopped mid-handshake) from ${dir}: ${describeOwners(r.removed)}`);
  if (r.failed.length) log('warn', `cannot remove ${r.failed.length} stale proof file${r.failed.length === 1 ? '' : 's'} in ${dir}: ${r.failed[0]}`);
  return r;
}

/** Sweeps now and then every `everyMs` until stopped; the timer never keeps the process up. */
export function startProofSweeper(dir: string, log: ServerLog, opts: { everyMs?: number; maxAgeMs?: number } = {}): { stop(): void } {
  const maxAgeMs = opts.maxAgeMs ?? PROOF_MAX_AGE_MS;
  sweepProofsLogged(dir, log, Date.now(), maxAgeMs);
  const timer = setInterval(() => sweepProofsLogged(dir, log, Date.now(), maxAgeMs), opts.everyMs ?? PROOF_SWEEP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
