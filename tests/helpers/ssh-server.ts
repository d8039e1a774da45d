// A scriptable SSH host for tests: the ssh2 package's Server on 127.0.0.1:0 with a generated
// ed25519 host key, public-key auth for one generated client key, exec handlers per test, and
// direct-tcpip forwarding to loopback (so it can serve as a jump host).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { Server, utils, type Connection, type ServerChannel } from 'ssh2';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { PID_MARKER, parseKillCommand, unwrapCommand } from '../../src/ssh/process-group';

export interface ExecRecord {
  /** The command as the shell meant it (unwrapped from the process-group wrapper). */
  command: string;
  /** What arrived on the wire. */
  rawCommand: string;
  /** The fake pid announced for a wrapped command. */
  pid?: number;
  /** True once a group-kill command for this pid arrived. */
  groupKilled: boolean;
  /** Signal names the client sent on this channel (e.g. 'KILL'). */
  signals: string[];
  /** True once the channel closed, whoever closed it. */
  closed: boolean;
  /** True if the client closed the channel before the handler called exit(). */
  closedByClient: boolean;
  exited: boolean;
}

export interface ExecContext {
  command: string;
  record: ExecRecord;
  channel: ServerChannel;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Sends exit-status and closes the channel. No-op if the client already closed it. */
  exit(code: number): void;
  /** Resolves when the channel closes (client closed, signal, or exit). */
  closed: Promise<void>;
  /** Waits ms, or less if the channel closes first. Returns false if it closed. */
  sleep(ms: number): Promise<boolean>;
}

export type ExecHandler = (ctx: ExecContext) => void | Promise<void>;

export interface TestSshServer {
  host: '127.0.0.1';
  port: number;
  /** The host key as an OpenSSH public key line ("ssh-ed25519 AAAA..."). */
  hostKeyPublic: string;
  hostKeyType: string;
  hostKeyBlob: Buffer;
  /** Path of the client's private key (0600), in a temp dir removed by close(). */
  clientKeyPath: string;
  clientKey: { private: string; public: string };
  /** `[127.0.0.1]:port ssh-ed25519 AAAA...` ready for a known_hosts file. */
  knownHostsLine: string;
  dir: string;
  execs: ExecRecord[];
  /** Pids named by group-kill commands, in arrival order. */
  kills: number[];
  /** Number of SSH connections that completed authentication. */
  authenticatedConnections(): number;
  /** Drops every client connection abruptly (simulates a dead link). */
  dropConnections(): void;
  setExecHandler(handler: ExecHandler): void;
  close(): Promise<void>;
}

export interface TestSshServerOptions {
  onExec?: ExecHandler;
  /** An OpenSSH private host key; a new ed25519 key by default. */
  hostKeyPrivate?: string;
  /** Reuse a client key pair (e.g. to share one identity between a jump host and a target). */
  clientKey?: { private: string; public: string };
  /** Encrypt the client key file with this passphrase. */
  clientKeyPassphrase?: string;
  /** Reject every authentication attempt. */
  rejectAuth?: boolean;
  /**
   * Understand the shell's process-group wrapper (announce a pid, honour group kills), as a
   * POSIX host does. Default true; false behaves like a server that runs commands verbatim.
   */
  wrapAware?: boolean;
  /** Delay before accepting an authenticated login (to cancel while connecting). */
  authDelayMs?: number;
  /** Delay before accepting an exec request (to cancel while the request is in flight). */
  execAcceptDelayMs?: number;
}

