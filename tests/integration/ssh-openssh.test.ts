// Proves the SSH layer against a real OpenSSH sshd: streaming, exit codes, and that a timed-out
// or cancelled command is really gone on the host (the whole process tree, not just the shell).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCheck } from '../../src/cli/check';
import type { HostConfig } from '../../src/config/schema';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { SshError } from '../../src/ssh/types';
import { fingerprint } from '../../src/ssh/known-hosts';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';
import { BIN, runCli } from '../helpers/cli';
import { startTmux } from '../helpers/tmux';

requireSshd();

function running(pattern: string): boolean {
  return spawnSync('pgrep', ['-f', pattern]).status === 0;
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let i = 0; i < 4000 && Date.now() < until; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

/** A foreground ssh-agent (-D) on a socket of our own, so the test ends it by its pid. */
async function startSshAgent(sock: string, agents: ChildProcess[]): Promise<void> {
  const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  agent.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  agents.push(agent);
  if (!(await waitUntil(() => existsSync(sock), 20_000))) throw new Error(`ssh-agent did not create ${sock}: ${err}`);
}

describe('ssh shell against OpenSSH sshd', () => {
  let sshd: RunningSshd;
  let dir: string;
  let shell: SshShell;

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'doai-openssh-'));
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const host: HostConfig = {
      name: 'box',
      address: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      identity_file: sshd.clientKeyPath,
      agent: false,
      snapshot_dir: '/var/log/doai/snapshots',
      backup_dir: '/var/backups/doai',
    };
    shell = createSshShell({ hosts: [host], knownHostsPath: knownHosts, env: {} });
  });

  afterAll(async () => {
    shell?.close();
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it('streams lines as they are printed, separates stderr, returns the exit code', async () => {
    const seen: Array<{ stream: string; line: string; at: number }> = [];
    const started = Date.now();
    const r = await shell.exec('box', `echo one; echo oops >&2; sleep 0.5; printf 'two\\r\\nthree'; exit 4`, {
      timeoutMs: 30_000,
      onLine: (stream, line) => seen.push({ stream, line, at: Date.now() - started }),
    });
    const ended = Date.now() - started;
    expect(r, sshd.log()).toEqual({ code: 4 });
    expect(seen.filter((s) => s.stream === 'stdout').map((s) => s.line)).toEqual(['one', 'two', 'three']);
    expect(seen.filter((s) => s.stream === 'stderr').map((s) => s.line)).toEqual(['oops']);
    // "one" reached us while the command was still sleeping.
    const one = seen.find((s) => s.line === 'one')!;
    expect(ended - one.at).toBeGreaterThanOrEqual(400);
  });

  it('a timed-out command is gone on the host, children included', async () => {
    const a = `${randomInt(3_000_000, 3_999_999)}1`;
    const b = `${randomInt(3_000_000, 3_999_999)}2`;
    const lines: string[] = [];
    const marker = `sleep ${a}`;
    // Logged in first, and a timeout long enough for a session to start on a busy machine: the
    // test is about what the timeout ends, not how fast sshd forks.
    await shell.connect('box');
    // A background child and a non-exec'd foreground child: the shell is not the only process.
    const pending = shell.exec('box', `echo started; sleep ${a} & sh -c 'sleep ${b}; echo never'; wait`, {
      timeoutMs: 8000,
      onLine: (_s, l) => lines.push(l),
    });
    expect(await waitUntil(() => running(marker) && running(`sleep ${b}`), 20_000)).toBe(true);
    const r = await pending;
    expect(r).toEqual({ code: null, timedOut: true });
    expect(lines).toEqual(['started']);
    const gone = await waitUntil(() => !running(marker) && !running(`sleep ${b}`), 20_000);
    expect(gone, sshd.log()).toBe(true);
    // The connection stays usable after a kill.
    expect(await shell.exec('box', 'echo still here', { timeoutMs: 15_000, onLine: () => undefined })).toEqual({ code: 0 });
  });

  it('a cancelled command is gone on the host', async () => {
    const n = `${randomInt(4_000_000, 4_999_999)}3`;
    const controller = new AbortController();
    const pending = shell.exec('box', `echo go; sleep ${n}`, {
      timeoutMs: 30_000,
      signal: controller.signal,
      onLine: () => undefined,
    });
    expect(await waitUntil(() => running(`sleep ${n}`), 20_000)).toBe(true);
    controller.abort();
    expect(await pending).toEqual({ code: null, cancelled: true });
    expect(await waitUntil(() => !running(`sleep ${n}`), 20_000)).toBe(true);
  });

  it('a command that ignores TERM is killed with KILL', async () => {
    const n = `${randomInt(5_000_000, 5_999_999)}4`;
    await shell.connect('box');
    const started = Date.now();
    // Ignored signals stay ignored across exec, so the sleep ignores TERM too.
    const pending = shell.exec('box', `trap '' TERM; echo ready; sleep ${n}`, { timeoutMs: 8000, onLine: () => undefined });
    expect(await waitUntil(() => running(`sleep ${n}`), 20_000)).toBe(true);
    expect(await pending).toEqual({ code: null, timedOut: true });
    // TERM, then KILL after the group kill's grace: ended well before a second timeout would pass.
    expect(Date.now() - started).toBeLessThan(8000 + 6000);
    expect(await waitUntil(() => !running(`sleep ${n}`), 20_000), sshd.log()).toBe(true);
  });

  it('reaches the host through OpenSSH as a jump host (forwardOut)', async () => {
    const base = { address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKeyPath, agent: false, snapshot_dir: '/x', backup_dir: '/y' };
    const jumped = createSshShell({
      hosts: [{ ...base, name: 'bastion' }, { ...base, name: 'inner', jump: 'bastion' }],
      knownHostsPath: join(dir, 'known_hosts'),
      env: {},
    });
    try {
      const lines: string[] = [];
      // Two logins in a row (the jump host, then the host through it): generous, not a speed test.
      expect(await jumped.exec('inner', 'echo via-jump', { timeoutMs: 30_000, onLine: (_s, l) => lines.push(l) })).toEqual({ code: 0 });
      expect(lines).toEqual(['via-jump']);
    } finally {
      jumped.close();
    }
  });

  it('probe opens a session on the real sshd', async () => {
    expect(await shell.probe('box', 20_000)).toEqual({ ok: true });
  });

  it('refuses the real host when known_hosts does not list it', async () => {
    const empty = join(dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const other = createSshShell({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKeyPath, agent: false, snapshot_dir: '/x', backup_dir: '/y' }],
      knownHostsPath: empty,
      env: {},
    });
    try {
      const r = await other.probe('box', 5000);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.kind).toBe('hostkey-unknown');
        expect(r.error).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
      }
    } finally {
      other.close();
    }
  });
});

