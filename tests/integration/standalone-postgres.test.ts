// A standalone console on a postgres state (issue 13 item 2 with issue 15): it runs the server's
// core in-process, but the lease and the outbox belong to the servers, so it never leads. It shows
// the service DOWN and pages nobody, whatever it sees. A `serve` on the same database leads and
// pages once. Built binary in tmux, a real PostgreSQL 15 cluster, loopback health endpoint and
// webhook receiver.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { BIN, waitForProcessesGone } from '../helpers/cli';
import { startServer, waitUntil } from '../helpers/console-server';
import { startTmux, type TmuxSession } from '../helpers/tmux';
import { startTestCluster, type TestCluster } from '../helpers/postgres';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');

let cluster: TestCluster;
let base = '';
let health: Server;
let receiver: Server;
let term: TmuxSession | undefined;
let healthy = true;
const received: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  base = mkdtempSync(join(tmpdir(), 'doai-standalone-pg-'));
  health = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end(healthy ? 'ok' : 'down');
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push((JSON.parse(body) as { text: string }).text);
      res.end('ok');
    });
  });
  await Promise.all([new Promise<void>((r) => health.listen(0, '127.0.0.1', r)), new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))]);
}, 120_000);

afterAll(async () => {
  term?.kill();
  if (base) await waitForProcessesGone(base);
  await cluster?.stop();
  await Promise.all([new Promise((r) => (health ? health.close(r) : r(undefined))), new Promise((r) => (receiver ? receiver.close(r) : r(undefined)))]);
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 5 });
});

describe('standalone console on a postgres state', () => {
  it('never leads: the service is DOWN on its screen and nothing is paged; a server on the same database pages once', async () => {
    const url = await cluster.createDatabase('standalone_solo');
    const dir = join(base, 'solo');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'console.yaml');
    writeFileSync(
      config,
      stringify({
        health: { interval_s: 1, timeout_s: 0.5, failure_threshold: 2 },
        hosts: [{ name: 'local', address: '127.0.0.1', port: 9 }],
        services: [{ name: 'api', host: 'local', unit: 'api.service', health_url: `http://127.0.0.1:${(health.address() as AddressInfo).port}/health` }],
        alerts: [{ name: 'api_down', kind: 'service_down', action: 'notify_oncall' }],
        notifications: { webhooks: [{ name: 'oncall', url_env: 'TEST_HOOK_URL', retries: 3, timeout_s: 2 }] },
        paths: { state_dir: join(dir, 'state'), approvals_dir: join(dir, 'approvals') },
        state: { backend: 'postgres', url_env: 'DOAI_PG_URL' },
      }),
    );
    const env = { DOAI_PG_URL: url, TEST_HOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, NO_COLOR: '1' };
    healthy = false;
    term = startTmux(`node ${BIN} --standalone --config ${config} --lang en`, { cols: 120, rows: 30, env });
    const s = await term.waitFor(/api\s+DOWN/, 30_000);
    expect(s).toContain('standalone');
    // Well past the threshold (2 failures at 1 s) and a delivery's time: nothing was posted.
    await new Promise((r) => setTimeout(r, 4000));
    expect(received).toEqual([]);
    expect(await cluster.query('standalone_solo', "SELECT 1 FROM pg_tables WHERE tablename = 'doai_outbox'")).toHaveLength(0);

    // A server on the same database leads and pages, once.
    const server = await startServer(config, join(dir, 'run', 'console.sock'), [], env);
    try {
      await server.waitLog(/leading \(term 1\)/);
      await waitUntil('the FIRING notification', () => received.find((t) => t.startsWith('[FIRING] api_down')), 20_000);
      await new Promise((r) => setTimeout(r, 2000));
      expect(received.filter((t) => t.startsWith('[FIRING] api_down'))).toHaveLength(1);
    } finally {
      await server.stop('SIGTERM');
    }
    healthy = true;
    term.send('q');
    await term.waitFor(/\[exit 0\]/, 20_000);
  }, 120_000);
});
