// One recovery per target across jump boxes (R-HA-1, R-RUN-7): the LockStore the engine uses,
// kept in PostgreSQL. A lock row belongs to the database session that took it (its backend pid
// and start time): while that session lives the lock is held; when the process dies its
// connection closes and the lock is stale, replaced by the next run that asks — the same rule as
// a file lock whose pid is gone, but one every box can check. Taking it is one INSERT … ON
// CONFLICT statement, so of two boxes asking at once exactly one wins. When the connection is
// re-established (the database restarted), the session first claims the locks its runs hold again;
// one another box took while this one was away is reported lost (onLost), never silently kept.
import { hostname } from 'node:os';
import { selfIdentity, type ProcessIdentity } from '../core/process-identity';
import { describeLock, type AcquireResult, type HeldLock, type LockCheck, type LockInfo, type LockRequest, type LockStore, type LostLock } from '../runbook/lock-store';
import { SyncPg, type SyncStatement } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

const TIMEOUT_MS = 4000;

// pg_stat_get_activity(pid) reads that one backend's entry (the pg_stat_activity view reads them all,
// and joins names to them): the same answer, a fraction of the cost on every acquire.
const ALIVE = `EXISTS (SELECT 1 FROM pg_stat_get_activity(l.session_pid) a WHERE a.backend_start = l.session_start)`;
const SESSION_START = '(SELECT backend_start FROM pg_stat_get_activity(pg_backend_pid()))';
// This session's start, read once per session and kept in a session setting (a new session has
// none and reads it again): an acquire then costs no statistics lookup at all.
const SESSION_START_CACHED = `COALESCE(NULLIF(current_setting('doai.session_start', true), '')::timestamptz,
  set_config('doai.session_start', ${SESSION_START}::text, false)::timestamptz)`;

// Named statements: the lock connection parses and plans each once per session, then every acquire
// and release only binds and executes it. Measured (tests/bench/state-postgres.mjs): parsing and
// planning the INSERT … ON CONFLICT took about as long as running it, and the DELETE's twice its run.
const ACQUIRE: SyncStatement = {
  name: 'doai_lock_acquire',
  text: `INSERT INTO doai_locks AS l (target, run_id, info, box, session_pid, session_start)
       VALUES ($1, $2, $3::jsonb, $4, pg_backend_pid(), ${SESSION_START_CACHED})
       ON CONFLICT (target) DO UPDATE SET run_id = EXCLUDED.run_id, info = EXCLUDED.info, box = EXCLUDED.box,
         session_pid = EXCLUDED.session_pid, session_start = EXCLUDED.session_start, acquired_at = now()
       WHERE NOT ${ALIVE}
       RETURNING l.target`,
};
const RELEASE: SyncStatement = { name: 'doai_lock_release', text: 'DELETE FROM doai_locks WHERE target = $1 AND run_id = $2' };
const HOLDER: SyncStatement = { name: 'doai_lock_holder', text: `SELECT l.target, l.run_id, l.info, l.box, ${ALIVE} AS alive FROM doai_locks l WHERE l.target = $1` };
const CONFIRM: SyncStatement = { name: 'doai_lock_confirm', text: 'SELECT l.run_id, l.info FROM doai_locks l WHERE l.target = $1' };
const LIST: SyncStatement = { name: 'doai_lock_list', text: `SELECT l.target, l.run_id, l.info, l.box, ${ALIVE} AS alive FROM doai_locks l ORDER BY l.target` };

interface Row {
  target: string;
  run_id: string;
  info: LockInfo;
  box: string;
  alive: boolean;
}

export class PgLockStore implements LockStore {
  readonly where: string;
  private readonly db: SyncPg;
  /** Locks this process holds: target → runId (claimed again after a reconnect). */
  private readonly held = new Map<string, string>();
  private readonly box = `${hostname()} (pid ${process.pid})`;
  private self: ProcessIdentity | undefined;
  private readonly lostListeners = new Set<(lost: LostLock) => void>();
  readonly unreachableWaitMs?: number;

  constructor(
    private readonly target: PgTarget,
    opts: { unreachableWaitMs?: number } = {},
  ) {
    if (opts.unreachableWaitMs !== undefined) this.unreachableWaitMs = opts.unreachableWaitMs;
    this.where = `the state database ${target.shown}`;
    this.db = new SyncPg(target.url, { timeoutMs: TIMEOUT_MS, name: `doai-console locks ${this.box}` });
    this.db.onPrelude((r) => this.claimed(r.params as [string[], string[]], r.rows as { target: string; run_id: string }[]));
  }

