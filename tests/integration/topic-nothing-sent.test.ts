// No frame carries nothing (issue 13, fleet deltas, third round). A store may tell the socket of a
// change the socket has already sent (its notice comes after the socket read its newest snapshot:
// under 1,000 probe results a second that was a stream of empty deltas, ~130 bytes each), or
// publish a new snapshot equal to the last one (the fleet and nodes topics compare what they hold).
// Neither sends a frame: a raw console
// subscribed to the fleet, nodes and console topics counts exactly one frame per real change, with
// seqs that still follow one another, and rebuilds exactly what the stores hold.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import { challengeDirFor } from '../../src/protocol/socket-path';
import { Connections } from '../../src/server/connections';
import { prepareChallengeDir } from '../../src/server/identity';
import { RemoteFleetStore } from '../../src/attach/remote-fleet';
import { RemoteNodesStore } from '../../src/attach/remote-nodes';
import { decodeFrame } from '../../src/protocol/wire';
import { compareNodes } from '../../src/core/node-order';
import type { FleetSnapshot, NodesSnapshot, ServiceHealth } from '../../src/core/views';
import type { ConsoleRunsSnapshot } from '../../src/protocol/runs';
import { proveAsRoot, rawClient, waitUntil, type RawClient } from '../helpers/console-server';

/** A store the test sets, and whose notice it can repeat with nothing new (a late notice). */
class Settable<S> extends BatchedStore<S> {
  put(next: S): void {
    this.set(next);
  }
  noticeAgain(): void {
    this.schedule();
  }
}

const T0 = Date.UTC(2026, 11, 3, 10);

function service(i: number, probes: number): ServiceHealth {
  return {
    name: `svc-${i}`,
    host: 'box',
    state: probes ? 'UP' : 'UNKNOWN',
    ...(probes ? { httpStatus: 200, latencyMs: 10 + probes } : {}),
    samples: Array.from({ length: Math.min(probes, 30) }, (_, k) => 10 + k),
    consecutiveFailures: 0,
    threshold: 2,
    lastChangeAt: probes ? new Date(T0) : null,
    lastProbeAt: probes ? new Date(T0 + probes * 1000) : null,
  };
}

function fleetAt(probes: number[], at: number): FleetSnapshot {
  return { services: probes.map((p, i) => service(i, p)), intervalMs: 1000, timeScale: 1, updatedAt: new Date(at) };
}

function nodesAt(online: boolean[], at: number): NodesSnapshot {
  const nodes = online.map((on, i) => ({ id: `n${i}`, source: 'rack', lastHeartbeat: new Date(at - 1000), labels: ['rack=a'], online: on }));
  const up = online.filter(Boolean).length;
  return {
    total: nodes.length,
    online: up,
    offline: nodes.length - up,
    onlineRatio: up / nodes.length,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: nodes.sort(compareNodes),
    sources: [{ name: 'rack', lastFetchAt: new Date(at), lastOkAt: new Date(at), count: nodes.length }],
    updatedAt: new Date(at),
  };
}

function consoleAt(lines: string[]): ConsoleRunsSnapshot {
  return {
    runs: [{ runId: 'r1', runbook: 'l1', operator: 'alice', state: 'running' } as unknown as ConsoleRunsSnapshot['runs'][number]],
    outputVersion: lines.length,
    output: { r1: { from: 0, lines: lines.map((line) => ({ stepId: 's1', stream: 'stdout' as const, line })) } },
  };
}

let dir = '';
let socket = '';
let hub: Connections | undefined;
let client: RawClient | undefined;
const fleet = new Settable(fleetAt([1, 1, 1], T0));
const nodes = new Settable(nodesAt([true, true, false], T0));
const runs = new Settable(consoleAt(['one']));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-nothing-sent-'));
  socket = join(dir, 'run', 'console.sock');
  mkdirSync(join(dir, 'run'), { mode: 0o755 });
  const challengeDir = challengeDirFor(socket);
  prepareChallengeDir(challengeDir, process.geteuid!());
  hub = new Connections({ socket, challengeDir, log: () => undefined, topics: { fleet, nodes, console: runs } as never, handle: async () => null });
  await hub.listen();
});

