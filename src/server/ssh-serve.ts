// `serve --ssh`: the host key, the address and the SSH server, started by runServe with the
// server's own parts. Everything that can stop the start (address, host key, port) is checked here.
import type { ServerLog } from './log';
import type { StatusReport } from '../protocol/health';
import { Ticker } from '../core/ticker';
import { loadOrCreateHostKey } from './ssh-hostkey';
import { parseSshAddress, startSshServer, type RunningSshServer } from './ssh-server';
import type { SshServerParts } from './ssh-session';
import { DEFAULT_KEEPALIVE, type SshKeepalive } from './ssh-keepalive';

export interface SshServeOptions {
  flag: string | true;
  /** The host key file (default: ssh_host_ed25519_key in the state folder). */
  hostKeyFile?: string;
  /** Seconds without a key press before a session is closed; 0 never. Default 1800. */
  idleSeconds?: number;
  /** Keepalives to the client (default DEFAULT_KEEPALIVE). */
  keepalive?: SshKeepalive;
  stallMs: number;
  /** The server's parts; `board` is the server's approvals board (consoles on the socket approve through it too). */
  parts: Omit<SshServerParts, 'tick'>;
  status(): Promise<StatusReport>;
  log: ServerLog;
}

export const DEFAULT_SSH_IDLE_S = 1800;

export async function startSshServe(opts: SshServeOptions): Promise<RunningSshServer> {
  const address = parseSshAddress(opts.flag);
  const hostKey = loadOrCreateHostKey(opts.parts.loaded.paths.stateDir, undefined, opts.hostKeyFile);
  const { log } = opts;
  const dir = opts.parts.gate.directory;
  if (!dir.enforced || dir.keyCount === 0) {
    log('warn', `--ssh: no operator in the config has an SSH key (operators.people[].keys or keys_file): every key is refused${dir.enforced && dir.unknownGets === 'viewer' ? ' except as a viewer' : ''}`);
  }
  const tick = new Ticker(1000);
  tick.start();
  let server: RunningSshServer;
  try {
    server = await startSshServer({
      address,
      hostKey,
      parts: { ...opts.parts, tick },
      status: opts.status,
      log,
      idleMs: (opts.idleSeconds ?? DEFAULT_SSH_IDLE_S) * 1000,
      keepalive: opts.keepalive ?? DEFAULT_KEEPALIVE,
      stallMs: opts.stallMs,
    });
  } catch (err) {
    tick.stop();
    throw err;
  }
  log('info', `ssh: listening on ${server.address.host}:${server.address.port}; host key ${hostKey.fingerprint} (${hostKey.created ? 'new, ' : ''}${hostKey.path}) — operators pin it: ${hostKey.publicLine}`);
  return {
    address: server.address,
    sessions: server.sessions,
    async close() {
      await server.close();
      tick.stop();
    },
  };
}
