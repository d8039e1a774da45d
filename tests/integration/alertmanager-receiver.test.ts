// POST /api/alertmanager (R-MON-2) with the BUILT server and a REAL Alertmanager: an alert pushed
// into Alertmanager (POST /api/v2/alerts) reaches the console through its webhook (bearer token),
// appears firing beside the console's own alerts with its source (status, the alerts topic the
// panes and wall screen read, alerts.jsonl), feeds the level recommendation through
// alertmanager.symptoms, opens an incident with the alert in its timeline, and resolves when
// pushed again with endsAt. Bad posts (no/wrong token, malformed JSON, not v4, too big) are
// refused in words with nothing applied.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { requireTools } from '../helpers/requirements';
import { proveAsRoot, rawClient, startServer, type RawClient, type RunningServer } from '../helpers/console-server';
import { runCli } from '../helpers/cli';
import { freePort } from '../helpers/sshd';
import { ALERTMANAGER, startAlertmanager, type StackProcess } from '../helpers/prom-stack';

requireTools([ALERTMANAGER], 'apt-get install prometheus-alertmanager');
const REPO = resolve(__dirname, '../..');
const TOKEN = 'am-test-token-3f9c';

let base = '';
let fleet: DemoFleet | undefined;
let server: RunningServer | undefined;
let am: StackProcess | undefined;
let client: RawClient | undefined;
let port = 0;
let socket = '';
let state = '';

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  base = mkdtempSync(join(tmpdir(), 'doai-am-'));
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 5 });
  const config = parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  config.alertmanager = {
    token_env: 'DOAI_TEST_AM_TOKEN',
    max_body_bytes: 4096,
    symptoms: [{ match: { alertname: 'HostDown' }, symptom: 'host_unreachable' }],
  };
  // An incident the alerts opened resolves as soon as they all have (no settle wait in the test).
  config.resolve_settle_s = 0;
  writeFileSync(fleet.configPath, stringify(config));
  state = join(base, 'demo', 'state');
  port = await freePort();
  socket = join(base, 'run', 'console.sock');
  server = await startServer(fleet.configPath, socket, ['--metrics', `127.0.0.1:${port}`], { DOAI_TEST_AM_TOKEN: TOKEN });
  await server.waitLog(/alertmanager receiver on http:\/\/127\.0\.0\.1:\d+\/api\/alertmanager/);
}, 60_000);

