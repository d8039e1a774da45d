// `serve --ssh ADDR` (R-SSH-1..3): ssh2's Server in the console server's process. Public keys
// only: a key maps to an operator of the config (src/operators); password and
// keyboard-interactive are offered nothing. Each session gets its own screen at the client's
// terminal size: the console for operators and approvers, the wall screen for viewers (and
// `ssh … watch`); `ssh … status [--json]` answers scripts.
//
// Bad clients cost only themselves: unknown keys are refused and logged (rate-limited per
// source address; a source past the limit is cut off at connect for the rest of the window), a
// connection may hold MAX_SESSIONS channels, a session that never asks for a pty is told to use
// `ssh -t`, resize storms are coalesced, a client that stops reading is dropped after stallMs or
// maxBufferedBytes, and a session without a key press for idleMs is closed.
import { parseAddressFlag, type ListenAddress } from './listen-address';
import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, Session } from 'ssh2';
import { UserError } from '../cli/exit';
import type { SshKeepalive } from './ssh-keepalive';
import { fingerprint, keyTypeOfBlob } from '../ssh/known-hosts';
import { describePrincipal, type Principal } from '../operators/directory';
import { authorize } from '../operators/roles';
import { statusReportJson, statusReportText } from '../attach/status-format';
import type { StatusReport } from '../protocol/health';
import type { ServerLog } from './log';
import type { HostKey } from './ssh-hostkey';
import { ChannelTerminal, clampSize } from './ssh-terminal';
import { openConsole, openWallScreen, type ScreenHandle, type SshServerParts } from './ssh-session';

const { Server, utils } = ssh2;

export const DEFAULT_SSH_HOST = '127.0.0.1';
export const DEFAULT_SSH_PORT = 2222;
/** Channels one connection may hold open (a console, a status, a spare). */
export const MAX_SESSIONS = 4;
/** Connections at once, authenticated or not. */
export const MAX_CONNECTIONS = 200;
/** Refused keys per source address per window before the source is cut off at connect. */
export const REFUSALS_PER_WINDOW = 10;
export const REFUSAL_WINDOW_MS = 60_000;
/** Logged refusals per source per window; the rest are counted. */
const LOGGED_PER_WINDOW = 3;
const AUTH_TIMEOUT_MS = 30_000;
const LEAVE_SCREEN = '\x1b[?1049l\x1b[?25h';

export type SshAddress = ListenAddress;

export function parseSshAddress(value: string | true): SshAddress {
  return parseAddressFlag(value, { flag: '--ssh', host: DEFAULT_SSH_HOST, port: DEFAULT_SSH_PORT, minPort: 0, error: (m) => new UserError(m, 2) });
}

export interface SshServerOptions {
  address: SshAddress;
  hostKey: HostKey;
  parts: SshServerParts;
  status(): Promise<StatusReport>;
  log: ServerLog;
  /** A session without a key press for this long is closed (0: never). */
  idleMs: number;
  /** A client that takes nothing for this long is dropped. */
  stallMs: number;
  /** Keepalives after `seconds` of silence; `count` unanswered in a row drop the client. */
  keepalive?: SshKeepalive;
  maxBufferedBytes?: number;
}

export interface RunningSshServer {
  readonly address: SshAddress;
  sessions(): number;
  close(): Promise<void>;
}

interface SourceRecord {
  windowStart: number;
  refused: number;
  logged: number;
  cutOffLogged: boolean;
}

interface LiveSession {
  term?: ChannelTerminal;
  screen?: ScreenHandle;
  lastInput: number;
  channel?: ServerChannel;
  close(reason: string): void;
}

