// R-UI-5 resume on the built binary in a real terminal (tmux): a console running L1 against the
// demo fleet loses its SSH session (SIGHUP) while verifying; started again it offers the
// interrupted run, Enter shows it, `r` resumes it from the step it was in (the earlier steps are
// not run again) and the run ends SUCCESS. The audit log and the journals show INTERRUPTED, then
// the resumed run; a third start offers nothing any more.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commands, type CommandScreen } from '../../src/commands/registry';
import { BIN, runCli } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let dir: string;
let term: TmuxSession | undefined;

const ISO = String.raw`\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\]`;

/** The tmux key for a command of the registry (its first key), so a rebinding moves the test too. */
function key(id: string, screen: CommandScreen): string {
  const k = commands.find((c) => c.id === id && c.screen === screen)?.keys[0];
  if (!k) throw new Error(`no command ${id} on ${screen}`);
  return ({ enter: 'Enter', esc: 'Escape' } as Record<string, string>)[k] ?? k;
}

function audit(): string[] {
  try {
    return readFileSync(join(dir, 'emergency.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

interface Journal {
  name: string;
  events: Array<Record<string, unknown> & { type: string }>;
}

function journals(): Journal[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return names.map((name) => ({
    name,
    events: readFileSync(join(dir, 'journal', name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Journal['events'][number]];
        } catch {
          return []; // a line being written right now
        }
      }),
  }));
}

function startConsole(pidFile: string): TmuxSession {
  // exec keeps the pid the shell wrote, so the test signals the console itself.
  term = startTmux(`sh -c 'echo $$ > ${pidFile}; exec node ${BIN} --config ${demo.configPath} --lang en'`, {
    cols: 100,
    rows: 30,
    env: { DOAI_OPERATOR: 'orion', NO_COLOR: '1' },
  });
  return term;
}

async function fault(name: string): Promise<void> {
  const r = await runCli(['demo', 'fault', name, '--config', demo.configPath]);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  demo = await serveDemo();
  dir = dirname(demo.configPath);
}, 30_000);

afterEach(() => {
  term?.kill();
  term = undefined;
});

afterAll(async () => {
  await demo?.stop();
});

describe('resume an interrupted run in a real terminal', () => {
  it('SIGHUP during L1 verify → next start offers it → r resumes at verify → SUCCESS; audit and journals show INTERRUPTED then the resumed run', async () => {
    // crash-loop: L1's restart does not hold, so its verify polls for a while (6 attempts).
    await fault('crash-loop');
    const first = startConsole(join(dir, 'first.pid'));
    // DOWN recommends L2 (seed 000); this case resumes an L1 started with its own key.
    await first.waitFor(/\[r\] Recommended: L2 Service Reset on doai-orchestrator/, 40_000);
    first.send(key('runbook.l1', 'dashboard'));
    // Signal the moment verify has started (from its journal: the screen is polled too slowly
    // for a step of a few seconds at the demo's time scale).
    const deadline = Date.now() + 30_000;
    let interrupted: Journal | undefined;
    while (!interrupted) {
      if (Date.now() > deadline) throw new Error(`verify never started; screen:\n${first.screen()}`);
      interrupted = journals().find((j) => j.events.some((e) => e.type === 'step.started' && e.stepId === 'verify'));
      if (!interrupted) await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(Number(readFileSync(join(dir, 'first.pid'), 'utf8')), 'SIGHUP');
    expect(await first.waitFor(/\[exit \d+\]/, 15_000)).toContain('[exit 129]');
    first.kill();

    const firstRunId = interrupted.events.find((e) => e.type === 'run.started')!.runId as string;
    const ended = journals().find((j) => j.name === interrupted!.name)!.events.at(-1)!;
    expect(ended).toMatchObject({ type: 'run.finished', outcome: 'interrupted' });
    expect(ended.message).toContain('SIGHUP during step "verify"');
    expect(audit().map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'L1_SOFT_RESET: START',
      'L1_SOFT_RESET: STEP1_APPROVED by auto',
      'L1_SOFT_RESET: SERVICE_RESTARTED',
      'L1_SOFT_RESET: INTERRUPTED - SIGHUP during step "verify" (Verify: /health 6 × 5 s)',
    ]);

    // The box is healthy again by the time the operator is back.
    await fault('clear');
    const second = startConsole(join(dir, 'second.pid'));
    const offer = await second.waitFor(/Interrupted: l1-soft-reset on doai-orchestrator \(orion, \d\d:\d\d, during verify\)/, 30_000);
    expect(offer).toMatch(/doai-orchestrator\s+\S+/);
    second.send(key('run.open', 'dashboard'));
    const view = await second.waitFor(/L1 Soft Reset · doai-orchestrator · orion · INTERRUPTED/);
    expect(view).toMatch(/SIGHUP during step "verify"/);
    expect(view).toMatch(/r resume/);
    second.send(key('run.resume', 'run'));
    const done = await second.waitFor(/L1 Soft Reset · doai-orchestrator · orion · SUCCESS/, 30_000);
    // The steps before verify were done in the interrupted run and are not run again.
    expect(done).toMatch(new RegExp(`Restart the service\\s+done in run ${firstRunId}`));
    expect(done).toMatch(/✓ Verify: \/health 6 × 5 s .*passed on attempt \d\/6/);
    expect(done).not.toMatch(/INTERRUPTED/);
    second.send(key('run.back', 'run'));
    await second.waitFor(/SERVICE\s+STATE/, 10_000);
    second.send(key('quit', 'global'));
    await second.waitFor(/\[exit 0\]/, 10_000);
    second.kill();

    const lines = audit();
    expect(lines.slice(4)).toEqual([
      expect.stringMatching(new RegExp(`^${ISO} L1_SOFT_RESET: START$`)),
      expect.stringMatching(new RegExp(`^${ISO} L1_SOFT_RESET: RESUMED from ${firstRunId} at step verify$`)),
      // L1's approval is automatic, and given afresh to the new run (never carried over).
      expect.stringMatching(new RegExp(`^${ISO} L1_SOFT_RESET: STEP1_APPROVED by auto$`)),
      expect.stringMatching(new RegExp(`^${ISO} L1_SOFT_RESET: SUCCESS$`)),
    ]);
    // Nothing was restarted a second time: the resumed run began at verify.
    expect(lines.filter((l) => l.endsWith('SERVICE_RESTARTED'))).toHaveLength(1);

    const resumed = journals().find((j) => j.name !== interrupted!.name)!;
    expect(resumed.events[0]).toMatchObject({ type: 'run.started', runbook: 'l1-soft-reset', target: 'doai-orchestrator', resumedFrom: { runId: firstRunId, stepId: 'verify' } });
    const steps = resumed.events.filter((e) => e.type === 'step.finished').map((e) => [e.stepId, e.outcome]);
    expect(steps).toEqual([
      ['health-check', 'skipped'],
      ['restart', 'skipped'],
      ['settle', 'skipped'],
      ['status', 'skipped'],
      ['verify', 'ok'],
    ]);
    expect(resumed.events.some((e) => e.type === 'step.started' && e.stepId !== 'verify')).toBe(false);
    expect(resumed.events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'success' });
    expect(journals()).toHaveLength(2);

    // Dealt with: the next start offers nothing.
    const third = startConsole(join(dir, 'third.pid'));
    const calm = await third.waitFor(/doai-orchestrator\s+UP/, 30_000);
    expect(calm).not.toMatch(/Interrupted:/);
  }, 150_000);
});
