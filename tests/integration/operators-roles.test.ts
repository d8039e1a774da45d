// Operators and roles (R-ID-1, R-ID-2) on the real socket of the BUILT server: the kernel-proven
// uid maps to an operator of the config, every intent is checked against the role, refusals are
// audited in emergency.log; unknown identities get `viewer` or are refused, as configured; a bad
// key in the config stops the server with the line named; without an operators section every
// local user is an operator as before. Needs root (proofs owned by other uids) and dist/.
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { requireRoot } from '../helpers/requirements';
import { rawClient, spawnServer, startServer, type RawClient, type RunningServer } from '../helpers/console-server';

requireRoot('proofs are files owned by other uids (nobody), as the kernel records them');
const REPO = resolve(__dirname, '../..');
const NOBODY = 65534;
const DAEMON = 1;

let base = '';
let fleet: DemoFleet;
let server: RunningServer | undefined;
let n = 0;

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  base = mkdtempSync(join(tmpdir(), 'doai-roles-'));
  chmodSync(base, 0o711);
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 3 });
});

afterEach(async () => {
  await server?.stop('SIGTERM');
  server = undefined;
});

afterAll(async () => {
  await fleet?.stop();
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

/** The demo config with an operators section (or none), its own state folder and socket. */
function configWith(operators: unknown): { config: string; socket: string; audit: string } {
  n++;
  const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  const state = join(base, `state${n}`);
  doc.paths = { ...(doc.paths as object), state_dir: state, audit_log: join(state, 'emergency.log') };
  if (operators !== undefined) doc.operators = operators;
  const config = join(dirname(fleet.configPath), `roles${n}.yaml`);
  writeFileSync(config, YAML.stringify(doc));
  return { config, socket: join(base, `run${n}`, 'console.sock'), audit: join(state, 'emergency.log') };
}

/** Attaches as `uid`: the proof file is created by root and given to uid, as only the kernel (or root) can. */
async function attachAs(socket: string, uid: number): Promise<{ c: RawClient; answer: Record<string, unknown> }> {
  const c = await rawClient(socket);
  const hello = await c.next((f) => f.t === 'hello');
  const proof = join(dirname(socket), 'auth', String(hello.nonce));
  writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
  chownSync(proof, uid, uid);
  c.send({ t: 'auth', client: hello.server });
  return { c, answer: await c.next((f) => f.t === 'welcome' || f.t === 'refused') };
}

let nextId = 1;
async function intent(c: RawClient, name: string, args: unknown = {}): Promise<Record<string, unknown>> {
  const id = nextId++;
  c.send({ t: 'intent', id, name, args });
  return c.next((f) => f.t === 'result' && f.id === id);
}

describe('operators and roles on the server socket', () => {
  it('maps each uid to its operator: a viewer may read but not unisolate (refused, audited), an operator may; an unknown uid is a viewer', async () => {
    const { config, socket, audit } = configWith({
      unknown: 'viewer',
      people: [
        { name: 'alice', os_users: ['root'], roles: ['operator', 'approver'] },
        { name: 'dan', os_users: ['daemon'], roles: ['viewer'] },
      ],
    });
    server = await startServer(config, socket);
    const dan = await attachAs(socket, DAEMON);
    expect(dan.answer.t).toBe('welcome');
    expect((await intent(dan.c, 'status')).ok).toBe(true);
    const refused = await intent(dan.c, 'alerts.unisolate', { devices: ['node-1'] });
    expect(refused.ok).toBe(false);
    expect(refused.error).toBe('refused: alerts.unisolate needs the operator role; dan has role viewer');
    // Starting a run: refused before the run intents see it; an intent nobody has declared yet is
    // closed to viewers too (fail closed).
    const start = await intent(dan.c, 'run.start', { runbook: 'l1-soft-reset', target: 'caddy' });
    expect(start.error).toBe('refused: run.start needs the operator role; dan has role viewer');
    const future = await intent(dan.c, 'fleet.reboot-everything', {});
    expect(future.error).toMatch(/^refused: fleet\.reboot-everything needs the operator role/);
    // Reading a run's output is a viewer's right.
    const output = await intent(dan.c, 'run.output', { runId: 'nope' });
    expect(output.error ?? '').not.toMatch(/^refused/);

    const stranger = await attachAs(socket, NOBODY);
    expect(stranger.answer.t).toBe('welcome');
    const s2 = await intent(stranger.c, 'alerts.unisolate', { devices: [] });
    expect(s2.error).toBe('refused: alerts.unisolate needs the operator role; nobody is not a configured operator (unknown identities are viewer)');

    const alice = await attachAs(socket, 0);
    // Past the role check, the alerts store answers (nothing is isolated in this fleet).
    const ok = await intent(alice.c, 'alerts.unisolate', { devices: ['node-1'] });
    expect(ok.error).toMatch(/^node-1 is not isolated: nothing to undo/);

    const log = readFileSync(audit, 'utf8');
    expect(log).toMatch(/\] ACCESS: REFUSED alerts\.unisolate by dan \(os-user daemon uid 1\) - role viewer, needs operator\n/);
    expect(log).toMatch(/\] ACCESS: REFUSED run\.start by dan \(os-user daemon uid 1\) - role viewer, needs operator\n/);
    expect(log).not.toMatch(/REFUSED run\.output/);
    expect(log).toMatch(/\] ACCESS: REFUSED alerts\.unisolate by nobody \(os-user nobody uid 65534\) - role viewer, needs operator\n/);
    expect(log).not.toMatch(/by alice/);
    await server.waitLog(/warn  REFUSED alerts\.unisolate by dan/);
    for (const x of [dan, stranger, alice]) x.c.socket.destroy();
  });

  it('with unknown: refused, a uid no operator claims cannot attach at all (said, audited); a known one can', async () => {
    const { config, socket, audit } = configWith({ unknown: 'refused', people: [{ name: 'alice', os_users: ['root'], roles: ['operator'] }] });
    server = await startServer(config, socket);
    const stranger = await attachAs(socket, NOBODY);
    expect(stranger.answer).toMatchObject({ t: 'refused', reason: 'os-user nobody uid 65534 is not a configured operator of this server (operators.unknown: refused)' });
    await stranger.c.closed;
    expect(readFileSync(audit, 'utf8')).toMatch(/ACCESS: REFUSED attach by unknown os-user nobody uid 65534 - not a configured operator/);
    const alice = await attachAs(socket, 0);
    expect(alice.answer.t).toBe('welcome');
    alice.c.socket.destroy();
  });

  it('without an operators section every local user is an operator, as before', async () => {
    const { config, socket } = configWith(undefined);
    server = await startServer(config, socket);
    const other = await attachAs(socket, NOBODY);
    expect(other.answer.t).toBe('welcome');
    const r = await intent(other.c, 'alerts.unisolate', { devices: ['node-1'] });
    expect(r.error).toMatch(/^node-1 is not isolated: nothing to undo/);
    other.c.socket.destroy();
  });

  it('refuses to start on a key that is not a key, naming the operator and the line; and on a keys_file it cannot read', async () => {
    const good = generateEd25519KeyPair({ comment: 'bob@laptop' }).public;
    const bad = configWith({ people: [{ name: 'bob', keys: [good, 'ssh-ed25519 not-base64!!'], roles: ['operator'] }] });
    const s = spawnServer(['--config', bad.config, '--socket', bad.socket]);
    expect(await s.exited).toBe(2);
    expect(s.log()).toMatch(/operators: operators\.people\[bob\]\.keys\[1\] \(bob\): unreadable ssh-ed25519 key/);
    const missing = configWith({ people: [{ name: 'bob', keys_file: 'nope/bob.pub', roles: ['operator'] }] });
    const s2 = spawnServer(['--config', missing.config, '--socket', missing.socket]);
    expect(await s2.exited).toBe(2);
    expect(s2.log()).toMatch(/operators: bob's keys_file \S+nope\/bob\.pub cannot be read: ENOENT/);
    // A role that does not exist is a config error like any other typo.
    const typo = configWith({ people: [{ name: 'bob', os_users: ['bob'], roles: ['admin'] }] });
    const s3 = spawnServer(['--config', typo.config, '--socket', typo.socket]);
    expect(await s3.exited).not.toBe(0);
    expect(s3.log()).toMatch(/operators\.people\[0\]\.roles\[0\]: expected one of: "viewer", "operator", "approver", found "admin"/);
  });
});
