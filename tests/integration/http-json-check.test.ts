// HTTP checks with a JSON body condition (`json: { status: ok }`, seed 002 Type 1: `/api/health`
// must answer {"status":"ok"}, not only HTTP 200), against a real node:http server on loopback
// whose body the test changes: the http step and the poll check pass or fail on the field.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineInDir } from '../helpers/engine-in-dir';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { planLines } from '../../src/runbook/engine';
import { parseRunbook } from '../../src/runbook/loader';
import type { Runbook } from '../../src/runbook/schema';
import type { RemoteShell } from '../../src/ssh/types';

// HTTP steps only: any SSH use is a bug in the test.
const noShell: RemoteShell = { exec: () => Promise.reject(new Error('no ssh in this test')), probe: async () => ({ ok: false, error: 'no ssh' }), close: () => {} };

let dir: string;
let http: Server;
let port: number;
let body = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-json-check-'));
  http = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

beforeEach(() => {
  body = '';
});

const yaml = `id: api-json
level: L1
audit_name: API_JSON
title: { ko: JSON 확인, en: JSON check }
approval: auto
target: service
steps:
  - id: once
    kind: http
    url: "{{service.health_url}}"
    json: { status: ok, db.connected: true }
  - id: poll
    kind: poll
    attempts: 2
    interval_s: 1
    check: { kind: http, url: "{{service.health_url}}", json: { status: ok } }
`;

function runbook(text: string): Runbook {
  const r = parseRunbook(text, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.runbook;
}

async function run(): Promise<{ outcome: string; steps: [string, string, string | undefined][] }> {
  const rb = runbook(yaml);
  const { engine } = engineInDir(dir, {
    config: configSchema.parse({ hosts: [{ name: 'h1', address: '127.0.0.1' }], services: [{ name: 'api', host: 'h1', health_url: `http://127.0.0.1:${port}/api/health` }] }),
    runbooks: new Map([[rb.id, rb]]),
    shell: noShell,
    clock: realClock(100),
  });
  const started = engine.start('api-json', 'api');
  if (!started.ok) throw new Error(started.error);
  const outcome = await engine.waitFor(started.runId);
  const view = engine.getSnapshot().runs.find((r) => r.runId === started.runId)!;
  return { outcome, steps: view.steps.map((s) => [s.id, s.state, s.detail]) };
}

describe('http checks with json: { field: value }', () => {
  it('passes when every field has its value (nested by a dotted path)', async () => {
    body = JSON.stringify({ status: 'ok', version: '1.2', db: { connected: true } });
    const r = await run();
    expect(r.outcome, JSON.stringify(r.steps)).toBe('success');
  });

  it('HTTP 200 with {"status":"degraded"} fails the step, naming the field and both values', async () => {
    body = JSON.stringify({ status: 'degraded', db: { connected: true } });
    const r = await run();
    expect(r.outcome).toBe('failed');
    expect(r.steps[0]).toEqual(['once', 'failed', expect.stringContaining('HTTP 200 but the JSON field "status" is "degraded", expected "ok"')]);
  });

  it('a boolean is not the string "true"; a missing field and a non-JSON body are said plainly', async () => {
    body = JSON.stringify({ status: 'ok', db: { connected: 'true' } });
    expect((await run()).steps[0][2]).toContain('the JSON field "db.connected" is "true", expected true');
    body = JSON.stringify({ status: 'ok' });
    expect((await run()).steps[0][2]).toContain('the JSON body has no field "db.connected" (expected true)');
    body = '<html>ok</html>';
    expect((await run()).steps[0][2]).toContain('the body is not JSON ("<html>ok</html>")');
  });

  it('the poll check uses the same condition; the plan says what it expects', async () => {
    body = JSON.stringify({ status: 'starting', db: { connected: true } });
    const rb = runbook(yaml.replace('json: { status: ok, db.connected: true }', 'expect_status: 200'));
    expect(planLines(rb.steps, { hosts: new Map(), params: {}, run: { stamp: '', id: '', operator: '' } } as never).join('\n')).toContain('→ expect 200 and JSON status="ok"');
  });

  it('an empty condition or a key with spaces is refused when the file loads', () => {
    const bad = parseRunbook(yaml.replace('json: { status: ok, db.connected: true }', 'json: {}'), 'bad.yaml');
    expect(bad.ok).toBe(false);
    const spaced = parseRunbook(yaml.replace('json: { status: ok, db.connected: true }', 'json: { "a b": 1 }'), 'bad.yaml');
    expect(spaced.ok).toBe(false);
    if (!spaced.ok) expect(spaced.problems.join('\n')).toMatch(/bad\.yaml:\d+:\d+: .*field name or dotted path/);
  });
});