// R-SEC-2 agent auth: the key lives only in a real ssh-agent; the host config names no identity file.
describe('agent auth against OpenSSH sshd', () => {
  let sshd: RunningSshd;
  let dir: string;
  let knownHosts: string;
  const agents: ChildProcess[] = [];
  let loadedSock: string;
  let emptySock: string;

  const startAgent = (sock: string) => startSshAgent(sock, agents);

  const agentHost = (): HostConfig => ({
    name: 'box',
    address: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    agent: true,
    snapshot_dir: '/var/log/doai/snapshots',
    backup_dir: '/var/backups/doai',
  });

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'doai-agent-'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    loadedSock = join(dir, 'loaded.sock');
    emptySock = join(dir, 'empty.sock');
    await startAgent(loadedSock);
    await startAgent(emptySock);
    const add = spawnSync('/usr/bin/ssh-add', [sshd.clientKeyPath], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: loadedSock } });
    if (add.status !== 0) throw new Error(`ssh-add failed: ${add.stderr}`);
  });

  afterAll(async () => {
    for (const a of agents) if (a.exitCode === null) a.kill('SIGTERM');
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it('the agent is the only way in: ssh-add lists exactly the test key', () => {
    const listed = spawnSync('/usr/bin/ssh-add', ['-l'], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: loadedSock } });
    expect(listed.stdout).toContain('doai-test');
    const none = spawnSync('/usr/bin/ssh-add', ['-l'], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: emptySock } });
    expect(none.status).toBe(1); // "The agent has no identities."
  });

  it('agent: true with SSH_AUTH_SOCK in env runs a command through the agent key', async () => {
    const shell = createSshShell({ hosts: [agentHost()], knownHostsPath: knownHosts, env: { SSH_AUTH_SOCK: loadedSock } });
    try {
      const lines: string[] = [];
      const r = await shell.exec('box', 'echo via-agent; exit 3', { timeoutMs: 20_000, onLine: (_s, l) => lines.push(l) });
      expect(r, sshd.log()).toEqual({ code: 3 });
      expect(lines).toEqual(['via-agent']);
      expect(await shell.probe('box', 20_000)).toEqual({ ok: true });
    } finally {
      shell.close();
    }
    // sshd itself says the key came in as a publickey login.
    expect(sshd.log()).toMatch(/Accepted publickey for \S+ from 127\.0\.0\.1/);
  });

  it('an empty agent gives an auth error that names the agent and authorized_keys', async () => {
    const shell = createSshShell({ hosts: [agentHost()], knownHostsPath: knownHosts, env: { SSH_AUTH_SOCK: emptySock } });
    try {
      let caught: unknown;
      try {
        await shell.exec('box', 'echo never', { timeoutMs: 30_000, onLine: () => undefined });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SshError);
      const err = caught as SshError;
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(new RegExp(`authentication failed for ${sshd.user}@127\\.0\\.0\\.1:${sshd.port}`));
      expect(err.message).toContain('ssh-agent');
    } finally {
      shell.close();
    }
  });

  it('agent: true with no SSH_AUTH_SOCK and no identity file says to start ssh-agent', async () => {
    const shell = createSshShell({ hosts: [agentHost()], knownHostsPath: knownHosts, env: {} });
    try {
      const r = await shell.probe('box', 5000);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.kind).toBe('auth');
        expect(r.error).toContain('SSH_AUTH_SOCK is not set');
      }
    } finally {
      shell.close();
    }
  });
});

