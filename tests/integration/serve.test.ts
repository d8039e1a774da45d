// `doai-console serve` (R-SRV-1, R-SRV-4) with the BUILT binary as server and clients, a real
// socket in a temp folder and real OS users: the unit it ships, one server per state folder,
// SIGTERM draining, identity proven by the kernel (root and nobody), a console from another build,
// garbage, 100 MB, a console that stops reading, forged proofs, and sockets of the wrong owner or
// mode. Needs root (other uids) and dist/ (npm run build).
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { requireRoot } from '../helpers/requirements';
import { runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, startServer, spawnServer, waitUntil, type RunningServer } from '../helpers/console-server';
import { PROTOCOL } from '../../src/protocol/version';

requireRoot('clients run as nobody (uid 65534) to prove identity comes from the kernel');
const REPO = resolve(__dirname, '../..');
const NOBODY = 65534;

let base = '';
let fleet: DemoFleet | undefined;
const servers: RunningServer[] = [];

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  await fleet?.stop();
  fleet = undefined;
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

async function setup(nodeCount = 5): Promise<{ config: string; socket: string; state: string }> {
  base = mkdtempSync(join(tmpdir(), 'doai-serve-'));
  // Other users reach the socket folder (traverse only).
  chmodSync(base, 0o711);
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount });
  return { config: fleet.configPath, socket: join(base, 'run', 'console.sock'), state: join(base, 'demo', 'state') };
}

async function serve(config: string, socket: string, extra: string[] = []): Promise<RunningServer> {
  const s = await startServer(config, socket, extra);
  servers.push(s);
  return s;
}

