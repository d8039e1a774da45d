// An SSH session's run intents go through the server's one dispatcher (issue 13): role check by
// the session's key, a line in the intent history, then the handler an attached console's intent
// reaches. The built `serve --ssh` and a real ssh2 client at 120 × 40: alice starts L2 on the
// dashboard and cancels it on its approval form; the history has run.start and run.answer under
// her key. A server core in this process on a demo fleet, through the same control an SSH session
// gets: alice's start and cancel (each in the history, the run hers), a viewer key's start and
// cancel refused by the dispatcher's role check and audited, an approval answer recorded with its
// code as "[given]", never its value; sign-offs and incidents the same way (the unit test of the
// gated checklist and incident controls went with them).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, Client as SshClient } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshRig, type SshRig } from '../helpers/ssh-console';
import { waitUntil } from '../helpers/console-server';
import { fingerprint } from '../../src/ssh/known-hosts';
import { loadConfig } from '../../src/config/load';
import { filesBackend } from '../../src/state/backend';
import { createServerCore, type ServerCore } from '../../src/server/server-core';
import { sshChecklists, sshIncidents, sshRunControl } from '../../src/server/ssh-control';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import type { Principal } from '../../src/operators/directory';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import YAML from 'yaml';

const { Client } = ssh2;

interface HistoryLine {
  uid: number;
  user: string;
  via: string;
  key?: string;
  intent: string;
  args: Record<string, unknown>;
  outcome?: string;
}

