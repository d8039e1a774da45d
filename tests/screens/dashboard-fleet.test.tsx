// The dashboard's fleet panes (R-HLT-3..5, -8) driven by registry keys: nodes, hosts and alerts
// panes, Tab between them, the `/` filter (typed letters never fire commands), windowing of
// 10,000 nodes, and the layout from 80 × 24 up to a wall screen.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import type { AppProps } from '../../screens/app';
import { BatchedStore } from '../../src/core/store';
import type {
  AlertsSnapshot,
  AlertView,
  HostHealth,
  HostsSnapshot,
  NodesSnapshot,
  NodeView,
  WebSocketSnapshot,
} from '../../src/core/views';
import { compareNodes } from '../../src/health/nodes';
import { fleetLayout, stackPanes } from '../../screens/dashboard/fleet-layout';
import { nodeGrid } from '../../screens/dashboard/nodes-pane';
import { serviceColumns } from '../../screens/dashboard/layout';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

class MemoryStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

const min = 60_000;

function node(id: string, ageMs: number, extra: Partial<NodeView> = {}): NodeView {
  return { id, source: 'devices', lastHeartbeat: new Date(T0.getTime() - ageMs), online: ageMs <= 5 * min, labels: [`rack-${id.slice(-1) === '1' ? 'a' : 'b'}`], errorRate: 0.002, ...extra };
}

function nodesSnapshot(nodes: NodeView[], extra: Partial<NodesSnapshot> = {}): NodesSnapshot {
  const sorted = [...nodes].sort(compareNodes);
  const online = nodes.filter((n) => n.online).length;
  return {
    total: nodes.length,
    online,
    offline: nodes.length - online,
    onlineRatio: nodes.length ? online / nodes.length : undefined,
    errorRateHigh: nodes.filter((n) => (n.errorRate ?? 0) > 0.1).length,
    errorRateThreshold: 0.1,
    offlineAfterMs: 5 * min,
    nodes: sorted,
    sources: [{ name: 'devices', lastFetchAt: T0, lastOkAt: T0, count: nodes.length }],
    updatedAt: T0,
    ...extra,
  };
}

const baseNodes = [
  node('node-001', 12 * min),
  node('node-002', 40 * 1000),
  node('node-003', 47 * min),
  node('node-011', 30 * 1000, { errorRate: 0.31 }),
  node('node-012', 20 * 1000),
];

function host(name: string, extra: Partial<HostHealth> = {}): HostHealth {
  return {
    name,
    address: '127.0.0.1',
    reachability: 'REACHABLE',
    consecutiveFailures: 0,
    threshold: 3,
    lastProbeAt: T0,
    lastChangeAt: T0,
    metrics: { load1: 0.42, load5: 0.37, load15: 0.31, cpus: 2, memTotalMb: 3911, memUsedMb: 1423, disk: { mount: '/', usedRatio: 0.42 }, diskOver: [], at: T0 },
    ...extra,
  };
}

const hostsSnap: HostsSnapshot = {
  hosts: [
    host('demo-vm'),
    host('storage-vm', { metrics: { load1: 1.9, load5: 1, load15: 1, cpus: 2, memTotalMb: 1000, memUsedMb: 500, disk: { mount: '/data', usedRatio: 0.87 }, diskOver: [{ mount: '/data', usedRatio: 0.87 }], at: T0 } }),
    host('edge-vm', { reachability: 'UNREACHABLE', consecutiveFailures: 3, lastError: 'timeout: edge-vm did not accept an SSH session within 10000 ms' }),
  ],
  diskThreshold: 0.8,
  updatedAt: T0,
};

function alert(partial: Partial<AlertView> & { rule: string; subject: string }): AlertView {
  return {
    key: `${partial.rule}:${partial.subject}`,
    kind: 'service_down',
    state: 'firing',
    since: new Date(T0.getTime() - 192_000),
    message: `${partial.subject} down: 3 health check failures in a row (≥ 3)`,
    actions: [],
    notifications: [],
    ...partial,
  };
}

const alertsSnap: AlertsSnapshot = {
  alerts: [
    alert({ rule: 'orchestrator_down', subject: 'doai-orchestrator', actions: ['notification failed on 1 of 1 webhooks'], notifications: [{ webhook: 'ops-slack', ok: false, attempts: 3, error: 'HTTP 500', at: T0 }] }),
    alert({ rule: 'node_offline', subject: 'devices', kind: 'node_offline', message: '2 of 5 nodes on devices without heartbeat > 5m' }),
    alert({ rule: 'device_error_rate', subject: 'devices', kind: 'device_error_rate', state: 'resolved', resolvedAt: T0, since: new Date(T0.getTime() - 600_000), message: '1 device over 10% errors' }),
  ],
  firing: 2,
  isolated: [],
  problems: [],
};

