// The RemoteShell over ssh2: one cached connection per host, host keys checked against
// known_hosts (ssh2 itself accepts any key), output streamed line by line, and a timed-out or
// cancelled command really ended on the host.
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { AgentAuthMethod, ClientChannel, ConnectConfig, ParsedKey, PublicKeyAuthMethod, Client as SshClient } from 'ssh2';

type AuthMethod = AgentAuthMethod | PublicKeyAuthMethod;

type Client = SshClient;
// ssh2 costs ~100 ms to load and the console's first frame needs no host: load it on first use.
// It is CommonJS and stays outside the bundle (native addons): Node's ESM loader cannot see its
// named exports, so take them from the default export.
type Ssh2 = typeof import('ssh2');
let ssh2Loading: Promise<Ssh2> | undefined;
function loadSsh2(): Promise<Ssh2> {
  ssh2Loading ??= import('ssh2').then((m) => (m as unknown as { default?: Ssh2 }).default ?? m);
  return ssh2Loading;
}
import type { HostConfig } from '../config/schema';
import type { OutputStream } from '../runbook/events';
import {
  appendKnownHost,
  checkHostKey,
  expandHome,
  fingerprint,
  hostKeyAlgorithms,
  keyTypeOfBlob,
  knownHostsList,
  knownKeyTypes,
  readKnownHosts,
  type HostKeyCheck,
} from './known-hosts';
import { acceptNewCommand, acceptsUnknownKey, hostKeyRefusal } from './host-trust';
import { identityPublicKey, PASSPHRASE_ATTEMPTS, preferKey, type PassphraseAsker } from './identity';
import { LineSplitter } from './line-splitter';
import { killCommand, parsePidLine, wrapCommand } from './process-group';
import { SshError, type ExecOptions, type ExecResult, type RemoteShell, type TrustFailure } from './types';

export interface SshShellOptions {
  hosts: HostConfig[];
  /** Used for hosts without their own `known_hosts`. */
  knownHostsPath: string;
  /** Trust and record keys of hosts not yet in known_hosts. Never overrides a changed key. */
  acceptNew?: boolean;
  /** Keepalive interval; a dead link is noticed after about 3 intervals. Default 5000. */
  keepaliveMs?: number;
  /** TCP connect + handshake + auth, per hop. Default 10000. */
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Asked for an encrypted identity file's passphrase when the agent (if any) did not log in;
   * absent where nobody can answer (no terminal): the login then fails saying what to do.
   */
  passphrase?: PassphraseAsker;
  /**
   * How a timed-out or cancelled command is ended. 'process-group' wraps each command so it
   * reports its pid, and kills its process group with a second command; 'signal' only sends the
   * SSH signal request and closes the channel. 'auto' (default) is 'process-group' except for
   * servers built on the ssh2 package (ident `ssh2js…`): those are simulated hosts (tests, the
   * demo fleet) without a POSIX sh, which honour the signal request.
   */
  killMode?: 'auto' | 'process-group' | 'signal';
  /** The config's path, so a refused host key's advice names it (`check --accept-new --config …`). */
  configPath?: string;
  /** Told when acceptNew recorded a key, so `check` can say so. */
  onHostKeyAdded?: (info: { host: string; address: string; port: number; fingerprint: string; path: string }) => void;
}

export type ProbeResult = { ok: true } | { ok: false; error: string; kind: SshError['kind']; trust?: TrustFailure };

export interface SshShell extends RemoteShell {
  probe(host: string, timeoutMs: number): Promise<ProbeResult>;
  /** Opens (or reuses) the cached connection; rejects with an SshError in words. */
  connect(host: string): Promise<void>;
  /** Whether a live cached connection to the host exists. */
  isConnected(host: string): boolean;
}

/** Upper bound on ending a command: the group kill waits up to ~2 s between TERM and KILL. */
const KILL_GRACE_MS = 5000;
/** How long a just-started command may take to report its pid before we end it without. */
const PID_WAIT_MS = 1000;



interface HopAuth {
  username: string;
  methods: AuthMethod[];
  /** An encrypted identity file to unlock if the agent does not get in. */
  locked?: { path: string; text: Buffer };
}