  onLost(listener: (lost: LostLock) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * A new session claimed again what it asked for: a lock it did not get back (its row was stale
   * while this process was away, and another box's run replaced it) is no longer ours. Dropped from
   * what is claimed, and reported so the run holding it stops before its next step.
   */
  private claimed([runIds, targets]: [string[], string[]], rows: { target: string; run_id: string }[]): void {
    const got = new Set(rows.map((r) => `${r.target}\0${r.run_id}`));
    const lost: LostLock[] = [];
    targets.forEach((target, i) => {
      const runId = runIds[i]!;
      // Released since the prelude was sent, or taken again by this process: not a loss.
      if (got.has(`${target}\0${runId}`) || this.held.get(target) !== runId) return;
      this.held.delete(target);
      lost.push({ target, runId });
    });
    if (!lost.length) return;
    this.heldChanged();
    for (const l of lost) {
      try {
        const h = this.holder(l.target);
        if (h && h.runId !== l.runId) l.holder = h;
      } catch {
        // who holds it is only for the message
      }
      for (const listener of this.lostListeners) listener(l);
    }
  }

  /** A new session (the database restarted) first claims again the locks this process's runs hold. */
  private heldChanged(): void {
    this.db.setPrelude(
      this.held.size
        ? {
            sql: `UPDATE doai_locks SET session_pid = pg_backend_pid(), session_start = ${SESSION_START}
                  WHERE run_id = ANY($1::text[]) AND target = ANY($2::text[])
                  RETURNING target, run_id`,
            params: [[...this.held.values()], [...this.held.keys()]],
          }
        : undefined,
    );
  }

  private query<R>(sql: SyncStatement, params: unknown[]): R[] {
    try {
      return this.db.query<R>(sql, params).rows;
    } catch (err) {
      const msg = scrubPg((err as Error).message, this.target);
      if (/doai_locks" does not exist/.test(msg)) throw new Error(`${this.where} has no lock table yet: start \`doai-console serve\` once against it (it applies the schema)`);
      throw new Error(`state store unreachable (${this.target.shown}): ${msg}`);
    }
  }

  clearHint(target: string): string {
    const h = this.holder(target);
    const who = h ? `${h.hostname} pid ${h.pid}` : 'its holder';
    return `a lock is freed by itself when its holder's database session ends; if ${who} is gone but its session is not, end that session or remove the lock: DELETE FROM doai_locks WHERE target = '${target.replace(/'/g, "''")}'`;
  }

  acquire(target: string, request: LockRequest): AcquireResult {
    // This process's identity does not change while it runs: read once (it costs file reads).
    const self = (this.self ??= selfIdentity());
    const identity = request.pid !== undefined && request.pid !== self.pid ? { pid: request.pid, hostname: self.hostname } : self;
    const full = { ...identity, ...Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) } as LockInfo;
    const won = this.query<{ target: string }>(
      ACQUIRE,
      [target, full.runId, JSON.stringify(full), this.box],
    );
    if (won.length === 1) {
      this.held.set(target, full.runId);
      this.heldChanged();
      return { ok: true, release: () => this.release(target, full.runId) };
    }
    const holder = this.holder(target);
    if (!holder) return { ok: false, holder: full, message: 'the lock changed hands while asking; try again' };
    return { ok: false, holder, message: `${describeLock(holder)} on ${holder.hostname}`, hint: this.clearHint(target) };
  }

  /**
   * Sent without waiting for it (nothing here acts on its answer, and the engine ignores a failed
   * release): the DELETE runs on this session before anything this process asks next, so its own
   * next acquire of the target finds it free; another box sees it free once it commits, a moment
   * later. If it cannot run (the database is away), the session it names is gone too, so the row is
   * stale and the next asker replaces it; and it is no longer claimed again on a new session. At
   * exit, what is still on its way is waited for (bounded) so no row is left behind.
   */
  release(target: string, runId: string): void {
    this.held.delete(target);
    this.heldChanged();
    this.db.post(RELEASE, [target, runId]);
  }

  /**
   * Whether `runId` still holds the target's lock, asked on the lock session without blocking: a
   * session lost while the database was away is made again first, and its prelude claims the held
   * locks again, so the answer is about this session. A row of another run: lost (it is dropped from
   * what is claimed); no answer: unreachable, with the error in words.
   */
  async confirm(target: string, runId: string): Promise<LockCheck> {
    let rows: { run_id: string; info: LockInfo }[];
    try {
      rows = (await this.db.queryAsync<{ run_id: string; info: LockInfo }>(CONFIRM, [target])).rows;
    } catch (err) {
      return { state: 'unreachable', error: `state store unreachable (${this.target.shown}): ${scrubPg((err as Error).message, this.target)}` };
    }
    const row = rows[0];
    if (row?.run_id === runId) return { state: 'held' };
    if (this.held.get(target) === runId) {
      this.held.delete(target);
      this.heldChanged();
    }
    return row ? { state: 'lost', holder: row.info } : { state: 'lost' };
  }

  holder(target: string): HeldLock | undefined {
    const rows = this.query<Row>(HOLDER, [target]);
    const r = rows[0];
    return r ? { ...r.info, alive: r.alive } : undefined;
  }

  list(): Map<string, HeldLock> {
    const rows = this.query<Row>(LIST, []);
    return new Map(rows.map((r) => [r.target, { ...r.info, alive: r.alive }]));
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The LockStore a command uses under `state.backend: postgres`. The URL is read when a lock is
 * first needed: a console whose environment lacks it can still watch health, and any start that
 * needs a lock is refused saying what to set.
 */
export function pgLockStore(urlEnv: string, env: NodeJS.ProcessEnv = process.env, opts: { unreachableWaitMs?: number } = {}): LockStore {
  let store: PgLockStore | undefined;
  const lostListeners = new Set<(lost: LostLock) => void>();
  const open = (): PgLockStore => {
    if (store) return store;
    const r = resolvePgUrl(urlEnv, env);
    if (!r.ok) throw new Error(r.error);
    store = new PgLockStore(r.target, opts);
    store.onLost((lost) => {
      for (const l of lostListeners) l(lost);
    });
    return store;
  };
  return {
    get where() {
      return store?.where ?? `the state database (${urlEnv})`;
    },
    acquire: (t, req) => open().acquire(t, req),
    release: (t, id) => open().release(t, id),
    holder: (t) => open().holder(t),
    list: () => open().list(),
    clearHint: (t) => open().clearHint(t),
    confirm: (t, id) => open().confirm(t, id),
    ...(opts.unreachableWaitMs !== undefined ? { unreachableWaitMs: opts.unreachableWaitMs } : {}),
    // Only a store that holds something can lose it: listeners wait for the store to be opened.
    onLost: (listener) => {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
  };
}