// Issue 12 item 19: the host was known by its RSA key and now offers only ed25519 (rebuilt).
// OpenSSH calls that "REMOTE HOST IDENTIFICATION HAS CHANGED"; so does the console, and the
// advice it gives, followed to the letter, gets the operator back in.
describe('a host known by an RSA key that now offers ed25519', () => {
  let sshd: RunningSshd;
  let dir: string;
  let knownHosts: string;
  let configPath: string;

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'doai-rsa-'));
    knownHosts = join(dir, 'known_hosts');
    const rsa = join(dir, 'old_rsa_host_key');
    const gen = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`ssh-keygen: ${gen.stderr}`);
    const rsaPub = readFileSync(`${rsa}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${rsaPub}\n`);
    configPath = join(dir, 'console.yaml');
    writeFileSync(
      configPath,
      stringify({
        paths: { state_dir: join(dir, 'state'), known_hosts: knownHosts },
        hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKeyPath }],
      }),
    );
  });

  afterAll(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  it("says the host key has changed, as OpenSSH does, and its advice works as printed", async () => {
    // OpenSSH's own verdict on the same files, for reference.
    const real = spawnSync(
      '/usr/bin/ssh',
      ['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'BatchMode=yes', '-i', sshd.clientKeyPath, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(real.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(real.stderr).toContain(`Offending RSA key in ${knownHosts}:1`);

    const shell = createSshShell({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKeyPath, agent: false, snapshot_dir: '/x', backup_dir: '/y' }],
      knownHostsPath: knownHosts,
      acceptNew: true, // even so: a changed key is never accepted
      configPath,
      env: {},
    });
    let refused: SshError | undefined;
    try {
      await shell.exec('box', 'true', { timeoutMs: 30_000, onLine: () => undefined });
    } catch (err) {
      refused = err as SshError;
    } finally {
      shell.close();
    }
    expect(refused).toBeInstanceOf(SshError);
    expect(refused!.kind).toBe('hostkey-changed');
    expect(refused!.trust?.summary).toBe('host key changed for box');
    expect(refused!.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(refused!.message).toMatch(/The fingerprint for the ED25519 key sent by the remote host is SHA256:/);
    expect(refused!.message).toContain(`Offending RSA key in ${knownHosts}:1`);
    expect(refused!.message).not.toMatch(/only knows/);
    expect(readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);

    // Follow the advice exactly as printed: the ssh-keygen line, then the check line.
    const commands = [...refused!.trust!.fix.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^ssh-keygen -f /);
    expect(commands[1]).toBe(`doai-console check --accept-new --config '${configPath}'`);
    const removed = spawnSync('/bin/sh', ['-c', commands[0]!], { encoding: 'utf8' });
    expect(removed.status, removed.stderr).toBe(0);
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const code = await runCheck({ configPath, acceptNew: true, out: sink, timeoutMs: 10_000 });
    expect(out).toMatch(/host-key\s+box\s+ADDED\s+ssh-ed25519 SHA256:/);
    expect(code, out).toBe(0);

    const after = createSshShell({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKeyPath, agent: false, snapshot_dir: '/x', backup_dir: '/y' }],
      knownHostsPath: knownHosts,
      env: {},
    });
    try {
      expect(await after.probe('box', 20_000)).toEqual({ ok: true });
    } finally {
      after.close();
    }
  });
});