/** The login failed with the agent alone; the identity file is still locked. */
class LockedIdentity extends SshError {
  constructor(
    cause: SshError,
    readonly identity: { path: string; text: Buffer },
  ) {
    super(cause.message, cause.kind);
  }
}

interface Connection {
  client: Client;
  closed: boolean;
  /** The server's software version from its ident line, e.g. "OpenSSH_9.2p1". */
  remoteSoftware?: string;
  /** Ends this connection and the jump connections it owns (fresh chains only). */
  end(): void;
}

export function createSshShell(opts: SshShellOptions): SshShell {
  const env = opts.env ?? process.env;
  const keepaliveMs = opts.keepaliveMs ?? 5000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const killMode = opts.killMode ?? 'auto';
  const hostsByName = new Map(opts.hosts.map((h) => [h.name, h]));
  const cache = new Map<string, Promise<Connection>>();
  /** Decrypted identity files by path, for this shell's later logins (never the passphrase). */
  const unlocked = new Map<string, ParsedKey>();
  const unlocking = new Map<string, Promise<ParsedKey>>();
  /** Passphrase questions open now: a person is typing, and no timeout counts that time. */
  let asking = 0;

  /**
   * setTimeout whose time does not run while the operator is being asked for a passphrase: when
   * it is due during a question it waits for the answer, then runs its whole delay again.
   */
  function operatorTimer(fn: () => void, ms: number): NodeJS.Timeout {
    const handle = setTimeout(function due() {
      if (asking > 0) handle.refresh();
      else fn();
    }, ms);
    return handle;
  }
  const fresh = new Set<Connection>();
  const connectedNow = new Set<string>();
  let shellClosed = false;

  function lookup(name: string): HostConfig {
    const host = hostsByName.get(name);
    if (!host) {
      const known = [...hostsByName.keys()].join(', ') || 'none';
      throw new SshError(`no host named "${name}" in the config (hosts: ${known}); add it under hosts:`, 'config');
    }
    return host;
  }

  /** The host, after checking its jump chain names known hosts and does not loop. */
  function resolveHost(name: string): HostConfig {
    const host = lookup(name);
    const chain = [host.name];
    for (let hop = host; hop.jump !== undefined; ) {
      if (chain.includes(hop.jump)) {
        throw new SshError(`jump hosts form a loop: ${[...chain, hop.jump].join(' -> ')}; fix jump: in the config`, 'config');
      }
      chain.push(hop.jump);
      hop = lookup(hop.jump);
    }
    return host;
  }

  /** An agent for the socket that offers the identity file's key first, as OpenSSH does. */
  async function agentFor(sock: string, first: Buffer | undefined): Promise<string | InstanceType<Ssh2['OpenSSHAgent']>> {
    if (!first) return sock;
    const { OpenSSHAgent } = await loadSsh2();
    const agent = new OpenSSHAgent(sock);
    const list = agent.getIdentities.bind(agent);
    agent.getIdentities = (cb) => list((err, keys) => (err ? cb(err) : cb(undefined, preferKey((keys ?? []) as ParsedKey[], first))));
    return agent;
  }

  /**
   * How one hop logs in, in OpenSSH's order: the agent's keys (the identity file's own first),
   * then the identity file. An encrypted file the agent did not get us in with is `locked`: the
   * caller asks for its passphrase and connects again (never while a login timer runs).
   */
  async function authFor(host: HostConfig): Promise<HopAuth> {
    const username = host.user;
    const methods: AuthMethod[] = [];
    let identity: { path: string; text: Buffer; publicBlob?: Buffer; encrypted: boolean } | undefined;
    if (host.identity_file) {
      const path = expandHome(host.identity_file);
      let text: Buffer;
      try {
        text = readFileSync(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new SshError(`cannot read identity file ${path} for host ${host.name} (${code}); fix identity_file in the config`, 'config');
      }
      const { utils } = await loadSsh2();
      const parsed = utils.parseKey(text);
      const encrypted = parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message);
      if (parsed instanceof Error && !encrypted) {
        throw new SshError(
          `identity file ${path} for host ${host.name} is not a private key this tool can read (${parsed.message}); point identity_file at an OpenSSH or PEM private key`,
          'config',
        );
      }
      identity = { path, text, publicBlob: identityPublicKey(path, text), encrypted };
    }
    const sock = host.agent || !identity ? env.SSH_AUTH_SOCK : undefined;
    if (!sock && !identity) {
      throw new SshError(
        `host ${host.name} has no identity_file and SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add a key, or set identity_file`,
        'auth',
      );
    }
    if (sock) methods.push({ type: 'agent', username, agent: await agentFor(sock, identity?.publicBlob) });
    if (!identity) return { username, methods };
    const key = identity.encrypted ? unlocked.get(identity.path) : identity.text;
    if (key) methods.push({ type: 'publickey', username, key });
    else if (sock) return { username, methods, locked: identity };
    else methods.push({ type: 'publickey', username, key: await unlock(host, identity.path, identity.text, false) });
    return { username, methods };
  }

  /**
   * Decrypts an identity file with a passphrase asked for now (the terminal, or the console's
   * masked prompt). The decrypted key is kept for this shell's connections, the passphrase nowhere.
   */
  function unlock(host: HostConfig, path: string, text: Buffer, agentTried: boolean): Promise<ParsedKey> {
    const done = unlocked.get(path);
    if (done) return Promise.resolve(done);
    const pending = unlocking.get(path);
    if (pending) return pending;
    const attempt = (async (): Promise<ParsedKey> => {
      const why = agentTried ? 'and the ssh-agent did not log in with it' : 'and no ssh-agent is in use for this host';
      if (!opts.passphrase) {
        throw new SshError(
          `identity file ${path} for host ${host.name} is encrypted (passphrase-protected) ${why}; no terminal here to ask for the passphrase: load it with \`ssh-add ${path}\` and set agent: true, or run on a terminal`,
          'auth',
        );
      }
      const { utils } = await loadSsh2();
      for (let n = 1; n <= PASSPHRASE_ATTEMPTS; n++) {
        asking++;
        let pass: string | undefined;
        try {
          pass = await opts.passphrase({ host: host.name, path, attempt: n });
        } finally {
          asking--;
        }
        if (pass === undefined) throw new SshError(`no passphrase given for identity file ${path} (host ${host.name}); nothing was run`, 'auth');
        const key = utils.parseKey(text, pass);
        if (!(key instanceof Error)) {
          unlocked.set(path, key);
          return key;
        }
      }
      throw new SshError(`wrong passphrase for identity file ${path} (host ${host.name}), ${PASSPHRASE_ATTEMPTS} times; nothing was run`, 'auth');
    })();
    unlocking.set(path, attempt);
    const clear = (): void => void unlocking.delete(path);
    attempt.then(clear, clear);
    return attempt;
  }

  function knownHostsFor(host: HostConfig): string[] {
    return knownHostsList(host.known_hosts ?? opts.knownHostsPath);
  }

  function offeredHostKeyAlgorithms(host: HostConfig): string[] {
    let types: string[] = [];
    try {
      types = knownKeyTypes(readKnownHosts(knownHostsFor(host)), host.address, host.port);
    } catch {
      // unreadable: verifyHostKey says so
    }
    return hostKeyAlgorithms(types);
  }

  /** Decides on a presented host key; returns the refusal, if any. */
  function verifyHostKey(host: HostConfig, key: Buffer): SshError | undefined {
    const files = knownHostsFor(host);
    const path = files[0]!;
    const keyType = keyTypeOfBlob(key) ?? 'unknown';
    const fp = fingerprint(key);
    let check: HostKeyCheck;
    try {
      check = checkHostKey(files, host.address, host.port, keyType, key);
    } catch (err) {
      return new SshError(`cannot read known_hosts ${files.join(' ')} (${(err as Error).message}); fix its permissions`, 'config');
    }
    if (check.status === 'unknown' && acceptsUnknownKey(host.strict_host_key_checking, opts.acceptNew === true)) {
      try {
        appendKnownHost(path, host.address, host.port, keyType, key);
      } catch (err) {
        return new SshError(
          `cannot record the key of ${host.name} (${fp}) in ${path} (${(err as Error).message}); fix the file's permissions`,
          'config',
        );
      }
      opts.onHostKeyAdded?.({ host: host.name, address: host.address, port: host.port, fingerprint: fp, path });
      return undefined;
    }
    return hostKeyRefusal(
      { host: host.name, address: host.address, port: host.port, knownHosts: path, keyType, fingerprint: fp, acceptCommand: acceptNewCommand(opts.configPath), strict: host.strict_host_key_checking },
      check,
    );
  }

  /** Connects one hop; `sock` is a forwarded stream through a jump host. */
  async function connectHop(host: HostConfig, sock?: Duplex): Promise<Client> {
    const auth = await authFor(host);
    const { Client } = await loadSsh2();
    const where = `${host.address}:${host.port}`;
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyError: SshError | undefined;
      let settled = false;
      const fail = (err: SshError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.end();
        client.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new SshError(`timeout: ${host.name} (${where}) did not complete SSH login within ${connectTimeoutMs} ms; check the host is up and the address is right`, 'timeout')),
        connectTimeoutMs,
      );
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        const e = hostKeyError ?? describeError(err, host);
        // The agent did not get in: the caller unlocks the identity file and tries once more.
        fail(auth.locked && e.kind === 'auth' ? new LockedIdentity(e, auth.locked) : e);
      });
      client.on('close', () =>
        fail(hostKeyError ?? new SshError(`${host.name} (${where}) closed the connection during login; check sshd on the host`, 'other')),
      );
      try {
        client.connect({
          host: host.address,
          port: host.port,
          ...(sock ? { sock } : {}),
          username: auth.username,
          authHandler: auth.methods,
          readyTimeout: connectTimeoutMs,
          keepaliveInterval: keepaliveMs,
          keepaliveCountMax: 3,
          algorithms: { serverHostKey: offeredHostKeyAlgorithms(host) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
          hostVerifier: (key: Buffer) => {
            hostKeyError = verifyHostKey(host, key);
            return hostKeyError === undefined;
          },
        });
      } catch (err) {
        fail(new SshError(`cannot start SSH to ${host.name}: ${(err as Error).message}`, 'config'));
      }
    });
  }

  /** Opens a connection through the host's jump chain. Cached chains share jump connections. */
  async function openConnection(host: HostConfig, cached: boolean, chain: string[]): Promise<Connection> {
    if (chain.includes(host.name)) {
      throw new SshError(`jump hosts form a loop: ${[...chain, host.name].join(' -> ')}; fix jump: in the config`, 'config');
    }
    let jump: Connection | undefined;
    let sock: Duplex | undefined;
    if (host.jump) {
      const jumpHost = lookup(host.jump);
      jump = cached ? await liveConnection(jumpHost, [...chain, host.name]) : await openConnection(jumpHost, false, [...chain, host.name]);
      try {
        sock = await forwardOut(jump.client, host);
      } catch (err) {
        if (!cached) jump.end();
        throw err;
      }
    }
    let client: Client;
    try {
      try {
        client = await connectHop(host, sock);
      } catch (err) {
        if (!(err instanceof LockedIdentity)) throw err;
        // OpenSSH's order: the agent first, then the file, asking for its passphrase now.
        await unlock(host, err.identity.path, err.identity.text, true);
        sock = jump ? await forwardOut(jump.client, host) : undefined;
        client = await connectHop(host, sock);
      }
    } catch (err) {
      if (jump && !cached) jump.end();
      throw err;
    }
    const conn: Connection = {
      client,
      closed: false,
      // ssh2 keeps the peer's ident in a private field; absent, we treat the host as POSIX.
      remoteSoftware: (client as unknown as { _remoteVer?: string })._remoteVer,
      end: () => {
        client.end();
        if (jump && !cached) jump.end();
      },
    };
    const onGone = (): void => {
      conn.closed = true;
      if (jump && !cached) jump.end();
    };
    // After login an error only means the link is gone; exec calls see their channel close.
    client.on('error', onGone);
    client.on('close', onGone);
    return conn;
  }

  function forwardOut(jumpClient: Client, host: HostConfig): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      jumpClient.forwardOut('127.0.0.1', 0, host.address, host.port, (err, stream) => {
        if (err) {
          reject(
            new SshError(
              `jump host ${host.jump} could not reach ${host.name} at ${host.address}:${host.port} (${err.message}); check the address and that the jump host allows TCP forwarding`,
              'unreachable',
            ),
          );
        } else resolve(stream);
      });
    });
  }

  function cachedConnection(host: HostConfig, chain: string[] = []): Promise<Connection> {
    const existing = cache.get(host.name);
    if (existing) return existing;
    if (shellClosed) return Promise.reject(new SshError('the SSH shell was closed', 'other'));
    const pending = openConnection(host, true, chain).then((conn) => {
      connectedNow.add(host.name);
      const drop = (): void => {
        connectedNow.delete(host.name);
        if (cache.get(host.name) === pending) cache.delete(host.name);
      };
      conn.client.on('close', drop);
      conn.client.on('error', drop);
      if (shellClosed) conn.end();
      return conn;
    });
    cache.set(host.name, pending);
    // A failed attempt is not cached: the next call tries again.
    pending.catch(() => {
      if (cache.get(host.name) === pending) cache.delete(host.name);
    });
    return pending;
  }

  async function liveConnection(host: HostConfig, chain: string[] = []): Promise<Connection> {
    const conn = await cachedConnection(host, chain);
    if (!conn.closed) return conn;
    cache.delete(host.name);
    return cachedConnection(host, chain);
  }

  const exitStatus = new WeakMap<ClientChannel, { code: number | null; signal?: string }>();

  function openExecChannel(conn: Connection, command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        conn.client.exec(command, (err, channel) => {
          if (err) return reject(err);
          // ssh2 parses every packet of a TCP read synchronously: the exec reply, the output and
          // the exit status of a quick command can arrive together, and 'exit' fires before a
          // listener attached after this promise resolves. Record it now.
          channel.on('exit', (code: number | null, signal?: string) => {
            exitStatus.set(channel, { code: typeof code === 'number' ? code : null, ...(signal ? { signal } : {}) });
          });
          resolve(channel);
        });
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  function wrapsCommands(conn: Connection): boolean {
    if (killMode === 'process-group') return true;
    if (killMode === 'signal') return false;
    return !/^ssh2js/i.test(conn.remoteSoftware ?? '');
  }

  /** Opens the exec channel; undefined when the caller gave up before anything was sent. */
  async function startCommand(
    host: HostConfig,
    command: string,
    gaveUp: () => boolean,
  ): Promise<{ conn: Connection; channel: ClientChannel; wrapped: boolean } | undefined> {
    for (let attempt = 0; ; attempt++) {
      const conn = await liveConnection(host);
      // A command timed out or cancelled while connecting must never start afterwards.
      if (gaveUp()) return undefined;
      const wrapped = wrapsCommands(conn);
      try {
        return { conn, channel: await openExecChannel(conn, wrapped ? wrapCommand(command) : command), wrapped };
      } catch (err) {
        // "Not connected" is thrown before anything is sent: the link died unnoticed, and a
        // retry cannot run the command twice. Any later failure might have reached the host.
        if (attempt === 0 && /not connected/i.test((err as Error).message)) {
          if (cache.has(host.name)) cache.delete(host.name);
          conn.end();
          continue;
        }
        throw new SshError(`${host.name} did not run the command (${(err as Error).message}); check sshd limits (MaxSessions) and retry`, 'other');
      }
    }
  }

  /** Runs the kill command for a wrapped command's process group; never rejects. */
  async function killGroup(conn: Connection, pid: number): Promise<void> {
    try {
      const channel = await openExecChannel(conn, killCommand(pid));
      await new Promise<void>((resolve) => {
        channel.resume();
        channel.stderr.resume();
        channel.on('close', () => resolve());
      });
    } catch {
      // The link is gone: nothing more can be done from here; the caller reports the timeout.
    }
  }

  function exec(hostName: string, command: string, execOpts: ExecOptions): Promise<ExecResult> {
    let host: HostConfig;
    try {
      host = resolveHost(hostName);
    } catch (err) {
      return Promise.reject(err);
    }
    if (execOpts.signal?.aborted) return Promise.resolve({ code: null, cancelled: true });

    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let conn: Connection | undefined;
      let ending: 'timeout' | 'abort' | undefined;
      let exit: { code: number | null; signal?: string } | undefined;
      let settled = false;
      let channelClosed = false;
      let killDone = false;
      let pid: number | undefined;
      let firstStdoutLine = true;
      let wrapped = false;
      let onPid: (() => void) | undefined;
      const timers: NodeJS.Timeout[] = [];

      const out = new LineSplitter((line) => {
        if (wrapped && firstStdoutLine) {
          firstStdoutLine = false;
          const found = parsePidLine(line);
          if (found !== undefined) {
            pid = found;
            onPid?.();
            return;
          }
        }
        emit('stdout', line);
      });
      const err = new LineSplitter((line) => emit('stderr', line));

      function emit(stream: OutputStream, line: string): void {
        if (settled) return; // the caller has its answer; a late channel's output is not theirs
        try {
          execOpts.onLine(stream, line);
        } catch {
          // A consumer's bug must not leave the remote command unattended.
        }
      }

      function finish(): void {
        if (settled) return;
        out.flush();
        err.flush();
        settled = true;
        for (const t of timers) clearTimeout(t);
        execOpts.signal?.removeEventListener('abort', onAbort);
        if (ending === 'timeout') resolve({ code: null, timedOut: true });
        else if (ending === 'abort') resolve({ code: null, cancelled: true });
        else if (exit) resolve({ code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}) });
        else resolve({ code: null, ...(conn?.closed ? { lostConnection: true } : {}) });
      }

      function maybeFinish(): void {
        if (!ending) finish();
        else if (channelClosed && killDone) finish();
      }

      // Ends the remote command: the signal request (honoured by OpenSSH for non-root
      // sessions), a group kill by pid, and closing the channel.
      function stopRemote(): void {
        const ch = channel!;
        try {
          ch.signal('KILL');
        } catch {
          // channel already closing
        }
        timers.push(setTimeout(finish, KILL_GRACE_MS));
        let killing = false;
        const killAndClose = (): void => {
          if (killing) return;
          killing = true;
          onPid = undefined;
          if (pid !== undefined && conn) {
            void killGroup(conn, pid).then(() => {
              killDone = true;
              maybeFinish();
            });
          } else {
            killDone = true;
          }
          ch.close();
          maybeFinish();
        };
        if (wrapped && pid === undefined && !channelClosed) {
          // The pid line may still be on its way (the command has only just started).
          onPid = killAndClose;
          timers.push(setTimeout(killAndClose, PID_WAIT_MS));
        } else {
          killAndClose();
        }
      }

      function end(why: 'timeout' | 'abort'): void {
        if (settled || ending) return;
        ending = why;
        // Without a channel yet we answer now; a channel that opens later is ended on arrival,
        // and a connection still being made opens none (startCommand checks `ending`).
        if (!channel) finish();
        else stopRemote();
      }

      function onAbort(): void {
        end('abort');
      }

      timers.push(operatorTimer(() => end('timeout'), execOpts.timeoutMs));
      execOpts.signal?.addEventListener('abort', onAbort, { once: true });

      startCommand(host, command, () => ending !== undefined).then(
        (started) => {
          if (!started) {
            finish();
            return;
          }
          conn = started.conn;
          channel = started.channel;
          wrapped = started.wrapped;
          channel.on('data', (chunk: Buffer) => out.push(chunk));
          channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
          exit = exitStatus.get(channel);
          channel.on('exit', (code: number | null, signal?: string) => {
            exit = { code: typeof code === 'number' ? code : null, ...(signal ? { signal } : {}) };
          });
          const onConnGone = (): void => {
            // The channel closes with the connection; finish() then reports lostConnection.
            killDone = true;
            setImmediate(finish);
          };
          conn.client.once('close', onConnGone);
          channel.on('close', () => {
            channelClosed = true;
            conn?.client.removeListener('close', onConnGone);
            if (ending && onPid) onPid();
            maybeFinish();
          });
          // Timed out or cancelled while the exec request was in flight: the command may
          // already run on the host (we may even have answered already), so end it now.
          if (ending) stopRemote();
        },
        (error: unknown) => {
          if (settled) return;
          if (ending) {
            finish();
            return;
          }
          settled = true;
          for (const t of timers) clearTimeout(t);
          execOpts.signal?.removeEventListener('abort', onAbort);
          reject(error instanceof SshError ? error : new SshError(String((error as Error)?.message ?? error), 'other'));
        },
      );
    });
  }

  async function probe(hostName: string, timeoutMs: number): Promise<ProbeResult> {
    let conn: Connection | undefined;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const release = (): void => {
      if (!conn) return;
      conn.end();
      fresh.delete(conn);
    };
    const attempt = (async (): Promise<ProbeResult> => {
      const host = resolveHost(hostName);
      conn = await openConnection(host, false, []);
      fresh.add(conn);
      // Connected only after the caller gave up: nobody is waiting for the session.
      if (done) throw new SshError('probe abandoned', 'timeout');
      const channel = await openExecChannel(conn, 'true');
      return new Promise<ProbeResult>((resolve) => {
        channel.resume();
        channel.stderr.resume();
        channel.on('close', () => resolve({ ok: true }));
      });
    })();
    const timeout = new Promise<ProbeResult>((resolve) => {
      timer = operatorTimer(
        () => resolve({ ok: false, error: `timeout: ${hostName} did not accept an SSH session within ${timeoutMs} ms`, kind: 'timeout' }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([
        attempt.catch((err: unknown): ProbeResult => {
          const e = err instanceof SshError ? err : new SshError((err as Error).message, 'other');
          return { ok: false, error: e.message, kind: e.kind, ...(e.trust ? { trust: e.trust } : {}) };
        }),
        timeout,
      ]);
    } finally {
      done = true;
      clearTimeout(timer);
      release();
      // A connection still being made when the timeout hit is ended once it settles.
      attempt.then(release, release);
    }
  }

  return {
    exec,
    probe,
    async connect(hostName: string): Promise<void> {
      await liveConnection(resolveHost(hostName));
    },
    waitingForOperator(): boolean {
      return asking > 0;
    },
    isConnected(hostName: string): boolean {
      return connectedNow.has(hostName);
    },
    close(): void {
      shellClosed = true;
      for (const pending of cache.values()) pending.then((c) => c.end(), () => undefined);
      cache.clear();
      for (const conn of fresh) conn.end();
      fresh.clear();
    },
  };
}

/** Turns a socket or ssh2 error into words an operator can act on. */
export function describeError(err: Error & { level?: string; code?: string }, host: HostConfig): SshError {
  const where = `${host.address}:${host.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new SshError(`connection refused by ${where} (host ${host.name}); is sshd running and is the port right?`, 'refused');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SshError(`DNS: ${host.address} not found (host ${host.name}); check the address in the config`, 'unreachable');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SshError(`no route to ${where} (host ${host.name}); check the network or VPN`, 'unreachable');
    case 'ETIMEDOUT':
      return new SshError(`timeout connecting to ${where} (host ${host.name}); check the host is up and not firewalled`, 'timeout');
    case 'ECONNRESET':
      return new SshError(`connection to ${where} was reset (host ${host.name}); check sshd on the host`, 'other');
  }
  if (err.level === 'client-authentication') {
    return new SshError(
      `authentication failed for ${host.user}@${where} (host ${host.name}); check user, identity_file or the keys in your ssh-agent, and the host's authorized_keys`,
      'auth',
    );
  }
  if (err.level === 'client-timeout') {
    return new SshError(`timeout: ${where} (host ${host.name}) did not finish the SSH handshake; check the host is up`, 'timeout');
  }
  if (/agent/i.test(err.message)) {
    return new SshError(`ssh-agent failed for host ${host.name} (${err.message}); check SSH_AUTH_SOCK`, 'auth');
  }
  return new SshError(`SSH to ${host.name} (${where}) failed: ${err.message}`, 'other');
}
