// The fleet topic is paced on the socket (src/server/paced-topic.ts), but a service changing state
// is not held to the period: the real fleet store probing real HTTP targets on loopback, the
// socket's fleet period set to ten minutes, a raw console sees a service go DOWN as soon as the
// probe that made it so is applied (with the probe results held back until then), and rebuilds
// the list without asking for it again.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import { createFleetStore } from '../../src/health/fleet-store';
import { challengeDirFor } from '../../src/protocol/socket-path';
import { Connections } from '../../src/server/connections';
import { prepareChallengeDir } from '../../src/server/identity';
import { RemoteFleetStore } from '../../src/attach/remote-fleet';
import { decodeFrame } from '../../src/protocol/wire';
import type { FleetFrame } from '../../src/protocol/fleet-frames';
import { proveAsRoot, rawClient, waitUntil, type RawClient } from '../helpers/console-server';

let dir = '';
let http: Server;
let hub: Connections | undefined;
let client: RawClient | undefined;
const failing = new Set<string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-fleet-paced-'));
  http = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    res.statusCode = failing.has(name) ? 500 : 200;
    res.end(failing.has(name) ? 'failing' : 'ok');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  client?.socket.destroy();
  await hub?.close('test over', false);
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('paced fleet topic', () => {
  it('a service going DOWN reaches the console at once, whatever the period; the held-back probe results with it', async () => {
    const port = (http.address() as AddressInfo).port;
    const config = configSchema.parse({
      health: { interval_s: 600, timeout_s: 5, failure_threshold: 1, concurrency: 1 },
      hosts: [{ name: 'vm', address: '127.0.0.1' }],
      services: ['a', 'b', 'c'].map((name) => ({ name, host: 'vm', health_url: `http://127.0.0.1:${port}/${name}` })),
    });
    const fleet = createFleetStore({ config, clock: new FakeClock() });
    const socket = join(dir, 'run', 'console.sock');
    mkdirSync(join(dir, 'run'), { mode: 0o755 });
    const challengeDir = challengeDirFor(socket);
    prepareChallengeDir(challengeDir, process.geteuid!());
    hub = new Connections({ socket, challengeDir, log: () => undefined, topics: { fleet } as never, handle: async () => null, fleetFrameMs: 600_000 });
    await hub.listen();

    client = await rawClient(socket);
    expect(await proveAsRoot(client, socket)).toMatchObject({ t: 'welcome' });
    client.send({ t: 'subscribe', topics: ['fleet'] });
    const frames = () => client!.frames.filter((f) => f.t === 'snapshot' && f.topic === 'fleet').map((f) => decodeFrame(JSON.stringify(f)) as unknown as { seq: number; data: FleetFrame });
    let asked = 0;
    const held = new RemoteFleetStore(() => asked++);
    let fed = 0;
    const feed = () => {
      for (const f of frames().slice(fed)) held.deliver(f.data, f.seq), fed++;
      return held.getSnapshot();
    };
    await waitUntil('the whole list', () => feed(), 10_000);

    // The first sweep: UNKNOWN -> UP for each (state changes), all three shown.
    await fleet.probeNow();
    await waitUntil('a, b and c UP on the console', () => feed()?.services.every((s) => s.state === 'UP'), 10_000);

    // A sweep in which b fails: b DOWN reaches the console though the period has ten minutes to run.
    failing.add('b');
    await fleet.probeNow();
    const shown = await waitUntil('b DOWN on the console', () => feed()?.services.find((s) => s.name === 'b' && s.state === 'DOWN'), 10_000);
    expect(shown.lastError).toBeTruthy();
    // With it, a's probe result of this sweep (probed before b, one at a time): two samples now.
    expect(feed()!.services.find((s) => s.name === 'a')!.samples).toHaveLength(2);
    expect(asked).toBe(0);
    expect(frames().map((f) => f.seq)).toEqual(frames().map((_, k) => k + 1));
  });
});
