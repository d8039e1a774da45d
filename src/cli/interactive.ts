// The full-screen console (default command and `demo`). Owns the process-level concerns the
// screens must not: TTY checks, signals, the alternate screen on exit.
//
// First frame first (issue 8): only what the dashboard needs to draw the services is loaded before
// it (Ink, the screens, the fleet store); the engine, runbooks, checklists, incidents, monitors and
// other consoles' runs are imported and built right after it, and reach the App through `startup`.
//
// Standalone (no server, or --standalone), what is built after the first frame is the server's
// own core, in this process (src/server/standalone.ts), and the screens get what an attached
// console gets (src/cli/console-parts.ts) through an in-process port: one code path for both.
import { PassphrasePrompts } from '../core/passphrase-prompts';
import type { PassphraseAsker } from '../ssh/identity';
import type { StandaloneServer } from '../server/standalone';
import type { CommonFlags } from './flags';
import { SIGNAL_NUMBERS } from './exit';
import type { EarlyParts } from './context';
import { interruptReason } from './interrupt-reason';
import { traceStartup } from '../core/startup-trace';

export { interruptReason };

import { startConsole, leaveAltScreen } from '../../screens/render';
import type { AppStartup } from '../../screens/app';
import type { Lang, RunsSnapshot, RunsStore } from '../core/views';
import type { LoadedConfig } from '../config/load';
import { BatchedStore } from '../core/store';
import { realClock } from '../core/clock';
import { Ticker } from '../core/ticker';
import { operatorName } from '../config/operator';
import { installCrashGuard } from '../watch/terminal';
import { join } from 'node:path';

/** No runs yet: what the dashboard shows until the engine is built. */
const NO_RUNS: RunsStore = {
  getSnapshot: () => EMPTY_RUNS,
  subscribe: () => () => {},
  getOutput: () => [],
};
const EMPTY_RUNS: RunsSnapshot = { runs: [], outputVersion: 0 };

class StartupStore extends BatchedStore<AppStartup | undefined> {
  constructor() {
    super(undefined);
  }
  deliver(parts: AppStartup): void {
    this.set(parts);
  }
}

/** What is built after the first frame, to close and to wait for on the way out. */
interface Late {
  server: StandaloneServer;
}

