// The socket side of the server: accepts consoles, proves who they are, streams the snapshots they
// subscribe to and answers their intents.
//
// Backpressure: snapshots are "latest wins" per topic, so a console that reads slowly gets fewer,
// newer frames, never a growing queue. Nothing is written to a connection whose socket buffer is
// full; if it stays full for stallMs (a suspended ssh, ^S) or ever holds more than maxQueueBytes,
// the connection is dropped with the reason logged. One bad or slow client costs only itself.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import type { Store } from '../core/store';
import { FrameError, FrameReader, encodeFrame } from '../protocol/wire';
import { THIS_BUILD, versionMismatch, type WireVersion } from '../protocol/version';
import { TOPIC_NAMES, type ClientMessage, type IntentName, type ProvenIdentity, type ServerMessage, type TopicName, type Topics } from '../protocol/messages';
import { isNonce, newNonce, verifyProof } from './identity';
import { consoleViewFor } from './topic-views';
import { OutputDeltas } from './output-deltas';
import { NodesDeltas } from './nodes-deltas';
import { FleetDeltas } from './fleet-deltas';
import { PacedTopic } from './paced-topic';
import type { FleetSnapshot, FleetStore, NodesSnapshot } from '../core/views';
import type { ConsoleRunsSnapshot } from '../protocol/runs';
import type { ServerLog } from './log';

export type IntentHandler = (name: IntentName, args: unknown, who: ProvenIdentity) => Promise<unknown>;

export interface ConnectionsOptions {
  socket: string;
  challengeDir: string;
  log: ServerLog;
  topics: { [K in TopicName]?: Store<Topics[K]> };
  handle: IntentHandler;
  /** Whether a proven identity may attach at all (operators config: unknown ones refused); a reason when not. */
  admit?: (who: ProvenIdentity) => string | undefined;
  /** A console that has not read for this long is dropped. */
  stallMs?: number;
  /** ... or at once when this much waits unsent. */
  maxQueueBytes?: number;
  /** Time to prove identity after connecting. */
  authTimeoutMs?: number;
  /** The fleet topic's frame period (default TOPIC_FRAME_MS, src/server/paced-topic.ts). */
  fleetFrameMs?: number;
}

export const DEFAULT_STALL_MS = 30_000;

let nextConnId = 1;

const dateToJSON = Date.prototype.toJSON;
function dateOnWire(this: Date): { $date: number } {
  return { $date: this.getTime() };
}

/**
 * Snapshot data as encodeFrame writes it (Dates as {"$date": ms}), ~4× faster for a 10,000-node
 * snapshot: encodeFrame's replacer function takes JSON.stringify off its fast path. Date's toJSON
 * is swapped only for this synchronous call (nothing else runs meanwhile; snapshots are plain
 * data with no toJSON of their own). tests/integration/connections-shared-json.test.ts compares.
 */
export function encodeSnapshotData(data: object): string {
  Date.prototype.toJSON = dateOnWire as unknown as typeof dateToJSON;
  try {
    return JSON.stringify(data);
  } finally {
    Date.prototype.toJSON = dateToJSON;
  }
}

class Connection {
  readonly id = nextConnId++;
  readonly nonce = newNonce();
  identity?: ProvenIdentity;
  private readonly reader = new FrameReader();
  private readonly dirty = new Set<TopicName>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly seq = new Map<TopicName, number>();
  /** Per topic, the snapshot last turned into a frame: a notice with nothing newer sends nothing. */
  private readonly sentSnap = new Map<TopicName, unknown>();
  private flushQueued = false;
  /** What of each run's output this console has been sent (the console topic goes as deltas). */
  private readonly deltas = new OutputDeltas();
  /** The node list this console was last sent (the nodes topic goes as changed nodes). */
  private readonly nodeDeltas = new NodesDeltas();
  /** The service list this console was last sent (the fleet topic goes as changed entries). */
  private readonly fleetDeltas = new FleetDeltas();
  stalledSince?: number;
  closed = false;
  private authTimer?: NodeJS.Timeout;

