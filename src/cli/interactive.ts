// The full-screen console (default command and `demo`). Owns the process-level concerns the
// screens must not: TTY checks, signals, the alternate screen on exit.
import type { ConsoleContext } from './context';
import { SIGNAL_NUMBERS } from './exit';

export { requireTty } from './interactive-guard';
import { startConsole, leaveAltScreen } from '../../screens/render';
import type { Lang, RunView } from '../core/views';
import { Ticker } from '../core/ticker';
import { join } from 'node:path';
import { LiveRunsSource } from '../watch/live-runs';
import { MergedRunsStore } from '../watch/merged-runs';
import { findInterruptedRuns, interruptedNotice, replayRuns, type InterruptedRun } from './resume';

/** "SIGHUP during step "verify" (Verify: /health 6 × 5 s)": the audit line says where it stopped. */
export function interruptReason(sig: string, run: RunView): string {
  const step = run.steps.find((s) => s.state === 'running');
  return step ? `${sig} during step "${step.id}" (${step.title.en})` : run.prompt ? `${sig} while waiting for ${run.prompt.kind}` : sig;
}


export async function runInteractive(
  ctx: ConsoleContext,
  opts: { lang: Lang; demo?: { inject(name: string): Promise<void> | void } },
): Promise<number> {
  ctx.fleet.start();
  // Checklists re-read other consoles' sign-offs; incidents other consoles' changes.
  ctx.ops.incidents.setLang(opts.lang);
  ctx.ops.start();
  void ctx.fleet.probeNow();
  // Nodes, hosts, WebSocket checks and alerts keep going whatever screen is shown (R-HLT-7).
  ctx.monitors?.start();
  const tick = new Ticker(1000);
  tick.start();
  // Runs of other consoles on this machine (watched live from their journals, R-RUN-7) and runs
  // interrupted in an earlier session (R-UI-5) are shown beside this console's own runs.
  const { journalDir, stateDir } = ctx.loaded.paths;
  const lockDir = join(stateDir, 'locks');
  const runbook = (id: string) => ctx.engine.getRunbook(id);
  const others = new LiveRunsSource({ journalDir, lockDir, runbook, excludePid: process.pid, pollMs: 1000, batchMs: 100 });
  let interrupted: InterruptedRun[] = [];
  try {
    interrupted = findInterruptedRuns({ journalDir, lockDir });
  } catch {
    // an unreadable journal directory only costs the notice
  }
  const runs = new MergedRunsStore(ctx.engine, [others, replayRuns(interrupted, runbook)]);
  others.start();
  const handle = startConsole(
    {
      fleet: ctx.fleet,
      runs,
      control: ctx.engine,
      notice: interruptedNotice(interrupted, opts.lang, { open: 'Enter' }),
      demo: opts.demo,
      lang: opts.lang,
      operator: ctx.operator,
      configPath: ctx.loaded.path,
      clock: ctx.clock,
      tick,
      ops: { checklists: ctx.ops.checklists, checklistControl: ctx.ops.checklists, incidents: ctx.ops.incidents, incidentControl: ctx.ops.incidents },
      fleetStores: ctx.monitors
        ? {
            alerts: ctx.monitors.alerts,
            websocket: ctx.monitors.websocket,
            ...(ctx.loaded.config.node_sources.length ? { nodes: ctx.monitors.nodes } : {}),
            ...(ctx.loaded.config.hosts.length ? { hosts: ctx.monitors.hosts } : {}),
          }
        : undefined,
    },
    { stdout: process.stdout, stdin: process.stdin },
  );

  // SIGHUP (the operator's SSH dropped) / SIGTERM: leave the terminal usable, end remote commands
  // of active runs so nothing keeps running unobserved, let the journal flush, exit 128+n.
  let exiting = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    leaveAltScreen(process.stdout);
    const active = ctx.engine.getSnapshot().runs.filter((r) => r.state === 'running');
    for (const run of active) ctx.engine.interrupt(run.runId, interruptReason(sig, run));
    const code = 128 + (SIGNAL_NUMBERS[sig] ?? 0);
    Promise.race([
      Promise.all(active.map((r) => ctx.engine.waitFor(r.runId))),
      new Promise((r) => setTimeout(r, 3000)),
    ]).finally(() => {
      others.stop();
      handle.unmount();
      ctx.close();
      process.exit(code);
    });
  };
  // SIGINT too: Ctrl-C is a key in raw mode, so a SIGINT comes from `kill -INT`, never the keyboard.
  const sigs: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    const code = await handle.waitUntilExit();
    // The operator confirmed quitting while a run was active (q or Ctrl-C, then y): end the remote
    // commands and record the runs CANCELLED by user rather than leaving them running unobserved.
    const active = ctx.engine.getSnapshot().runs.filter((r) => r.state === 'running');
    for (const run of active) ctx.engine.cancel(run.runId);
    await Promise.race([
      Promise.all(active.map((r) => ctx.engine.waitFor(r.runId))),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
    return code;
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    others.stop();
    tick.stop();
    ctx.close();
  }
}
