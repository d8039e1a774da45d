// The wall screen rendered from real read-only sources (lock files and journals in a temp dir):
// verdict banner, the run in progress in another console, recent runs, 80 × 24, keys, coalescing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchApp } from '../../screens/watch/watch-app';
import { CoalescedStore } from '../../src/watch/coalesce';
import { LiveRunsSource } from '../../src/watch/live-runs';
import { builtinActionsDir, loadRunbooks } from '../../src/runbook/loader';
import { registryFor } from '../../src/commands/registry';
import { delay, MemoryFleetStore, press, service, T0, waitForFrame } from './fixtures';

const runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: [], baseDir: process.cwd() });
const RUN = '20260104T153100-l2-service-reset-beef';
let dir: string;
let journalDir: string;
let lockDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-watch-screen-'));
  journalDir = join(dir, 'journal');
  lockDir = join(dir, 'locks');
  mkdirSync(journalDir);
  mkdirSync(lockDir);
});
afterEach(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

const since = new Date(2026, 0, 4, 15, 31, 0);

function otherConsoleRun(lines = 3): void {
  writeFileSync(
    join(lockDir, 'doai-orchestrator.lock'),
    JSON.stringify({ pid: process.pid, hostname: hostname(), operator: 'orion', runbook: 'l1-soft-reset', level: 'L1', since: since.toISOString(), runId: RUN }),
  );
  const ev = (e: Record<string, unknown>) => JSON.stringify({ runId: RUN, at: since.toISOString(), ...e }) + '\n';
  appendFileSync(
    join(journalDir, `${RUN}.jsonl`),
    ev({ type: 'run.started', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'doai-orchestrator', operator: 'orion', dryRun: false }) +
      ev({ type: 'step.started', stepId: 'health-check' }) +
      ev({ type: 'step.finished', stepId: 'health-check', outcome: 'failed', message: 'HTTP 503' }) +
      ev({ type: 'step.started', stepId: 'restart' }) +
      Array.from({ length: lines }, (_, i) => ev({ type: 'step.output', stepId: 'restart', stream: 'stdout', line: `restart output ${i}` })).join(''),
  );
}

function finishedRun(id: string, outcome: string): void {
  const ev = (e: Record<string, unknown>) => JSON.stringify({ runId: id, at: since.toISOString(), ...e }) + '\n';
  writeFileSync(
    join(journalDir, `${id}.jsonl`),
    ev({ type: 'run.started', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'caddy', operator: 'vega', dryRun: false }) +
      ev({ type: 'run.finished', outcome }),
  );
}

function setup(services = [service({ name: 'caddy' }), service({ name: 'doai-orchestrator' })], size = { width: 80, height: 24 }) {
  const fleet = new MemoryFleetStore(services);
  const live = new LiveRunsSource({ journalDir, lockDir, runbook: (id) => runbooks.get(id), scanMs: 0 });
  const frames = new CoalescedStore([fleet, live], 10);
  const exits: number[] = [];
  const r = render(
    <WatchApp fleet={fleet} live={live} frames={frames} lang="en" configPath="/etc/doai/console.yaml" clock={{ now: () => T0 }} {...size} onExit={(c) => exits.push(c)} />,
  );
  return { ...r, fleet, live, frames, exits };
}

describe('watch screen', () => {
  it('says ALL UP when every service is up, DOWN as soon as one is down', async () => {
    const w = setup();
    w.live.poll();
    let frame = await waitForFrame(w.lastFrame, (f) => f.includes('ALL UP'));
    expect(frame).toContain('2 of 2 services UP');
    expect(frame).toContain('read-only wall screen');
    w.fleet.update({ services: [service({ name: 'caddy' }), service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3 })] });
    frame = await waitForFrame(w.lastFrame, (f) => /✖\s+DOWN/.test(f));
    expect(frame).toContain('1 of 2 services UP');
    w.fleet.update({ services: [service({ name: 'caddy', state: 'SLOW' }), service({ name: 'doai-orchestrator' })] });
    frame = await waitForFrame(w.lastFrame, (f) => f.includes('DEGRADED'));
    expect(frame).toContain('DEGRADED');
  });

  it("shows another console's run live: who, since when, steps and the last output lines", async () => {
    otherConsoleRun(4);
    const w = setup();
    w.live.poll();
    const frame = await waitForFrame(w.lastFrame, (f) => f.includes('restart output 3'));
    expect(frame).toContain('L1 in progress by orion since 15:31 — L1 Soft Reset on doai-orchestrator');
    expect(frame).toMatch(/✗ Health check/);
    expect(frame).toMatch(/▶ Restart the service/);
    expect(frame).toMatch(/· Verify/);
    expect(frame).toContain('HTTP 503');
  });

  it('lists recent finished runs with their outcome', async () => {
    finishedRun('20260104T140000-l1-soft-reset-0001', 'success');
    finishedRun('20260104T141000-l1-soft-reset-0002', 'interrupted');
    const w = setup();
    w.live.poll();
    const frame = await waitForFrame(w.lastFrame, (f) => f.includes('INTERRUPTED'));
    expect(frame).toContain('Recent runs');
    expect(frame).toContain('No recovery in progress');
    expect(frame).toMatch(/l1-soft-reset · caddy · vega\s+SUCCESS/);
    expect(frame).toMatch(/l1-soft-reset · caddy · vega\s+INTERRUPTED/);
  });

  it('fits 80 × 24 with many services and a run in progress: panes collapse, nothing wider than the terminal', async () => {
    otherConsoleRun(40);
    finishedRun('20260104T140000-l1-soft-reset-0001', 'success');
    const services = Array.from({ length: 30 }, (_, i) => service({ name: `service-with-a-long-name-${i}` }));
    const w = setup(services);
    w.live.poll();
    const frame = await waitForFrame(w.lastFrame, (f) => f.includes('restart output 39'));
    if (process.env.SHOW_FRAME) console.log(frame);
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(frame).toContain('ALL UP');
    expect(frame).toContain('L1 in progress by orion');
    expect(frame).toContain('Recent runs');
    expect(frame).toContain('q quit');
  });

  it('has only looking keys: help lists Tab, ? and q; recovery keys do nothing; q exits', async () => {
    otherConsoleRun();
    const w = setup();
    w.live.poll();
    await waitForFrame(w.lastFrame, (f) => f.includes('in progress'));
    const ro = registryFor({ readOnly: true });
    for (const key of ['r', '1', '2', '3', 'c', 'e', 'f', 'd', 'y', '\r', '\u001B']) {
      w.stdin.write(key);
      await delay(20);
    }
    expect(w.exits).toEqual([]);
    expect(w.lastFrame()).toContain('L1 in progress by orion');
    await press(w.stdin, 'help', 0, ro);
    const help = await waitForFrame(w.lastFrame, (f) => f.includes('Wall screen'));
    expect(help).toContain('Tab');
    expect(help).toMatch(/Quit/);
    expect(help).not.toMatch(/Start the recommended runbook|Cancel the run/);
    await press(w.stdin, 'help.close', 0, ro);
    await press(w.stdin, 'quit', 0, ro);
    expect(w.exits).toEqual([0]);
  });

  it('coalesces bursts: fifty store changes within a 1 s window cost one or two frames', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'caddy' })]);
    const live = new LiveRunsSource({ journalDir, lockDir, runbook: () => undefined, scanMs: 0 });
    const frames = new CoalescedStore([fleet, live], 1000);
    const r = render(<WatchApp fleet={fleet} live={live} frames={frames} lang="en" configPath="c.yaml" clock={{ now: () => T0 }} width={80} height={24} onExit={() => {}} />);
    await delay(50);
    const before = r.frames.length;
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) {
      fleet.update({ services: [service({ name: 'caddy', latencyMs: 10 + i })] });
      await delay(5);
    }
    const spread = Date.now() - t0;
    await delay(1500);
    // One frame per started second of updates at most (the first may fire at once).
    expect(r.frames.length - before).toBeLessThanOrEqual(2 + Math.floor(spread / 1000));
    expect(r.frames.length - before).toBeLessThan(10);
    expect(r.lastFrame()).toContain('59ms');
  });
});
