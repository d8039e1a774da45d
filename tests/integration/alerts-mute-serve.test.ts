// Maintenance and silences through the BUILT server (R-MON-3), in real time: intents carried out
// as the operator the socket proved (a viewer is refused), audited in emergency.log, shown to every
// console on the alerts topic, and ending by themselves when their time is up; bad arguments are
// refused in words with nothing changed. Needs root (a second uid) and dist/.
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { requireRoot } from '../helpers/requirements';
import { rawClient, startServer, type RawClient, type RunningServer } from '../helpers/console-server';
import { runCli } from '../helpers/cli';

requireRoot('a viewer is another uid (daemon), proven by the kernel');
const REPO = resolve(__dirname, '../..');
const DAEMON = 1;

let base = '';
let fleet: DemoFleet | undefined;
let server: RunningServer | undefined;
let socket = '';
let audit = '';
let state = '';

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  base = mkdtempSync(join(tmpdir(), 'doai-mute-serve-'));
  chmodSync(base, 0o711);
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 3 });
  const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  state = join(base, 'state');
  audit = join(state, 'emergency.log');
  doc.paths = { ...(doc.paths as object), state_dir: state, audit_log: audit };
  doc.operators = { unknown: 'viewer', people: [{ name: 'alice', os_users: ['root'], roles: ['operator'] }, { name: 'dan', os_users: ['daemon'], roles: ['viewer'] }] };
  const config = join(dirname(fleet.configPath), 'mute.yaml');
  writeFileSync(config, YAML.stringify(doc));
  socket = join(base, 'run', 'console.sock');
  server = await startServer(config, socket);
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await fleet?.stop();
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

async function attachAs(uid: number): Promise<RawClient> {
  const c = await rawClient(socket);
  const hello = await c.next((f) => f.t === 'hello');
  const proof = join(dirname(socket), 'auth', String(hello.nonce));
  writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
  chownSync(proof, uid, uid);
  c.send({ t: 'auth', client: hello.server });
  await c.next((f) => f.t === 'welcome');
  return c;
}

let nextId = 1;
async function intent(c: RawClient, name: string, args: unknown): Promise<Record<string, unknown>> {
  const id = nextId++;
  c.send({ t: 'intent', id, name, args });
  return c.next((f) => f.t === 'result' && f.id === id, 20_000);
}

function lastAlerts(c: RawClient): Record<string, unknown> | undefined {
  const all = c.frames.filter((f) => f.t === 'snapshot' && f.topic === 'alerts');
  return all[all.length - 1]?.data as Record<string, unknown> | undefined;
}