afterAll(async () => {
  client?.socket.destroy();
  await am?.stop();
  await server?.stop('SIGTERM');
  await fleet?.stop();
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

const url = () => `http://127.0.0.1:${port}/api/alertmanager`;
const alertsFile = () => (existsSync(join(state, 'alerts.jsonl')) ? readFileSync(join(state, 'alerts.jsonl'), 'utf8') : '');
const v4 = (alerts: unknown[]) => JSON.stringify({ version: '4', status: 'firing', receiver: 'doai', groupKey: 'k', alerts });
const one = { status: 'firing', labels: { alertname: 'Probe', service: 'x' }, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'f00' };

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const r = await fetch(url(), { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.status, text: await r.text() };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- server log:\n${server?.log()}\n--- alertmanager:\n${am?.log() ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the LAST snapshot of a topic satisfies pred (snapshots are latest-wins). */
function latest(topic: string, pred: (data: string) => boolean): Promise<Record<string, unknown>> {
  return eventually(`the latest ${topic} snapshot to match`, () => {
    const all = client!.frames.filter((f) => f.t === 'snapshot' && f.topic === topic);
    const last = all[all.length - 1];
    return last && pred(JSON.stringify(last.data)) ? last : undefined;
  });
}

describe('Alertmanager receiver', () => {
  it('refuses posts without the token, with a wrong one, malformed, not v4 or too big — nothing applied', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const none = await post(v4([one]), {});
    expect(none.status).toBe(401);
    expect(none.text).toContain('a bearer token is required');
    const wrong = await post(v4([one]), { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('wrong bearer token');
    const bad = await post('{"version": "4", "alerts": [', auth);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('malformed JSON');
    const v3 = await post(JSON.stringify({ version: '3', alerts: [one] }), auth);
    expect(v3.status).toBe(400);
    expect(v3.text).toContain('only webhook payload version \\"4\\" is understood');
    // One good alert and one broken one: the good one is not applied either.
    const half = await post(v4([one, { ...one, fingerprint: 'f01', startsAt: 'yesterday' }]), auth);
    expect(half.status).toBe(400);
    expect(half.text).toContain('alerts.1.startsAt: not a date — nothing applied');
    const big = await post(v4([{ ...one, annotations: { summary: 'x'.repeat(5000) } }]), auth);
    expect(big.status).toBe(413);
    expect(big.text).toContain('over alertmanager.max_body_bytes (4096): nothing applied');
    expect(alertsFile()).not.toContain('alertmanager');
    expect(server!.log()).toContain('alertmanager: refused a post from 127.0.0.1: no bearer token');
    expect(server!.log()).not.toContain(TOKEN);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('doai_alertmanager_requests_total{status="401"} 2');
    expect(metrics).toContain('doai_alertmanager_requests_total{status="400"} 3');
    expect(metrics).toContain('doai_alertmanager_requests_total{status="413"} 1');
  });

  it('a real Alertmanager delivers an alert: firing with its source, recommendation, incident; then resolved', async () => {
    am = await startAlertmanager(join(base, 'am'), url(), TOKEN);
    client = await rawClient(socket);
    await proveAsRoot(client, socket);
    client.send({ t: 'subscribe', topics: ['alerts', 'fleet'] });
    const startsAt = new Date().toISOString();
    const alert = { labels: { alertname: 'HostDown', host: 'demo-db', severity: 'critical' }, annotations: { summary: 'demo-db does not answer node_exporter' }, startsAt };
    const pushed = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
    expect(pushed.status).toBe(200);

    // alerts.jsonl (the wall screen and the timeline read it) has it, with its source.
    const fired = await eventually('the alert fired in alerts.jsonl', () =>
      alertsFile()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.type === 'alert.fired' && l.source === 'alertmanager'),
    );
    expect(fired).toMatchObject({ rule: 'HostDown', subject: 'demo-db', kind: 'external', state: 'firing', message: 'demo-db does not answer node_exporter' });
    // The alerts topic the panes read: firing beside the console's own.
    const snap = await latest('alerts', (d) => d.includes('HostDown'));
    const a = (snap.data as { alerts: Record<string, unknown>[] }).alerts.find((x) => x.rule === 'HostDown');
    expect(a).toMatchObject({ source: 'alertmanager', state: 'firing', subject: 'demo-db' });
    // The recommendation: host_unreachable on demo-db → L3 on it.
    const rec = await latest('fleet', (d) => d.includes('l3-box-reset'));
    expect((rec.data as { recommendation: { level: string; target: string } }).recommendation).toMatchObject({ level: 'L3', target: 'demo-db' });
    // status names it with its source.
    const status = await runCli(['status', '--socket', socket]);
    expect(status.stdout).toMatch(/AM HostDown/);
    // An incident was opened, with the alert in its timeline.
    const incident = await eventually('an incident file', () => {
      const dir = join(state, 'incidents');
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
      const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
      return texts.find((t) => t.includes('Alert HostDown fired'));
    });
    expect(incident).toContain('Incident opened by an alert from alertmanager: HostDown demo-db');
    expect(incident).toMatch(/"severity":\s*"P1"/);

    // Resolved: pushed again with endsAt now.
    const ended = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...alert, endsAt: new Date().toISOString() }]) });
    expect(ended.status).toBe(200);
    await eventually('the alert resolved in alerts.jsonl', () => alertsFile().includes('"type":"alert.resolved"') && alertsFile().includes('resolved by alertmanager'));
    const after = await latest('alerts', (d) => d.includes('"state":"resolved"') && d.includes('HostDown'));
    expect((after.data as { firing: number }).firing).toBe(0);
    // The recommendation no longer names demo-db's L3.
    await latest('fleet', (d) => !d.includes('l3-box-reset'));
    const resolvedIncident = await eventually('the resolution in the incident timeline', () => {
      const dir = join(state, 'incidents');
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .find((t) => t.includes('Alert HostDown resolved') && t.includes('Every alert from alertmanager resolved') && /"resolvedAt"/.test(t));
    });
    expect(resolvedIncident).toContain('Alert HostDown fired');
  }, 90_000);
});
