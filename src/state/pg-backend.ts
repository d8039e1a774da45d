// The PostgreSQL state backend (R-HA-1, R-HA-2). What it keeps today:
// - the leader lease: a session advisory lock held on a dedicated connection. PostgreSQL drops it
//   the moment that connection ends (a killed server's socket closes; a partitioned one is found
//   dead by TCP keepalives within ~15 s), and the holder checks its connection every tick and
//   stops leading at the first failure. `doai_leader` only says who holds it, for `status`.
// - alert transitions and their notifications: a transition is recorded in `doai_alert_state`
//   and its notifications queued in `doai_outbox` in one transaction, keyed `<alert>#<n>` (the
//   n-th transition of that alert). A second leader that sees the same alert firing finds it
//   already recorded and queues nothing. Only the leader drains the outbox; a row it claimed but
//   never marked (it died mid-send) is sent again by the next leader: at-least-once, and the body
//   carries `dedup_key` so a receiver can drop the repeat.
import pg from 'pg';
import { BatchedStore } from '../core/store';
import { UserError } from '../cli/exit';
import type { AlertNotifier, NotificationSubject } from '../health/alerts-store';
import type { NotificationAttempt } from '../core/views';
import { postJson, resolveWebhookUrl, type WebhookConfig } from '../notify/webhook';
import { outboxAbout, outboxPayload, routedHooks, type OutboxBody } from '../notify/outbox-body';
import { migrate, SchemaTooNewError, type MigrationResult } from './pg-migrations';
import { scrubPg, type PgTarget } from './pg-url';
import { AuditMirror, flushEndedPending } from './pg-audit';
import { RUNS_CHANNEL, RunsPublisher, SharedWallRuns } from './pg-runs';
import { JournalShare } from './pg-journal';
import type { Store } from '../core/store';
import type { RunsStore } from '../core/views';
import type { WallRunsSnapshot } from '../protocol/health';
import { thisBox, type ForwardedApproval, type Leadership, type PeerApprover, type RemotePending, type StateBackend, type StateView } from './backend';
import { BOX_NAME, canonical, newNonce, signApproval, SIGNED_MAX_AGE_S, verifySigned, type ServerKey, type SignedApproval } from './peer-keys';
import type { KeyObject } from 'node:crypto';

/** The lease's advisory lock key (any constant other servers of this program agree on). */
const LEASE_KEY = 0x64_6f_61_6c; // "doal"
/** How often the lease is tried (followers) or checked (the leader). Takeover ≤ one tick after the lock is free. */
export const LEASE_TICK_MS = 2000;
/** How long any one query may take before the store counts as unreachable. */
const QUERY_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;
/** How often the leader looks for due outbox rows besides being kicked. */
const DRAIN_TICK_MS = 1000;
/** Outbox rows claimed per round. */
const DRAIN_BATCH = 20;
/** Longest a notifier caller waits for its rows' first outcome before saying they are queued. */
const WAIT_CAP_MS = 120_000;
/** How often each server copies new audit lines into its emergency.log. */
const MIRROR_TICK_MS = 500;
const HOUSEKEEPING_MS = 3_600_000;
const FORWARD_CHANNEL = 'doai_forward';
const FORWARD_DONE_CHANNEL = 'doai_forward_done';
/** How long an approval given on another box waits for the box that runs the run. */
const FORWARD_WAIT_MS = 15_000;

export interface PgBackendOptions {
  target: PgTarget;
  urlEnv: string;
  webhooks: WebhookConfig[];
  env?: NodeJS.ProcessEnv;
  /** Directory url_file paths resolve against (the config's). */
  configDir: string;
  /** This box's emergency.log and state folder: the audit lines of every box are written there. */
  auditLog?: { path: string; stateDir: string };
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** This box's run journals, shared (each box writes the others' under journal_dir/other-boxes). */
  journals?: { dir: string; boxName: string };
  /** Approvals between boxes: this server's name and key, and the pinned keys of the others. */
  signing?: { boxName: string; key: ServerKey; peers: ReadonlyMap<string, KeyObject> };
}

function clientConfig(target: PgTarget, applicationName: string): pg.ClientConfig {
  return {
    connectionString: target.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
    application_name: applicationName,
  };
}

/** A pg error in words, the URL and password cut out. */
export function pgWords(err: unknown, target: PgTarget): string {
  const e = err as { message?: string; code?: string };
  const msg = (e?.message ?? String(err)).trim() || e?.code || 'error';
  return scrubPg(msg, target);
}

