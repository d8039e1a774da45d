// The fleet panes on the built binary in a real terminal (tmux) against `demo --serve`: at
// 80 × 24 the focused pane gets the room and the others collapse to their summary line; at
// 200 × 60 the panes tile in two columns; a resize re-lays them out. The nodes-offline fault
// shows up as offline nodes, a node_offline alert and the L2 recommendation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let term: TmuxSession | undefined;

beforeAll(async () => {
  demo = await serveDemo();
});

afterAll(async () => {
  term?.kill();
  await demo?.stop();
});

const lines = (screen: string) => screen.replace(/\n$/, '').split('\n');

describe('fleet panes in a real terminal', () => {
  it('80 × 24: every pane keeps a line, nothing wraps; Tab gives the nodes pane the room', async () => {
    term = startTmux(`node ${BIN} --config ${demo.configPath} --lang en`, { cols: 80, rows: 24 });
    // The demo's defaults: 40 device nodes, two hosts (demo-db's disk over 80 %, seed 002).
    let screen = await term.waitFor(/Nodes\s+40\/40 online/);
    await term.waitFor(/Hosts\s+2\/2 reachable · disk > 80% on demo-db/, 20_000);
    screen = term.screen();
    for (const name of ['Services', 'Alerts', 'Nodes', 'Hosts']) expect(screen).toMatch(new RegExp(`[▸ ] ${name} `));
    expect(lines(screen).length).toBeLessThanOrEqual(24);
    // The footer is on the last line: nothing pushed it off the screen.
    expect(lines(screen.trimEnd()).at(-1)).toMatch(/\? help · q quit/);
    term.send('Tab');
    await term.waitFor('▸ Alerts');
    term.send('Tab');
    screen = await term.waitFor('▸ Nodes');
    const nodeRows = lines(screen).filter((l) => /node-\d+ +(ONLINE|OFFLINE|ISOLATED)/.test(l));
    expect(nodeRows.length).toBeGreaterThanOrEqual(8);
  });

  it('a fault from another process shows as offline nodes, a node_offline alert and the L2 recommendation', async () => {
    const r = await runCli(['demo', 'fault', 'nodes-offline', '--config', demo.configPath]);
    expect(r.code).toBe(0);
    // 80 columns cut the reason; the level and target come first.
    const screen = await term!.waitFor(/Recommended: L2 Service Reset on doai-orchestrator/, 20_000);
    // A third of 40 nodes: 14 (35 % ≥ nodes.mass_offline_ratio 0.3).
    expect(screen).toMatch(/26\/40 online .*· 14 offline/);
    expect(screen).toMatch(/OFFLINE +\d+m ago/);
    expect(screen).toMatch(/Alerts\s+\d+ firing · node_offline devices/);
  });

  it('200 × 60 after a resize: two columns (services and alerts left, nodes and hosts right)', async () => {
    term!.resize(200, 60);
    const screen = await term!.waitFor(/Services .*\s{2,}.*Nodes /);
    const row = lines(screen).find((l) => l.includes('Services') && l.includes('Nodes'))!;
    expect(row.indexOf('Nodes')).toBeGreaterThan(100);
    expect(screen).toMatch(/Hosts\s+2\/2 reachable/);
    await runCli(['demo', 'fault', 'clear', '--config', demo.configPath]);
  });
});
