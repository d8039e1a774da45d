// The built `serve` removes proof files that consoles killed mid-handshake left in
// `<socket dir>/auth/` (src/server/proof-sweep.ts): one planted as such a console leaves it (an
// empty file under a 128-bit name, owned by that console's user, mode 0600, made ten minutes ago)
// is gone once the server is up, and the log says so (whose, never the name); everything else in
// the folder is as it was, a live console still attaches, and its own proof is consumed.
import { chmodSync, chownSync, existsSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { runCli, waitForProcessesGone } from '../helpers/cli';
import { startServer, type RunningServer } from '../helpers/console-server';
import { oneServiceDir } from '../helpers/one-service-dir';

requireRoot('the left proof file belongs to nobody (uid 65534), as a killed console of that user leaves it');
const NOBODY = 65534;

let dir = '';
let socket = '';
let auth = '';
let server: RunningServer | undefined;
const nonce = () => randomBytes(16).toString('hex');
const TEN_MIN_AGO = (Date.now() - 10 * 60_000) / 1000;
const planted: Record<string, string> = {};

beforeAll(async () => {
  let config: string;
  ({ dir, config, socket } = oneServiceDir('doai-proof-sweep-serve-'));
  auth = join(dir, 'run', 'auth');
  // The folder a previous server made (mode 1733), with what a console killed mid-handshake left.
  mkdirSync(join(dir, 'run'), { mode: 0o755 });
  mkdirSync(auth);
  chmodSync(auth, 0o1733);
  const file = (name: string, owner: number, old: boolean, body = '') => {
    const path = join(auth, name);
    writeFileSync(path, body, { flag: 'wx', mode: 0o600 });
    chownSync(path, owner, owner);
    if (old) utimesSync(path, TEN_MIN_AGO, TEN_MIN_AGO);
    return path;
  };
  planted.stale = file(nonce(), NOBODY, true);
  // A proof made a moment ago is a live handshake's: it stays.
  planted.fresh = file(nonce(), NOBODY, false);
  planted.otherName = file('README', NOBODY, true, 'not a proof');
  planted.folder = join(auth, nonce());
  mkdirSync(planted.folder);
  utimesSync(planted.folder, TEN_MIN_AGO, TEN_MIN_AGO);
  planted.outside = join(dir, 'outside.txt');
  writeFileSync(planted.outside, 'keep me');
  utimesSync(planted.outside, TEN_MIN_AGO, TEN_MIN_AGO);
  planted.link = join(auth, nonce());
  symlinkSync(planted.outside, planted.link);
  lutimesSync(planted.link, TEN_MIN_AGO, TEN_MIN_AGO);
  server = await startServer(config, socket);
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  if (dir) {
    await waitForProcessesGone(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  }
});

describe('serve and proof files left by killed consoles', () => {
  it('removes the stale proof at start and says so; leaves everything else in the folder', () => {
    expect(existsSync(planted.stale!)).toBe(false);
    expect(server!.log()).toMatch(new RegExp(`info  removed 1 stale proof file \\(older than 60 s, left by consoles that stopped mid-handshake\\) from ${auth}: nobody \\(uid ${NOBODY}\\)\\n`));
    expect(server!.log()).not.toContain(planted.stale!.slice(auth.length + 1));
    for (const kept of ['fresh', 'otherName', 'folder', 'link', 'outside']) expect(existsSync(planted[kept]!), kept).toBe(true);
    expect(lstatSync(planted.link!).isSymbolicLink()).toBe(true);
    expect(readFileSync(planted.outside!, 'utf8')).toBe('keep me');
    expect(readFileSync(planted.otherName!, 'utf8')).toBe('not a proof');
    // The folder itself is as the server keeps it.
    expect(lstatSync(auth).mode & 0o7777).toBe(0o1733);
  });

  it('a live console still attaches (root, and nobody), its proof consumed; the folder holds what it held', async () => {
    const before = readdirSync(auth).sort();
    const asRoot = await runCli(['status', '--json', '--socket', socket]);
    expect(JSON.parse(asRoot.stdout).server.pid, asRoot.stderr).toBe(server!.child.pid);
    const asNobody = await runCli(['status', '--socket', socket], { uid: NOBODY, env: { HOME: '/nonexistent' } });
    expect(asNobody.stdout, asNobody.stderr).toMatch(/svc-a/);
    await server!.waitLog(/attached: root \(uid 0\)/);
    await server!.waitLog(/attached: nobody \(uid 65534\)/);
    expect(readdirSync(auth).sort()).toEqual(before);
    expect(server!.log()).not.toMatch(/refused/);
  });
});