async function eventually<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('maintenance and silences on the server', () => {
  it('a viewer is refused; bad arguments are refused in words; nothing changes', async () => {
    const dan = await attachAs(DAEMON);
    const refused = await intent(dan, 'alerts.maintenance', { service: 'doai-orchestrator', minutes: 30, reason: 'x' });
    expect(refused.ok).toBe(false);
    expect(String(refused.error)).toMatch(/viewer|role|not allowed|operator/i);
    const alice = await attachAs(0);
    const noReason = await intent(alice, 'alerts.silence', { rule: 'orchestrator_down', minutes: 30, reason: ' ' });
    expect(noReason).toMatchObject({ ok: false, error: 'a reason is required (it goes to the audit log and the incident timeline)' });
    const badMinutes = await intent(alice, 'alerts.silence', { rule: 'orchestrator_down', minutes: 'soon', reason: 'x' });
    expect(badMinutes).toMatchObject({ ok: false, error: 'minutes: expected a number of minutes' });
    const unknown = await intent(alice, 'alerts.maintenance', { service: 'nope', minutes: 30, reason: 'x' });
    expect(unknown).toMatchObject({ ok: false, error: 'no service "nope" in the config — select a service and press m' });
    const ack = await intent(alice, 'alerts.ack', { key: 'orchestrator_down:doai-orchestrator' });
    expect(ack).toMatchObject({ ok: false, error: 'no firing alert orchestrator_down:doai-orchestrator — it may have resolved meanwhile' });
    expect(existsSync(join(state, 'mutes.json'))).toBe(false);
    dan.socket.destroy();
    alice.socket.destroy();
  });

  it('maintenance started by the operator is audited, shown to consoles and status, and ends by itself in real time', async () => {
    const alice = await attachAs(0);
    alice.send({ t: 'subscribe', topics: ['alerts'] });
    const started = await intent(alice, 'alerts.maintenance', { service: 'doai-orchestrator', minutes: 0.05, reason: 'kernel upgrade' });
    expect(started.ok).toBe(true);
    const id = (started.value as { id: string }).id;
    expect(id).toMatch(/^m-[0-9a-f]{6}$/);
    expect(readFileSync(audit, 'utf8')).toMatch(new RegExp(`ALERTS: MAINTENANCE ${id} doai-orchestrator for 3 s until \\S+ by root - kernel upgrade`));
    const shown = await eventually('the window on the alerts topic', () => {
      const mutes = (lastAlerts(alice)?.mutes ?? []) as Record<string, unknown>[];
      return mutes.find((m) => m.id === id);
    });
    expect(shown).toMatchObject({ what: 'maintenance', service: 'doai-orchestrator', reason: 'kernel upgrade', by: 'root' });
    expect(JSON.parse(readFileSync(join(state, 'mutes.json'), 'utf8')).maintenance[0]).toMatchObject({ id, service: 'doai-orchestrator' });
    // Its time is up: gone from every console without anyone touching it.
    await eventually('the window to end', () => {
      const mutes = (lastAlerts(alice)?.mutes ?? [1]) as unknown[];
      return mutes.length === 0;
    });
    expect(JSON.parse(readFileSync(join(state, 'mutes.json'), 'utf8')).maintenance).toEqual([]);
    const silence = await intent(alice, 'alerts.silence', { subject: 'caddy', minutes: 10, reason: 'cert renewal' });
    expect(silence.ok).toBe(true);
    const sid = (silence.value as { id: string }).id;
    const window = await intent(alice, 'alerts.maintenance', { service: 'caddy', minutes: 30, reason: 'proxy upgrade' });
    expect(window.ok).toBe(true);
    const mid = (window.value as { id: string }).id;
    // status lists what is muted, until when, by whom and why; they are not counted as faults.
    await eventually('the silence on the alerts topic', () => ((lastAlerts(alice)?.mutes ?? []) as { id: string }[]).some((m) => m.id === sid));
    const listed = await runCli(['status', '--socket', socket]);
    expect(listed.stdout).toMatch(new RegExp(`^silence +${sid} +IN FORCE +.*subject=caddy until \\S+ by root — cert renewal$`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^maintenance +${mid} +IN FORCE +.*caddy until \\S+ by root — proxy upgrade$`, 'm'));
    const json = JSON.parse((await runCli(['status', '--socket', socket, '--json'])).stdout) as { items: { kind: string; name: string; healthy: boolean }[] };
    const mutes = json.items.filter((i) => i.kind === 'silence' || i.kind === 'maintenance');
    expect(mutes.map((i) => [i.kind, i.name, i.healthy])).toEqual([
      ['silence', sid, true],
      ['maintenance', mid, true],
    ]);
    // The verdict counts what the server watches, not the silences and windows listed beside it.
    const counted = Number(/(?:All|of) (\d+)(?: not)? healthy\.$/m.exec(listed.stdout)?.[1]);
    expect(counted).toBe(json.items.length - mutes.length);
    const removed = await intent(alice, 'alerts.unsilence', { id: sid });
    expect(removed.ok).toBe(true);
    expect(readFileSync(audit, 'utf8')).toContain(`ALERTS: UNSILENCE ${sid} by root`);
    expect((await intent(alice, 'alerts.maintenance.end', { id: mid })).ok).toBe(true);
    await eventually('both gone from the alerts topic', () => ((lastAlerts(alice)?.mutes ?? [1]) as unknown[]).length === 0);
    const status = await runCli(['status', '--socket', socket]);
    expect(status.stdout).not.toContain('FAILED');
    expect(status.stdout).not.toContain(sid);
    expect(status.stdout).not.toContain(mid);
    alice.socket.destroy();
  }, 40_000);
  it('`silence rm <id>` removes a silence through the server: a viewer is refused, an unknown id is said, the removal is audited', async () => {
    const alice = await attachAs(0);
    const made = await intent(alice, 'alerts.silence', { rule: 'orchestrator_down', minutes: 30, reason: 'planned failover' });
    expect(made.ok).toBe(true);
    const sid = (made.value as { id: string }).id;
    const window = await intent(alice, 'alerts.maintenance', { service: 'caddy', minutes: 30, reason: 'proxy upgrade' });
    const mid = (window.value as { id: string }).id;
    // dan (a viewer, uid daemon) runs the same command: the server refuses it (it knows the uid from the socket, never from args), nothing removed.
    const asDan = await runCli(['silence', 'rm', sid, '--socket', socket], { uid: DAEMON, env: { HOME: base } });
    expect(asDan.code, asDan.stderr).toBe(1);
    expect(asDan.stderr).toMatch(new RegExp(`cannot remove ${sid}: .*(viewer|role|not allowed|operator)`, 'i'));
    expect(readFileSync(audit, 'utf8')).not.toContain(`UNSILENCE ${sid}`);
    expect(JSON.parse(readFileSync(join(state, 'mutes.json'), 'utf8')).silences.map((x: { id: string }) => x.id)).toContain(sid);
    // Not an id, an unknown id, no server: said, exit 2 / 1 / 2.
    const bad = await runCli(['silence', 'rm', "s-1'; rm -rf /", '--socket', socket]);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, `"s-1'; rm -rf /" is not a silence id: give the id status lists (s-… for a silence, m-… for a maintenance window)`]);
    const unknown = await runCli(['silence', 'rm', 's-000000', '--socket', socket]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`cannot remove s-000000: no silence s-000000 in force (listed: ${sid})`);
    const none = await runCli(['silence', 'rm', sid, '--standalone']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('silences are kept by the server');
    // alice (operator, root) removes both: audited as the uid the socket proved, gone from status.
    const removed = await runCli(['silence', 'rm', sid, '--socket', socket]);
    expect([removed.code, removed.stdout]).toEqual([0, `silence ${sid} removed\n`]);
    expect(readFileSync(audit, 'utf8')).toContain(`ALERTS: UNSILENCE ${sid} by root`);
    const ended = await runCli(['silence', 'rm', mid, '--socket', socket]);
    expect([ended.code, ended.stdout]).toEqual([0, `maintenance window ${mid} ended\n`]);
    const status = await runCli(['status', '--socket', socket]);
    expect(status.stdout).not.toContain(sid);
    expect(status.stdout).not.toContain(mid);
    alice.socket.destroy();
  }, 40_000);
});
