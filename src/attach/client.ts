// A console's end of the socket (R-SRV-2): checks the socket is the real server's, proves its uid,
// then keeps remote copies of the snapshots it subscribes to and sends intents. When the server
// goes away (restart, upgrade) it says so and reconnects by itself; the stores keep their last
// snapshot meanwhile. Nothing here can probe, run or write shared state: it only asks the server.
import { connect, type Socket } from 'node:net';
import { unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BatchedStore, type Store } from '../core/store';
import { traceStartup } from '../core/startup-trace';
import { ConsoleOutputStore } from './console-output';
import { RemoteNodesStore } from './remote-nodes';
import { RemoteFleetStore } from './remote-fleet';
import { FrameError, FrameReader, encodeFrame } from '../protocol/wire';
import { THIS_BUILD, versionMismatch, type WireVersion } from '../protocol/version';
import { challengeDirFor, socketProblem } from '../protocol/socket-path';
import type { ClientMessage, IntentName, Intents, ProvenIdentity, ServerMessage, TopicName, Topics } from '../protocol/messages';

export type AttachErrorKind = 'missing' | 'untrusted' | 'unreachable' | 'refused' | 'version';

export class AttachError extends Error {
  constructor(
    readonly kind: AttachErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AttachError';
  }
}

export interface LinkState {
  state: 'attached' | 'reconnecting' | 'lost';
  socket: string;
  /** Why the link went down (the server's goodbye, or the socket error). */
  reason?: string;
  identity?: ProvenIdentity;
}

/** A snapshot the server publishes, kept here; undefined until the first one arrives. */
export class RemoteStore<S> extends BatchedStore<S | undefined> {
  constructor() {
    super(undefined);
  }
  deliver(data: S, _seq?: number): void {
    this.set(data);
  }
}

class LinkStore extends BatchedStore<LinkState> {
  update(next: LinkState): void {
    this.set(next);
  }
}

interface Session {
  socket: Socket;
  identity: ProvenIdentity;
  server: WireVersion;
  reader: FrameReader;
}

export interface AttachOptions {
  /** Reconnect after the server goes away, for this long at most (default 60 s); 0 = never. */
  reconnectForMs?: number;
  /** Time to get through the handshake. */
  timeoutMs?: number;
  /** Topics to subscribe to in the handshake itself (their first snapshots follow the welcome). */
  topics?: readonly TopicName[];
}

/**
 * One connection with the handshake done; frames after the welcome go to onMessage. One round
 * trip: the proof file (a fresh random name in the socket's challenge folder, src/server/identity.ts)
 * is made before connecting, and the first frame says who this build is, names the proof and
 * subscribes to `topics`; the server answers welcome (or refused) and then the snapshots. The
 * server's hello, which it sends on accepting, is only read for its version.
 */
function connectOnce(path: string, timeoutMs: number, topics: readonly TopicName[], onMessage: (m: ServerMessage) => void, onClose: (reason: string) => void): Promise<Session> {
  const problem = socketProblem(path);
  if (problem) return Promise.reject(new AttachError(problem.kind, problem.message));
  const nonce = randomBytes(16).toString('hex');
  let proof: string | undefined = join(challengeDirFor(path), nonce);
  let proofError: Error | undefined;
  try {
    writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    proof = undefined;
    proofError = err as Error;
  }
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const reader = new FrameReader();
    let session: Session | undefined;
    let settled = false;
    const fail = (err: AttachError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanProof();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new AttachError('unreachable', `server at ${path} did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    function cleanProof(): void {
      if (!proof) return;
      try {
        unlinkSync(proof);
      } catch {
        // the server removes it once read
      }
      proof = undefined;
    }
    let server: WireVersion | undefined;
    // A socket nobody listens on is said as such (below); one that answers is told nothing without a proof.
    if (proofError) socket.once('connect', () => fail(new AttachError('refused', `cannot prove who you are to the server: ${proofError!.message}`)));
    else socket.write(encodeFrame({ t: 'auth', client: THIS_BUILD, nonce, topics: [...topics] } satisfies ClientMessage));
    const handshake = (m: ServerMessage) => {
      if (m.t === 'hello') {
        traceStartup('hello');
        server = m.server;
        const mismatch = versionMismatch(m.server, THIS_BUILD);
        if (mismatch) return fail(new AttachError('version', mismatch));
        return;
      }
      if (m.t === 'refused') {
        return fail(new AttachError(/server is version/.test(m.reason) ? 'version' : 'refused', `server refused this console: ${m.reason}`));
      }
      if (m.t === 'welcome' && server) {
        cleanProof();
        settled = true;
        clearTimeout(timer);
        session = { socket, identity: m.identity, server, reader };
        resolve(session);
        return;
      }
      return fail(new AttachError('refused', `server at ${path} answered "${String((m as { t: unknown }).t).slice(0, 20)}" before proving this console`));
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Record<string, unknown>[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        socket.destroy();
        if (!session) fail(new AttachError('refused', `server at ${path} sent ${err.message}`));
        else onClose(`server sent ${err.message}`);
        return;
      }
      for (const f of frames) {
        const m = f as unknown as ServerMessage;
        if (session) onMessage(m);
        else handshake(m);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? `no server is listening on ${path} (the socket is left from a server that stopped) — start it with \`doai-console serve\``
          : err.code === 'EACCES'
            ? `not allowed to connect to ${path} (permission denied)`
            : `cannot connect to ${path}: ${err.message}`;
      if (!session) fail(new AttachError('unreachable', why));
    });
    socket.on('close', () => {
      if (!session) fail(new AttachError('unreachable', `server at ${path} closed the connection during the handshake`));
      else onClose('connection to the server lost');
    });
  });
}

