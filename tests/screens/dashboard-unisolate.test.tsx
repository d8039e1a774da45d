// `u` on the dashboard puts isolated devices back (issue 4): the ISOLATED node under the cursor in
// the nodes pane, or every device the device error alert under the cursor isolated. Driven against
// the real alerts store (device_error_rate isolating, onIsolated marking the nodes as the console
// wires it), keys pressed by command id.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchedStore } from '../../src/core/store';
import { FakeClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import type { NodesSnapshot, NodeView } from '../../src/core/views';
import { compareNodes } from '../../src/health/nodes';
import { createAlertsStore } from '../../src/health/alerts-store';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

class MemoryStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

function node(id: string, errorRate: number): NodeView {
  return { id, source: 'devices', lastHeartbeat: new Date(T0.getTime() - 20_000), online: true, labels: ['rack-a'], errorRate };
}

function snapshot(nodes: NodeView[]): NodesSnapshot {
  return {
    total: nodes.length,
    online: nodes.length,
    offline: 0,
    onlineRatio: 1,
    errorRateHigh: nodes.filter((n) => (n.errorRate ?? 0) > 0.1).length,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: [...nodes].sort(compareNodes),
    sources: [{ name: 'devices', lastFetchAt: T0, lastOkAt: T0, count: nodes.length }],
    updatedAt: T0,
  };
}

const dirs: string[] = [];
const stores: { stop(): void; settled(): Promise<void> }[] = [];
afterEach(async () => {
  cleanup();
  // The alerts store appends alerts.jsonl asynchronously: let it finish before the folder goes,
  // or a late append recreates it in /tmp.
  for (const s of stores.splice(0)) {
    s.stop();
    await s.settled();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

async function setup(opts: { readOnly?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'doai-unisolate-'));
  dirs.push(dir);
  const raw = [node('node-001', 0.002), node('node-011', 0.31), node('node-012', 0.28)];
  const nodes = new MemoryStore<NodesSnapshot>(snapshot(raw));
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator' })]);
  const config = configSchema.parse({ services: [{ name: 'doai-orchestrator', host: 'demo-vm', health_url: 'http://127.0.0.1:1/health' }], hosts: [{ name: 'demo-vm', address: '127.0.0.1' }] });
  const alerts = createAlertsStore({
    config,
    clock: new FakeClock(T0),
    fleet,
    nodes,
    file: join(dir, 'alerts.jsonl'),
    // As the console's nodes store does: isolated devices are marked on their rows.
    onIsolated: (ids) => nodes.update(snapshot(raw.map((n) => (ids.includes(n.id) ? { ...n, isolated: true } : n)))),
  });
  stores.push(alerts);
  await alerts.evaluateNow();
  expect(alerts.getSnapshot().isolated.sort()).toEqual(['node-011', 'node-012']);
  const r = renderApp({
    fleet,
    configPath: '/home/orion/.config/doai-console/console.yaml',
    width: 140,
    height: 40,
    readOnly: opts.readOnly,
    fleetStores: { nodes, alerts, isolation: alerts },
  });
  return { ...r, alerts, nodes, dir };
}

describe('un-isolate (u)', () => {
  it('nodes pane: u puts the ISOLATED node under the cursor back, recorded on the alert and in alerts.jsonl', async () => {
    const { stdin, lastFrame, alerts, dir } = await setup();
    let f = await waitForFrame(lastFrame, (x) => /node-011 +ISOLATED/.test(x));
    // On the services pane the key says where to go.
    await press(stdin, 'device.unisolate');
    f = await waitForFrame(lastFrame, (x) => x.includes('Tab to the nodes or alerts pane'));
    expect(alerts.getSnapshot().isolated).toHaveLength(2);

    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    f = await waitForFrame(lastFrame, (x) => /▸ Nodes/.test(x));
    // Worst first: the two isolated devices lead; the cursor is on the first.
    const first = /› (node-\d+)/.exec(f)![1]!;
    expect(f).toMatch(new RegExp(`› ${first} +ISOLATED`));
    await press(stdin, 'device.unisolate');
    f = await waitForFrame(lastFrame, (x) => x.includes(`Put back 1 device(s) (${first}); recorded in the alert`));
    await waitForFrame(lastFrame, (x) => !new RegExp(`${first} +ISOLATED`).test(x));
    expect(alerts.getSnapshot().isolated).toHaveLength(1);
    const a = alerts.getSnapshot().alerts.find((x) => x.rule === 'device_error_rate')!;
    expect(a.actions).toContain(`un-isolated 1 device by orion: ${first}`);
    await alerts.settled();
    expect(readFileSync(join(dir, 'alerts.jsonl'), 'utf8')).toContain(`"detail":"un-isolated 1 device by orion: ${first}"`);
  });

  it('help lists u with the isolation control', async () => {
    const { stdin, lastFrame } = await setup();
    await waitForFrame(lastFrame, (x) => /node-011 +ISOLATED/.test(x));
    await press(stdin, 'help');
    await waitForFrame(lastFrame, (x) => /\n +u +Put isolated devices back/.test(x));
  });

  it('a node that is not isolated: u says so and changes nothing', async () => {
    const { stdin, lastFrame, alerts } = await setup();
    await waitForFrame(lastFrame, (x) => /node-011 +ISOLATED/.test(x));
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    await waitForFrame(lastFrame, (x) => /▸ Nodes/.test(x));
    // node-001 (healthy) is last: move to it.
    for (let i = 0; i < 3; i++) await press(stdin, 'select.down');
    await waitForFrame(lastFrame, (x) => /› node-001/.test(x));
    await press(stdin, 'device.unisolate');
    await waitForFrame(lastFrame, (x) => x.includes('nothing isolated here — select an ISOLATED node'));
    expect(alerts.getSnapshot().isolated).toHaveLength(2);
  });

  it('alerts pane: u on the device error alert puts back every device it isolated', async () => {
    const { stdin, lastFrame, alerts } = await setup();
    await waitForFrame(lastFrame, (x) => /node-011 +ISOLATED/.test(x));
    await press(stdin, 'pane.next');
    await waitForFrame(lastFrame, (x) => /▸ Alerts/.test(x));
    await press(stdin, 'device.unisolate');
    await waitForFrame(lastFrame, (x) => x.includes('Put back 2 device(s) (node-011, node-012); recorded in the alert'));
    expect(alerts.getSnapshot().isolated).toEqual([]);
    await waitForFrame(lastFrame, (x) => !x.includes('ISOLATED'));
    // Still spiking: the next evaluation leaves the operator's decision alone.
    await alerts.evaluateNow();
    await delay();
    expect(alerts.getSnapshot().isolated).toEqual([]);
    expect(lastFrame()).not.toContain('ISOLATED');
  });

  it('a read-only console (watch) drops u even with the isolation control: the isolation stays', async () => {
    const { stdin, lastFrame, alerts } = await setup({ readOnly: true });
    await waitForFrame(lastFrame, (x) => /node-011 +ISOLATED/.test(x));
    await press(stdin, 'pane.next');
    await press(stdin, 'device.unisolate');
    await delay(150);
    expect(alerts.getSnapshot().isolated).toHaveLength(2);
    expect(lastFrame()).not.toContain('Put back');
  });
});
