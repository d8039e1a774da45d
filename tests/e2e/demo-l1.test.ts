// The foundation issue's walk-through, on the built binary in a real terminal (tmux):
// dashboard → crash → SUSPECT/DOWN → L1 recommended → `r` → steps stream → UP, audit lines;
// crash-loop → L1 FAILED with escalation offered; Ctrl-C during a run asks, then cancels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli';
import { demoConsoleInTmux, stopDemoConsole, type ServedDemo } from '../helpers/demo-serve';
import type { TmuxSession } from '../helpers/tmux';

/** `text` as a pattern that also matches it wrapped inside a box (a line break, the border, padding at each space). */
const acrossWrap = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '(?: | *│\\n│ )'));

let demo: ServedDemo;
let term: TmuxSession;
let auditPath: string;

const ISO = String.raw`\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\]`;

function audit(): string[] {
  try {
    return readFileSync(auditPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function fault(name: string): Promise<void> {
  const r = await runCli(['demo', 'fault', name, '--config', demo.configPath]);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  ({ demo, term, auditPath } = await demoConsoleInTmux({ cols: 100, rows: 30 }));
}, 30_000);

afterAll(() => stopDemoConsole({ demo, term }));

describe('demo fleet walk-through in a real terminal', () => {
  it('shows both services UP with latency, failures against the threshold and the demo label', async () => {
    await term.waitFor(/doai-orchestrator\s+UP\s+200\s+\d+ ?ms/);
    const screen = await term.waitFor(/caddy\s+UP\s+200/);
    expect(screen).toMatch(/doai-orchestrator\s+UP/);
    expect(screen).toContain('0/3');
    expect(screen).toMatch(/DEMO/);
    expect(screen).toContain('? help');
  });

  it('a crash: SUSPECT recommends nothing yet; DOWN after 3 failures recommends L2 (seed 000: service not answering)', async () => {
    await fault('crash');
    const suspect = await term.waitFor(/doai-orchestrator\s+SUSPECT/, 20_000);
    expect(suspect).toMatch(/doai-orchestrator SUSPECT \([12]\/3 failures\) — no recommendation until 3 failures/);
    expect(suspect).not.toMatch(/Recommended:/);
    const screen = await term.waitFor(/doai-orchestrator\s+DOWN/, 30_000);
    expect(screen).toMatch(acrossWrap('[r] Recommended: L2 Service Reset on doai-orchestrator — doai-orchestrator not answering (3/3 f'));
  }, 60_000);

  it('1 runs L1: the steps and the SSH output appear, the run succeeds and the service comes back UP', async () => {
    term.send('1');
    const running = await term.waitFor(/L1 Soft Reset · doai-orchestrator/);
    expect(running).toMatch(/Health check/);
    await term.waitFor(/SUCCESS/, 30_000);
    // The run's state can reach the screen a moment before the last step's output does.
    const done = await term.waitFor(/Active: active \(running\)|Started doai-orchestrator/, 15_000);
    expect(done).toMatch(/✓ Restart the service/);
    const lines = audit();
    const l1 = lines.filter((l) => l.includes('L1_SOFT_RESET'));
    expect(l1[0]).toMatch(new RegExp(`^${ISO} L1_SOFT_RESET: START$`));
    expect(l1.some((l) => /L1_SOFT_RESET: SERVICE_RESTARTED$/.test(l))).toBe(true);
    expect(l1.at(-1)).toMatch(new RegExp(`^${ISO} L1_SOFT_RESET: SUCCESS$`));
    term.send('Escape');
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
  }, 90_000);

  it('with crash-loop L1 fails verification and offers L2; the dashboard then recommends L2 because L1 failed', async () => {
    await fault('crash-loop');
    await term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
    term.send('1');
    const screen = await term.waitFor(/FAILED/, 40_000);
    expect(screen).toMatch(/L2/);
    const last = audit().filter((l) => l.includes('L1_SOFT_RESET')).at(-1);
    expect(last).toMatch(new RegExp(`^${ISO} L1_SOFT_RESET: FAILED - Escalate to L2$`));
    term.send('Escape');
    await term.waitFor(acrossWrap('[r] Recommended: L2 Service Reset on doai-orchestrator — L1 Soft Reset failed on doai-orchestra'), 20_000);
  }, 90_000);

  it('Ctrl-C during a run asks first; n keeps it, y ends it and logs CANCELLED by user', async () => {
    await term.waitFor(/doai-orchestrator\s+(DOWN|SUSPECT)/, 30_000);
    term.send('1');
    await term.waitFor(/L1 Soft Reset · doai-orchestrator · orion · (running|RUNNING)/i);
    term.send('C-c');
    await term.waitFor(/quit anyway|y\/n/i);
    term.send('n');
    await new Promise((r) => setTimeout(r, 300));
    expect(term.screen()).toMatch(/L1 Soft Reset · doai-orchestrator/);
    term.send('C-c');
    await term.waitFor(/quit anyway|y\/n/i);
    term.send('y');
    await term.waitFor(/\[exit 0\]/, 20_000);
    const last = audit().filter((l) => l.includes('L1_SOFT_RESET')).at(-1);
    expect(last).toMatch(new RegExp(`^${ISO} L1_SOFT_RESET: CANCELLED by user$`));
  }, 90_000);
});