export class Attached {
  private session?: Session;
  private readonly stores = new Map<TopicName, RemoteStore<unknown>>();
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private closed = false;
  private byeReason?: string;
  readonly link: LinkStore;

  private constructor(
    readonly socketPath: string,
    private readonly opts: Required<Omit<AttachOptions, 'topics'>>,
  ) {
    this.link = new LinkStore({ state: 'reconnecting', socket: socketPath });
  }

  static async open(path: string, opts: AttachOptions = {}): Promise<Attached> {
    const a = new Attached(path, { reconnectForMs: opts.reconnectForMs ?? 60_000, timeoutMs: opts.timeoutMs ?? 5000 });
    // Stores made before connecting are subscribed to in the handshake.
    for (const topic of opts.topics ?? []) a.store(topic);
    await a.connect();
    return a;
  }

  get identity(): ProvenIdentity {
    return this.session!.identity;
  }

  get server(): WireVersion {
    return this.session!.server;
  }

  private async connect(): Promise<void> {
    // Every topic subscribed to so far (all of them again after a reconnect) goes in the handshake.
    const session = await connectOnce(
      this.socketPath,
      this.opts.timeoutMs,
      [...this.stores.keys()],
      (m) => this.onMessage(m),
      (reason) => this.onLost(reason),
    );
    this.session = session;
    this.byeReason = undefined;
    this.link.update({ state: 'attached', socket: this.socketPath, identity: session.identity });
  }

  private write(m: ClientMessage): void {
    this.session?.socket.write(encodeFrame(m));
  }

  /** The server's snapshots of a topic, kept up to date (subscribed on first use). */
  store<K extends TopicName>(topic: K): Store<Topics[K] | undefined> {
    let s = this.stores.get(topic);
    if (!s) {
      // The console topic's run output comes as deltas, put back together as frames arrive.
      // The nodes and fleet topics come as deltas too: changed entries only, whole when asked again.
      s =
        topic === 'console'
          ? (new ConsoleOutputStore((runId) => this.request('run.tail', { runId })) as RemoteStore<unknown>)
          : topic === 'nodes'
            ? (new RemoteNodesStore(() => this.write({ t: 'resync', topic: 'nodes' })) as unknown as RemoteStore<unknown>)
            : topic === 'fleet'
              ? (new RemoteFleetStore(() => this.write({ t: 'resync', topic: 'fleet' })) as unknown as RemoteStore<unknown>)
              : new RemoteStore<unknown>();
      this.stores.set(topic, s);
      this.write({ t: 'subscribe', topics: [topic] });
    }
    return s as Store<Topics[K] | undefined>;
  }

  /** Resolves with the first snapshot of a topic. */
  first<K extends TopicName>(topic: K, timeoutMs = 10_000): Promise<Topics[K]> {
    const store = this.store(topic);
    const now = store.getSnapshot();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new AttachError('unreachable', `server sent no ${topic} snapshot within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const off = store.subscribe(() => {
        const s = store.getSnapshot();
        if (s === undefined) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
    });
  }

  request<N extends IntentName>(name: N, args: Intents[N][0]): Promise<Intents[N][1]> {
    if (!this.session) return Promise.reject(new AttachError('unreachable', `not attached to ${this.socketPath} right now (${this.link.getSnapshot().reason ?? 'reconnecting'})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write({ t: 'intent', id, name, args });
    });
  }

  private onMessage(m: ServerMessage): void {
    switch (m.t) {
      case 'snapshot':
        this.stores.get(m.topic)?.deliver(m.data, m.seq);
        return;
      case 'result': {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(m.error));
        return;
      }
      case 'bye':
        this.byeReason = m.reason;
        return;
      default:
        return;
    }
  }

  private onLost(reason: string): void {
    this.session = undefined;
    for (const [, w] of this.waiting) w.reject(new AttachError('unreachable', `server went away: ${this.byeReason ?? reason}`));
    this.waiting.clear();
    if (this.closed) return;
    const why = this.byeReason ?? reason;
    if (this.opts.reconnectForMs <= 0) {
      this.link.update({ state: 'lost', socket: this.socketPath, reason: why });
      return;
    }
    this.link.update({ state: 'reconnecting', socket: this.socketPath, reason: why });
    void this.reconnect(Date.now() + this.opts.reconnectForMs, why);
  }

  private async reconnect(until: number, why: string): Promise<void> {
    while (!this.closed && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      if (this.closed) return;
      try {
        await this.connect();
        return;
      } catch (err) {
        // A server from another build is not coming back as this one: stop and say so.
        if (err instanceof AttachError && (err.kind === 'version' || err.kind === 'untrusted')) {
          this.link.update({ state: 'lost', socket: this.socketPath, reason: err.message });
          return;
        }
      }
    }
    if (!this.closed) this.link.update({ state: 'lost', socket: this.socketPath, reason: `${why}; no server came back within ${Math.round(this.opts.reconnectForMs / 1000)} s` });
  }

  close(): void {
    this.closed = true;
    this.session?.socket.end();
    this.session?.socket.destroy();
    this.session = undefined;
  }
}