function history(stateDir: string): HistoryLine[] {
  const file = join(stateDir, 'history', 'intents.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryLine);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

describe('run intents from an SSH session (the built serve --ssh, ssh2 client)', () => {
  let rig: SshRig;
  let client: SshClient | undefined;

  beforeAll(async () => {
    rig = await sshRig([{ name: 'alice', roles: ['operator'] }], { approval: { L2: 'declared' } });
    await rig.start();
  }, 60_000);

  afterAll(async () => {
    client?.end();
    await rig?.stop();
  });

  function shell(): Promise<{ ch: ClientChannel; text: () => string }> {
    return new Promise((resolve, reject) => {
      const c = new Client();
      client = c;
      c.on('error', reject);
      c.on('ready', () =>
        c.shell({ cols: 120, rows: 40, term: 'xterm-256color' }, (err, ch) => {
          if (err) return reject(err);
          let raw = '';
          ch.on('data', (d: Buffer) => (raw += d.toString('utf8')));
          resolve({ ch, text: () => raw.replace(ANSI, '') });
        }),
      );
      c.connect({ host: '127.0.0.1', port: rig.port, username: 'ops', privateKey: readFileSync(rig.keyFile('alice')), hostVerifier: (key: Buffer) => fingerprint(key) === rig.hostFingerprint, readyTimeout: 20_000 });
    });
  }

  it('alice starts L2 and cancels it from the approval form: both intents in the history under her key, as the socket\'s are', async () => {
    const { ch, text } = await shell();
    await waitUntil('the dashboard', () => /doai-orchestrator/.test(text()) && /1-3 reset/.test(text()), 30_000);
    let from = 0;
    const after = (re: RegExp) => () => re.test(text().slice(from));
    // L2 is for the orchestrator (the selection starts on caddy, a proxy): down to it, one key a packet.
    for (const n of [1, 2]) {
      from = text().length;
      ch.write('j');
      await waitUntil(`the selection moved ${n}`, after(n === 1 ? /› db-proxy/ : /› doai-orchestrator/), 20_000);
    }
    from = text().length;
    ch.write('2');
    await waitUntil('L2 asked for or its form', after(/restart anyway with L2|CONFIRMATION —/), 20_000);
    if (/restart anyway with L2/.test(text().slice(from))) {
      from = text().length;
      ch.write('y');
    }
    await waitUntil('the approval form', after(/CONFIRMATION —/), 20_000);
    const start = await waitUntil('run.start in the history', () => history(rig.state).find((l) => l.intent === 'run.start'), 10_000);
    expect(start).toMatchObject({ uid: -1, user: 'alice', via: 'ssh-key', key: rig.fingerprintOf('alice'), args: { runbook: expect.stringMatching(/l2/i), target: expect.any(String) }, outcome: 'ok' });

    // Cancel from the form (Esc: letters go into its code field): asked first, then the server's
    // run.answer (the form's own way to cancel: the run ends before anything ran).
    from = text().length;
    ch.write('\x1b');
    await waitUntil('the cancel question', after(/\(y\/n\)/), 20_000);
    from = text().length;
    ch.write('y');
    const answer = await waitUntil('run.answer in the history', () => history(rig.state).find((l) => l.intent === 'run.answer'), 20_000);
    expect(answer).toMatchObject({ uid: -1, user: 'alice', via: 'ssh-key', key: rig.fingerprintOf('alice'), args: { runId: expect.any(String), answer: { kind: 'cancel' } }, outcome: 'ok' });
    await waitUntil('the cancel in the audit log', () => existsSync(rig.audit) && /L2_SERVICE_RESET: .*CANCEL/.test(readFileSync(rig.audit, 'utf8')), 20_000);
    // The server log names the key, not a uid.
    await rig.server!.waitLog(new RegExp(`intent run\\.answer by alice \\(ssh-key ${rig.fingerprintOf('alice').replace(/[+/]/g, '\\$&')}\\)`));
  }, 90_000);
});

describe('run intents from an SSH session (a server core in this process)', () => {
  let dir: string;
  let core: ServerCore;
  const keys = { vic: generateEd25519KeyPair({ comment: 'vic' }).public, alice: generateEd25519KeyPair({ comment: 'alice' }).public };
  const fp = (pub: string) => fingerprint(Buffer.from(pub.split(' ')[1]!, 'base64'));

  let fleet: DemoFleet;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doai-ssh-runs-'));
    fleet = await startDemoFleet({ dir: join(dir, 'demo'), timeScale: 20, nodeCount: 3 });
    const state = join(dir, 'state');
    const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
    doc.paths = { ...(doc.paths as object), state_dir: state, audit_log: join(state, 'emergency.log') };
    doc.approval = { ...(doc.approval as object), L2: 'declared' };
    doc.operators = { unknown: 'refused', people: [{ name: 'vic', keys: [keys.vic], roles: ['viewer'] }, { name: 'alice', keys: [keys.alice], roles: ['operator'] }] };
    const cfg = join(dir, 'console.yaml');
    writeFileSync(cfg, YAML.stringify(doc));
    core = createServerCore(loadConfig(cfg), { state: filesBackend(state), log: () => undefined, acceptNew: true, socket: 'test', evaluator: 'server' });
    core.start();
  }, 30_000);

  afterAll(async () => {
    for (const r of core?.ctx.engine.getSnapshot().runs ?? []) if (r.state === 'running') core.ctx.engine.cancel(r.runId);
    await core?.stop();
    core?.ctx.close();
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const principal = (name: 'vic' | 'alice'): Principal => core.gate.directory.resolve({ kind: 'ssh-key', fingerprint: fp(keys[name]), keyType: 'ssh-ed25519' })!;
  const audit = () => (existsSync(join(dir, 'state', 'emergency.log')) ? readFileSync(join(dir, 'state', 'emergency.log'), 'utf8') : '');
  const runbooks = () => core.ctx.engine.listRunbooks();

  it('a viewer key\'s start (even a dry run) is refused by the dispatcher\'s role check and audited; nothing starts', async () => {
    const vic = sshRunControl(core.dispatch, runbooks, principal('vic'));
    await expect(vic.start('l1-soft-reset', 'caddy', { dryRun: true })).rejects.toThrow('refused: run.start needs the operator role; vic has role viewer');
    await expect(vic.cancel('r-1')).rejects.toThrow('refused: run.cancel needs the operator role; vic has role viewer');
    expect(audit()).toContain(`ACCESS: REFUSED run.start by vic (ssh-key ${fp(keys.vic)}) - role viewer, needs operator`);
    expect(audit()).toContain(`ACCESS: REFUSED run.cancel by vic (ssh-key ${fp(keys.vic)}) - role viewer, needs operator`);
    expect(core.ctx.engine.getSnapshot().runs).toEqual([]);
    await core.history.settled();
    expect(history(join(dir, 'state')).filter((l) => l.user === 'vic')).toEqual([]);
  });

  it('an operator key\'s start and cancel are the handlers\' (the run is alice\'s), each a line in the history under the key', async () => {
    const alice = sshRunControl(core.dispatch, runbooks, principal('alice'));
    const started = await alice.start('l2-service-reset', 'doai-orchestrator');
    expect(started).toMatchObject({ ok: true });
    const runId = (started as { runId: string }).runId;
    // L2 waits for its approval form: still running when it is cancelled.
    const run = await waitUntil('the run waiting for approval', () => core.ctx.engine.getSnapshot().runs.find((r) => r.runId === runId && r.prompt?.kind === 'approval'), 20_000);
    expect(run.operator).toBe('alice');
    await alice.cancel(runId);
    await waitUntil('the run cancelled', () => core.ctx.engine.getSnapshot().runs.find((r) => r.runId === runId && r.state === 'cancelled'), 20_000);
    await core.history.settled();
    const lines = history(join(dir, 'state')).filter((l) => l.user === 'alice');
    expect(lines).toContainEqual(expect.objectContaining({ uid: -1, via: 'ssh-key', key: fp(keys.alice), intent: 'run.start', args: { runbook: 'l2-service-reset', target: 'doai-orchestrator' }, outcome: 'ok' }));
    expect(lines).toContainEqual(expect.objectContaining({ uid: -1, via: 'ssh-key', key: fp(keys.alice), intent: 'run.cancel', args: { runId }, outcome: 'ok' }));
    // A second cancel: the handler's refusal, said to the session and recorded.
    await expect(alice.cancel(runId)).rejects.toThrow(`run ${runId} is over (CANCELLED)`);
  }, 40_000);

  it('sign-offs and incidents take the same road: a viewer key\'s refused and audited, an operator key\'s recorded as the operator, in the history under the key', async () => {
    const vic = principal('vic');
    await expect(sshChecklists(core.dispatch, vic).sign('i-1', 'item-1')).rejects.toThrow('refused: checklist.sign needs the operator role; vic has role viewer');
    await expect(sshIncidents(core.dispatch, vic).openManual('from vic')).rejects.toThrow('refused: incident.open needs the operator role; vic has role viewer');
    expect(audit()).toContain(`ACCESS: REFUSED checklist.sign by vic (ssh-key ${fp(keys.vic)}) - role viewer, needs operator`);
    expect(audit()).toContain(`ACCESS: REFUSED incident.open by vic (ssh-key ${fp(keys.vic)}) - role viewer, needs operator`);
    expect(core.ctx.ops.incidents.getSnapshot().incidents.filter((i) => i.title === 'from vic')).toEqual([]);

    const opened = await sshIncidents(core.dispatch, principal('alice')).openManual('db-proxy slow over ssh', 'P2');
    expect(opened).toMatchObject({ ok: true });
    const incident = core.ctx.ops.incidents.getSnapshot().incidents.find((i) => i.id === (opened as { id: string }).id)!;
    expect(incident.openedBy).toBe('alice');
    await core.history.settled();
    expect(history(join(dir, 'state'))).toContainEqual(
      expect.objectContaining({ uid: -1, user: 'alice', via: 'ssh-key', key: fp(keys.alice), intent: 'incident.open', args: { title: 'db-proxy slow over ssh', severity: 'P2' }, outcome: 'ok' }),
    );
  });

  it('an operator key\'s answer to an approval form is the handler\'s, in the history with its code as [given]', async () => {
    const alice = sshRunControl(core.dispatch, runbooks, principal('alice'));
    await expect(alice.answerApproval!('r-none', { kind: 'approve', name: 'bob', code: '4F2A91' })).rejects.toThrow('no run r-none on this server');
    await core.history.settled();
    const line = history(join(dir, 'state')).find((l) => l.intent === 'run.answer');
    expect(line).toMatchObject({ uid: -1, user: 'alice', via: 'ssh-key', key: fp(keys.alice), args: { runId: 'r-none', answer: { kind: 'approve', name: 'bob', code: '[given]' } }, outcome: 'refused: no run r-none on this server' });
    expect(readFileSync(join(dir, 'state', 'history', 'intents.jsonl'), 'utf8')).not.toContain('4F2A91');
  });
});
