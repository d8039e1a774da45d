// The one-round-trip handshake (protocol 5, issue 13: the attached console's first frame): a
// console makes its proof file under a name it drew, connects, and sends auth naming it with the
// topics it reads, without waiting for the hello; the server answers welcome and the snapshots.
// The uid is still the proof file's owner (set by the kernel), never what the frame claims: a
// name that is not a nonce, a missing file, or another user's file proves nothing more than it
// did with the server's nonce. The built binary serves; a raw client speaks the wire by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { rawClient, startServer, type RawClient, type RunningServer } from '../helpers/console-server';
import { waitForProcessesGone } from '../helpers/cli';
import { oneServiceDir } from '../helpers/one-service-dir';

requireRoot('a proof file made by nobody (uid 65534) shows the uid comes from the file');

let dir = '';
let socket = '';
let server: RunningServer;
let build: Record<string, unknown> = {};
const clients: RawClient[] = [];

function proofDir(): string {
  return join(dir, 'run', 'auth');
}

async function connectAndAuth(nonce: unknown, topics?: string[]): Promise<RawClient> {
  const c = await rawClient(socket);
  clients.push(c);
  // Straight away: the hello is not waited for.
  c.send({ t: 'auth', client: build, nonce, ...(topics ? { topics } : {}) });
  return c;
}

beforeAll(async () => {
  let config: string;
  ({ dir, config, socket } = oneServiceDir('doai-handshake-'));
  server = await startServer(config, socket);
  // This build's version, as the server's hello states it.
  const probe = await rawClient(socket);
  build = (await probe.next((f) => f.t === 'hello')).server as Record<string, unknown>;
  probe.socket.destroy();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.socket.destroy();
  await server?.stop('SIGTERM');
  if (dir) {
    await waitForProcessesGone(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  }
});

describe('one-round-trip handshake', () => {
  it('auth naming the client’s own proof, sent before the hello is read, is answered with welcome and the snapshots of the topics it names; the proof is removed', async () => {
    const nonce = randomBytes(16).toString('hex');
    const proof = join(proofDir(), nonce);
    writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
    const c = await connectAndAuth(nonce, ['server', 'fleet']);
    const welcome = await c.next((f) => f.t === 'welcome' || f.t === 'refused');
    expect(welcome).toMatchObject({ t: 'welcome', identity: { uid: 0, user: 'root', via: 'local-socket' } });
    await c.next((f) => f.t === 'snapshot' && f.topic === 'fleet');
    await c.next((f) => f.t === 'snapshot' && f.topic === 'server');
    // The order on the wire: hello (sent on accepting), welcome, then the snapshots; no subscribe was sent.
    expect(c.frames.map((f) => f.t).slice(0, 2)).toEqual(['hello', 'welcome']);
    expect(existsSync(proof)).toBe(false);
    await server.waitLog(/attached: root \(uid 0\)/);
  });

  it('the uid is the proof file’s owner: a file nobody made proves nobody, whoever names it', async () => {
    const nonce = randomBytes(16).toString('hex');
    const made = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(join(proofDir(), nonce))}, '', { flag: 'wx', mode: 0o600 })`], { uid: 65534, gid: 65534 });
    expect(made.status, String(made.stderr)).toBe(0);
    const c = await connectAndAuth(nonce, ['server']);
    expect(await c.next((f) => f.t === 'welcome' || f.t === 'refused')).toMatchObject({ t: 'welcome', identity: { uid: 65534, user: 'nobody' } });
  });

  it('a name that is not a nonce (a path, too short, capitals) or that names no file is refused, said and logged; the server keeps serving', async () => {
    for (const bad of ['../../etc/passwd', 'abc', 'A'.repeat(32), 42]) {
      const c = await connectAndAuth(bad, ['server']);
      const answer = await c.next((f) => f.t === 'refused' || f.t === 'welcome');
      expect(answer).toMatchObject({ t: 'refused', reason: 'identity not proven: the proof must be named by 32 lowercase hex digits' });
      await c.closed;
      expect(c.frames.some((f) => f.t === 'snapshot')).toBe(false);
    }
    const missing = randomBytes(16).toString('hex');
    const c = await connectAndAuth(missing, ['server']);
    expect(await c.next((f) => f.t === 'refused' || f.t === 'welcome')).toMatchObject({ t: 'refused', reason: `identity not proven: no file ${missing} in ${proofDir()}` });
    await c.closed;
    await server.waitLog(/refused connection #\d+ \(not yet identified\): identity not proven: the proof must be named by 32 lowercase hex digits/);
    // Still serving: a good one attaches.
    const nonce = randomBytes(16).toString('hex');
    writeFileSync(join(proofDir(), nonce), '', { flag: 'wx', mode: 0o600 });
    const ok = await connectAndAuth(nonce);
    expect(await ok.next((f) => f.t === 'welcome' || f.t === 'refused')).toMatchObject({ t: 'welcome' });
  });

  it('a console of another build sending auth at once is refused in words naming both versions', async () => {
    const nonce = randomBytes(16).toString('hex');
    writeFileSync(join(proofDir(), nonce), '', { flag: 'wx', mode: 0o600 });
    const c = await rawClient(socket);
    clients.push(c);
    c.send({ t: 'auth', client: { protocol: 4, version: '0.1.0', build: 'oldbuild' }, nonce, topics: ['server'] });
    const answer = await c.next((f) => f.t === 'refused' || f.t === 'welcome');
    expect(String(answer.reason)).toMatch(/^server is version 0\.1\.0 \(build \w+, protocol 6\), this console 0\.1\.0 \(build oldbuild, protocol 4\): /);
  });
});