  constructor(
    readonly socket: Socket,
    private readonly hub: Connections,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.stalledSince = undefined;
      this.scheduleFlush();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.dispose());
    this.send({ t: 'hello', server: THIS_BUILD, pid: process.pid, nonce: this.nonce, challengeDir: hub.opts.challengeDir });
    this.authTimer = setTimeout(() => this.drop(`no identity proof within ${Math.round(hub.authTimeoutMs / 1000)} s`), hub.authTimeoutMs);
  }

  who(): string {
    return this.identity ? `${this.identity.user} (uid ${this.identity.uid}) #${this.id}` : `connection #${this.id} (not yet identified)`;
  }

  send(msg: ServerMessage): void {
    if (this.closed) return;
    const ok = this.socket.write(encodeFrame(msg));
    if (!ok && this.stalledSince === undefined) this.stalledSince = Date.now();
    if (this.socket.writableLength > this.hub.maxQueueBytes) this.drop(`${Math.round(this.socket.writableLength / 1024)} KB waiting unsent`);
  }

  private onData(chunk: Buffer): void {
    let frames: Record<string, unknown>[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.drop(err.message);
      return;
    }
    for (const f of frames) {
      if (this.closed) return;
      this.onMessage(f as unknown as ClientMessage);
    }
  }

  private onMessage(msg: ClientMessage): void {
    if (!this.identity) {
      if (msg.t !== 'auth') return this.drop(`expected an identity proof first, got "${String(msg.t).slice(0, 20)}"`);
      return this.authenticate(msg.client, msg.nonce, msg.topics);
    }
    switch (msg.t) {
      case 'subscribe':
        return this.subscribe(msg.topics);
      case 'intent':
        return this.intent(msg);
      case 'resync':
        return this.resync(msg.topic);
      default:
        return this.drop(`unknown frame "${String((msg as { t: unknown }).t).slice(0, 20)}"`);
    }
  }

  /** `nonce`: the proof the console named (made before connecting), else the hello's; `topics`: subscribed to once welcomed. */
  private authenticate(client: WireVersion | undefined, nonce: unknown, topics: unknown): void {
    clearTimeout(this.authTimer);
    const theirs: WireVersion = {
      protocol: Number(client?.protocol),
      version: String(client?.version ?? '?'),
      build: String(client?.build ?? '?'),
    };
    const mismatch = versionMismatch(THIS_BUILD, theirs);
    if (mismatch) return this.refuse(mismatch);
    if (nonce !== undefined && !isNonce(nonce)) return this.refuse('identity not proven: the proof must be named by 32 lowercase hex digits');
    const proof = verifyProof(this.hub.opts.challengeDir, nonce ?? this.nonce);
    if (!proof.ok) return this.refuse(proof.reason);
    const notAdmitted = this.hub.opts.admit?.(proof.identity);
    if (notAdmitted) return this.refuse(notAdmitted);
    this.identity = proof.identity;
    this.hub.opts.log('info', `attached: ${this.who()}`);
    // The welcome and the first snapshots of the topics named in auth leave in one write: the
    // console wakes once for all it needs to draw.
    this.socket.cork();
    this.send({ t: 'welcome', identity: proof.identity });
    if (topics !== undefined) {
      this.subscribe(topics);
      this.flush();
    }
    this.socket.uncork();
  }

  private refuse(reason: string): void {
    this.hub.opts.log('warn', `refused ${this.who()}: ${reason}`);
    this.send({ t: 'refused', reason });
    this.socket.end();
    this.dispose();
  }

  private subscribe(topics: unknown): void {
    if (!Array.isArray(topics)) return this.drop('subscribe without a topic list');
    for (const t of topics) {
      if (!TOPIC_NAMES.includes(t as TopicName)) continue;
      const name = t as TopicName;
      const store = this.hub.topics[name];
      if (!store || this.seq.has(name)) continue;
      this.seq.set(name, 0);
      this.unsubscribe.push(store.subscribe(() => this.markDirty(name)));
      this.markDirty(name);
    }
  }

  /** The console could not place a delta: the topic goes whole next (the nodes and fleet topics go as deltas). */
  private resync(topic: unknown): void {
    if (topic === 'nodes') this.nodeDeltas.reset();
    else if (topic === 'fleet') this.fleetDeltas.reset();
    else return;
    this.sentSnap.delete(topic);
    if (this.seq.has(topic)) this.markDirty(topic);
  }

  private intent(msg: Extract<ClientMessage, { t: 'intent' }>): void {
    const id = msg.id;
    if (typeof id !== 'number' || typeof msg.name !== 'string') return this.drop('intent without a numeric id and a name');
    const identity = this.identity!;
    this.hub.opts.handle(msg.name, msg.args ?? {}, identity).then(
      (value) => this.send({ t: 'result', id, ok: true, value: value ?? null }),
      (err: unknown) => this.send({ t: 'result', id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private markDirty(topic: TopicName): void {
    this.dirty.add(topic);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    // Socket full: wait for 'drain'; what changes meanwhile only replaces what is pending.
    while (!this.closed && this.dirty.size && !this.socket.writableNeedDrain) {
      const topic = this.dirty.values().next().value as TopicName;
      this.dirty.delete(topic);
      const data = this.hub.topics[topic]!.getSnapshot();
      // The snapshot this console was last sent (a store's notice that came after this socket had
      // read its newest one): nothing to send. Stores publish a new object per change.
      if (this.sentSnap.get(topic) === data) continue;
      this.sentSnap.set(topic, data);
      // A pending approval's one-time code goes only to the run's requester (src/server/topic-views.ts);
      // run output goes as the lines this console has not been sent yet (src/server/output-deltas.ts),
      // the node list as the nodes changed since the last frame (src/server/nodes-deltas.ts), the
      // services as the entries changed since the last frame (src/server/fleet-deltas.ts): nothing
      // when none changed. The seq counts only frames sent (a delta applies on the one before).
      const frame = this.frameOf(topic, data);
      if (frame === undefined) continue;
      const seq = (this.seq.get(topic) ?? 0) + 1;
      this.seq.set(topic, seq);
      this.sendSnapshot(topic, seq, frame);
    }
  }

  private frameOf(topic: TopicName, data: unknown): unknown {
    switch (topic) {
      case 'console':
        return this.deltas.frame(consoleViewFor(data as ConsoleRunsSnapshot, this.identity));
      case 'nodes':
        return this.nodeDeltas.frame(data as NodesSnapshot);
      case 'fleet':
        return this.fleetDeltas.frame(data as FleetSnapshot);
      default:
        return data;
    }
  }

  /** The same bytes as send({t: 'snapshot', …}), with the data serialised once for every console. */
  private sendSnapshot(topic: TopicName, seq: number, data: unknown): void {
    const body = this.hub.encoded(data);
    if (body === undefined) return this.send({ t: 'snapshot', topic, seq, data });
    if (this.closed) return;
    // The frame's head is this console's; the body (the data, `}` and the newline) is shared.
    this.socket.cork();
    this.socket.write(`{"t":"snapshot","topic":${JSON.stringify(topic)},"seq":${seq},"data":`);
    const ok = this.socket.write(body);
    this.socket.uncork();
    if (!ok && this.stalledSince === undefined) this.stalledSince = Date.now();
    if (this.socket.writableLength > this.hub.maxQueueBytes) this.drop(`${Math.round(this.socket.writableLength / 1024)} KB waiting unsent`);
  }

  drop(reason: string): void {
    if (this.closed) return;
    this.hub.opts.log('warn', `dropped ${this.who()}: ${reason}`);
    this.socket.destroy();
    this.dispose();
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    if (this.identity) this.hub.opts.log('info', `detached: ${this.who()}`);
    this.hub.forget(this);
  }
}

export class Connections {
  private readonly server: Server;
  private readonly live = new Set<Connection>();
  private stallTimer?: NodeJS.Timeout;
  /**
   * Each snapshot's JSON, made once however many consoles it goes to (a 10,000-node snapshot is
   * ~1 MB: serialising it per console cost a core at 20 consoles). Keyed by the snapshot object:
   * stores publish a new object per change and never alter one they published (core/store.ts).
   */
  private readonly json = new WeakMap<object, Buffer>();
  readonly stallMs: number;
  readonly maxQueueBytes: number;
  readonly authTimeoutMs: number;
  /** The topics as consoles get them: the fleet's paced (src/server/paced-topic.ts), the others as the stores publish. */
  readonly topics: ConnectionsOptions['topics'];
  private readonly paced?: PacedTopic<FleetSnapshot>;

  constructor(readonly opts: ConnectionsOptions) {
    // The fleet's state transitions go at once (a service going DOWN is not held to the period).
    const fleet = opts.topics.fleet as (Store<FleetSnapshot> & Partial<Pick<FleetStore, 'onTransition'>>) | undefined;
    const transitions = typeof fleet?.onTransition === 'function' ? (go: () => void) => fleet.onTransition!(() => go()) : undefined;
    this.paced = fleet ? new PacedTopic(fleet, opts.fleetFrameMs, undefined, transitions) : undefined;
    this.topics = this.paced ? { ...opts.topics, fleet: this.paced } : opts.topics;
    this.stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    this.maxQueueBytes = opts.maxQueueBytes ?? 64 * 1024 * 1024;
    this.authTimeoutMs = opts.authTimeoutMs ?? 10_000;
    this.server = createServer((socket) => {
      this.live.add(new Connection(socket, this));
    });
  }

  /** `data` as encodeFrame writes it inside a frame, then `}` and the newline; undefined for what is not an object. */
  encoded(data: unknown): Buffer | undefined {
    if (data === null || typeof data !== 'object' || data instanceof Date) return undefined;
    let body = this.json.get(data);
    if (body === undefined) {
      body = Buffer.from(`${encodeSnapshotData(data)}}\n`, 'utf8');
      this.json.set(data, body);
    }
    return body;
  }

  get count(): number {
    return [...this.live].filter((c) => c.identity).length;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.socket, () => {
        this.server.off('error', reject);
        // Every local user may connect (each proves who they are); the folder (0755) guards the name.
        chmodSync(this.opts.socket, 0o666);
        const every = Math.max(50, Math.min(1000, Math.floor(this.stallMs / 4)));
        this.stallTimer = setInterval(() => this.checkStalled(), every);
        this.stallTimer.unref();
        resolve();
      });
    });
  }

  private checkStalled(): void {
    const now = Date.now();
    for (const c of this.live) {
      if (c.stalledSince !== undefined && now - c.stalledSince >= this.stallMs) {
        c.drop(`not reading for ${Math.round((now - c.stalledSince) / 1000)} s (${Math.round(c.socket.writableLength / 1024)} KB waiting unsent)`);
      }
    }
  }

  forget(c: Connection): void {
    this.live.delete(c);
  }

  /** Says goodbye to every console (they reconnect if told the server restarts) and stops listening. */
  async close(reason: string, restarting: boolean): Promise<void> {
    clearInterval(this.stallTimer);
    this.paced?.stop();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of [...this.live]) {
      c.send({ t: 'bye', reason, restarting });
      c.socket.end();
      c.dispose();
    }
    // Bounded: a console that does not read its goodbye does not hold the server up.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const c of [...this.live]) c.socket.destroy();
    try {
      unlinkSync(this.opts.socket);
    } catch {
      // already gone
    }
  }
}