afterAll(async () => {
  client?.socket.destroy();
  await hub?.close('test over', false);
  rmSync(dir, { recursive: true, force: true });
});

type Snap = { t: string; topic: string; seq: number; data: unknown };
const frames = (topic: string): Snap[] => (client?.frames ?? []).filter((f): f is Snap & Record<string, unknown> => f.t === 'snapshot' && f.topic === topic) as Snap[];
/** Frames as the attached console decodes them (Dates revived). */
const decoded = (topic: string) => frames(topic).map((f) => decodeFrame(JSON.stringify(f)) as unknown as Snap);

/** Lets every pending notice and flush run (a few event-loop turns; a paced fleet frame within its period). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('nothing sent when nothing a console holds changed', () => {
  it('late notices and snapshots equal to the last send no frame on the fleet, nodes and console topics; each real change sends one, the seq following on', async () => {
    client = await rawClient(socket);
    expect(await proveAsRoot(client, socket)).toMatchObject({ t: 'welcome' });
    client.send({ t: 'subscribe', topics: ['fleet', 'nodes', 'console'] });
    await waitUntil('the first frame of each topic', () => frames('fleet').length && frames('nodes').length && frames('console').length, 10_000);

    let probes = [1, 1, 1];
    let online = [true, true, false];
    let lines = ['one'];
    let at = T0;
    for (let round = 1; round <= 4; round++) {
      // Nothing new: the notice again for the snapshot already sent, then (fleet, nodes) an equal snapshot of new objects.
      fleet.noticeAgain();
      nodes.noticeAgain();
      runs.noticeAgain();
      await settle();
      fleet.put(fleetAt(probes, at));
      nodes.put(nodesAt(online, at));
      await settle();
      fleet.noticeAgain();
      nodes.noticeAgain();
      runs.noticeAgain();
      await settle();
      // A real change on each topic: one frame each.
      at += 1000;
      probes = probes.map((p, i) => (i === round % 3 ? p + 1 : p));
      online = online.map((o, i) => (i === round % 3 ? !o : o));
      lines = [...lines, `line ${round}`];
      fleet.put(fleetAt(probes, at));
      nodes.put(nodesAt(online, at));
      runs.put(consoleAt(lines));
      for (const topic of ['fleet', 'nodes', 'console']) await waitUntil(`${topic} frame ${round + 1}`, () => frames(topic).some((f) => f.seq === round + 1), 10_000);
      await settle();
      for (const topic of ['fleet', 'nodes', 'console']) {
        expect(frames(topic).map((f) => f.seq), `${topic} after round ${round}`).toEqual(Array.from({ length: round + 1 }, (_, k) => k + 1));
      }
    }

    // Every delta carries a change, and the console rebuilds exactly what the stores hold.
    for (const f of frames('fleet').slice(1)) expect((f.data as { changed: unknown[] }).changed.length).toBeGreaterThan(0);
    const heldFleet = new RemoteFleetStore(() => undefined);
    for (const f of decoded('fleet')) heldFleet.deliver(f.data as FleetSnapshot, f.seq);
    expect(heldFleet.getSnapshot()).toEqual(fleet.getSnapshot());
    const heldNodes = new RemoteNodesStore(() => undefined);
    for (const f of decoded('nodes')) heldNodes.deliver(f.data as NodesSnapshot, f.seq);
    expect(heldNodes.getSnapshot()).toEqual(nodes.getSnapshot());
    expect(frames('console').map((f) => (f.data as ConsoleRunsSnapshot).output.r1?.lines.map((l) => l.line))).toEqual([['one'], ['line 1'], ['line 2'], ['line 3'], ['line 4']]);
  });
});
