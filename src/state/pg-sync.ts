// Synchronous queries for code whose interface is synchronous (the engine's LockStore): a worker
// thread owns one PostgreSQL connection and runs each query; this thread waits for the answer with
// Atomics.wait, bounded by a timeout, and takes it with receiveMessageOnPort. Lock operations are
// rare (a run's start and end), so blocking for one round trip is cheap; a database that does not
// answer costs at most `timeoutMs` and then an error in words.
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

// Plain CommonJS run by the worker (eval): no bundling or TypeScript needed for it.
const WORKER = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, events, flag, url, timeoutMs, name } = workerData;
const signal = new Int32Array(flag);
let client;
// Run on every new session (e.g. claim again the locks this process holds); kept up to date by the main thread.
let prelude;
// One connection attempt at a time: statements that arrive while it is being made (a posted one and
// the query after it) wait for the same session and run on it in the order they were sent.
let connecting;
function connection() {
  if (client) return Promise.resolve(client);
  if (!connecting) connecting = open().finally(() => { connecting = undefined; });
  return connecting;
}
async function open() {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: name, keepAlive: true });
  c.on('error', () => { if (client === c) client = undefined; c.end().catch(() => {}); });
  try {
    await c.connect();
  } catch (err) {
    c.end().catch(() => {});
    throw err;
  }
  client = c;
  if (prelude) {
    const p = prelude;
    const r = await c.query(p.sql, p.params);
    // What the prelude found, for the main thread to act on (e.g. a lock another box took meanwhile).
    events.postMessage({ type: 'prelude', params: p.params, rows: r.rows });
  }
  return c;
}
// A session lost while something is held (the database restarted) is re-established as soon as
// the database answers, without waiting for the next query.
setInterval(() => { if (!client && prelude) connection().catch(() => {}); }, 1000);
port.on('message', async (req) => {
  if (req.type === 'prelude') { prelude = req.prelude; return; }
  let answer;
  try {
    const c = await connection();
    const r = await c.query(req.sql, req.params);
    answer = { id: req.id, ok: true, rows: r.rows, rowCount: r.rowCount };
  } catch (err) {
    if (client && /terminat|ECONN|timeout|closed/i.test(String(err && err.message))) { const c = client; client = undefined; c.end().catch(() => {}); }
    answer = { id: req.id, ok: false, error: String((err && err.message) || err), code: err && err.code };
  }
  // An asynchronous query's answer goes on the events port (delivered by the caller's event loop).
  if (req.async) { events.postMessage({ type: 'answer', ...answer }); return; }
  port.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/** How long close() and process exit wait for posted statements still on their way. */
const EXIT_FLUSH_MS = 2000;

interface Answer<R> {
  id: number;
  ok: boolean;
  rows?: R[];
  rowCount?: number;
  error?: string;
  code?: string;
}

/** How often a database that could not be reached is asked again (asynchronously) until it answers. */
const PROBE_MS = 1000;

/**
 * Databases this process could not reach, by URL, shared by every connection to it (locks, audit,
 * silences, incidents, checklists): while one is here, synchronous queries to it fail at once with
 * the reason instead of each blocking the caller (the server's event loop) for the timeout, which a
 * network that drops packets would otherwise cost every call. One connection asks `SELECT 1` every
 * second without blocking, renewing `until` while it gets no answer; the first answer removes it.
 * `until` also ends it by itself if nobody is left asking (the asking connection was closed).
 */
interface Unreachable {
  until: number;
  reason: string;
  prober?: SyncPg;
}
const unreachable = new Map<string, Unreachable>();
/** The code of a query ended by close() (says nothing about the database). */
const CLOSED = 'closed';

/** A failure that says the database could not be reached (not a statement it refused). */
function unreachableError(e: SyncPgError): boolean {
  if (e.code === CLOSED) return false;
  const sqlState = e.code !== undefined && /^[0-9A-Z]{5}$/.test(e.code);
  return !sqlState || /^(08|57P)/.test(e.code!);
}

/**
 * A statement: its text, or a named one ({ name, text }) that the connection parses and plans once
 * per session and then only binds and executes (pg's prepared statements; a new session prepares it
 * again by itself).
 */
export type SyncStatement = string | { name: string; text: string };

export interface SyncQueryResult<R> {
  rows: R[];
  rowCount: number;
}

export class SyncPgError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class SyncPg {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new SharedArrayBuffer(4);
  private readonly signal = new Int32Array(this.flag);
  private nextId = 1;
  /** Posted statements not answered yet (their ids). */
  private readonly posted = new Set<number>();
  private flushOnExit: (() => void) | undefined;
  private events: MessagePort | undefined;
  private readonly preludeListeners = new Set<(result: { params: unknown[]; rows: Record<string, unknown>[] }) => void>();

  constructor(
    private readonly url: string,
    private readonly opts: { timeoutMs: number; name: string },
  ) {}

  private start(): MessagePort {
    if (this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    // Answers come on port1 (taken synchronously); what the worker reports by itself (a prelude's
    // rows on a new session) comes on its own port, delivered by the event loop.
    const ev = new MessageChannel();
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, events: ev.port2, flag: this.flag, url: this.url, timeoutMs: this.opts.timeoutMs, name: this.opts.name, pgPath },
      transferList: [port2, ev.port2],
    });
    ev.port1.on('message', (m: ({ type: 'prelude'; params: unknown[]; rows: Record<string, unknown>[] }) | ({ type: 'answer' } & Answer<Record<string, unknown>>)) => {
      if (m.type === 'answer') {
        this.waiting.get(m.id)?.(m);
        return;
      }
      if (m.type !== 'prelude') return;
      for (const l of this.preludeListeners) l({ params: m.params, rows: m.rows });
    });
    ev.port1.unref();
    this.events = ev.port1;
    // Neither the worker nor its port keeps the process alive.
    this.worker.unref();
    port1.unref();
    this.port = port1;
    return port1;
  }

  /**
   * What runs first on every new session, e.g. claiming again what the old one held (none: nothing).
   * With one set, a lost session is re-established in the background as soon as the database answers.
   */
  setPrelude(prelude: { sql: string; params: unknown[] } | undefined): void {
    this.start().postMessage({ type: 'prelude', prelude });
  }

  /** Told the prelude's parameters and rows each time a new session has run it. */
  onPrelude(listener: (result: { params: unknown[]; rows: Record<string, unknown>[] }) => void): void {
    this.preludeListeners.add(listener);
  }

  /** Throws at once while this database is known unreachable (see `unreachable`). */
  private gate(): void {
    const u = unreachable.get(this.url);
    if (u && Date.now() < u.until) throw new SyncPgError(u.reason);
  }

  /** Marks the database unreachable and makes sure one connection asks it again until it answers. */
  private markUnreachable(reason: string): void {
    const until = Date.now() + this.opts.timeoutMs + 3000;
    let u = unreachable.get(this.url);
    if (u) {
      u.until = until;
      u.reason = reason;
    } else unreachable.set(this.url, (u = { until, reason }));
    if (!u.prober) {
      u.prober = this;
      void this.probe(u);
    }
  }

  /** Asks `SELECT 1` every second, without blocking anyone, while the database is marked unreachable. */
  private async probe(u: Unreachable): Promise<void> {
    // Bounded by the outage: ends at the first answer, when another mark replaced this one, or on close().
    while (unreachable.get(this.url) === u && u.prober === this && this.port) {
      await new Promise((r) => setTimeout(r, PROBE_MS).unref());
      if (!this.port || unreachable.get(this.url) !== u) break;
      try {
        await this.queryAsync('SELECT 1', [], { probe: true });
        unreachable.delete(this.url);
        break;
      } catch (err) {
        if (!unreachableError(err as SyncPgError)) {
          unreachable.delete(this.url);
          break;
        }
        u.until = Date.now() + this.opts.timeoutMs + 3000;
        u.reason = (err as Error).message;
      }
    }
    if (u.prober === this) u.prober = undefined;
  }

  /** Asynchronous queries on their way: id → what takes the answer. */
  private readonly waiting = new Map<number, (answer: Answer<Record<string, unknown>>) => void>();

  /**
   * Runs one statement on the same session without blocking the caller: the answer comes through the
   * event loop. Rejects with the database's error, or after the timeout (+1 s) with no answer; at
   * once while the database is known unreachable (it is asked again in the background, so a caller
   * that asks again a second later sees it come back).
   */
  queryAsync<R = Record<string, unknown>>(sql: SyncStatement, params: unknown[] = [], opts: { probe?: boolean } = {}): Promise<SyncQueryResult<R>> {
    try {
      if (!opts.probe) this.gate();
    } catch (err) {
      return Promise.reject(err);
    }
    const port = this.start();
    const id = this.nextId++;
    const asked = new Promise<SyncQueryResult<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new SyncPgError(`no answer from the state database within ${Math.round((this.opts.timeoutMs + 1000) / 1000)} s`));
      }, this.opts.timeoutMs + 1000);
      // The background probe keeps no process alive; a caller's query does, until it is answered.
      if (opts.probe) timer.unref();
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (!a.ok) reject(new SyncPgError(a.error ?? 'query failed', a.code));
        else resolve({ rows: (a.rows ?? []) as R[], rowCount: a.rowCount ?? 0 });
      });
      port.postMessage({ id, sql, params, async: true });
    });
    if (opts.probe) return asked;
    return asked.catch((err: SyncPgError) => {
      if (unreachableError(err)) this.markUnreachable(err.message);
      throw err;
    });
  }

  /** Runs one statement and waits (bounded) for its answer. */
  query<R = Record<string, unknown>>(sql: SyncStatement, params: unknown[] = []): SyncQueryResult<R> {
    this.gate();
    try {
      return this.ask<R>(sql, params);
    } catch (err) {
      // A statement the database refused (no such table, a constraint) says nothing about reachability.
      if (unreachableError(err as SyncPgError)) this.markUnreachable((err as Error).message);
      throw err;
    }
  }

  /**
   * Sends one statement and does not wait for it: it runs on the same session before anything asked
   * after it. Its answer, failure included, is dropped (for a statement whose caller would not act
   * on a failure). What is still on its way is waited for, bounded, by close() and at process exit.
   */
  post(sql: SyncStatement, params: unknown[] = []): void {
    const port = this.start();
    const id = this.nextId++;
    this.posted.add(id);
    if (!this.flushOnExit) {
      this.flushOnExit = () => this.flush(EXIT_FLUSH_MS);
      process.once('exit', this.flushOnExit);
    }
    port.postMessage({ id, sql, params });
  }

  /** Waits (at most `ms`) until every posted statement has been answered. */
  private flush(ms: number): void {
    const port = this.port;
    if (!port) return;
    const deadline = Date.now() + ms;
    while (this.posted.size > 0) {
      this.drain(port, -1);
      if (this.posted.size === 0) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(this.signal, 0, 0, left);
      Atomics.store(this.signal, 0, 0);
    }
  }

  /** Takes every answer waiting on the port; returns the one for `id`, if it is there. */
  private drain<R>(port: MessagePort, id: number): Answer<R> | undefined {
    let mine: Answer<R> | undefined;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const a = m.message as Answer<R>;
      this.posted.delete(a.id);
      if (a.id === id) mine = a;
    }
    return mine;
  }

  private ask<R>(sql: SyncStatement, params: unknown[]): SyncQueryResult<R> {
    const port = this.start();
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    port.postMessage({ id, sql, params });
    const deadline = Date.now() + this.opts.timeoutMs + 1000;
    // Bounded: each wait ends by the deadline; answers of posted statements and stale answers of
    // earlier timed-out queries are skipped.
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new SyncPgError(`no answer from the state database within ${Math.round((this.opts.timeoutMs + 1000) / 1000)} s`);
      Atomics.wait(this.signal, 0, 0, left);
      Atomics.store(this.signal, 0, 0);
      const a = this.drain<R>(port, id);
      if (!a) continue;
      if (!a.ok) throw new SyncPgError(a.error ?? 'query failed', a.code);
      return { rows: a.rows ?? [], rowCount: a.rowCount ?? 0 };
    }
  }

  close(): void {
    this.flush(EXIT_FLUSH_MS);
    if (this.flushOnExit) process.removeListener('exit', this.flushOnExit);
    this.flushOnExit = undefined;
    for (const [id, take] of [...this.waiting]) take({ id, ok: false, error: 'the state database connection was closed', code: CLOSED });
    // Another connection to it takes over asking an unreachable database (at its next failure).
    const u = unreachable.get(this.url);
    if (u?.prober === this) u.prober = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
    this.port?.close();
    this.port = undefined;
    this.events?.close();
    this.events = undefined;
  }
}
