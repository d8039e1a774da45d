// The full-screen console (default command and `demo`). Owns the process-level concerns the
// screens must not: TTY checks, signals, the alternate screen on exit.
import type { ConsoleContext } from './context';
import { SIGNAL_NUMBERS } from './exit';

export { requireTty } from './interactive-guard';
import { startConsole, leaveAltScreen } from '../../screens/render';
import type { Lang } from '../core/views';
import { Ticker } from '../core/ticker';


export async function runInteractive(
  ctx: ConsoleContext,
  opts: { lang: Lang; demo?: { inject(name: string): Promise<void> | void } },
): Promise<number> {
  ctx.fleet.start();
  void ctx.fleet.probeNow();
  const tick = new Ticker(1000);
  tick.start();
  const handle = startConsole(
    {
      fleet: ctx.fleet,
      runs: ctx.engine,
      control: ctx.engine,
      demo: opts.demo,
      lang: opts.lang,
      operator: ctx.operator,
      configPath: ctx.loaded.path,
      clock: ctx.clock,
      tick,
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
    for (const run of active) ctx.engine.interrupt(run.runId, sig);
    const code = 128 + (SIGNAL_NUMBERS[sig] ?? 0);
    Promise.race([
      Promise.all(active.map((r) => ctx.engine.waitFor(r.runId))),
      new Promise((r) => setTimeout(r, 3000)),
    ]).finally(() => {
      handle.unmount();
      ctx.close();
      process.exit(code);
    });
  };
  const sigs: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM'];
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
    tick.stop();
    ctx.close();
  }
}