export async function runInteractive(
  loaded: LoadedConfig,
  flags: CommonFlags & { socket?: string; standalone?: boolean },
  opts: { lang: Lang; demo?: { inject(name: string): Promise<void> | void }; notice?: string; onFirstFrame?: () => void },
): Promise<number> {
  const clock = realClock(loaded.config.demo?.time_scale ?? 1);
  // Beside a server, health and runs are the server's: the attached console builds no engine.
  const attached = await import('./interactive-attached');
  traceStartup('interactive-attached loaded');
  const server = await attached.attachToServer(flags);
  if (server) return attached.runAttached(loaded, server, opts);
  // Only a console standing alone probes: one attached never loads the prober (tests/unit/attached-graph.test.ts).
  const { createFleetStore } = await import('../health/fleet-store');
  const fleet = createFleetStore({ config: loaded.config, clock });
  fleet.start();
  void fleet.probeNow();
  const tick = new Ticker(1000);
  tick.start();
  const startup = new StartupStore();
  // An encrypted identity file's passphrase is asked in a masked prompt on the console (issue 12 item 17).
  const passphrases = new PassphrasePrompts();
  const handle = startConsole(
    {
      fleet,
      runs: NO_RUNS,
      startup,
      passphrase: passphrases,
      demo: opts.demo,
      lang: opts.lang,
      operator: operatorName(),
      configPath: loaded.path,
      clock,
      tick,
    },
    { stdout: process.stdout, stdin: process.stdin },
  );
  opts.onFirstFrame?.();

  let exiting = false;
  let late: Late | undefined;
  // A bug nothing else caught: the terminal back, one line (the stack in crash.log), active runs
  // recorded INTERRUPTED (bounded wait), exit 1.
  const guard = installCrashGuard({
    stdout: process.stdout,
    stdin: process.stdin,
    logFile: join(loaded.paths.stateDir, 'crash.log'),
    what: 'the console',
    onCrash: () => {
      const engine = late?.server.core.ctx.engine;
      const active = engine ? engine.getSnapshot().runs.filter((r) => r.state === 'running') : [];
      for (const run of active) engine!.interrupt(run.runId, 'the console stopped on an internal error');
      return Promise.all(active.map((r) => engine!.waitFor(r.runId)));
    },
  });
  let failed: { err: unknown } | undefined;
  let offNotice: () => void = () => {};
  // After the first frame is on the terminal (Ink writes it synchronously in startConsole).
  const ready = buildLate(loaded, flags, opts.lang, opts.notice, { clock, fleet }, passphrases.ask).then(
    (built) => {
      late = built;
      if (exiting) return;
      startup.deliver(built.parts.first);
      offNotice = built.parts.follow((p) => startup.deliver(p));
    },
    (err: unknown) => {
      // A config or runbook problem found while building (e.g. a runbook that does not load):
      // leave the screen so main reports it exactly as before the console drew anything.
      failed = { err };
      handle.unmount();
    },
  );

  // SIGHUP (the operator's SSH dropped) / SIGTERM: leave the terminal usable, end remote commands
  // of active runs so nothing keeps running unobserved, let the journal flush, exit 128+n.
  const onSignal = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    leaveAltScreen(process.stdout);
    const engine = late?.server.core.ctx.engine;
    const active = engine ? engine.getSnapshot().runs.filter((r) => r.state === 'running') : [];
    for (const run of active) engine!.interrupt(run.runId, interruptReason(sig, run));
    const code = 128 + (SIGNAL_NUMBERS[sig] ?? 0);
    Promise.race([
      Promise.all(active.map((r) => engine!.waitFor(r.runId))),
      new Promise((r) => setTimeout(r, 3000)),
    ])
      .then(() => {
        offNotice();
        handle.unmount();
        fleet.stop();
        return Promise.race([late?.server.stop(), new Promise((r) => setTimeout(r, 1000))]);
      })
      .finally(() => process.exit(code));
  };
  // SIGINT too: Ctrl-C is a key in raw mode, so a SIGINT comes from `kill -INT`, never the keyboard.
  const sigs: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    let code: number;
    try {
      code = await handle.waitUntilExit();
    } catch (err) {
      // A render threw: Ink has unmounted; the guard restores, reports and exits 1.
      guard.crash(err);
      return await new Promise<number>(() => {});
    }
    // Quit while starting: let the start-up finish so what it opened is closed below.
    await ready;
    if (failed) throw failed.err;
    // The operator confirmed quitting while a run was active (q or Ctrl-C, then y): end the remote
    // commands and record the runs CANCELLED by user rather than leaving them running unobserved.
    const engine = late!.server.core.ctx.engine;
    const active = engine.getSnapshot().runs.filter((r) => r.state === 'running');
    for (const run of active) engine.cancel(run.runId);
    await Promise.race([
      Promise.all(active.map((r) => engine.waitFor(r.runId))),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
    return code;
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    guard.dispose();
    passphrases.declineAll();
    offNotice();
    tick.stop();
    fleet.stop();
    await late?.server.stop();
  }
}

/**
 * The server's core in this process, after the first frame (dynamic imports, so its modules load
 * only now): the engine, runbooks, monitors and alerts, checklists, incidents, history, the
 * operators gate; runs of other consoles on this machine (R-RUN-7) and runs interrupted in an
 * earlier session (R-UI-5) are its `console` topic, as an attached console sees them.
 */
async function buildLate(
  loaded: LoadedConfig,
  flags: CommonFlags,
  lang: Lang,
  notice: string | undefined,
  early: EarlyParts,
  passphrase?: PassphraseAsker,
): Promise<Late & { parts: ReturnType<typeof import('./console-parts').withServerNotice> }> {
  const [{ startStandaloneServer }, { serverConsoleParts, withServerNotice }] = await Promise.all([import('../server/standalone'), import('./console-parts')]);
  const server = await startStandaloneServer(loaded, { acceptNew: flags.acceptNew === true, early, lang, ...(passphrase ? { passphrase } : {}) });
  return { server, parts: withServerNotice(serverConsoleParts(server.port, server.health, server.ops), server.ops, lang, notice) };
}
