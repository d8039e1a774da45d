// The Vultr v2 reboot client against a loopback node:http server that checks the method, the
// path and the bearer header itself (R-RUN-1 L3, R-AUD-3): 204 accepted; 401, 5xx and a hung
// API end with a clear message; the key is in no message, event, journal or audit line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { configSchema, type ProviderConfig } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { rebootInstance } from '../../src/provider/vultr';
import { createRunEngine } from '../../src/runbook/engine';
import type { RunEvent } from '../../src/runbook/events';
import { parseRunbook } from '../../src/runbook/loader';
import type { RemoteShell } from '../../src/ssh/types';
import { FileLockStore } from '../../src/runbook/locks';

const KEY = 'VULTR-KEY-0123456789abcdef';
const ENV = { TEST_VULTR_KEY: KEY };

let server: Server;
let base: string;
let seen: { method?: string; url?: string; auth?: string }[];
let reply: (req: IncomingMessage, res: ServerResponse) => void;
let dir: string;

beforeEach(async () => {
  seen = [];
  dir = mkdtempSync(join(tmpdir(), 'doai-provider-'));
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization });
    req.resume();
    // The server, not the test, decides: only POST .../reboot with the right bearer is accepted.
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: 'Invalid API token.', status: 401 }));
    }
    if (req.method !== 'POST' || req.url !== '/v2/instances/inst-42/reboot') {
      res.writeHead(405);
      return res.end();
    }
    reply(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reply = (_req, res) => {
    res.writeHead(204);
    res.end();
  };
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function provider(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return { kind: 'vultr', instance_id: 'inst-42', api_key_env: 'TEST_VULTR_KEY', base_url: base, ...overrides };
}

describe('rebootInstance', () => {
  it('POSTs /v2/instances/{id}/reboot with the bearer key and reports the accepted reboot', async () => {
    const res = await rebootInstance({ provider: provider(), hostName: 'vm1', env: ENV, timeoutMs: 2_000 });
    expect(res).toMatchObject({ ok: true, status: 204 });
    expect(res.message).toBe(`POST ${base}/v2/instances/inst-42/reboot: HTTP 204 — reboot of instance inst-42 accepted`);
    expect(seen).toEqual([{ method: 'POST', url: '/v2/instances/inst-42/reboot', auth: `Bearer ${KEY}` }]);
  });

  it('401: the key was refused — says which variable to check, never the key', async () => {
    const res = await rebootInstance({ provider: provider(), hostName: 'vm1', env: { TEST_VULTR_KEY: 'wrong-key-value' }, timeoutMs: 2_000 });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(401);
    expect(res.message).toMatch(/HTTP 401 \(Invalid API token\.\) — the provider refused the API key in TEST_VULTR_KEY; check the key .* or reboot it by hand in the Vultr console \(https:\/\/my\.vultr\.com\/subs\/\?id=inst-42\)/);
    expect(res.message).not.toContain('wrong-key-value');
  });

  it('5xx: the provider has a problem — try again or reboot by hand', async () => {
    reply = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `upstream down for ${KEY}` }));
    };
    const res = await rebootInstance({ provider: provider(), hostName: 'vm1', env: ENV, timeoutMs: 2_000 });
    expect(res).toMatchObject({ ok: false, status: 503 });
    expect(res.message).toMatch(/HTTP 503 — the provider API has a problem; try again in a few minutes or reboot it by hand/);
    // An API error text that echoes the key is dropped rather than shown.
    expect(res.message).not.toContain(KEY);
  });

  it('a hung API times out: the reboot may or may not have happened — look before retrying', async () => {
    reply = () => {
      // never answers
    };
    const t0 = Date.now();
    const res = await rebootInstance({ provider: provider(), hostName: 'vm1', env: ENV, timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/no answer within 0\.3 s — the reboot may or may not have been accepted; check the instance in the Vultr console/);
  });

  it('a missing key or a refused connection is said in words', async () => {
    const missing = await rebootInstance({ provider: provider(), hostName: 'vm1', env: {}, timeoutMs: 1_000 });
    expect(missing).toEqual({ ok: false, message: expect.stringMatching(/^the provider API key is not set: export TEST_VULTR_KEY/) });
    expect(seen).toHaveLength(0);
    const refused = await rebootInstance({ provider: provider({ base_url: 'http://127.0.0.1:1' }), hostName: 'vm1', env: ENV, timeoutMs: 1_000 });
    expect(refused.message).toMatch(/connection refused/);
  });
});

describe('provider-reboot step in a run', () => {
  const runbookText = `id: reboot-only
level: L3
audit_name: L3_BOX_RESET
title: { ko: 재부팅, en: Reboot }
approval: auto
target: host
steps:
  - id: reboot-api
    kind: provider-reboot
    when: host.provider
    timeout_s: 1
  - id: reboot-manual
    kind: confirm
    unless: host.provider
    prompt: { ko: "콘솔에서 재부팅", en: "Reboot in the console" }
`;
  const noShell: RemoteShell = { exec: () => Promise.reject(new Error('no ssh')), probe: async () => ({ ok: false, error: 'no' }), close: () => {} };

  async function run(env: NodeJS.ProcessEnv) {
    const parsed = parseRunbook(runbookText, 'r.yaml');
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const config = configSchema.parse({ hosts: [{ name: 'vm1', address: '127.0.0.1', provider: provider() }] });
    const auditPath = join(dir, 'emergency.log');
    const engine = createRunEngine({
      config,
      runbooks: new Map([['reboot-only', parsed.runbook]]),
      shell: noShell,
      clock: new FakeClock(),
      operator: 'orion',
      // Redaction is the second line of defence; the client must not print the key at all.
      audit: new AuditLog(auditPath, { secrets: () => [] }),
      journalDir: join(dir, 'journal'),
      locks: new FileLockStore(join(dir, 'locks')),
      env,
      batchMs: 0,
    });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    const started = engine.start('reboot-only', 'vm1');
    if (!started.ok) throw new Error(started.error);
    const outcome = await engine.waitFor(started.runId);
    const all = JSON.stringify(events) + readFileSync(join(dir, 'journal', `${started.runId}.jsonl`), 'utf8') + readFileSync(auditPath, 'utf8');
    return { outcome, events, all, view: engine.getSnapshot().runs[0]! };
  }

  it('accepted: the step is ok and the manual step skipped', async () => {
    const r = await run(ENV);
    expect(r.outcome).toBe('success');
    expect(r.view.steps.map((s) => `${s.id}:${s.state}`)).toEqual(['reboot-api:ok', 'reboot-manual:skipped']);
    expect(r.all).not.toContain(KEY);
  });

  for (const [name, setup, expected] of [
    ['401', () => undefined, /the provider refused the API key in TEST_VULTR_KEY/],
    [
      '500',
      () =>
        (reply = (_q, res) => {
          res.writeHead(500);
          res.end();
        }),
      /HTTP 500 — the provider API has a problem/,
    ],
    ['timeout', () => (reply = () => {}), /no answer within 1 s/],
  ] as const) {
    it(`${name}: the step fails with the message, the run fails, the key is nowhere`, async () => {
      setup();
      const r = await run(name === '401' ? { TEST_VULTR_KEY: `${KEY}-revoked` } : ENV);
      expect(r.outcome).toBe('failed');
      const step = r.view.steps.find((s) => s.id === 'reboot-api')!;
      expect(step.state).toBe('failed');
      expect(step.detail).toMatch(expected);
      expect(r.view.message).toMatch(expected);
      expect(r.all).not.toContain(KEY);
    });
  }
});