export async function startTestSshServer(options: TestSshServerOptions = {}): Promise<TestSshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'doai-ssh-test-'));
  const hostKeyPrivate = options.hostKeyPrivate ?? generateEd25519KeyPair().private;
  const hostParsed = utils.parseKey(hostKeyPrivate);
  if (hostParsed instanceof Error) throw hostParsed;
  const hostKeyBlob = hostParsed.getPublicSSH();
  const hostKeyType = hostParsed.type;
  const hostKeyPublic = `${hostKeyType} ${hostKeyBlob.toString('base64')}`;

  const clientKeyText =
    options.clientKey ??
    (options.clientKeyPassphrase
      ? generateEd25519KeyPair({ passphrase: options.clientKeyPassphrase })
      : generateEd25519KeyPair());
  const clientPublic = utils.parseKey(clientKeyText.public);
  if (clientPublic instanceof Error) throw clientPublic;
  const clientKeyPath = join(dir, 'id_ed25519');
  writeFileSync(clientKeyPath, clientKeyText.private, { mode: 0o600 });

  let handler: ExecHandler = options.onExec ?? ((ctx) => ctx.exit(0));
  const execs: ExecRecord[] = [];
  const kills: number[] = [];
  const running = new Map<number, { record: ExecRecord; channel: ServerChannel }>();
  let nextPid = 40_000;
  const wrapAware = options.wrapAware ?? true;
  const clients = new Set<Connection>();
  let authenticated = 0;

  const server = new Server({ hostKeys: [hostKeyPrivate] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (options.rejectAuth || ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const wanted = clientPublic.getPublicSSH();
      const sameKey = ctx.key.algo === clientPublic.type && ctx.key.data.length === wanted.length && timingSafeEqual(ctx.key.data, wanted);
      if (!sameKey) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && clientPublic.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return ctx.reject(['publickey']);
      }
      if (options.authDelayMs) setTimeout(() => ctx.accept(), options.authDelayMs);
      else ctx.accept();
    });
    client.on('ready', () => {
      authenticated++;
      client.on('tcpip', (accept, reject, info) => {
        if (info.destIP !== '127.0.0.1' && info.destIP !== 'localhost') return reject();
        const upstream = netConnect(info.destPort, '127.0.0.1');
        upstream.once('error', () => reject());
        upstream.once('connect', () => {
          const channel = accept();
          channel.pipe(upstream).pipe(channel);
          channel.on('close', () => upstream.destroy());
          upstream.on('close', () => channel.close());
          upstream.on('error', () => channel.close());
        });
      });
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let record: ExecRecord | undefined;
        session.on('signal', (accept, _reject, info) => {
          record?.signals.push(info.name);
          accept?.();
        });
        session.on('exec', (accept, _reject, info) => {
          if (options.execAcceptDelayMs) setTimeout(() => onExec(accept, info), options.execAcceptDelayMs);
          else onExec(accept, info);
        });
        const onExec = (accept: () => ServerChannel, info: { command: string }): void => {
          const channel = accept();
          const killPid = wrapAware ? parseKillCommand(info.command) : undefined;
          if (killPid !== undefined) {
            // What `kill -TERM -<pgid>` does on a real host: the whole command ends.
            kills.push(killPid);
            const target = running.get(killPid);
            if (target && !target.record.closed) {
              target.record.groupKilled = true;
              target.channel.exit('TERM', false, '');
              target.channel.end();
            }
            channel.resume();
            channel.exit(0);
            channel.end();
            return;
          }
          const unwrapped = wrapAware ? unwrapCommand(info.command) : undefined;
          const rec: ExecRecord = {
            command: unwrapped ?? info.command,
            rawCommand: info.command,
            groupKilled: false,
            signals: [],
            closed: false,
            closedByClient: false,
            exited: false,
          };
          record = rec;
          execs.push(rec);
          if (unwrapped !== undefined) {
            rec.pid = nextPid++;
            running.set(rec.pid, { record: rec, channel });
            channel.write(`${PID_MARKER} ${rec.pid}\n`);
          }
          let resolveClosed!: () => void;
          const closed = new Promise<void>((r) => (resolveClosed = r));
          channel.on('close', () => {
            if (rec.pid !== undefined) running.delete(rec.pid);
            if (!rec.exited && !rec.groupKilled) rec.closedByClient = true;
            rec.closed = true;
            resolveClosed();
          });
          channel.on('error', () => undefined);
          // Consume stdin: an unread channel never emits 'close' after the client closes it.
          channel.resume();
          const ctx: ExecContext = {
            command: rec.command,
            record: rec,
            channel,
            stdout: (text) => {
              if (!rec.closed) channel.write(text);
            },
            stderr: (text) => {
              if (!rec.closed) channel.stderr.write(text);
            },
            exit: (code) => {
              if (rec.closed || rec.exited) return;
              rec.exited = true;
              channel.exit(code);
              channel.end();
            },
            closed,
            sleep: (ms) =>
              new Promise<boolean>((resolve) => {
                const t = setTimeout(() => resolve(!rec.closed), ms);
                void closed.then(() => {
                  clearTimeout(t);
                  resolve(false);
                });
              }),
          };
          Promise.resolve(handler(ctx)).catch((err: unknown) => {
            ctx.stderr(`test handler failed: ${String(err)}\n`);
            ctx.exit(255);
          });
        };
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    hostKeyPublic,
    hostKeyType,
    hostKeyBlob,
    clientKeyPath,
    clientKey: clientKeyText,
    knownHostsLine: `[127.0.0.1]:${port} ${hostKeyPublic}`,
    dir,
    execs,
    kills,
    authenticatedConnections: () => authenticated,
    dropConnections: () => {
      for (const c of clients) c.end();
    },
    setExecHandler: (h) => {
      handler = h;
    },
    close: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}
