// `doai-console serve` (the built binary) for tests, and a raw protocol client that speaks the
// wire by hand (to send what a real console never would: garbage, 100 MB, forged proofs).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { BIN, waitForProcessesGone } from './cli';
import { serveDemo, type ServedDemo } from './demo-serve';
import { waitUntil } from './wait-until';

export { waitUntil };

export interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  log(): string;
  waitLog(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}


export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): RunningServer {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'pipe' });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    log: () => text,
    waitLog: (re, ms = 20_000) => waitUntil(`server log ${re}\n--- log:\n${text}`, () => re.exec(text), ms),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function startServer(config: string, socket: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const s = spawnServer(['--config', config, '--socket', socket, ...extra], env);
  await Promise.race([s.waitLog(/ serving .* on /), s.exited.then((c) => Promise.reject(new Error(`server exited ${c}: ${s.log()}`)))]);
  return s;
}

export interface RawClient {
  socket: Socket;
  frames: Record<string, unknown>[];
  closed: Promise<void>;
  send(obj: unknown): void;
  next(pred: (f: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

/** Connects and collects frames; does not answer the challenge (see proveAsRoot). */
export function rawClient(path: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const frames: Record<string, unknown>[] = [];
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        frames.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
      }
    });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.once('connect', () =>
      resolve({
        socket,
        frames,
        closed,
        send: (obj) => socket.write(JSON.stringify(obj) + '\n'),
        next: (pred, ms = 10_000) => waitUntil(`a frame (have: ${JSON.stringify(frames).slice(0, 300)})`, () => frames.find(pred), ms),
      }),
    );
    socket.once('error', reject);
  });
}

/** The proof a real console makes, for a raw client running as root (the test process). */
export async function proveAsRoot(c: RawClient, socketPath: string, client?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const hello = await c.next((f) => f.t === 'hello');
  writeFileSync(join(dirname(socketPath), 'auth', String(hello.nonce)), '', { flag: 'wx', mode: 0o600 });
  c.send({ t: 'auth', client: client ?? hello.server });
  return c.next((f) => f.t === 'welcome' || f.t === 'refused');
}

/** The demo fleet served by the built `serve` on a socket in a temp dir, a raw client proved as root on it. */
export interface AttachedDemo {
  demo: ServedDemo;
  /** The temp dir (the socket's folder is in it). */
  base: string;
  socket: string;
  server: RunningServer;
  client: RawClient;
  /** Sends an intent as that client; its result frame. */
  intent(name: string, args: unknown): Promise<Record<string, unknown>>;
  /** Client, server, fleet and temp dir gone. */
  stop(): Promise<void>;
}

export async function attachedDemo(prefix: string, topics: string[]): Promise<AttachedDemo> {
  const demo = await serveDemo();
  const base = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(base, 0o711);
  const socket = join(base, 'run', 'console.sock');
  let server: RunningServer | undefined;
  let client: RawClient | undefined;
  const stop = async () => {
    client?.socket.destroy();
    await server?.stop('SIGTERM');
    await demo.stop();
    await waitForProcessesGone(base);
    rmSync(base, { recursive: true, force: true, maxRetries: 10 });
  };
  try {
    server = await startServer(demo.configPath, socket);
    client = await rawClient(socket);
    const welcome = await proveAsRoot(client, socket);
    if (welcome.t !== 'welcome') throw new Error(`the server did not welcome root: ${JSON.stringify(welcome)}`);
    client.send({ t: 'subscribe', topics });
  } catch (err) {
    await stop();
    throw err;
  }
  const c = client;
  let nextId = 1;
  return {
    demo,
    base,
    socket,
    server,
    client: c,
    intent(name, args) {
      const id = nextId++;
      c.send({ t: 'intent', id, name, args });
      return c.next((f) => f.t === 'result' && f.id === id, 20_000);
    },
    stop,
  };
}