describe('doai-console serve', () => {
  it('prints a systemd unit that runs it as its own system user with state in the system state folder', async () => {
    const r = await runCli(['serve', '--print-systemd-unit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('User=doai-console');
    expect(r.stdout).toContain('StateDirectory=doai-console');
    expect(r.stdout).toContain('Environment=XDG_STATE_HOME=/var/lib');
    expect(r.stdout).toContain('RuntimeDirectory=doai-console');
    expect(r.stdout).toMatch(/^ExecStart=\S+node\S* \S+doai-console\.js serve --config \/etc\/doai-console\/console\.yaml --socket \/run\/doai-console\/console\.sock$/m);
  });

  it('answers status for root and for nobody, each by the uid the kernel proved and recorded; a second server refuses naming the first; SIGTERM exits 0', async () => {
    const { config, socket, state } = await setup();
    const server = await serve(config, socket);


    const asRoot = await runCli(['status', '--json', '--socket', socket]);
    const report = JSON.parse(asRoot.stdout) as { server: { pid: number }; items: { kind: string; name: string; ageS: number | null }[] };
    expect(report.server.pid).toBe(server.child.pid);
    expect(report.items.map((i) => i.kind)).toEqual(expect.arrayContaining(['service', 'host', 'node_source']));
    const asNobody = await runCliAs(NOBODY, ['status', '--socket', socket]);
    expect(asNobody.stdout).toMatch(/doai-orchestrator/);
    await server.waitLog(/intent status by nobody \(uid 65534\)/);
    const intents = readFileSync(join(state, 'history', 'intents.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { uid: number; user: string; intent: string });
    expect(intents.map((i) => [i.uid, i.user, i.intent])).toEqual([
      [0, 'root', 'status'],
      [NOBODY, 'nobody', 'status'],
    ]);

    const second = spawnServer(['--config', config, '--socket', join(base, 'run2', 'console.sock')]);
    expect(await second.exited).toBe(1);
    expect(second.log()).toContain(`another doai-console server (pid ${server.child.pid}`);

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.log()).toMatch(/SIGTERM: draining/);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(state, 'server', 'serve.lock'))).toBe(false);
    // Gone: a console that was told where the server is says so, clearly.
    const after = await runCli(['status', '--socket', socket]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/server not running: no server socket at .*console\.sock — start it with `doai-console serve`, or add --standalone/);
  }, 60_000);

  it('after a SIGKILL the next server takes over the stale lock and the left socket', async () => {
    const { config, socket, state } = await setup();
    const killed = await serve(config, socket);
    await killed.stop('SIGKILL');
    expect(existsSync(join(state, 'server', 'serve.lock'))).toBe(true);
    expect(existsSync(socket)).toBe(true);
    const next = await serve(config, socket);
    const r = await runCli(['status', '--json', '--socket', socket]);
    expect(JSON.parse(r.stdout).server.pid).toBe(next.child.pid);
  }, 60_000);

  it('a console from another build is refused in words', async () => {
    const { config, socket } = await setup();
    const server = await serve(config, socket);
    const c = await rawClient(socket);
    const answer = await proveAsRoot(c, socket, { protocol: 999, version: '9.9.9', build: 'otherbuild' });
    expect(answer.t).toBe('refused');
    expect(String(answer.reason)).toMatch(new RegExp(`^server is version 0\\.1\\.0 \\(build \\w+, protocol ${PROTOCOL}\\), this console 9\\.9\\.9 \\(build otherbuild, protocol 999\\): `));
    await c.closed;
    await server.waitLog(/refused connection #\d+ \(not yet identified\): server is version/);
  }, 60_000);

  it('garbage and a 100 MB frame close only that connection, logged; the server keeps serving', async () => {
    const { config, socket } = await setup();
    const server = await serve(config, socket);
    const garbage = await rawClient(socket);
    await proveAsRoot(garbage, socket);
    garbage.socket.write('this is not json\n');
    await garbage.closed;
    await server.waitLog(/dropped root \(uid 0\) #\d+: malformed frame/);

    const huge = await rawClient(socket);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    await new Promise<void>((r) => {
      const more = () => {
        while (sent < 100 && !huge.socket.destroyed) {
          sent++;
          if (!huge.socket.write(chunk)) return void huge.socket.once('drain', more);
        }
        r();
      };
      huge.socket.on('close', () => r());
      more();
    });
    await huge.closed;
    await server.waitLog(/dropped connection #\d+ \(not yet identified\): frame larger than 16 MB/);
    expect(sent).toBeLessThan(100);

    const ok = await runCli(['status', '--json', '--socket', socket]);
    expect(JSON.parse(ok.stdout).server.pid).toBe(server.child.pid);
  }, 60_000);

  it('a console that stops reading is dropped after the bound, with the reason; another keeps getting answers', async () => {
    const { config, socket } = await setup(10_000);
    const server = await serve(config, socket, ['--stall-timeout', '1']);
    const stuck = await rawClient(socket);
    await proveAsRoot(stuck, socket);
    stuck.socket.pause();
    stuck.send({ t: 'subscribe', topics: ['fleet', 'nodes', 'alerts', 'hosts'] });
    // While it is stuck, another console is answered promptly, again and again.
    const started = Date.now();
    while (!/dropped root \(uid 0\) #\d+: not reading for \d+ s/.test(server.log())) {
      const t0 = Date.now();
      const r = await runCli(['status', '--json', '--socket', socket]);
      expect(r.code === 0 || r.code === 1).toBe(true);
      expect(Date.now() - t0).toBeLessThan(10_000);
      if (Date.now() - started > 40_000) throw new Error(`never dropped:\n${server.log()}`);
    }
    // Reading again, it finds the connection closed by the server.
    stuck.socket.resume();
    await stuck.closed;
    expect(server.log()).toMatch(/not reading for \d+ s \(\d+ KB waiting unsent\)/);
  }, 90_000);

  it('refuses proofs that are not a file the client made: none, a symbolic link, a hard link', async () => {
    const { config, socket } = await setup();
    const server = await serve(config, socket);
    const auth = join(base, 'run', 'auth');
    const victim = join(base, 'victim-file');
    writeFileSync(victim, '');
    chownSync(victim, NOBODY, NOBODY);
    for (const [make, why] of [
      [() => undefined, /no file [0-9a-f]{32} in /],
      [(p: string) => symlinkSync(victim, p), /the proof is a symbolic link/],
      [(p: string) => linkSync(victim, p), /the proof has 2 links/],
    ] as [(p: string) => void, RegExp][]) {
      const c = await rawClient(socket);
      const hello = await c.next((f) => f.t === 'hello');
      make(join(auth, String(hello.nonce)));
      c.send({ t: 'auth', client: hello.server });
      const answer = await c.next((f) => f.t === 'refused');
      expect(String(answer.reason)).toMatch(why);
      await c.closed;
    }
    await server.waitLog(/refused connection #\d+ \(not yet identified\): identity not proven: the proof has 2 links/);
  }, 60_000);

  it('a socket of the wrong owner or mode is refused, said; so is a socket folder others can write', async () => {
    const { config, socket } = await setup();
    await serve(config, socket);
    const dir = join(base, 'run');
    chmodSync(dir, 0o777);
    const open = await runCli(['status', '--socket', socket]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/folder .*run is writable by others \(mode 0777\): anyone could replace the server socket — refusing it/);
    chmodSync(dir, 0o755);
    chownSync(socket, NOBODY, NOBODY);
    const foreign = await runCli(['status', '--socket', socket]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/server socket .*console\.sock is owned by uid 65534 \(nobody\), not root, doai-console or you — refusing it/);

    const openDir = join(base, 'open');
    mkdirSync(openDir, { mode: 0o777 });
    chmodSync(openDir, 0o777);
    const refused = spawnServer(['--config', config, '--socket', join(openDir, 'console.sock')]);
    expect(await refused.exited).toBe(2);
    expect(refused.log()).toMatch(/socket folder .*open is writable by others \(mode 0777\) — refusing to listen there/);
  }, 60_000);
});

function runCliAs(uid: number, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return import('node:child_process').then(
    ({ spawn }) =>
      new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, [join(REPO, 'bin', 'doai-console.js'), ...args], { uid, gid: uid, cwd: '/', env: { ...process.env, HOME: '/nonexistent', NO_COLOR: '1' }, stdio: 'pipe' });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolvePromise({ code, stdout, stderr });
        });
      }),
  );
}
