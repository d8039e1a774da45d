// Bad SSH clients against the built `serve --ssh` (R-SSH-3), spoken to with ssh2's Client where
// OpenSSH would not misbehave: 100 channels on one connection, a shell without pty-req, a 5 × 5
// terminal, a resize storm, a client that stops reading (dropped after the bound while another
// session keeps its frames), an idle session reaped, 50 sessions at once, a source sending
// unknown keys cut off after the limit; and the host key: kept across restarts, refused when
// world-readable or when it cannot be made.
import { connect as netConnect, type Socket } from 'node:net';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, Client as SshClient } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshRig, type SshRig } from '../helpers/ssh-console';
import { fingerprint } from '../../src/ssh/known-hosts';
import { spawnServer, waitUntil } from '../helpers/console-server';

const { Client } = ssh2;
let rig: SshRig;

beforeAll(async () => {
  rig = await sshRig([{ name: 'alice', roles: ['operator'] }], { extraKeys: ['stranger'] });
  await rig.start(['--ssh-idle', '6', '--stall-timeout', '2']);
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

interface Conn {
  client: SshClient;
  sock: Socket;
  closed: Promise<void>;
}

function connectAs(name: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(rig.port, '127.0.0.1');
    const client = new Client();
    const closed = new Promise<void>((r) => client.on('close', () => r()));
    client.on('ready', () => resolve({ client, sock, closed }));
    client.on('error', reject);
    // Cut off before the handshake: closed without an error.
    void closed.then(() => reject(new Error('connection closed before login')));
    client.connect({ sock, username: 'ops', privateKey: readFileSync(rig.keyFile(name)), hostVerifier: (key: Buffer) => rig.hostFingerprint === fingerprint(key), readyTimeout: 20_000 });
  });
}

function shell(c: Conn, pty: { cols: number; rows: number } | false): Promise<{ ch: ClientChannel; out: () => string; exit: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      let text = '';
      ch.on('data', (d: Buffer) => (text += d.toString('utf8')));
      ch.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
      const exit = new Promise<number | null>((r) => {
        let code: number | null = null;
        ch.on('exit', (c: number | null) => (code = c));
        ch.on('close', () => r(code));
      });
      resolve({ ch, out: () => text, exit });
    };
    if (pty === false) c.client.shell(false as unknown as ssh2.PseudoTtyOptions, cb);
    else c.client.shell({ cols: pty.cols, rows: pty.rows, term: 'xterm-256color' }, cb);
  });
}