/**
 * Connects once and brings the schema up to date. A wrong URL, an unreachable server or a newer
 * schema is a UserError (exit 2) that names where it tried, never the password.
 */
export async function preparePgDatabase(target: PgTarget, urlEnv: string, box: string): Promise<MigrationResult> {
  const client = new pg.Client(clientConfig(target, 'doai-console serve (migrate)'));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new UserError(
      `cannot connect to the state database ${target.shown} (from ${urlEnv}): ${pgWords(err, target)} — check that PostgreSQL is running there and that ${urlEnv} names the right host, port, database, user and password`,
      2,
    );
  }
  try {
    return await migrate(client, box);
  } catch (err) {
    if (err instanceof SchemaTooNewError) throw new UserError(`state database ${target.shown}: ${err.message}`, 2);
    throw new UserError(`cannot prepare the state database ${target.shown}: ${pgWords(err, target)} — the user in ${urlEnv} needs CREATE on that database`, 2);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface OutboxRow {
  id: string;
  dedup_key: string;
  webhook: string;
  body: OutboxBody;
  attempts: number;
  max_attempts: number;
}

interface Waiter {
  expect: Set<string>;
  done: Map<string, NotificationAttempt>;
  resolve: (a: NotificationAttempt[]) => void;
}

class PgLeadership extends BatchedStore<StateView> implements Leadership {
  private readonly leadListeners = new Set<(leading: boolean) => void>();
  onChange(listener: (leading: boolean) => void): () => void {
    this.leadListeners.add(listener);
    return () => this.leadListeners.delete(listener);
  }
  update(patch: Partial<StateView>): void {
    const prev = this.getSnapshot();
    const next = { ...prev, ...patch };
    if (!patch.problem && 'problem' in patch) delete next.problem;
    this.set(next);
    if (prev.leading !== next.leading) for (const l of [...this.leadListeners]) l(next.leading);
  }
}

export class PgStateBackend implements StateBackend {
  readonly kind = 'postgres' as const;
  readonly leadership: PgLeadership;
  private readonly box = thisBox();
  private readonly pool: pg.Pool;
  private leaseClient: pg.Client | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private leaseBusy = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private drainAgain = false;
  private closed = false;
  private readonly waiters = new Map<string, Waiter[]>();
  private mirror: AuditMirror | undefined;
  private shared: SharedWallRuns | undefined;
  private publisher: RunsPublisher | undefined;
  private listenClient: pg.Client | undefined;
  private forwardedHandler: ((runId: string, what: ForwardedApproval, by: PeerApprover) => Promise<unknown>) | undefined;
  private forwardRefused: ((runId: string, message: string) => void) | undefined;
  private readonly forwardWaiters = new Map<string, (result: unknown) => void>();
  private mirrorTimer: NodeJS.Timeout | undefined;
  private journals: JournalShare | undefined;
  private mirrorProblem: string | undefined;

  constructor(private readonly opts: PgBackendOptions) {
    this.leadership = new PgLeadership({ backend: 'postgres', where: opts.target.shown, box: this.box, leading: false, reachable: true });
    this.pool = new pg.Pool({ ...clientConfig(opts.target, 'doai-console serve'), max: 4, idleTimeoutMillis: 10_000 });
    // An idle pooled connection that dies (database stopped) must not crash the server.
    this.pool.on('error', (err) => this.unreachable(err));
  }

  start(): void {
    if (this.leaseTimer || this.closed) return;
    const tick = () => {
      void this.leaseTick().finally(() => {
        if (!this.closed) this.leaseTimer = setTimeout(tick, LEASE_TICK_MS);
      });
    };
    this.leaseTimer = setTimeout(tick, 0);
    if (this.opts.journals) this.journals = new JournalShare(this.pool, this.opts.journals.dir, this.opts.journals.boxName);
    if (this.opts.auditLog || this.journals) {
      if (this.opts.auditLog) this.mirror = new AuditMirror(this.pool, this.opts.auditLog.path, this.opts.auditLog.stateDir, this.opts.target.shown);
      const mirrorTick = () => {
        void this.mirrorOnce().finally(() => {
          if (!this.closed) this.mirrorTimer = setTimeout(mirrorTick, MIRROR_TICK_MS);
        });
      };
      this.mirrorTimer = setTimeout(mirrorTick, 0);
    }
  }

  /** Brings this box's emergency.log (and the shared run journals) up to date with the database; resolves when done (tests, shutdown). */
  async mirrorOnce(): Promise<void> {
    await this.journalsOnce();
    if (!this.mirror) return;
    try {
      const kept = await flushEndedPending(this.pool, this.opts.auditLog!.path, this.box);
      if (kept) this.opts.log('info', `wrote ${kept} audit line(s) kept on this box while the state database was unreachable (marked LATE)`);
      await this.mirror.catchUp();
      if (this.mirrorProblem) this.opts.log('info', `emergency.log ${this.opts.auditLog!.path} is being written again`);
      this.mirrorProblem = undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code && /^E[A-Z]+$/.test(e.code) && e.syscall) {
        const problem = `cannot write ${this.opts.auditLog!.path} (${e.code}): the audit lines stay in the database and are written once it is writable`;
        if (problem !== this.mirrorProblem) this.opts.log('error', problem);
        this.mirrorProblem = problem;
      } else this.unreachable(err);
    }
  }

  private journalProblem: string | undefined;

  private async journalsOnce(): Promise<void> {
    if (!this.journals) return;
    try {
      await this.journals.sync();
      if (this.journalProblem) this.opts.log('info', 'run journals are shared again');
      this.journalProblem = undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (!(e.code && /^E[A-Z]+$/.test(e.code) && e.syscall)) return this.unreachable(err);
      const problem = `run journals not shared (${e.code} on ${e.path ?? this.opts.journals!.dir}): each box keeps its own until this is fixed`;
      if (problem !== this.journalProblem) this.opts.log('error', problem);
      this.journalProblem = problem;
    }
  }

  private unreachable(err: unknown): void {
    const words = pgWords(err, this.opts.target);
    const was = this.leadership.getSnapshot();
    if (was.reachable) this.opts.log('warn', `state store unreachable (${this.opts.target.shown}): ${words}`);
    this.leadership.update({ reachable: false, problem: `state store unreachable: ${words}` });
  }

  private dropLease(err: unknown): void {
    const c = this.leaseClient;
    this.leaseClient = undefined;
    if (c) void c.end().catch(() => undefined);
    if (this.leadership.getSnapshot().leading) {
      this.opts.log('warn', `no longer the leader: the lease connection failed (${pgWords(err, this.opts.target)}); alerts and notifications stop here until the lease is held again`);
      this.stopDraining();
      this.leadership.update({ leading: false, leader: undefined });
    }
    this.unreachable(err);
  }

  private async leaseConnect(): Promise<pg.Client> {
    const c = new pg.Client(clientConfig(this.opts.target, `doai-console lease ${this.box}`));
    c.on('error', (err) => {
      if (this.leaseClient === c) this.dropLease(err);
    });
    await c.connect();
    // The database notices a vanished leader (power cut, partition) within ~15 s and frees the lock.
    await c.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 4');
    return c;
  }

  // ---- runs of the other boxes ------------------------------------------------------------------

  shareRuns(local: Store<WallRunsSnapshot>, engine: RunsStore): { wall: Store<WallRunsSnapshot>; others: SharedWallRuns['others'] } {
    this.shared = new SharedWallRuns(local, this.box);
    this.publisher = new RunsPublisher(this.pool, engine, this.box, (err) => this.unreachable(err));
    return { wall: this.shared, others: this.shared.others };
  }

  pendingElsewhere(): RemotePending[] {
    return this.shared?.remotePending() ?? [];
  }

  /** A dedicated connection LISTENs for run changes; (re)made at each lease tick while missing. */
  private async listenTick(): Promise<void> {
    if (!this.shared || this.listenClient || this.closed) return;
    const c = new pg.Client(clientConfig(this.opts.target, `doai-console runs ${this.box}`));
    const drop = () => {
      if (this.listenClient === c) this.listenClient = undefined;
      void c.end().catch(() => undefined);
    };
    c.on('error', drop);
    c.on('end', drop);
    c.on('notification', (n) => {
      if (n.channel === FORWARD_CHANNEL && n.payload) return void this.takeForwarded(n.payload);
      if (n.channel === FORWARD_DONE_CHANNEL && n.payload) return void this.forwardDone(n.payload);
      if (n.channel !== RUNS_CHANNEL || !n.payload) return;
      this.pool
        .query<{ run_id: string; box: string; view_json: string; output_json: string }>('SELECT run_id, box, view_json, output_json FROM doai_runs WHERE run_id = $1', [n.payload])
        .then((r) => r.rows.forEach((row) => this.shared?.apply(row)))
        .catch((err: unknown) => this.unreachable(err));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${RUNS_CHANNEL}; LISTEN ${FORWARD_CHANNEL}; LISTEN ${FORWARD_DONE_CHANNEL}`);
      this.listenClient = c;
      // What changed while this server was not listening: running runs and the last hour's.
      const { rows } = await c.query<{ run_id: string; box: string; view_json: string; output_json: string }>(
        "SELECT run_id, box, view_json, output_json FROM doai_runs WHERE state = 'running' OR updated_at > now() - interval '1 hour' ORDER BY updated_at",
      );
      for (const row of rows) this.shared.apply(row);
      // Our own runs may have changed while the database was away.
      void this.publisher?.publish();
    } catch (err) {
      drop();
      throw err;
    }
  }

  // ---- approvals given on another box -----------------------------------------------------------

  forwardAnswer(runId: string, answer: unknown, who: { user: string; uid: number }): Promise<unknown> | undefined {
    const owner = this.shared?.remoteOwner(runId);
    if (!owner) return undefined;
    // Only an approval travels: its proof is the one-time code, the same as typed into the form.
    if ((answer as { kind?: unknown } | undefined)?.kind !== 'approve') {
      return Promise.reject(new Error(`run ${runId} runs on ${owner}: from here only an approval (name and one-time code) can be given; answer the rest on that box`));
    }
    return this.forward(runId, owner, { kind: 'answer', step: 0, answer }, who);
  }

  forwardApproval(runId: string, step: 1 | 2, who: { user: string; uid: number }): Promise<unknown> | undefined {
    const owner = this.shared?.remoteOwner(runId);
    if (!owner) return undefined;
    return this.forward(runId, owner, { kind: 'proven', step, answer: null }, who);
  }

  /** Signs and writes one approval for `owner`'s server, then waits (bounded) for its answer. */
  private async forward(runId: string, owner: string, what: Pick<SignedApproval, 'kind' | 'step' | 'answer'>, who: { user: string; uid: number }): Promise<unknown> {
    const signing = this.opts.signing;
    if (!signing) throw new Error(`run ${runId} runs on ${owner}: this server has no signing key, so it cannot carry approvals to other boxes`);
    // The time signed is the database's, so no box's clock is compared with another's.
    const now = await this.pool.query<{ now: Date }>('SELECT now() AS now');
    const payload: SignedApproval = {
      v: 1,
      box: signing.boxName,
      to_box: owner,
      run_id: runId,
      ...what,
      by_user: who.user,
      by_uid: who.uid,
      nonce: newNonce(),
      signed_at: now.rows[0]!.now.toISOString(),
    };
    const text = canonical(payload);
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH ins AS (INSERT INTO doai_forwarded (run_id, to_box, by_user, by_uid, from_box, signer, payload_json, signature, nonce) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id)
       SELECT id, pg_notify('${FORWARD_CHANNEL}', id::text) FROM ins`,
      [runId, owner, who.user, who.uid, this.box, signing.boxName, text, signApproval(payload, signing.key.key), payload.nonce],
    );
    const id = rows[0]!.id;
    const result = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forwardWaiters.delete(id);
        reject(new Error(`${owner} did not take the approval within ${FORWARD_WAIT_MS / 1000} s (its server may be down): nothing was approved`));
      }, FORWARD_WAIT_MS);
      this.forwardWaiters.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    const r = result as { ok: boolean; value?: unknown; error?: string };
    if (!r.ok) throw new Error(r.error ?? 'refused');
    return r.value;
  }

  onForwardedAnswer(handler: (runId: string, what: ForwardedApproval, by: PeerApprover) => Promise<unknown>, refused: (runId: string, message: string) => void): void {
    this.forwardedHandler = handler;
    this.forwardRefused = refused;
  }

  private async takeForwarded(id: string): Promise<void> {
    if (!this.forwardedHandler) return;
    try {
      // Taken once, by the box it is addressed to, and only while the asker still waits.
      const { rows } = await this.pool.query<{ run_id: string; payload_json: string | null; signature: string | null; signer: string | null; from_box: string }>(
        `UPDATE doai_forwarded SET state = 'taken' WHERE id = $1 AND to_box = $2 AND state = 'pending' AND created_at > now() - make_interval(secs => $3)
         RETURNING run_id, payload_json, signature, signer, from_box`,
        [id, this.box, FORWARD_WAIT_MS / 1000 - 1],
      );
      const row = rows[0];
      if (!row) return;
      let result: { ok: boolean; value?: unknown; error?: string };
      const judged = await this.judgeForwarded(id, row);
      if (!judged.ok) {
        const message = `forged or unsigned approval from ${judged.box} (${judged.why}): nothing was approved`;
        this.opts.log('warn', `run ${row.run_id}: refused a ${message}`);
        this.forwardRefused?.(row.run_id, message);
        result = { ok: false, error: `refused: ${message}` };
      } else {
        const p = judged.payload;
        const what: ForwardedApproval = p.kind === 'proven' ? { kind: 'proven', step: p.step === 2 ? 2 : 1 } : { kind: 'answer', answer: p.answer };
        try {
          result = { ok: true, value: await this.forwardedHandler(p.run_id, what, { user: p.by_user, uid: p.by_uid, box: p.box, server: row.from_box }) };
        } catch (err) {
          result = { ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }
      await this.pool.query("UPDATE doai_forwarded SET state = 'done', result_json = $2 WHERE id = $1", [id, JSON.stringify(result)]);
      await this.pool.query(`SELECT pg_notify('${FORWARD_DONE_CHANNEL}', $1)`, [id]);
    } catch (err) {
      this.unreachable(err);
    }
  }

  /**
   * Whether a row is an approval this server may act on: signed by a pinned peer, for this server
   * and this run, its nonce never taken before, signed within SIGNED_MAX_AGE_S by the database's clock.
   */
  private async judgeForwarded(id: string, row: { run_id: string; payload_json: string | null; signature: string | null; signer: string | null }): Promise<{ ok: true; payload: SignedApproval } | { ok: false; box: string; why: string }> {
    const v = verifySigned(row.payload_json, row.signature, this.opts.signing?.peers ?? new Map());
    const claimed = row.signer && BOX_NAME.test(row.signer) ? row.signer : undefined;
    if (!v.ok) return { ok: false, box: v.box === 'an unnamed box' && claimed ? claimed : v.box, why: v.why };
    const p = v.payload;
    if (p.to_box !== this.box) return { ok: false, box: p.box, why: `signed for ${p.to_box}, not this server` };
    if (p.run_id !== row.run_id) return { ok: false, box: p.box, why: `signed for run ${p.run_id}, not ${row.run_id}` };
    const fresh = await this.pool.query<{ fresh: boolean }>(
      `SELECT $1::timestamptz > now() - make_interval(secs => $2) AND $1::timestamptz < now() + interval '2 seconds' AS fresh`,
      [p.signed_at, SIGNED_MAX_AGE_S],
    ).catch(() => ({ rows: [{ fresh: false }] }));
    const taken = await this.pool.query('INSERT INTO doai_approval_nonces (nonce, signer, forwarded_id) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING', [p.nonce, p.box, id]);
    if (taken.rowCount === 0) return { ok: false, box: p.box, why: 'its nonce was used before: a replay' };
    if (!fresh.rows[0]?.fresh) return { ok: false, box: p.box, why: `signed at ${p.signed_at}, not within the last ${SIGNED_MAX_AGE_S} s` };
    return { ok: true, payload: p };
  }

  private async forwardDone(id: string): Promise<void> {
    const waiter = this.forwardWaiters.get(id);
    if (!waiter) return;
    try {
      const { rows } = await this.pool.query<{ result_json: string | null }>('SELECT result_json FROM doai_forwarded WHERE id = $1', [id]);
      if (!rows[0]?.result_json) return;
      this.forwardWaiters.delete(id);
      waiter(JSON.parse(rows[0].result_json));
    } catch (err) {
      this.unreachable(err);
    }
  }

  private async leaseTick(): Promise<void> {
    if (this.leaseBusy || this.closed) return;
    this.leaseBusy = true;
    try {
      // Not being able to listen is no reason to give up the lease.
      await this.listenTick().catch((err: unknown) => this.unreachable(err));
      if (!this.leaseClient) this.leaseClient = await this.leaseConnect();
      const c = this.leaseClient;
      if (this.leadership.getSnapshot().leading) {
        const r = await c.query<{ beat_at: Date }>('UPDATE doai_leader SET beat_at = now() WHERE id = 1 AND holder = $1 RETURNING beat_at', [this.box]);
        if (r.rowCount === 0) throw new Error('the leader row names another server');
        this.leadership.update({ reachable: true, problem: undefined, leaderSeenAt: r.rows[0]!.beat_at });
        await this.housekeeping(c);
        return;
      }
      const got = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [LEASE_KEY]);
      if (got.rows[0]?.got) {
        const row = await c.query<{ term: string; beat_at: Date }>(
          `INSERT INTO doai_leader (id, holder, since, beat_at, term) VALUES (1, $1, now(), now(), 1)
           ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, since = now(), beat_at = now(), term = doai_leader.term + 1
           RETURNING term, beat_at`,
          [this.box],
        );
        // Rows a dead leader claimed but never marked: sent again (at-least-once; the body's dedup_key lets receivers drop a repeat).
        const requeued = await c.query("UPDATE doai_outbox SET state = 'pending', claimed_by = NULL WHERE state = 'sending'");
        this.opts.log('info', `leading (term ${row.rows[0]!.term}): this server now evaluates alerts and sends notifications${requeued.rowCount ? `; ${requeued.rowCount} notification(s) a previous leader was sending are queued again` : ''}`);
        this.leadership.update({ leading: true, leader: this.box, leaderSeenAt: row.rows[0]!.beat_at, reachable: true, problem: undefined });
        this.startDraining();
        return;
      }
      const who = await c.query<{ holder: string; beat_at: Date }>('SELECT holder, beat_at FROM doai_leader WHERE id = 1');
      const prev = this.leadership.getSnapshot().leader;
      const leader = who.rows[0]?.holder;
      if (leader && leader !== prev) this.opts.log('info', `following: ${leader} leads (evaluates alerts and sends notifications)`);
      this.leadership.update({ reachable: true, problem: undefined, leader, leaderSeenAt: who.rows[0]?.beat_at });
    } catch (err) {
      this.dropLease(err);
    } finally {
      this.leaseBusy = false;
    }
  }

  private lastHousekeeping = 0;

  /**
   * The leader keeps the shared tables bounded, once an hour: notifications delivered or given up
   * more than 30 days ago, silences and windows that ended more than 30 days ago, and finished
   * runs not updated for 7 days. The audit lines are kept.
   */
  private async housekeeping(c: pg.Client): Promise<void> {
    if (Date.now() - this.lastHousekeeping < HOUSEKEEPING_MS) return;
    this.lastHousekeeping = Date.now();
    const outbox = await c.query("DELETE FROM doai_outbox WHERE state IN ('delivered', 'failed') AND created_at < now() - interval '30 days'");
    const runs = await c.query("DELETE FROM doai_runs WHERE state <> 'running' AND updated_at < now() - interval '7 days'");
    const mutes = await c.query("DELETE FROM doai_mutes WHERE COALESCE(ended_at, until) < now() - interval '30 days'");
    // A nonce only needs remembering while its approval could still be taken (SIGNED_MAX_AGE_S).
    await c.query("DELETE FROM doai_approval_nonces WHERE taken_at < now() - interval '1 day'");
    await c.query("DELETE FROM doai_acks WHERE at < now() - interval '30 days'");
    await c.query("DELETE FROM doai_forwarded WHERE created_at < now() - interval '30 days'");
    if (outbox.rowCount || runs.rowCount) this.opts.log('info', `housekeeping: removed ${outbox.rowCount ?? 0} old notification(s) and ${runs.rowCount ?? 0} old run view(s)`);
    if (mutes.rowCount) this.opts.log('info', `housekeeping: removed ${mutes.rowCount} silence(s) and maintenance window(s) that ended over 30 days ago`);
  }

  // ---- outbox ----------------------------------------------------------------------------------

  notifier(direct: AlertNotifier): AlertNotifier {
    return {
      get configured() {
        return direct.configured;
      },
      problems: () => direct.problems(),
      send: (text, about) => (about && this.opts.webhooks.length > 0 ? this.enqueue(text, about) : direct.send(text)),
    };
  }

  private async enqueue(text: string, about: NotificationSubject): Promise<NotificationAttempt[]> {
    const now = () => new Date();
    // Per-rule routing (webhooks[].rules): only the receivers this rule goes to get a row.
    const hooks = routedHooks(this.opts.webhooks, about.rule);
    if (hooks.length === 0) return [];
    let dedup: string | undefined;
    const client = await this.pool.connect().catch((err: unknown) => {
      this.unreachable(err);
      throw new Error(`state store unreachable: ${pgWords(err, this.opts.target)}`);
    });
    try {
      await client.query('BEGIN');
      const seq =
        about.transition === 'fired'
          ? await client.query<{ seq: number }>(
              `INSERT INTO doai_alert_state (key, rule, kind, subject, state, seq, since, updated_by) VALUES ($1, $2, $3, $4, 'firing', 1, $5, $6)
               ON CONFLICT (key) DO UPDATE SET state = 'firing', seq = doai_alert_state.seq + 1, since = EXCLUDED.since, rule = EXCLUDED.rule,
                 kind = EXCLUDED.kind, subject = EXCLUDED.subject, updated_at = now(), updated_by = EXCLUDED.updated_by
               WHERE doai_alert_state.state <> 'firing'
               RETURNING seq`,
              [about.key, about.rule, about.kind, about.subject, about.since, this.box],
            )
          : await client.query<{ seq: number }>(
              `UPDATE doai_alert_state SET state = 'resolved', seq = seq + 1, updated_at = now(), updated_by = $2 WHERE key = $1 AND state = 'firing' RETURNING seq`,
              [about.key, this.box],
            );
      if (seq.rowCount === 0) {
        const by = await client.query<{ updated_by: string; seq: number }>('SELECT updated_by, seq FROM doai_alert_state WHERE key = $1', [about.key]);
        await client.query('COMMIT');
        const row = by.rows[0];
        const words = row ? `already ${about.transition === 'fired' ? 'firing' : 'resolved'}, notified by ${row.updated_by} (${about.key}#${row.seq})` : 'not recorded as firing: nothing to resolve';
        return hooks.map((h) => ({ webhook: h.name, ok: true, attempts: 0, error: words, at: now() }));
      }
      dedup = `${about.key}#${seq.rows[0]!.seq}`;
      for (const hook of hooks) {
        await client.query(
          `INSERT INTO doai_outbox (dedup_key, webhook, body, max_attempts, created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedup_key, webhook) DO NOTHING`,
          [dedup, hook.name, JSON.stringify({ text, dedup_key: dedup, about: outboxAbout(about) }), hook.retries + 1, this.box],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.unreachable(err);
      throw new Error(`state store unreachable, not queued: ${pgWords(err, this.opts.target)}`);
    } finally {
      client.release();
    }
    const key = dedup;
    const result = new Promise<NotificationAttempt[]>((resolve) => {
      const w: Waiter = { expect: new Set(hooks.map((h) => h.name)), done: new Map(), resolve };
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), w]);
      setTimeout(() => {
        const list = this.waiters.get(key)?.filter((x) => x !== w) ?? [];
        if (list.length) this.waiters.set(key, list);
        else this.waiters.delete(key);
        resolve([...w.expect].map((name) => w.done.get(name) ?? { webhook: name, ok: false, attempts: 0, error: `still queued in the outbox (${key}): the leader keeps trying`, at: now() }));
      }, WAIT_CAP_MS).unref();
    });
    this.kickDrain();
    return result;
  }

  private settle(row: OutboxRow, attempt: NotificationAttempt, final: boolean): void {
    if (!final) return;
    const list = this.waiters.get(row.dedup_key);
    if (!list) return;
    for (const w of list) {
      w.done.set(row.webhook, attempt);
      if ([...w.expect].every((n) => w.done.has(n))) {
        w.resolve([...w.expect].map((n) => w.done.get(n)!));
        this.waiters.set(row.dedup_key, (this.waiters.get(row.dedup_key) ?? []).filter((x) => x !== w));
      }
    }
    if (this.waiters.get(row.dedup_key)?.length === 0) this.waiters.delete(row.dedup_key);
  }

  private startDraining(): void {
    if (this.drainTimer) return;
    const tick = () => {
      this.kickDrain();
      this.drainTimer = setTimeout(tick, DRAIN_TICK_MS);
    };
    this.drainTimer = setTimeout(tick, 0);
  }

  private stopDraining(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  private kickDrain(): void {
    if (!this.leadership.getSnapshot().leading || this.closed) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    void (async () => {
      try {
        // Bounded: each round claims at most DRAIN_BATCH rows; a kick during a round asks for one more.
        for (let round = 0; round < 10; round++) {
          this.drainAgain = false;
          const n = await this.drainOnce();
          if (n < DRAIN_BATCH && !this.drainAgain) break;
        }
      } catch (err) {
        this.unreachable(err);
      } finally {
        this.draining = false;
      }
    })();
  }

  private async drainOnce(): Promise<number> {
    if (!this.leadership.getSnapshot().leading) return 0;
    const claimed = await this.pool.query<OutboxRow>(
      `UPDATE doai_outbox SET state = 'sending', claimed_by = $1, attempts = attempts + 1
       WHERE id IN (SELECT id FROM doai_outbox WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY id LIMIT ${DRAIN_BATCH} FOR UPDATE SKIP LOCKED)
       RETURNING id, dedup_key, webhook, body, attempts, max_attempts`,
      [this.box],
    );
    const rows = [...claimed.rows].sort((a, b) => Number(a.id) - Number(b.id));
    for (const row of rows) {
      // Lost the lease meanwhile: leave the row claimed; the next leader queues it again.
      if (!this.leadership.getSnapshot().leading) break;
      const hook = this.opts.webhooks.find((h) => h.name === row.webhook);
      const url = hook ? resolveWebhookUrl(hook, { env: this.opts.env, baseDir: this.opts.configDir }) : ({ ok: false, error: `webhook ${row.webhook} is not in this server's config` } as const);
      const payload = url.ok ? outboxPayload(hook, row.body, this.opts.env) : url;
      const sent = url.ok && payload.ok ? await postJson(url.url, payload.body, { timeoutMs: (hook?.timeout_s ?? 5) * 1000, retries: 0 }) : { ok: false, attempts: 1, error: url.ok ? (payload.ok ? 'not sent' : payload.error) : url.error };
      const final = sent.ok || row.attempts >= row.max_attempts;
      const state = sent.ok ? 'delivered' : final ? 'failed' : 'pending';
      await this.pool.query(
        `UPDATE doai_outbox SET state = $2, last_error = $3, delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
           next_attempt_at = now() + make_interval(secs => least(60, power(2, attempts - 1)::int))
         WHERE id = $1 AND claimed_by = $4`,
        [row.id, state, sent.ok ? null : (sent.error ?? 'failed'), this.box],
      );
      this.settle(row, { webhook: row.webhook, ok: sent.ok, attempts: row.attempts, ...(sent.ok ? {} : { error: sent.error ?? 'failed' }), at: new Date() }, final);
    }
    return rows.length;
  }

  // ---- handover -------------------------------------------------------------------------------

  async reconcile(firingHere: ReadonlySet<string>, known: (row: { kind: string; subject: string }) => boolean): Promise<void> {
    const { rows } = await this.pool.query<{ key: string; rule: string; kind: NotificationSubject['kind']; subject: string; since: Date }>(
      "SELECT key, rule, kind, subject, since FROM doai_alert_state WHERE state = 'firing' ORDER BY key",
    );
    for (const r of rows) {
      if (firingHere.has(r.key) || !known(r)) continue;
      this.opts.log('info', `alert ${r.key} was firing under the previous leader and is resolved here: notifying`);
      void this.enqueue(`[RESOLVED] ${r.rule}: ${r.subject} (firing since ${r.since.toISOString()})`, {
        key: r.key,
        transition: 'resolved',
        rule: r.rule,
        kind: r.kind,
        subject: r.subject,
        since: r.since,
        at: new Date(),
      }).catch((err: unknown) => this.opts.log('warn', `alert ${r.key}: RESOLVED not queued: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    if (this.mirrorTimer) clearTimeout(this.mirrorTimer);
    // The last lines (this server's own stop included) reach the file before the pool closes.
    await this.mirrorOnce();
    this.stopDraining();
    this.publisher?.stop();
    this.shared?.stop();
    if (this.listenClient) await this.listenClient.end().catch(() => undefined);
    this.listenClient = undefined;
    const c = this.leaseClient;
    this.leaseClient = undefined;
    // Ending the session frees the advisory lock at once: a follower takes over at its next tick.
    await Promise.all([c?.end().catch(() => undefined), this.pool.end().catch(() => undefined)]);
  }
}
