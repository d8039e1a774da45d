// "WebSocket accepts connections" (seed 000's post-recovery list) as a live fact: undici's
// WebSocket opens and closes against the demo orchestrator's /ws; a crashed orchestrator, a
// refused port, a plain HTTP server and a server that never answers the upgrade each fail in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeClock } from '../../src/core/clock';
import { configSchema, type Config } from '../../src/config/schema';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { checkWebSocket, createWebSocketMonitor } from '../../src/health/websocket';

let dir: string;
let fleet: DemoFleet;
let config: Config;
let wsUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-ws-demo-'));
  fleet = await startDemoFleet({ dir, timeScale: 50, nodeCount: 5 });
  config = configSchema.parse(parse(readFileSync(fleet.configPath, 'utf8')));
  wsUrl = config.services.find((s) => s.websocket_url)!.websocket_url!;
});

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('WebSocket check', () => {
  it('accepts: the demo orchestrator completes the handshake and the connection is closed again', async () => {
    fleet.injectFault('clear');
    const r = await checkWebSocket(wsUrl, 3_000);
    expect(r.ok).toBe(true);
    expect(r.latencyMs).toBeLessThan(3_000);
  });

  it('the monitor keeps the fact per service with websocket_url: accepts, fails while crashed, accepts again', async () => {
    const clock = new FakeClock();
    const ws = createWebSocketMonitor({ config, clock, timeoutMs: 3_000 });
    expect(ws.getSnapshot().checks).toEqual([{ service: 'doai-orchestrator', ok: null, lastCheckAt: null }]);
    await ws.checkNow();
    expect(ws.getSnapshot().checks[0]).toMatchObject({ service: 'doai-orchestrator', ok: true, lastCheckAt: clock.now() });

    fleet.injectFault('crash');
    await ws.checkNow();
    const failed = ws.getSnapshot().checks[0]!;
    expect(failed.ok).toBe(false);
    expect(failed.error).toBeTruthy();
    fleet.injectFault('clear');
    const deadline = Date.now() + 10_000;
    while (ws.getSnapshot().checks[0]!.ok !== true && Date.now() < deadline) {
      await ws.checkNow();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ws.getSnapshot().checks[0]!.ok).toBe(true);
  });

  it('a refused port fails in words', async () => {
    expect(await checkWebSocket('ws://127.0.0.1:9/ws', 2_000)).toMatchObject({ ok: false, error: expect.stringMatching(/connection refused|handshake failed/) });
  });

  it('an HTTP server that answers 404 instead of 101 fails; one that never answers times out at the deadline', async () => {
    const plain = http.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    const silent = net.createServer(() => {});
    const held: net.Socket[] = [];
    silent.on('connection', (s) => held.push(s));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const notWs = await checkWebSocket(`ws://127.0.0.1:${(plain.address() as AddressInfo).port}/ws`, 2_000);
      expect(notWs.ok).toBe(false);
      const started = Date.now();
      const hung = await checkWebSocket(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/ws`, 500);
      expect(hung).toMatchObject({ ok: false, error: 'timeout after 0.5 s (no handshake)' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of held) s.destroy();
      plain.closeAllConnections();
      await new Promise<void>((r) => plain.close(() => r()));
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
