// A console inside the server process (an SSH session's) uses the same remote stores and controls
// as a socket-attached one, through an in-process port onto the server's own handler table
// (src/server/local-port.ts + src/server/run-intents.ts): the run, the checklist sign-off and the
// incident carry the identity the session proved, not the server's account. Real engine, real demo
// fleet over SSH on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { loadConfig } from '../../src/config/load';
import { buildContext, type ConsoleContext } from '../../src/cli/context';
import { createServerRuns, type ServerRuns } from '../../src/server/run-intents';
import { inProcessPort } from '../../src/server/local-port';
import { remoteOps, type RemoteOps } from '../../src/attach/remote-runs';
import type { ProvenIdentity } from '../../src/protocol/messages';
import { waitUntil } from '../helpers/console-server';

let dir: string;
let fleet: DemoFleet;
let ctx: ConsoleContext;
let served: ServerRuns;
let ops: RemoteOps;
const alice: ProvenIdentity = { uid: 4242, user: 'alice', via: 'local-socket' };
const calls: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-local-port-'));
  fleet = await startDemoFleet({ dir: join(dir, 'demo'), timeScale: 50, nodeCount: 0 });
  ctx = buildContext(loadConfig(fleet.configPath), {});
  ctx.ops.start();
  served = createServerRuns(ctx);
  served.start();
  const handlers = served.handlers as Record<string, (a: unknown, w: ProvenIdentity) => Promise<unknown>>;
  const port = inProcessPort(served.topics, (name, args) => {
    calls.push(name);
    return handlers[name]!(args, alice);
  });
  ops = await remoteOps(port);
}, 30_000);

afterAll(async () => {
  served?.stop();
  ctx?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('in-process port onto the server handlers', () => {
  it('lists the server runbooks; a start runs in the server engine as the session operator', async () => {
    expect(ops.control.listRunbooks().map((r) => r.id)).toContain('l1-soft-reset');
    const res = await ops.control.start('l1-soft-reset', 'doai-orchestrator');
    expect(res.ok).toBe(true);
    const runId = (res as { runId: string }).runId;
    const run = await waitUntil('the run to end', () => ops.runs.getSnapshot().runs.find((r) => r.runId === runId && r.state !== 'running'), 30_000);
    expect(run).toMatchObject({ state: 'success', operator: 'alice' });
    expect(readFileSync(ctx.loaded.paths.auditLog, 'utf8')).toMatch(/L1_SOFT_RESET: SUCCESS/);
    // The finished run's output is asked for once, then shown.
    ops.runs.getOutput(runId, 50);
    await waitUntil('the output', () => ops.runs.getOutput(runId, 50).length > 0, 10_000);
    expect(calls).toEqual(expect.arrayContaining(['run.start', 'run.output']));
  }, 60_000);

  it('a refusal is an answer in words, not a throw', async () => {
    const res = await ops.control.start('l1-soft-reset', 'no-such-service');
    expect(res).toMatchObject({ ok: false });
    expect((res as { error: string }).error).toMatch(/no-such-service/);
  });

  it('checklists and incidents act as the session operator', async () => {
    const def = ops.checklists.getSnapshot().definitions[0];
    expect(def).toBeDefined();
    const opened = await ops.checklistControl.open(def!.id, { target: 'doai-orchestrator' });
    expect(opened.ok).toBe(true);
    const inst = await waitUntil('the instance', () => ops.checklists.getSnapshot().instances.find((i) => i.instanceId === (opened as { instanceId: string }).instanceId), 10_000);
    expect(inst.createdBy).toBe('alice');
    const inc = await ops.incidentControl.openManual('disk filling on demo-db', 'P1');
    expect(inc.ok).toBe(true);
    const view = await waitUntil('the incident', () => ops.incidents.getSnapshot().incidents.find((i) => i.id === (inc as { id: string }).id), 10_000);
    expect(view.openedBy).toBe('alice');
  });
});