function setup(opts: { width?: number; height?: number; lang?: 'en' | 'ko'; nodes?: NodesSnapshot; hosts?: HostsSnapshot; alerts?: AlertsSnapshot; websocket?: WebSocketSnapshot } = {}, overrides: Partial<AppProps> = {}) {
  const fleet = new MemoryFleetStore([service({ name: 'caddy' }), service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3, lastError: 'connection refused' })]);
  const nodes = new MemoryStore<NodesSnapshot>(opts.nodes ?? nodesSnapshot(baseNodes));
  const hosts = new MemoryStore<HostsSnapshot>(opts.hosts ?? hostsSnap);
  const alerts = new MemoryStore<AlertsSnapshot>(opts.alerts ?? alertsSnap);
  const websocket = new MemoryStore<WebSocketSnapshot>(opts.websocket ?? { checks: [{ service: 'doai-orchestrator', ok: true, latencyMs: 4, lastCheckAt: T0 }] });
  const r = renderApp({
    fleet,
    lang: opts.lang ?? 'en',
    configPath: '/home/orion/.config/doai-console/console.yaml',
    width: opts.width ?? 100,
    height: opts.height ?? 40,
    fleetStores: { nodes, hosts, alerts, websocket },
    ...overrides,
  });
  return { ...r, fleet, nodes, hosts, alerts, websocket };
}

const frame = async (lastFrame: () => string | undefined) => {
  await delay();
  return lastFrame() ?? '';
};
const lineWith = (f: string, text: string) => f.split('\n').find((l) => l.includes(text)) ?? '';
/** Presses / and waits until the filter line is there (typing goes to it from then on). */
async function openFilter(stdin: { write(s: string): void }, lastFrame: () => string | undefined): Promise<string> {
  await press(stdin, 'filter.start');
  return waitForFrame(lastFrame, (f) => f.includes('Enter keep filter'));
}

/** The pane title marked focused (▸). */
const focusedPane = (f: string) => /▸ (\S+)/.exec(f)?.[1];

afterEach(() => cleanup());