describe('serve --ssh against bad clients', () => {
  it('a session without pty-req is told to use ssh -t (exit 2); 100 channels on one connection: 4 served, the rest refused, the server fine', async () => {
    const c = await connectAs('alice');
    const s = await shell(c, false);
    expect(await s.exit).toBe(2);
    expect(s.out()).toContain('doai-console: the console needs a terminal — connect with ssh -t');

    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => new Promise<ClientChannel>((res, rej) => c.client.exec('status', (err, ch) => (err ? rej(err) : res(ch))))),
    );
    const opened = results.filter((r) => r.status === 'fulfilled').length;
    expect(opened).toBeGreaterThanOrEqual(4);
    expect(opened).toBeLessThan(100);
    await rig.server!.waitLog(/more than 4 sessions on one connection: refused/);
    for (const r of results) if (r.status === 'fulfilled') r.value.close();
    c.client.end();
    // Another client is served as usual.
    const d = await connectAs('alice');
    const st = await new Promise<string>((res, rej) => d.client.exec('status', (err, ch) => {
      if (err) return rej(err);
      let t = '';
      ch.on('data', (x: Buffer) => (t += x));
      ch.on('close', () => res(t));
    }));
    expect(st).toMatch(/doai-orchestrator/);
    d.client.end();
  }, 60_000);

  it('a 5 × 5 terminal and 50 resizes a second: the console keeps drawing, and q still leaves', async () => {
    const c = await connectAs('alice');
    const s = await shell(c, { cols: 5, rows: 5 });
    await waitUntil('a first frame at 5 × 5', () => s.out().includes('\x1b[?1049h') && s.out().length > 20, 20_000);
    for (let i = 0; i < 100; i++) {
      s.ch.setWindow(i % 2 ? 24 : 30, i % 2 ? 80 : 120, 0, 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    s.ch.setWindow(40, 140, 0, 0);
    const before = s.out().length;
    await waitUntil('a frame after the storm', () => s.out().length > before + 100 && s.out().includes('doai-orchestrator'), 20_000);
    s.ch.write('q');
    expect(await s.exit).toBe(0);
    expect(s.out()).toContain('\x1b[?1049l');
    c.client.end();
  }, 60_000);

  it('a client that stops reading is dropped after the bound; a session beside it keeps getting frames', async () => {
    const good = await connectAs('alice');
    const g = await shell(good, { cols: 100, rows: 30 });
    await waitUntil('the good console', () => g.out().includes('doai-orchestrator'), 20_000);
    // Keys now and then, so the idle reaper (--ssh-idle 6) leaves it alone.
    const keepAlive = setInterval(() => g.ch.write('\x1b[A'), 1000);

    const bad = await connectAs('alice');
    const b = await shell(bad, { cols: 250, rows: 80 });
    await waitUntil('the bad console', () => b.out().includes('doai-orchestrator'), 20_000);
    bad.sock.pause();
    // Big redraws (the help overlay on and off, and resizes) until the client's
    // 2 MB window is spent and the server's bound is reached.
    for (let i = 0; i < 2000 && !/dropped .*session: .*(not reading|waiting unsent)/.test(rig.server!.log()); i++) {
      b.ch.write('?');
      if (i % 5 === 0) b.ch.setWindow(i % 2 ? 79 : 80, i % 2 ? 249 : 250, 0, 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    await rig.server!.waitLog(/dropped (a|alice's) session: .*(not reading|waiting unsent)/, 20_000);
    // The session beside it answers its keys (the help overlay) as before.
    const mark = g.out().length;
    g.ch.write('?');
    await waitUntil('the good session answers a key', () => g.out().length > mark + 200, 10_000);
    g.ch.write('?');
    clearInterval(keepAlive);
    g.ch.write('q');
    expect(await g.exit).toBe(0);
    good.client.end();
    bad.sock.destroy();
  }, 90_000);

  it('an idle session is closed after --ssh-idle, said on its terminal', async () => {
    const c = await connectAs('alice');
    const s = await shell(c, { cols: 100, rows: 30 });
    expect(await s.exit).toBe(0);
    expect(s.out()).toMatch(/idle for \d+ s/);
    await rig.server!.waitLog(/ssh: alice's session closed: idle for \d+ s/);
    c.client.end();
  }, 30_000);

  it('50 sessions at once each get a console; all leave with q', async () => {
    const conns = await Promise.all(Array.from({ length: 50 }, () => connectAs('alice')));
    const shells = await Promise.all(conns.map((c) => shell(c, { cols: 80, rows: 24 })));
    await waitUntil('50 first frames', () => shells.every((s) => s.out().includes('doai-orchestrator')), 60_000, 200);
    for (const s of shells) s.ch.write('q');
    expect(await Promise.all(shells.map((s) => s.exit))).toEqual(Array(50).fill(0));
    for (const c of conns) c.client.end();
  }, 120_000);

  it('a source sending unknown keys is cut off after 10 refusals in a minute, said in the log', async () => {
    for (let i = 0; i < 11; i++) {
      await connectAs('stranger').then(
        (c) => c.client.end(),
        () => undefined,
      );
    }
    await rig.server!.waitLog(/REFUSED ssh logins from 127\.0\.0\.1 - 10 refused keys within 60 s; further connections from 127\.0\.0\.1 are cut off/);
    const audit = readFileSync(rig.audit, 'utf8');
    // Three refusals logged one by one, then the cut-off: the log is not flooded.
    expect(audit.match(/REFUSED ssh login from 127\.0\.0\.1 - unknown ssh-ed25519 key/g)?.length).toBe(3);
  }, 60_000);
});

describe('the host key', () => {
  it('is kept owner-only in the state folder and reused on restart; world-readable or uncreatable stops the start, said', async () => {
    const keyFile = join(rig.state, 'ssh_host_ed25519_key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const first = rig.hostFingerprint;
    await rig.server!.stop('SIGTERM');
    chmodSync(keyFile, 0o644);
    const leaky = spawnServer(['--config', rig.config, '--socket', join(rig.base, 'run', 'console.sock'), '--ssh', `127.0.0.1:${rig.port}`]);
    expect(await leaky.exited).toBe(2);
    expect(leaky.log()).toContain(`--ssh: the host key ${keyFile} is readable by others (mode 0644) — refusing to start`);
    chmodSync(keyFile, 0o600);
    const nowhere = spawnServer(['--config', rig.config, '--socket', join(rig.base, 'run', 'console.sock'), '--ssh', `127.0.0.1:${rig.port}`, '--ssh-host-key', join(rig.base, 'no', 'such', 'dir', 'key')]);
    expect(await nowhere.exited).toBe(2);
    expect(nowhere.log()).toMatch(/--ssh: the host key \S+\/no\/such\/dir\/key is missing and cannot be created \(ENOENT\) — refusing to start without a persistent host key/);
    await rig.start();
    expect(rig.hostFingerprint).toBe(first);
  }, 60_000);
});
