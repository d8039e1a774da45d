// Webhook notifications (R-HLT-5, R-SEC-3, R-AUD-3) against a loopback HTTP receiver: the
// Slack-compatible body, retries on 500, the timeout, and the URL (a secret) never in an error,
// the alerts file, or the screen.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, cleanup } from 'ink-testing-library';
import { Notifier, postJson, redactUrl, resolveWebhookUrl, scrub } from '../../src/notify/webhook';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { FleetSnapshot, ServiceHealth } from '../../src/core/views';
import { createAlertsStore } from '../../src/health/alerts-store';
import { AlertsPane } from '../../screens/dashboard/alerts-pane';

interface Received {
  path: string;
  contentType?: string;
  body: string;
}

let server: http.Server;
let base: string;
const received: Received[] = [];
/** What the receiver does with the next requests, in order; then 200. */
let script: ('500' | 'hang' | '200' | '404')[] = [];
const hung = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      const what = script.shift() ?? '200';
      if (what === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(what === '500' ? 500 : what === '404' ? 404 : 200, { 'content-type': 'text/plain' });
      res.end(what === '200' ? 'ok' : 'error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hung) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const dirs: string[] = [];
afterEach(() => {
  received.length = 0;
  script = [];
  cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

const SECRET_PATH = '/services/T000SECRET/B000SECRET/XXXXsecretTOKENxxxx';
const hook = (extra: Record<string, unknown> = {}) => configSchema.parse({ notifications: { webhooks: [{ name: 'ops-slack', url_env: 'DOAI_TEST_WEBHOOK', timeout_s: 1, retries: 2, ...extra }] } }).notifications.webhooks[0]!;
const noWait = { sleep: async () => {}, backoffMs: () => 0 };

describe('webhook delivery', () => {
  it('POSTs a Slack-compatible {"text": ...} JSON body to the URL from the environment', async () => {
    const url = `${base}${SECRET_PATH}`;
    const n = new Notifier({ webhooks: [hook()], env: { DOAI_TEST_WEBHOOK: url }, ...noWait });
    const [r] = await n.send('[FIRING] orchestrator_down: doai-orchestrator down');
    expect(r).toMatchObject({ webhook: 'ops-slack', ok: true, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe(SECRET_PATH);
    expect(received[0]!.contentType).toBe('application/json');
    expect(JSON.parse(received[0]!.body)).toEqual({ text: '[FIRING] orchestrator_down: doai-orchestrator down' });
  });

  it('retries on 500 (retries + 1 attempts at most), succeeding on a later attempt', async () => {
    script = ['500', '500', '200'];
    const r = await postJson(`${base}/hook`, { text: 'x' }, { timeoutMs: 1000, retries: 2, ...noWait });
    expect(r).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(received).toHaveLength(3);
    script = ['500', '500', '500', '500'];
    received.length = 0;
    const failed = await postJson(`${base}/hook`, { text: 'x' }, { timeoutMs: 1000, retries: 2, ...noWait });
    expect(failed).toEqual({ ok: false, attempts: 3, status: 500, error: 'HTTP 500' });
    expect(received).toHaveLength(3);
  });

  it('does not retry a 4xx (the request itself is wrong)', async () => {
    script = ['404'];
    const r = await postJson(`${base}/hook`, { text: 'x' }, { timeoutMs: 1000, retries: 2, ...noWait });
    expect(r).toEqual({ ok: false, attempts: 1, status: 404, error: 'HTTP 404' });
  });

  it('a receiver that never answers times out after timeout_s, per attempt, and says so', async () => {
    script = ['hang', 'hang'];
    const started = Date.now();
    const r = await postJson(`${base}${SECRET_PATH}`, { text: 'x' }, { timeoutMs: 300, retries: 1, ...noWait });
    const took = Date.now() - started;
    expect(r).toEqual({ ok: false, attempts: 2, error: 'timeout after 0.3 s' });
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(3000);
  });

  it('a refused connection is an error in words that never contains the URL', async () => {
    const dead = `http://127.0.0.1:9${SECRET_PATH}`;
    const r = await postJson(dead, { text: 'x' }, { timeoutMs: 500, retries: 0, ...noWait });
    expect(r.ok).toBe(false);
    expect(r.error).toBe('connection refused');
    expect(JSON.stringify(r)).not.toContain('SECRET');
  });
});

describe('the URL is a secret', () => {
  it('redacted to scheme and host; scrub removes the whole URL, its path and its query from any text', () => {
    const url = `https://hooks.slack.com${SECRET_PATH}?token=abcd1234`;
    expect(redactUrl(url)).toBe('https://hooks.slack.com/…');
    const text = `POST ${url} failed; path ${SECRET_PATH} query token=abcd1234`;
    const clean = scrub(text, url);
    expect(clean).not.toContain('SECRET');
    expect(clean).not.toContain('abcd1234');
    expect(clean).toContain('https://hooks.slack.com/…');
  });

  it('missing env var, a not-URL value, a group-readable url_file and a missing file: each says what to do, none shows the value', () => {
    expect(resolveWebhookUrl(hook(), { env: {} })).toEqual({
      ok: false,
      error: 'webhook ops-slack: environment variable DOAI_TEST_WEBHOOK is not set — export it with the webhook URL before starting the console',
    });
    const bad = resolveWebhookUrl(hook(), { env: { DOAI_TEST_WEBHOOK: 'not a url with SECRET inside' } });
    expect(bad).toEqual({ ok: false, error: 'webhook ops-slack: the value in environment variable DOAI_TEST_WEBHOOK is not an http(s) URL — check it (it is not shown here because it is a secret)' });

    const dir = mkdtempSync(join(tmpdir(), 'doai-hook-'));
    dirs.push(dir);
    const file = join(dir, 'slack.url');
    writeFileSync(file, `${base}${SECRET_PATH}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const fileHook = hook({ url_env: undefined, url_file: 'slack.url' });
    const open = resolveWebhookUrl(fileHook, { baseDir: dir });
    expect(open).toEqual({ ok: false, error: `webhook ops-slack: ${file} is readable by other users — run \`chmod 600 ${file}\` and restart` });
    chmodSync(file, 0o600);
    expect(resolveWebhookUrl(fileHook, { baseDir: dir })).toEqual({ ok: true, url: `${base}${SECRET_PATH}` });
    expect(resolveWebhookUrl(fileHook, { baseDir: dir, uid: 4242 })).toMatchObject({ ok: false, error: expect.stringContaining('belongs to another user') });
    const missing = resolveWebhookUrl(hook({ url_env: undefined, url_file: join(dir, 'nope') }), {});
    expect(missing).toEqual({ ok: false, error: `webhook ops-slack: cannot read ${join(dir, 'nope')} (ENOENT) — write the webhook URL into it with mode 0600` });
  });

  it('a config naming neither url_env nor url_file (or an inline url) is refused when loaded', () => {
    expect(() => configSchema.parse({ notifications: { webhooks: [{ name: 'x' }] } })).toThrow(/exactly one of url_env or url_file/);
    expect(() => configSchema.parse({ notifications: { webhooks: [{ name: 'x', url: 'https://hooks.slack.com/x' }] } })).toThrow();
  });

  it('end to end: a failing webhook is visible in the alerts pane and recorded, and the URL is in neither', async () => {
    script = ['500', '500', '500'];
    const url = `${base}${SECRET_PATH}`;
    const dir = mkdtempSync(join(tmpdir(), 'doai-hook-'));
    dirs.push(dir);
    const clock = new FakeClock();
    const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'vm' }], notifications: { webhooks: [{ name: 'ops-slack', url_env: 'DOAI_TEST_WEBHOOK', timeout_s: 1, retries: 2 }] } });
    const down: ServiceHealth = { name: 'doai-orchestrator', host: 'vm', state: 'DOWN', samples: [], consecutiveFailures: 3, threshold: 3, lastChangeAt: null, lastProbeAt: null, lastError: 'connection refused' };
    const fleet = new BatchedStore<FleetSnapshot>({ services: [down], intervalMs: 30_000, timeScale: 1, updatedAt: null });
    const notifier = new Notifier({ webhooks: config.notifications.webhooks, env: { DOAI_TEST_WEBHOOK: url }, ...noWait });
    const file = join(dir, 'alerts.jsonl');
    const alerts = createAlertsStore({ config, clock, fleet, notifier, file });
    await alerts.evaluateNow();
    await alerts.settled();
    expect(received).toHaveLength(3);
    const snap = alerts.getSnapshot();
    const { lastFrame } = render(<AlertsPane snapshot={snap} alerts={snap.alerts} filter="" cursor={0} height={6} width={160} focused now={clock.now()} lang="en" />);
    const frame = lastFrame() ?? '';
    expect(frame).toContain('notification failed: ops-slack: HTTP 500');
    const recorded = readFileSync(file, 'utf8');
    expect(recorded).toContain('"error":"HTTP 500"');
    for (const text of [frame, recorded, JSON.stringify(snap)]) {
      expect(text).not.toContain('SECRET');
      expect(text).not.toContain(url);
    }
  });
});
