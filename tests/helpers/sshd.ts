// A real OpenSSH sshd on a loopback port, running as the current user, for tests that must
// prove behaviour against OpenSSH itself (signals, process groups). Everything lives in a temp
// dir removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { requireTools } from './requirements';

export const SSHD_PATH = '/usr/sbin/sshd';

/** Fails the calling suite, saying what to install, without OpenSSH's sshd and ssh-keygen. */
export function requireSshd(): void {
  requireTools([SSHD_PATH, '/usr/bin/ssh-keygen'], 'apt-get install -y openssh-server');
}

export interface RunningSshd {
  port: number;
  user: string;
  dir: string;
  clientKeyPath: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA...` */
  knownHostsLine: string;
  /** sshd's log so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function keygen(path: string): void {
  const r = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'doai-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

async function waitForBanner(port: number, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; attempt < 200 && Date.now() < until; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      const done = (v: boolean): void => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(500, () => done(false));
      sock.once('data', (d) => done(d.toString().startsWith('SSH-')));
      sock.once('error', () => done(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export interface SshdOptions {
  /** Sessions per connection (sshd's MaxSessions; default 20). */
  maxSessions?: number;
  /** More sshd_config lines, e.g. `SetEnv PATH=…` to put stand-ins first on the session PATH. */
  extraConfig?: string[];
}

export async function startSshd(opts: SshdOptions = {}): Promise<RunningSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'doai-sshd-'));
  const user = userInfo().username;
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'id_ed25519');
  keygen(hostKey);
  keygen(clientKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const port = await freePort();
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'LogLevel DEBUG1',
    `MaxSessions ${opts.maxSessions ?? 20}`,
    'ClientAliveInterval 0',
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, config);

  // -E, not -e: with -e the session processes' debug lines leak into the commands' stderr.
  const logPath = join(dir, 'sshd.log');
  let log = '';
  const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-E', logPath, '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  if (!(await waitForBanner(port, 10_000))) {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    let fileLog = '';
    try {
      fileLog = readFileSync(logPath, 'utf8');
    } catch {
      // no log written
    }
    throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}${fileLog}`);
  }
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    port,
    user,
    dir,
    clientKeyPath: clientKey,
    knownHostsLine: `[127.0.0.1]:${port} ${hostPub}`,
    log: () => {
      try {
        return log + readFileSync(logPath, 'utf8');
      } catch {
        return log;
      }
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}
