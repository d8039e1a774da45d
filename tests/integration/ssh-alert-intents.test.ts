// An SSH session's alert keys go through the server's own intent handlers (issue 14 item 5):
// the dispatcher every socket console's intent takes (role check by the session's key, history,
// the handler — on a PostgreSQL follower the leader's ack). A real server core in this process
// (files state), a real node source over HTTP on loopback with one node gone quiet, so the
// node_offline alert fires; a viewer key's ack is refused and audited, an operator key's is
// recorded with the key, in the alert, the audit log and the intent history.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { filesBackend } from '../../src/state/backend';
import { createServerCore, type ServerCore } from '../../src/server/server-core';
import { sshAlertControl } from '../../src/server/ssh-control';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { fingerprint } from '../../src/ssh/known-hosts';
import type { Principal } from '../../src/operators/directory';
import { waitUntil } from '../helpers/console-server';

let dir: string;
let http: Server;
let core: ServerCore;
const keys = { vic: generateEd25519KeyPair({ comment: 'vic' }).public, alice: generateEd25519KeyPair({ comment: 'alice' }).public };
const fp = (pub: string) => fingerprint(Buffer.from(pub.split(' ')[1]!, 'base64'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-ssh-alerts-'));
  const now = Date.now();
  const nodes = [
    { id: 'node-1', last_heartbeat: new Date(now).toISOString() },
    { id: 'node-2', last_heartbeat: new Date(now - 3_600_000).toISOString() },
  ];
  http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ nodes }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  const state = join(dir, 'state');
  const cfg = join(dir, 'console.yaml');
  writeFileSync(
    cfg,
    `node_sources:\n  - { name: devices, url: "http://127.0.0.1:${port}/nodes" }\nnodes:\n  interval_s: 1\n  offline_after_s: 600\n` +
      `paths:\n  state_dir: ${state}\n  audit_log: ${join(state, 'emergency.log')}\n` +
      `operators:\n  unknown: refused\n  people:\n    - { name: vic, keys: ["${keys.vic}"], roles: [viewer] }\n    - { name: alice, keys: ["${keys.alice}"], roles: [operator] }\n`,
  );
  core = createServerCore(loadConfig(cfg), { state: filesBackend(state), log: () => undefined, acceptNew: false, socket: 'test', evaluator: 'server' });
  core.start();
}, 30_000);

afterAll(async () => {
  await core?.stop();
  core?.ctx.close();
  await new Promise((r) => http?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function principal(name: 'vic' | 'alice'): Principal {
  return core.gate.directory.resolve({ kind: 'ssh-key', fingerprint: fp(keys[name]), keyType: 'ssh-ed25519' })!;
}

describe('alert keys from an SSH session', () => {
  it('a viewer key\'s ack is refused and audited; an operator key\'s is recorded with the key', async () => {
    const alerts = core.ctx.monitors!.alerts;
    const firing = await waitUntil('node_offline to fire', () => alerts.getSnapshot().alerts.find((a) => a.kind === 'node_offline' && a.state === 'firing'), 20_000);
    const audit = () => (existsSync(join(dir, 'state', 'emergency.log')) ? readFileSync(join(dir, 'state', 'emergency.log'), 'utf8') : '');

    const vic = principal('vic');
    expect(await sshAlertControl(core.dispatch, vic).acknowledge(firing.key)).toEqual({ ok: false, error: 'refused: alerts.ack needs the operator role; vic has role viewer' });
    expect(audit()).toContain(`ACCESS: REFUSED alerts.ack by vic (ssh-key ${fp(keys.vic)}) - role viewer, needs operator`);
    expect(alerts.getSnapshot().alerts.find((a) => a.key === firing.key)?.acknowledged).toBeUndefined();
    // Silence and maintenance take the same road.
    expect(await sshAlertControl(core.dispatch, vic).silence({ rule: firing.rule }, 30, 'x')).toMatchObject({ ok: false, error: expect.stringContaining('alerts.silence needs the operator role') });

    const alice = principal('alice');
    expect(await sshAlertControl(core.dispatch, alice).acknowledge(firing.key)).toEqual({ ok: true });
    const who = `alice (ssh-key ${fp(keys.alice)})`;
    expect(alerts.getSnapshot().alerts.find((a) => a.key === firing.key)?.acknowledged?.by).toBe(who);
    await waitUntil('the ack audited', () => audit().includes(`ACK ${firing.key} by ${who}`), 10_000);
    await core.history.settled();
    const intents = readFileSync(join(dir, 'state', 'history', 'intents.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string; intent: string; uid: number });
    expect(intents).toContainEqual(expect.objectContaining({ intent: 'alerts.ack', user: who, uid: -1 }));
    // A second ack is the handler's refusal, said to the session.
    expect(await sshAlertControl(core.dispatch, alice).acknowledge(firing.key)).toMatchObject({ ok: false, error: expect.stringContaining(`already acknowledged by ${who}`) });
  }, 40_000);
});