export async function startSshServer(opts: SshServerOptions): Promise<RunningSshServer> {
  const { parts, log } = opts;
  const gate = parts.gate;
  const maxBuffered = opts.maxBufferedBytes ?? 512 * 1024;
  const sources = new Map<string, SourceRecord>();
  const clients = new Set<Connection>();
  const sessions = new Set<LiveSession>();

  const sourceOf = (ip: string): SourceRecord => {
    const now = Date.now();
    let rec = sources.get(ip);
    if (!rec || now - rec.windowStart >= REFUSAL_WINDOW_MS) {
      rec = { windowStart: now, refused: 0, logged: 0, cutOffLogged: false };
      sources.set(ip, rec);
    }
    return rec;
  };

  const refuseKey = (ip: string, what: string) => {
    const rec = sourceOf(ip);
    rec.refused++;
    if (rec.logged < LOGGED_PER_WINDOW) {
      rec.logged++;
      gate.refuse(`REFUSED ssh login from ${ip} - ${what}`);
    } else if (rec.refused === REFUSALS_PER_WINDOW) {
      gate.refuse(`REFUSED ssh logins from ${ip} - ${rec.refused} refused keys within ${REFUSAL_WINDOW_MS / 1000} s; further connections from ${ip} are cut off until the window ends`);
    }
  };

  const ka = opts.keepalive && opts.keepalive.seconds > 0 ? { keepaliveInterval: Math.round(opts.keepalive.seconds * 1000), keepaliveCountMax: opts.keepalive.count } : {};
  const server = new Server({ hostKeys: [opts.hostKey.privateKey], ident: 'doai-console', ...ka }, (client: Connection, info) => {
    const ip = info.ip;
    const rec = sourceOf(ip);
    if (rec.refused >= REFUSALS_PER_WINDOW || clients.size >= MAX_CONNECTIONS) {
      if (clients.size >= MAX_CONNECTIONS) log('warn', `ssh: ${MAX_CONNECTIONS} connections open: refused one from ${ip}`);
      client.on('error', () => undefined);
      client.end();
      return;
    }
    clients.add(client);
    let who: Principal | undefined;
    let open = 0;
    let toldTooMany = false;
    const authTimer = setTimeout(() => {
      if (!who) client.end();
    }, AUTH_TIMEOUT_MS);
    authTimer.unref();
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level !== 'client-timeout' || !opts.keepalive) return;
      // ssh2 ends the connection politely; a client that answers nothing will not finish the
      // close either, so the socket goes now (its sessions end with it).
      log('warn', `ssh: ${who ? describePrincipal(who) : 'a client'} from ${ip}: ${opts.keepalive.count} keepalives in a row unanswered (every ${opts.keepalive.seconds} s) — connection dropped`);
      (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
    });
    client.on('close', () => {
      clearTimeout(authTimer);
      clients.delete(client);
      if (who) log('info', `ssh: ${describePrincipal(who)} from ${ip} disconnected`);
    });

    client.on('authentication', (ctx) => {
      // Public keys only: a password or keyboard-interactive attempt is offered nothing else.
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const blob = ctx.key.data;
      const fp = fingerprint(blob);
      const keyType = keyTypeOfBlob(blob) ?? ctx.key.algo;
      const principal = gate.principal({ kind: 'ssh-key', fingerprint: fp, keyType });
      if (!principal) {
        // Each refusal counts (a query "would this key do?" or a signed attempt sent without one):
        // refused at the query, a client never gets to sign with that key.
        refuseKey(ip, `unknown ${keyType} key ${fp} (user ${JSON.stringify(ctx.username.slice(0, 64))})`);
        return ctx.reject(['publickey']);
      }
      if (ctx.signature && ctx.blob) {
        const parsed = utils.parseKey(`${keyType} ${blob.toString('base64')}`);
        const key = parsed instanceof Error ? undefined : Array.isArray(parsed) ? parsed[0] : parsed;
        const same = key ? timingSafeEqual(key.getPublicSSH(), blob) : false;
        if (!key || !same || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
          refuseKey(ip, `bad signature for ${fp}`);
          return ctx.reject(['publickey']);
        }
        who = principal;
      }
      ctx.accept();
    });

    client.on('ready', () => {
      clearTimeout(authTimer);
      log('info', `ssh: ${describePrincipal(who!)} from ${ip} logged in`);
      client.on('session', (accept, reject) => {
        if (open >= MAX_SESSIONS) {
          // Said once per connection: a client opening channels in a loop does not flood the log.
          if (!toldTooMany) log('warn', `ssh: ${who!.name} from ${ip}: more than ${MAX_SESSIONS} sessions on one connection: refused (and any more on it)`);
          toldTooMany = true;
          return reject();
        }
        open++;
        const session = accept();
        serveSession(session, who!, () => {
          open--;
        });
      });
    });
  });

  function serveSession(session: Session, who: Principal, onClose: () => void): void {
    let pty: { cols: number; rows: number; term: string } | undefined;
    const env: Record<string, string> = {};
    const live: LiveSession = {
      lastInput: Date.now(),
      close(reason) {
        log('info', `ssh: ${who.name}'s session closed: ${reason}`);
        finish(0, reason);
      },
    };
    let finished = false;
    const finish = (code: number, message?: string) => {
      if (finished) return;
      finished = true;
      sessions.delete(live);
      live.screen?.unmount();
      // The client's terminal back to its main screen before any last words.
      if (live.term && !live.term.closed) live.term.send(LEAVE_SCREEN);
      live.term?.close();
      const ch = live.channel;
      if (ch && ch.writable) {
        if (message) ch.write(`\r\n${message}\r\n`);
        try {
          ch.exit(code);
        } catch {
          // the channel is gone already
        }
        ch.end();
      }
      onClose();
    };

    session.on('pty', (accept, _reject, info) => {
      pty = { ...clampSize(info.cols, info.rows), term: info.term };
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      accept?.();
      if (pty) pty = { ...pty, ...clampSize(info.cols, info.rows) };
      live.term?.resize(info.cols, info.rows);
    });
    session.on('env', (accept, reject, info) => {
      // Only what changes how the screen looks; anything else is refused.
      if (['NO_COLOR', 'LANG', 'LC_ALL', 'TERM'].includes(info.key) && String(info.val).length <= 64) {
        env[info.key] = String(info.val);
        accept?.();
      } else reject?.();
    });
    session.on('close', () => finish(0));

    const startScreen = (channel: ServerChannel, kind: 'console' | 'wall') => {
      live.channel = channel;
      if (!pty) {
        channel.stderr.write(`doai-console: the ${kind === 'wall' ? 'wall screen' : 'console'} needs a terminal — connect with ssh -t; for scripts: ssh … status (or status --json)\r\n`);
        return finish(2);
      }
      const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
      const term = new ChannelTerminal(channel, pty, { noColor, maxBufferedBytes: maxBuffered, onOverflow: (why) => drop(why) });
      live.term = term;
      const drop = (why: string) => {
        log('warn', `ssh: dropped ${who.name}'s session: ${why}`);
        finish(0);
        channel.destroy();
      };
      channel.on('data', (d: Buffer) => {
        live.lastInput = Date.now();
        term.input(d);
      });
      sessions.add(live);
      try {
        live.screen = kind === 'console' ? openConsole(parts, who, term, env) : openWallScreen(parts, who, term, env);
      } catch (err) {
        log('error', `ssh: ${who.name}'s ${kind} failed to start: ${(err as Error).message}`);
        return finish(1, 'doai-console: the screen failed to start (see the server log)');
      }
      live.screen.waitUntilExit().then(
        (code) => finish(code),
        (err: unknown) => {
          log('error', `ssh: ${who.name}'s ${kind} stopped on an error: ${(err as Error)?.stack ?? String(err)}`);
          finish(1, 'doai-console: the screen stopped on an internal error (see the server log)');
        },
      );
    };

    session.on('shell', (accept) => {
      const channel = accept();
      // A viewer gets the wall screen: there is nothing on the console it could do.
      startScreen(channel, who.roles.has('operator') || who.roles.has('approver') ? 'console' : 'wall');
    });

    session.on('exec', (accept, _reject, info) => {
      const channel = accept();
      live.channel = channel;
      const argv = info.command.trim().split(/\s+/).filter(Boolean);
      const cmd = argv.join(' ');
      if (cmd === 'watch') return startScreen(channel, 'wall');
      if (cmd === 'console') return startScreen(channel, 'console');
      if (cmd === 'status' || cmd === 'status --json') {
        const d = authorize(who, 'status');
        if (!d.ok) {
          gate.refuse(d.audit);
          channel.stderr.write(`doai-console: ${d.reason}\n`);
          return finish(2);
        }
        opts.status().then(
          (report) => {
            channel.write(cmd === 'status' ? statusReportText(report) : statusReportJson(report));
            finish(report.healthy ? 0 : 1);
          },
          (err: unknown) => {
            channel.stderr.write(`doai-console: status failed: ${(err as Error).message}\n`);
            finish(1);
          },
        );
        return;
      }
      channel.stderr.write(`doai-console: unknown command "${cmd.slice(0, 80)}" — over SSH: no command (the console), watch, console, status, status --json\n`);
      finish(2);
    });
  }

  // Stalled clients and idle sessions.
  const every = Math.max(50, Math.min(1000, Math.floor(Math.min(opts.stallMs, opts.idleMs || Infinity) / 4)));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const s of [...sessions]) {
      const t = s.term;
      const since = t?.stalled();
      if (t && since !== undefined && now - since >= opts.stallMs) {
        log('warn', `ssh: dropped a session: not reading for ${Math.round((now - since) / 1000)} s (${Math.round(t.buffered / 1024)} KB waiting unsent)`);
        s.close('not reading');
        s.channel?.destroy();
      } else if (opts.idleMs > 0 && now - s.lastInput >= opts.idleMs) {
        s.close(`idle for ${Math.round((now - s.lastInput) / 1000)} s`);
      }
    }
  }, every);
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UserError(`--ssh: cannot listen on ${opts.address.host}:${opts.address.port} (${err.code ?? err.message})${err.code === 'EADDRINUSE' ? ' — another process uses that port; give another one' : ''}`, 1)),
    );
    server.listen(opts.address.port, opts.address.host, () => resolve());
  });
  const bound = server.address() as { address: string; port: number };
  const address = { host: opts.address.host, port: bound.port };

  return {
    address,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweep);
      for (const s of [...sessions]) s.close('server stopping');
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const c of [...clients]) c.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      for (const c of [...clients]) (c as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
    },
  };
}
