import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../src/config/schema';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { fingerprint, hashKnownHostName } from '../../src/ssh/known-hosts';
import { createSshShell, type SshShell, type SshShellOptions } from '../../src/ssh/shell';
import { SshError } from '../../src/ssh/types';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';
import { requireTools } from '../helpers/requirements';

function hostConfig(server: TestSshServer, extra: Partial<HostConfig> = {}): HostConfig {
  return {
    name: 'web1',
    address: '127.0.0.1',
    port: server.port,
    user: 'root',
    identity_file: server.clientKeyPath,
    agent: false,
    snapshot_dir: '/var/log/doai/snapshots',
    backup_dir: '/var/backups/doai',
    ...extra,
  };
}

type Line = [string, string];

describe('ssh shell against an ssh2 test server', () => {
  let server: TestSshServer;
  let dir: string;
  let knownHosts: string;
  const shells: SshShell[] = [];

  beforeEach(async () => {
    server = await startTestSshServer();
    dir = mkdtempSync(join(tmpdir(), 'doai-ssh-shell-'));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  });

  afterEach(async () => {
    for (const s of shells.splice(0)) s.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });

  function shell(opts: Partial<SshShellOptions> = {}, host: Partial<HostConfig> = {}): SshShell {
    const s = createSshShell({ hosts: [hostConfig(server, host)], knownHostsPath: knownHosts, env: {}, ...opts });
    shells.push(s);
    return s;
  }

  async function rejection(p: Promise<unknown>): Promise<SshError> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(SshError);
      return err as SshError;
    }
    throw new Error('expected the promise to reject');
  }

  it('streams lines before the command ends, keeps partial lines, separates stderr, returns the exit code', async () => {
    let releaseEnd!: () => void;
    const endGate = new Promise<void>((r) => (releaseEnd = r));
    server.setExecHandler(async (ctx) => {
      ctx.stdout('first line\nsecond ');
      ctx.stderr('warn: disk 81%\r\n');
      await ctx.sleep(30);
      ctx.stdout('half\r\nthird');
      await endGate;
      ctx.stdout(' and last (no newline)');
      ctx.exit(3);
    });
    const lines: Line[] = [];
    let sawLinesBeforeEnd = false;
    const sh = shell({ killMode: 'process-group' });
    const result = sh.exec('web1', 'systemctl restart aifarm', {
      timeoutMs: 5000,
      onLine: (stream, line) => {
        lines.push([stream, line]);
        if (line === 'second half') {
          sawLinesBeforeEnd = true;
          releaseEnd();
        }
      },
    });
    const r = await result;
    expect(sawLinesBeforeEnd).toBe(true);
    expect(r).toEqual({ code: 3 });
    expect(lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual([
      'first line',
      'second half',
      'third and last (no newline)',
    ]);
    expect(lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['warn: disk 81%']);
    expect(server.execs[0]!.command).toBe('systemctl restart aifarm');
    expect(server.execs[0]!.pid).toBeGreaterThan(0);
  });

  it('reuses one connection across exec calls and reconnects after the link dropped', async () => {
    server.setExecHandler((ctx) => {
      ctx.stdout(`ran ${ctx.command}\n`);
      ctx.exit(0);
    });
    const sh = shell();
    const opts = { timeoutMs: 5000, onLine: () => undefined };
    expect(await sh.exec('web1', 'a', opts)).toEqual({ code: 0 });
    expect(await sh.exec('web1', 'b', opts)).toEqual({ code: 0 });
    await Promise.all([sh.exec('web1', 'c', opts), sh.exec('web1', 'd', opts)]);
    expect(server.authenticatedConnections()).toBe(1);
    expect(sh.isConnected('web1')).toBe(true);

    server.dropConnections();
    for (let i = 0; i < 100 && sh.isConnected('web1'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(sh.isConnected('web1')).toBe(false);
    expect(await sh.exec('web1', 'e', opts)).toEqual({ code: 0 });
    expect(server.authenticatedConnections()).toBe(2);
    expect(server.execs.map((e) => e.command).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('on timeout sends KILL, kills the process group by pid, closes the channel, and resolves timedOut', async () => {
    server.setExecHandler(async (ctx) => {
      ctx.stdout('starting\n');
      await ctx.closed; // hangs until the client ends it
    });
    const lines: string[] = [];
    // Logged in first: the timeout is the command's, not the handshake's (which takes far longer
    // without ssh2's native crypto addon), so the output printed before it is there to check.
    const sh = shell({ killMode: 'process-group' });
    await sh.connect('web1');
    const started = Date.now();
    const r = await sh.exec('web1', 'sleep 300', { timeoutMs: 1500, onLine: (_s, l) => lines.push(l) });
    expect(r).toEqual({ code: null, timedOut: true });
    expect(Date.now() - started).toBeLessThan(1500 + 3000);
    expect(lines).toEqual(['starting']); // the pid line is not output
    const rec = server.execs[0]!;
    expect(rec.command).toBe('sleep 300');
    expect(rec.rawCommand).not.toBe('sleep 300');
    expect(rec.closed).toBe(true);
    expect(rec.signals).toContain('KILL');
    expect(server.kills).toEqual([rec.pid]);
  });

  it('on abort sends KILL, kills the process group, closes the channel, and resolves cancelled', async () => {
    server.setExecHandler(async (ctx) => {
      ctx.stdout('working\n');
      await ctx.closed;
    });
    const controller = new AbortController();
    const r = shell({ killMode: 'process-group' }).exec('web1', 'long-job', {
      timeoutMs: 10_000,
      signal: controller.signal,
      onLine: (_s, line) => {
        if (line === 'working') controller.abort();
      },
    });
    expect(await r).toEqual({ code: null, cancelled: true });
    const rec = server.execs[0]!;
    expect(rec.closed).toBe(true);
    expect(rec.signals).toEqual(['KILL']);
    expect(server.kills).toEqual([rec.pid]);
  });

  it('a server that runs commands verbatim (no pid line) still gets the command ended, output intact', async () => {
    const plain = await startTestSshServer({
      wrapAware: false,
      onExec: async (ctx) => {
        ctx.stdout('first line\n');
        await ctx.closed;
      },
    });
    try {
      writeFileSync(knownHosts, `${plain.knownHostsLine}\n`);
      const lines: string[] = [];
      const sh = shell({ killMode: 'process-group' }, { port: plain.port, identity_file: plain.clientKeyPath });
      await sh.connect('web1');
      const started = Date.now();
      const r = await sh.exec('web1', 'hang', { timeoutMs: 1500, onLine: (_s, l) => lines.push(l) });
      expect(r).toEqual({ code: null, timedOut: true });
      expect(lines).toEqual(['first line']);
      expect(Date.now() - started).toBeLessThan(1500 + 4000);
      const rec = plain.execs[0]!;
      expect(rec.closedByClient).toBe(true);
      expect(rec.signals).toEqual(['KILL']);
      expect(plain.kills).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  for (const killMode of ['signal', 'auto'] as const) {
    it(`killMode '${killMode}' sends the command verbatim to an ssh2 server and ends it with the signal request and a close`, async () => {
      server.setExecHandler(async (ctx) => {
        ctx.stdout('line one\n');
        await ctx.closed;
      });
      const lines: string[] = [];
      const sh = shell(killMode === 'auto' ? {} : { killMode });
      await sh.connect('web1');
      const r = await sh.exec('web1', 'sleep 300', { timeoutMs: 1500, onLine: (_s, l) => lines.push(l) });
      expect(r).toEqual({ code: null, timedOut: true });
      expect(lines).toEqual(['line one']);
      const rec = server.execs[0]!;
      expect(rec.rawCommand).toBe('sleep 300');
      expect(rec.closedByClient).toBe(true);
      expect(rec.signals).toEqual(['KILL']);
      expect(server.kills).toEqual([]);
    });
  }

  it('cancel while the exec request is in flight: answers at once, then still ends the command that started', async () => {
    const slow = await startTestSshServer({
      execAcceptDelayMs: 300,
      onExec: async (ctx) => {
        ctx.stdout('late output\n');
        await ctx.closed;
      },
    });
    try {
      writeFileSync(knownHosts, `${slow.knownHostsLine}\n`);
      const sh = shell({ killMode: 'process-group' }, { port: slow.port, identity_file: slow.clientKeyPath });
      await sh.connect('web1');
      const controller = new AbortController();
      const lines: string[] = [];
      const pending = sh.exec('web1', 'restart', { timeoutMs: 10_000, signal: controller.signal, onLine: (_s, l) => lines.push(l) });
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      expect(await pending).toEqual({ code: null, cancelled: true });
      expect(Date.now() - started).toBeLessThan(250);
      for (let i = 0; i < 200 && !(slow.execs[0]?.closed && slow.kills.length > 0); i++) await new Promise((r) => setTimeout(r, 10));
      const rec = slow.execs[0]!;
      expect(rec.closed).toBe(true);
      expect(rec.signals).toEqual(['KILL']);
      expect(slow.kills).toEqual([rec.pid]);
      expect(lines).toEqual([]); // output after the answer is not the caller's any more
    } finally {
      await slow.close();
    }
  });

  it('a timeout while still logging in never starts the command', async () => {
    const slow = await startTestSshServer({ authDelayMs: 400 });
    try {
      writeFileSync(knownHosts, `${slow.knownHostsLine}\n`);
      const sh = shell({}, { port: slow.port, identity_file: slow.clientKeyPath });
      expect(await sh.exec('web1', 'reboot', { timeoutMs: 100, onLine: () => undefined })).toEqual({ code: null, timedOut: true });
      for (let i = 0; i < 100 && slow.authenticatedConnections() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      expect(slow.authenticatedConnections()).toBe(1);
      expect(slow.execs).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });

  it('an already aborted signal runs nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await shell().exec('web1', 'reboot', { timeoutMs: 1000, signal: controller.signal, onLine: () => undefined });
    expect(r).toEqual({ code: null, cancelled: true });
    expect(server.execs).toHaveLength(0);
  });

  it('refuses an unknown host key and names the fingerprint and how to trust it', async () => {
    writeFileSync(knownHosts, '# empty\n');
    const err = await rejection(shell().exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.kind).toBe('hostkey-unknown');
    expect(err.message).toContain(fingerprint(server.hostKeyBlob));
    expect(err.message).toContain('web1');
    expect(err.message).toContain('--accept-new');
    expect(err.message).toContain('ssh-keyscan');
    expect(server.execs).toHaveLength(0);
    expect(server.authenticatedConnections()).toBe(0);
  });

  it('refuses a changed host key loudly with both fingerprints, even with acceptNew', async () => {
    const other = generateEd25519KeyPair();
    const otherBlob = Buffer.from(other.public.split(' ')[1]!, 'base64');
    writeFileSync(knownHosts, `[127.0.0.1]:${server.port} ssh-ed25519 ${otherBlob.toString('base64')}\n`);
    const err = await rejection(shell({ acceptNew: true }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.kind).toBe('hostkey-changed');
    expect(err.message).toMatch(/WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for web1 /);
    expect(err.trust?.summary).toBe('host key changed for web1');
    expect(err.message).toContain(fingerprint(otherBlob));
    expect(err.message).toContain(fingerprint(server.hostKeyBlob));
    // acceptNew must not have touched the file.
    expect(readFileSync(knownHosts, 'utf8')).toBe(`[127.0.0.1]:${server.port} ssh-ed25519 ${otherBlob.toString('base64')}\n`);
    expect(server.authenticatedConnections()).toBe(0);
  });

  it('refuses a revoked host key', async () => {
    writeFileSync(knownHosts, `${server.knownHostsLine}\n@revoked * ${server.hostKeyPublic}\n`);
    const err = await rejection(shell().exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.message).toContain('REVOKED');
    expect(server.authenticatedConnections()).toBe(0);
  });

  it('acceptNew records an unknown key as [host]:port in a new 0600 file, then connects', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const added: string[] = [];
    const sh = shell({ acceptNew: true, knownHostsPath: path, onHostKeyAdded: (i) => added.push(i.fingerprint) });
    expect(await sh.exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined })).toEqual({ code: 0 });
    expect(readFileSync(path, 'utf8')).toBe(`${server.knownHostsLine}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(added).toEqual([fingerprint(server.hostKeyBlob)]);
    // A fresh shell without acceptNew now trusts it.
    const again = shell({ knownHostsPath: path });
    expect(await again.probe('web1', 5000)).toEqual({ ok: true });
  });

  it('matches a hashed known_hosts entry', async () => {
    const hashed = hashKnownHostName(`[127.0.0.1]:${server.port}`, randomBytes(20));
    writeFileSync(knownHosts, `${hashed} ${server.hostKeyPublic}\n`);
    expect(await shell().exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined })).toEqual({ code: 0 });
  });

  it('uses the per-host known_hosts file', async () => {
    const perHost = join(dir, 'web1_known_hosts');
    writeFileSync(perHost, `${server.knownHostsLine}\n`);
    writeFileSync(knownHosts, '');
    expect(await shell({}, { known_hosts: perHost }).probe('web1', 5000)).toEqual({ ok: true });
  });

  it('a refused port gives "refused" quickly', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise<void>((r) => blocker.close(() => r()));
    const started = Date.now();
    const err = await rejection(shell({}, { port }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain(`connection refused by 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a silent port gives "timeout" within the connect timeout', async () => {
    const silent = createServer(() => undefined); // accepts TCP, never speaks SSH
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const err = await rejection(shell({ connectTimeoutMs: 300 }, { port }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
      expect(err.kind).toBe('timeout');
    } finally {
      silent.close();
    }
  });

  it('an unknown DNS name gives "unreachable" with DNS in the message', async () => {
    const err = await rejection(shell({}, { address: 'no-such-host.invalid' }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('DNS: no-such-host.invalid not found');
  });

  it('a rejected key gives "auth"', async () => {
    const other = await startTestSshServer({ rejectAuth: true });
    try {
      writeFileSync(knownHosts, `${other.knownHostsLine}\n`);
      const err = await rejection(shell({}, { port: other.port }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/authentication failed for root@127\.0\.0\.1/);
    } finally {
      await other.close();
    }
  });

  it('an encrypted identity file without a passphrase provider fails with words; with one it connects', async () => {
    const enc = await startTestSshServer({ clientKeyPassphrase: 'correct horse' });
    try {
      writeFileSync(knownHosts, `${enc.knownHostsLine}\n`);
      const host = { port: enc.port, identity_file: enc.clientKeyPath };
      const err = await rejection(shell({}, host).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
      expect(err.kind).toBe('auth');
      expect(err.message).toContain('is encrypted');
      expect(err.message).toContain('ssh-add');

      const wrong = await rejection(shell({ passphrase: async () => 'hunter2-secret' }, host).exec('web1', 'true', { timeoutMs: 60_000, onLine: () => undefined }));
      expect(wrong.kind).toBe('auth');
      expect(wrong.message).toContain('wrong passphrase');
      expect(wrong.message).not.toContain('hunter2-secret');
      expect(enc.authenticatedConnections()).toBe(0);

      let asked = 0;
      const ok = shell({ passphrase: async () => (asked++, 'correct horse') }, host);
      await ok.connect('web1'); // decrypting the key (bcrypt KDF) is slow on a busy machine: not the command's time
      expect(await ok.exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined })).toEqual({ code: 0 });
      expect(await ok.probe('web1', 5000)).toEqual({ ok: true });
      expect(asked).toBe(1);
    } finally {
      await enc.close();
    }
  });

  it('no identity file and no agent gives an auth error that says what to do', async () => {
    const err = await rejection(shell({}, { identity_file: undefined }).exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined }));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('SSH_AUTH_SOCK');
  });

  it('an unknown host name is a config error', async () => {
    const err = await rejection(shell().exec('nope', 'true', { timeoutMs: 1000, onLine: () => undefined }));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('web1');
  });

  it('probe opens a fresh session each time and reports failures in words', async () => {
    const sh = shell();
    expect(await sh.probe('web1', 5000)).toEqual({ ok: true });
    expect(await sh.probe('web1', 5000)).toEqual({ ok: true });
    expect(server.authenticatedConnections()).toBe(2);
    expect(sh.isConnected('web1')).toBe(false);
    writeFileSync(knownHosts, '');
    const bad = await sh.probe('web1', 5000);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error).toContain('not in');
      expect(bad.kind).toBe('hostkey-unknown');
    }
  });

  it('reaches a host through a jump host with forwardOut', async () => {
    const jump = await startTestSshServer({ clientKey: server.clientKey });
    try {
      writeFileSync(knownHosts, `${server.knownHostsLine}\n${jump.knownHostsLine}\n`);
      server.setExecHandler((ctx) => {
        ctx.stdout('behind the jump\n');
        ctx.exit(0);
      });
      const sh = createSshShell({
        hosts: [
          hostConfig(jump, { name: 'bastion' }),
          hostConfig(server, { name: 'web1', jump: 'bastion' }),
        ],
        knownHostsPath: knownHosts,
        env: {},
      });
      shells.push(sh);
      const lines: string[] = [];
      expect(await sh.exec('web1', 'hostname', { timeoutMs: 5000, onLine: (_s, l) => lines.push(l) })).toEqual({ code: 0 });
      expect(lines).toEqual(['behind the jump']);
      expect(jump.authenticatedConnections()).toBe(1);
      expect(jump.execs).toHaveLength(0);
      expect(server.execs).toHaveLength(1);
      expect(await sh.probe('web1', 5000)).toEqual({ ok: true });
    } finally {
      await jump.close();
    }
  });

  it('a jump loop is a config error', async () => {
    const sh = createSshShell({
      hosts: [hostConfig(server, { name: 'a', jump: 'b' }), hostConfig(server, { name: 'b', jump: 'a' })],
      knownHostsPath: knownHosts,
      env: {},
    });
    shells.push(sh);
    const err = await rejection(sh.exec('a', 'true', { timeoutMs: 2000, onLine: () => undefined }));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('a -> b -> a');
  });

  it('probe gives up at its own timeout with kind timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const r = await shell({ connectTimeoutMs: 10_000 }, { port }).probe('web1', 200);
      expect(r).toMatchObject({ ok: false, kind: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      silent.close();
    }
  });

  it('a link that goes silent is noticed by keepalive: the running command resolves lostConnection', async () => {
    // A TCP relay we can freeze: bytes stop flowing but no socket closes, like a dead route.
    let frozen = false;
    const pairs: Socket[] = [];
    const relay = createServer((inbound) => {
      const outbound = netConnect(server.port, '127.0.0.1');
      pairs.push(inbound, outbound);
      inbound.on('data', (d) => !frozen && outbound.write(d));
      outbound.on('data', (d) => !frozen && inbound.write(d));
      inbound.on('error', () => undefined);
      outbound.on('error', () => undefined);
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as AddressInfo).port;
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${server.hostKeyPublic}\n`);
    server.setExecHandler(async (ctx) => {
      ctx.stdout('running\n');
      await ctx.closed;
    });
    try {
      const sh = shell({ keepaliveMs: 100 }, { port });
      const pending = sh.exec('web1', 'long', {
        timeoutMs: 20_000,
        onLine: (_s, line) => {
          if (line === 'running') frozen = true;
        },
      });
      const started = Date.now();
      expect(await pending).toEqual({ code: null, lostConnection: true });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(sh.isConnected('web1')).toBe(false);
    } finally {
      for (const s of pairs) s.destroy();
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK) when no identity file is set', async () => {
    requireTools(['/usr/bin/ssh-agent'], 'apt-get install -y openssh-client');
    const sock = join(dir, 'agent.sock');
    const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      const add = spawnSync('/usr/bin/ssh-add', [server.clientKeyPath], { env: { SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      expect(add.status, add.stderr).toBe(0);
      const sh = shell({ env: { SSH_AUTH_SOCK: sock } }, { identity_file: undefined });
      expect(await sh.exec('web1', 'true', { timeoutMs: 5000, onLine: () => undefined })).toEqual({ code: 0 });
      const withFlag = shell({ env: { SSH_AUTH_SOCK: sock } }, { identity_file: undefined, agent: true });
      expect(await withFlag.probe('web1', 5000)).toEqual({ ok: true });
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('close() ends every connection; later calls are refused', async () => {
    const sh = shell();
    await sh.connect('web1');
    expect(sh.isConnected('web1')).toBe(true);
    sh.close();
    for (let i = 0; i < 100 && sh.isConnected('web1'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(sh.isConnected('web1')).toBe(false);
    await expect(sh.exec('web1', 'true', { timeoutMs: 1000, onLine: () => undefined })).rejects.toThrow(/closed/);
  });

  it('a jump naming an unknown host is a config error', async () => {
    const err = await rejection(shell({}, { jump: 'ghost' }).exec('web1', 'true', { timeoutMs: 2000, onLine: () => undefined }));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('"ghost"');
  });

  it('reports the exit signal when the remote command was killed', async () => {
    server.setExecHandler((ctx) => {
      ctx.channel.exit('TERM', false, '');
      ctx.channel.end();
    });
    const r = await shell().exec('web1', 'x', { timeoutMs: 5000, onLine: () => undefined });
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(r.timedOut).toBeUndefined();
  });
});