describe('fleet panes', () => {
  it('nodes pane: online/total, percent bar, offline stalest first with "12m ago", error rates, WebSocket fact', async () => {
    const { lastFrame } = setup({ width: 140 });
    const f = await frame(lastFrame);
    const title = lineWith(f, 'Nodes');
    expect(title).toMatch(/3\/5 online 60% █+░+/);
    expect(title).toContain('2 offline');
    expect(title).toContain('1 over 10% errors');
    expect(title).toContain('WebSocket doai-orchestrator ✓ 4ms');
    const rows = f.split('\n').filter((l) => /node-0\d\d/.test(l));
    // Offline first, stalest first; then the highest error rate.
    expect(rows.map((l) => /node-0\d\d/.exec(l)![0])).toEqual(['node-003', 'node-001', 'node-011', 'node-002', 'node-012']);
    expect(lineWith(f, 'node-001')).toMatch(/OFFLINE\s+12m ago/);
    expect(lineWith(f, 'node-003')).toMatch(/OFFLINE\s+47m ago/);
    expect(lineWith(f, 'node-011')).toMatch(/ONLINE\s+30s ago\s+31\.0%/);
  });

  it('hosts pane: reachability, load/mem/disk bars, disk over 80 % flagged, SSH error in words', async () => {
    const { lastFrame } = setup();
    const f = await frame(lastFrame);
    expect(lineWith(f, 'Hosts')).toMatch(/2\/3 reachable · 1 unreachable · disk > 80% on storage-vm/);
    expect(lineWith(f, 'storage-vm OK')).toMatch(/█+░* 87%⚠ \/data 87%/);
    expect(lineWith(f, 'demo-vm ')).toMatch(/OK .*0\.42 .*36% .*42%/);
    expect(lineWith(f, 'edge-vm')).toMatch(/DOWN .*timeout: edge-vm did not accept/);
    // Worst first: the unreachable host, then the full disk.
    const order = f.split('\n').filter((l) => /(edge|storage|demo)-vm/.test(l) && !l.includes('Hosts')).map((l) => /(\w+)-vm/.exec(l)![1]);
    expect(order).toEqual(['edge', 'storage', 'demo']);
  });

  it('alerts pane: firing first with since when, resolved after, a failed notification visible', async () => {
    const { lastFrame } = setup({ width: 140 });
    const f = await frame(lastFrame);
    expect(lineWith(f, 'Alerts')).toContain('2 firing');
    const orch = lineWith(f, 'FIRING    orchestrator_down');
    expect(orch).toMatch(/FIRING\s+orchestrator_down\s+doai-orchestrator\s+since 3m12s\s+notification failed: ops-slack: HTTP 500/);
    const lines = f.split('\n');
    const firingAt = lines.findIndex((l) => l.includes('node_offline'));
    const resolvedAt = lines.findIndex((l) => l.includes('device_error_rate'));
    expect(firingAt).toBeGreaterThan(-1);
    expect(resolvedAt).toBeGreaterThan(firingAt);
    expect(lines[resolvedAt]).toMatch(/resolved\s+device_error_rate\s+devices\s+for 10m00s/);
  });

  it('Enter on an alert shows it in full: rule, target, since, the whole text, actions, each notification with its result; Esc goes back (issue 12 item 15)', async () => {
    const long = `doai-orchestrator down: 3 health check failures in a row (≥ 3) — ${'upstream connect error or disconnect/reset before headers '.repeat(3)}END-OF-TEXT`;
    const alerts: AlertsSnapshot = {
      ...alertsSnap,
      alerts: [
        alert({
          rule: 'orchestrator_down',
          subject: 'doai-orchestrator',
          message: long,
          actions: ['notified on-call'],
          notifications: [
            { webhook: 'ops-slack', ok: false, attempts: 3, error: 'HTTP 500', at: T0 },
            { webhook: 'pager', ok: true, attempts: 1, at: T0 },
          ],
        }),
        ...alertsSnap.alerts.slice(1),
      ],
    };
    const { lastFrame, stdin } = setup({ width: 80, height: 30, alerts });
    await frame(lastFrame);
    // On the services pane Enter still opens the latest run (none here): the detail needs an alert under the cursor.
    await press(stdin, 'pane.next');
    await waitForFrame(lastFrame, (x) => x.includes('▸ Alerts'));
    await press(stdin, 'alert.detail');
    const f = await waitForFrame(lastFrame, (x) => x.includes('notifications (2):'));
    expect(f).toContain('FIRING  orchestrator_down · doai-orchestrator');
    expect(f).toContain('rule: orchestrator_down (service_down)');
    expect(f).toContain('target: doai-orchestrator');
    expect(f).toMatch(/since: 2026-\S+ \(3m12s ago\)/);
    // The whole text, wrapped: its end is on screen, which the 80-column pane cuts off.
    expect(f).toContain('END-OF-TEXT');
    expect(f).toMatch(/ops-slack: FAILED: HTTP 500 \(3 tries\)/);
    expect(f).toMatch(/pager: sent \(1 try\)/);
    expect(f).toContain('- notified on-call');
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    await press(stdin, 'alertDetail.close');
    const back = await waitForFrame(lastFrame, (x) => x.includes('▸ Alerts'));
    expect(back).not.toContain('notifications (2):');
  });

  it('Tab moves the focus services → alerts → nodes → hosts → services; ↓ then moves in the focused list', async () => {
    const { stdin, lastFrame } = setup();
    expect(focusedPane(await frame(lastFrame))).toBe('Services');
    await press(stdin, 'pane.next');
    expect(focusedPane(await frame(lastFrame))).toBe('Alerts');
    await press(stdin, 'pane.next');
    let f = await frame(lastFrame);
    expect(focusedPane(f)).toBe('Nodes');
    expect(lineWith(f, 'node-003')).toContain('›');
    await press(stdin, 'select.down');
    f = await frame(lastFrame);
    expect(lineWith(f, 'node-001')).toContain('›');
    expect(lineWith(f, 'node-003')).not.toContain('›');
    // The services selection (the 1/2/3 target) did not move.
    expect(f).toMatch(/› doai-orchestrator DOWN/);
    await press(stdin, 'pane.next');
    expect(focusedPane(await frame(lastFrame))).toBe('Hosts');
    await press(stdin, 'pane.next');
    expect(focusedPane(await frame(lastFrame))).toBe('Services');
  });

  it('? follows the focused pane: on the nodes pane the list keys are said for nodes (issue 12 item 16)', async () => {
    const { stdin, lastFrame } = setup();
    await frame(lastFrame);
    await press(stdin, 'help');
    let f = await waitForFrame(lastFrame, (x) => x.includes('Select the service below'));
    expect(f).toContain('Select the service below');
    await press(stdin, 'help.close');
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next'); // nodes
    await press(stdin, 'help');
    f = await waitForFrame(lastFrame, (x) => x.includes('Select the node below'));
    expect(f).toContain('Select the node below (the 1/2/3 target stays the selected service)');
    expect(f).toContain('Filter the node list by name or label');
    expect(f).not.toContain('Select the service below');
  });

  it('/ filters the focused list by label; typed letters (q, r, 1, f, ?) go into the filter, never to commands', async () => {
    const { stdin, lastFrame, control } = setup({}, { demo: { inject() {} } });
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    let f = await openFilter(stdin, lastFrame);
    expect(f).toContain('Enter keep filter');
    for (const ch of 'qr1f?') {
      stdin.write(ch);
      await delay(20);
    }
    f = await frame(lastFrame);
    expect(control.starts).toEqual([]);
    expect(f).not.toContain('Keys'); // no help overlay
    expect(f).toContain('/ qr1f?');
    // Clear what was typed with backspaces, then filter by label.
    for (let i = 0; i < 5; i++) {
      stdin.write('\x7f');
      await delay(20);
    }
    stdin.write('rack-a');
    f = await waitForFrame(lastFrame, (x) => x.includes('/rack-a: 2 of 5'));
    expect(f).toContain('/rack-a: 2 of 5');
    expect(f).toContain('node-001');
    expect(f).toContain('node-011');
    expect(f).not.toContain('node-002');
    await press(stdin, 'filter.apply');
    f = await frame(lastFrame);
    expect(f).not.toContain('Enter keep filter');
    expect(lineWith(f, 'Nodes')).toContain('/rack-a: 2 of 5');
    // The filter stays with the nodes pane; Esc in the filter clears it.
    await press(stdin, 'filter.start');
    await press(stdin, 'filter.clear');
    f = await frame(lastFrame);
    expect(f).toContain('node-002');
    expect(lineWith(f, 'Nodes')).not.toContain('rack-a');
  });

  it('a filter that matches nothing says so and how to change it', async () => {
    const { stdin, lastFrame } = setup();
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    await openFilter(stdin, lastFrame);
    stdin.write('zzz');
    const f = await waitForFrame(lastFrame, (x) => x.includes('nothing matches'));
    expect(f).toContain('nothing matches "zzz"');
  });

  it('10,000 nodes: only the rows that fit are rendered; PgDn pages through them', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => node(`n-${String(i).padStart(5, '0')}`, i < 100 ? (10 + i) * min : 1000));
    const { stdin, lastFrame } = setup({ nodes: nodesSnapshot(many), height: 40 });
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    let f = await frame(lastFrame);
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(39);
    const rows = lines.filter((l) => /n-\d{5}/.test(l));
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.length).toBeLessThan(40);
    // Stalest first: n-00099 has the oldest heartbeat.
    expect(rows[0]).toContain('n-00099');
    await press(stdin, 'list.pageDown');
    f = await frame(lastFrame);
    expect(f).not.toContain('n-00099 ');
    expect(f).toMatch(/› n-\d{5}/);
    expect(lineWith(f, 'Nodes')).toContain('9900/10000 online');
  });

  it('a failing node source is named in the pane with the age of the list shown; nothing else breaks', async () => {
    const snap = nodesSnapshot(baseNodes, { sources: [{ name: 'devices', lastFetchAt: T0, lastOkAt: new Date(T0.getTime() - 130_000), count: 5, error: 'malformed JSON (Unexpected token < in JSON at position 0; starts with "<html>")' }] });
    const { lastFrame } = setup({ nodes: snap, width: 160 });
    const f = await frame(lastFrame);
    expect(f).toContain('⚠ devices: list from 2m ago — malformed JSON (Unexpected token');
    expect(lineWith(f, 'Services')).toContain('1/2 UP');
  });

  it('80 × 24: the focused pane gets the room, the others collapse to their summary line; nothing wider than 80, in both languages', async () => {
    for (const lang of ['en', 'ko'] as const) {
      const { stdin, lastFrame } = setup({ width: 80, height: 24, lang });
      for (let i = 0; i < 4; i++) {
        const f = await frame(lastFrame);
        const lines = f.split('\n');
        expect(lines.length).toBeLessThanOrEqual(23);
        for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(80);
        // Every pane keeps at least its title line.
        for (const name of lang === 'en' ? ['Services', 'Alerts', 'Nodes', 'Hosts'] : ['서비스', '알림', '노드', '호스트']) expect(f).toContain(` ${name} `);
        await press(stdin, 'pane.next');
      }
      cleanup();
    }
  });

  it('200 × 60: two columns, services and alerts on the left, nodes and hosts on the right', async () => {
    const { lastFrame } = setup({ width: 200, height: 60 });
    const f = await frame(lastFrame);
    const servicesLine = lineWith(f, 'Services');
    const nodesLine = lineWith(f, 'Nodes');
    expect(servicesLine).toBe(nodesLine); // side by side on the same row
    expect(servicesLine.indexOf('Nodes')).toBeGreaterThan(100);
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(200);
  });

  it('200 × 60: the panes of a column stay together at the top (alerts right under the services, not at the bottom), and the services say their host (issue 12 item 15)', async () => {
    const { lastFrame } = setup({ width: 200, height: 60 });
    const f = await frame(lastFrame);
    const lines = f.split('\n');
    const services = lines.findIndex((l) => l.includes('Services'));
    const alerts = lines.findIndex((l) => l.includes(' Alerts '));
    // Title, column header, two services, then the alerts pane.
    expect(alerts).toBe(services + 4);
    expect(lineWith(f, 'SERVICE')).toMatch(/SERVICE\s+STATE.*SINCE\s+HOST\s+LAST ERROR/);
    expect(lineWith(f, ' caddy ')).toMatch(/caddy\s+UP\s.*\svultr\s/);
  });

  it('a wide nodes pane lists the nodes in several columns when they do not fit in one; ↓ goes down a column, then to the top of the next (issue 12 item 15)', async () => {
    const many = Array.from({ length: 120 }, (_, i) => node(`node-${String(i + 1).padStart(3, '0')}`, 10_000 + i * 100));
    const { stdin, lastFrame } = setup({ width: 200, height: 30, nodes: nodesSnapshot(many) });
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    let f = await waitForFrame(lastFrame, (x) => focusedPane(x) === 'Nodes');
    const header = lineWith(f, 'HEARTBEAT');
    expect(header.match(/NODE/g)!.length).toBeGreaterThanOrEqual(3);
    const rows = f.split('\n').filter((l) => /node-\d{3}/.test(l));
    // Several nodes on a line, and more nodes on screen than lines.
    const shown = rows.flatMap((l) => l.match(/node-\d{3}/g)!);
    expect(shown.length).toBeGreaterThan(rows.length * 2);
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(200);
    // Column-major: the first line's second node is the one after the last line of the first column.
    const firstColumn = rows.map((l) => /node-\d{3}/.exec(l)![0]);
    const second = rows[0]!.match(/node-\d{3}/g)![1]!;
    const order = nodesSnapshot(many).nodes.map((n) => n.id);
    expect(order.indexOf(second)).toBe(order.indexOf(firstColumn[firstColumn.length - 1]!) + 1);
    // The cursor walks down the first column and on to the top of the second.
    for (let i = 0; i < firstColumn.length; i++) await press(stdin, 'select.down');
    f = await waitForFrame(lastFrame, (x) => x.includes(`› ${second}`));
    expect(f).toContain(`› ${second}`);
    expect(f).not.toContain(`› ${firstColumn[firstColumn.length - 1]}`);
  });

  it('at 80 columns the nodes stay one column with their labels', async () => {
    const many = Array.from({ length: 120 }, (_, i) => node(`node-${String(i + 1).padStart(3, '0')}`, 10_000));
    const { stdin, lastFrame } = setup({ width: 80, height: 24, nodes: nodesSnapshot(many) });
    await press(stdin, 'pane.next');
    await press(stdin, 'pane.next');
    const f = await waitForFrame(lastFrame, (x) => focusedPane(x) === 'Nodes');
    for (const l of f.split('\n').filter((x) => /node-\d{3}/.test(x))) expect(l.match(/node-\d{3}/g)!.length).toBe(1);
    expect(lineWith(f, 'HEARTBEAT')).toContain('LABELS');
  });

  it('without fleet stores the dashboard is the services pane alone; / still filters services', async () => {
    const { stdin, lastFrame } = setup({}, { fleetStores: undefined });
    let f = await frame(lastFrame);
    expect(f).not.toContain('Nodes');
    await press(stdin, 'pane.next');
    f = await frame(lastFrame);
    expect(f).toContain('only the services pane is shown');
    await openFilter(stdin, lastFrame);
    stdin.write('caddy');
    f = await waitForFrame(lastFrame, (x) => !x.includes('doai-orchestrator'));
    expect(f).toContain('› caddy');
    expect(f).not.toContain('doai-orchestrator');
    await press(stdin, 'filter.apply');
    f = await frame(lastFrame);
    expect(f).toContain('/caddy: 1 of 2');
  });
});