// Issue 12 item 17: an encrypted identity file (ssh-keygen -N) as OpenSSH handles it: the
// agent's copy of that key first (no prompt), then the file, with the passphrase asked for
// (up to three times) and kept nowhere; with nobody to ask, an error that says what to do.
describe('a passphrase-protected identity file against OpenSSH sshd and a real ssh-agent', () => {
  const PASS = 'correct horse battery';
  let sshd: RunningSshd;
  let dir: string;
  let knownHosts: string;
  let encKey: string;
  let encFingerprint: string;
  let loadedSock: string;
  let emptySock: string;
  const agents: ChildProcess[] = [];

  const startAgent = (sock: string) => startSshAgent(sock, agents);

  function keygen(path: string, pass: string): void {
    const r = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', 'doai-enc', '-f', path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  }

  const host = (agent: boolean): HostConfig => ({
    name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: encKey, agent, snapshot_dir: '/x', backup_dir: '/y',
  });

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'doai-enc-'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    encKey = join(dir, 'id_enc');
    keygen(encKey, PASS);
    const decoy = join(dir, 'id_decoy');
    keygen(decoy, '');
    writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${encKey}.pub`), { flag: 'a' });
    encFingerprint = fingerprint(Buffer.from(readFileSync(`${encKey}.pub`, 'utf8').split(' ')[1]!, 'base64'));
    // Without the .pub beside it, the public key comes from the private key file's clear part.
    rmSync(`${encKey}.pub`);
    loadedSock = join(dir, 'loaded.sock');
    emptySock = join(dir, 'empty.sock');
    await startAgent(loadedSock);
    await startAgent(emptySock);
    // ssh-add reads the passphrase from SSH_ASKPASS when it has no terminal.
    const askpass = join(dir, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\necho '${PASS}'\n`, { mode: 0o700 });
    const env = { ...process.env, SSH_AUTH_SOCK: loadedSock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' };
    for (const key of [decoy, encKey]) {
      const add = spawnSync('/usr/bin/ssh-add', [key], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
      if (add.status !== 0) throw new Error(`ssh-add ${key}: ${add.stderr}`);
    }
  });

  afterAll(async () => {
    for (const a of agents) if (a.exitCode === null) a.kill('SIGTERM');
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  async function login(agent: boolean, sock: string | undefined, passphrase?: (attempt: number) => string | undefined) {
    const asked: number[] = [];
    const shell = createSshShell({
      hosts: [host(agent)],
      knownHostsPath: knownHosts,
      env: sock ? { SSH_AUTH_SOCK: sock } : {},
      ...(passphrase ? { passphrase: async (r: { attempt: number }) => (asked.push(r.attempt), passphrase(r.attempt)) } : {}),
    });
    try {
      const lines: string[] = [];
      const res = await shell.exec('box', 'echo in', { timeoutMs: 30_000, onLine: (_s, l) => lines.push(l) }).catch((e: SshError) => e);
      return { res, lines, asked };
    } finally {
      shell.close();
    }
  }

  it('agent: true with the key loaded in ssh-agent logs in as `ssh -i key` does, asking nothing', async () => {
    const { res, lines, asked } = await login(true, loadedSock, () => {
      throw new Error('must not ask: the agent holds the key');
    });
    expect(res, sshd.log()).toEqual({ code: 0 });
    expect(lines).toEqual(['in']);
    expect(asked).toEqual([]);
    // The agent's copy of the identity's key is what sshd accepted (the decoy was loaded first).
    expect(sshd.log()).toContain(`Accepted publickey for ${sshd.user} from 127.0.0.1`);
    expect(sshd.log()).toContain(`ED25519 ${encFingerprint}`);
  });

  it('an agent without the key: the file is next, its passphrase asked for (a wrong one asked again)', async () => {
    const { res, asked } = await login(true, emptySock, (n) => (n === 1 ? 'wrong' : PASS));
    expect(res, sshd.log()).toEqual({ code: 0 });
    expect(asked).toEqual([1, 2]);
  });

  it('no agent: the passphrase is asked for before logging in; three wrong ones fail without echoing them', async () => {
    expect((await login(false, undefined, () => PASS)).res).toEqual({ code: 0 });
    const { res, asked } = await login(false, undefined, () => 'hunter2-wrong');
    expect(asked).toEqual([1, 2, 3]);
    expect(res).toBeInstanceOf(SshError);
    expect((res as SshError).kind).toBe('auth');
    expect((res as SshError).message).toMatch(/wrong passphrase for identity file .*id_enc \(host box\), 3 times/);
    expect((res as SshError).message).not.toContain('hunter2');
    expect(sshd.log()).not.toContain(PASS);
  });

  it('on a terminal, `check` asks for the passphrase as ssh does, echoes nothing, and logs in; piped, it says what to do', async () => {
    const configPath = join(dir, 'console.yaml');
    writeFileSync(
      configPath,
      stringify({
        paths: { state_dir: join(dir, 'state'), known_hosts: knownHosts },
        hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: encKey }],
      }),
    );
    const term = startTmux(`${process.execPath} ${BIN} check --config ${configPath}`, { cols: 200, rows: 40, env: { NO_COLOR: '1' } });
    try {
      await term.waitFor(`Enter passphrase for key '${encKey}':`, 60_000);
      term.type('not-it');
      term.send('Enter');
      await term.waitFor('Bad passphrase, try again.', 30_000);
      term.type(PASS);
      term.send('Enter');
      const screen = await term.waitFor(/\[exit \d+\]/, 60_000);
      expect(screen).toMatch(/ssh-auth\s+box\s+OK\s+logged in as/);
      expect(screen).toContain('[exit 0]');
      expect(screen).not.toContain(PASS);
      expect(screen).not.toContain('not-it');
    } finally {
      term.kill();
    }
    const piped = await runCli(['check', '--config', configPath], { timeoutMs: 60_000 });
    expect(piped.code).toBe(1);
    expect(piped.stdout).toMatch(/ssh-auth\s+box\s+FAIL\s+identity file .*id_enc for host box is encrypted .*no terminal here to ask for the passphrase: load it with `ssh-add /);
  }, 240_000);

  it('nobody to ask (no terminal): a clear error naming ssh-add', async () => {
    const { res } = await login(true, emptySock);
    expect(res).toBeInstanceOf(SshError);
    expect((res as SshError).message).toMatch(/id_enc for host box is encrypted \(passphrase-protected\) and the ssh-agent did not log in with it; no terminal here to ask for the passphrase: load it with `ssh-add .*id_enc` and set agent: true/);
  });
});
