// One recovery per target across every console on the machine (R-RUN-7), behind one small
// interface. The engine depends on this only; src/runbook/locks.ts keeps the locks as files (in
// the system state dir when there is one), and a server or a database can keep them instead.
// No file system here: watch mode and screens may import the types and describeLock.
import type { ProcessIdentity } from '../core/process-identity';

export interface LockInfo extends ProcessIdentity {
  operator: string;
  runbook: string;
  level: string;
  /** ISO 8601 */
  since: string;
  runId: string;
}

export interface HeldLock extends LockInfo {
  /** False when the holder is gone (its process ended, or the pid now belongs to another boot or program). */
  alive: boolean;
}

/** What a run asks for; the store adds who is asking (pid, host, boot id, start time). */
export type LockRequest = Omit<LockInfo, keyof ProcessIdentity> & Partial<ProcessIdentity>;

/** A refusal says who holds the lock (message) and how to clear it by hand if that holder is believed gone (hint). */
export type AcquireResult = { ok: true; release: () => void; replacedStale?: LockInfo } | { ok: false; holder: LockInfo; message: string; hint?: string };

/** A lock this process held and no longer does, found when the store came back (another box holds it now). */
export interface LostLock {
  target: string;
  runId: string;
  /** Who holds it now, when that could be read. */
  holder?: LockInfo;
}

/** What the store says about a run's lock when asked before a step (LockStore.confirm). */
export type LockCheck =
  | { state: 'held' }
  /** Someone else holds it now (holder), or nobody does (its row was removed). */
  | { state: 'lost'; holder?: LockInfo }
  /** The store did not answer: why, in words (no secrets). */
  | { state: 'unreachable'; error: string };

/** How long a run waits at a step boundary for a store that does not answer, when the store does not say. */
export const DEFAULT_UNREACHABLE_WAIT_MS = 120_000;

export interface LockStore {
  /** Where the locks are kept, for messages (a directory, a socket, a database). */
  readonly where: string;
  /** Takes the target's lock, replacing a stale one; refuses with who holds it. */
  acquire(target: string, request: LockRequest): AcquireResult;
  /** Removes the target's lock if this run still holds it. */
  release(target: string, runId: string): void;
  /** Who holds the target's lock, if anyone. */
  holder(target: string): HeldLock | undefined;
  /** Every lock, keyed by target. */
  list(): Map<string, HeldLock>;
  /** How to clear this target's lock by hand when its holder is believed gone. */
  clearHint(target: string): string;
  /**
   * Called when a lock this process holds turns out to be someone else's (a store that can lose a
   * lock while it is away, e.g. PostgreSQL after a restart; files cannot). Returns the unsubscribe.
   */
  onLost?(listener: (lost: LostLock) => void): () => void;
  /**
   * Asks the store, without blocking the caller, whether this run still holds the target's lock: the
   * engine asks before every step after the first, and waits while the store is unreachable (a store
   * that can lose a lock while it is away; files cannot, and have none).
   */
  confirm?(target: string, runId: string): Promise<LockCheck>;
  /** How long (ms) a run waits at a step boundary for this store to answer before it stops; DEFAULT_UNREACHABLE_WAIT_MS when absent. */
  readonly unreachableWaitMs?: number;
}

function hhmm(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** `L2 in progress by orion since 15:31 (run <id>)` */
export function describeLock(info: Pick<LockInfo, 'level' | 'operator' | 'since' | 'runId'>): string {
  return `${info.level} in progress by ${info.operator} since ${hhmm(info.since)} (run ${info.runId})`;
}