describe('fleet layout', () => {
  it('stacks: everything fits → natural sizes, spare rows below the last pane whichever has the focus (no gap between panes)', () => {
    for (const focus of ['services', 'alerts', 'nodes', 'hosts'] as const) {
      const split = stackPanes(['services', 'alerts', 'nodes', 'hosts'], 30, focus, { services: 4, alerts: 3, nodes: 6, hosts: 4 });
      expect([...split.values()].reduce((a, b) => a + b, 0)).toBe(30);
      expect(split.get('services')).toBe(4);
      expect(split.get('alerts')).toBe(3);
      expect(split.get('nodes')).toBe(6);
      expect(split.get('hosts')).toBe(4 + (30 - 17));
    }
  });

  it('stacks: too little room → the others collapse to one line, the focused pane takes the rest', () => {
    const split = stackPanes(['services', 'alerts', 'nodes', 'hosts'], 14, 'nodes', { services: 10, alerts: 10, nodes: 200, hosts: 5 });
    expect(split.get('services')).toBe(1);
    expect(split.get('alerts')).toBe(1);
    expect(split.get('hosts')).toBe(1);
    expect(split.get('nodes')).toBe(11);
  });

  it('stacks: a focused pane that needs little gives its rows to the others', () => {
    const split = stackPanes(['services', 'alerts', 'nodes', 'hosts'], 40, 'services', { services: 4, alerts: 1, nodes: 500, hosts: 4 });
    expect(split.get('services')).toBe(4);
    expect(split.get('hosts')).toBe(4);
    expect(split.get('nodes')).toBe(40 - 4 - 1 - 4);
  });

  it('a wall screen column keeps its panes together: rows nobody needs go below the last pane, not between', () => {
    const split = stackPanes(['services', 'alerts'], 50, 'services', { services: 5, alerts: 1 });
    expect(split.get('services')).toBe(5);
    expect(split.get('alerts')).toBe(45);
    const wide = fleetLayout(200, 56, ['services', 'alerts', 'nodes', 'hosts'], 'services', { services: 5, alerts: 1, nodes: 20, hosts: 4 });
    expect(wide.panes.find((p) => p.id === 'services')!.height).toBe(5);
    expect(wide.panes.find((p) => p.id === 'nodes')!.height).toBe(20);
  });

  it('node grid: one column at 80 or when everything fits; as many columns as fit on a wide pane, labels kept when there is room', () => {
    expect(nodeGrid(80, 10, 500, 8).columns).toBe(1);
    expect(nodeGrid(200, 10, 5, 8).columns).toBe(1);
    expect(nodeGrid(90, 10, 500, 8)).toEqual({ columns: 2, cell: 44, labels: 0 });
    const wide = nodeGrid(200, 10, 500, 8);
    expect(wide.columns).toBe(4);
    expect(wide.labels).toBeGreaterThanOrEqual(6);
    expect(wide.columns * wide.cell + (wide.columns - 1) * 2).toBeLessThanOrEqual(200);
    // No more columns than the list needs.
    expect(nodeGrid(200, 10, 15, 8).columns).toBe(2);
  });

  it('services: a HOST column only where the trend and the error keep their width', () => {
    const hosts = { names: ['demo-vm', 'demo-db'], header: 4 };
    expect(serviceColumns(80, ['doai-orchestrator'], { name: 7 }, 3, hosts).host).toBe(0);
    const wide = serviceColumns(109, ['doai-orchestrator'], { name: 7 }, 3, hosts);
    expect(wide.host).toBe(7);
    expect(wide.spark).toBeGreaterThanOrEqual(15);
    expect(wide.error).toBeGreaterThanOrEqual(28);
  });

  it('tiles into two columns only on a large screen', () => {
    expect(fleetLayout(80, 20, ['services', 'alerts', 'nodes', 'hosts'], 'services', {}).columns).toBe(1);
    const wide = fleetLayout(200, 56, ['services', 'alerts', 'nodes', 'hosts'], 'services', {});
    expect(wide.columns).toBe(2);
    expect(wide.panes.filter((p) => p.column === 1).map((p) => p.id)).toEqual(['nodes', 'hosts']);
  });
});
