// The full-screen console attached to a server (R-SRV-2, R-SRV-3). Everything it shows is the
// server's: health, runs with their output, prompts and approval forms, checklists, incidents;
// every key that changes something sends an intent the server carries out as the operator the
// socket proved. No engine, runbook loader, lock, journal or log writer is loaded here (the
// module-graph test in tests/unit/watch-readonly.test.ts keeps it so).
//
// So the console's own end is harmless: a dropped SSH session (SIGHUP), a closed pane or a kill
// leaves every run going on in the server; the next console to attach shows it, output from the
// start and its pending prompt as it was. Quitting detaches and does not ask.
import { startConsole, leaveAltScreen } from '../../screens/render';
import type { LoadedConfig } from '../config/load';
import type { Lang, ServerLinkView } from '../core/views';
import { BatchedStore, type Store } from '../core/store';
import type { AppStartup } from '../../screens/app';
import { realClock } from '../core/clock';
import { Ticker } from '../core/ticker';
import { installCrashGuard } from '../watch/terminal';
import { SIGNAL_NUMBERS, UserError } from './exit';
import type { CommonFlags } from './flags';
import { chooseServer } from '../attach/choose';
import { Attached, AttachError } from '../attach/client';
import { LinkView, remoteHealth, type RemoteHealth } from '../attach/remote-health';
import { remoteOps } from '../attach/remote-runs';
import { serverConsoleParts, withServerNotice } from './console-parts';
import { join } from 'node:path';
import { traceStartup } from '../core/startup-trace';
import type { TopicName } from '../protocol/messages';

/** What remoteHealth and remoteOps read; a topic the server does not publish is ignored by it. */
const CONSOLE_TOPICS: readonly TopicName[] = ['server', 'fleet', 'alerts', 'websocket', 'nodes', 'hosts', 'console', 'runbooks', 'checklists', 'incidents'];

class StartupStore extends BatchedStore<AppStartup | undefined> {
  deliver(parts: AppStartup): void {
    this.set(parts);
  }
}

export interface AttachedServer {
  link: Attached;
  health: RemoteHealth;
  view: Store<ServerLinkView>;
}

/**
 * Attaches when a server is configured and reachable (R-SRV-2); undefined: stand alone. A socket
 * named with --socket or DOAI_CONSOLE_SOCKET that does not answer is an error, said.
 */
export async function attachToServer(flags: CommonFlags & { socket?: string; standalone?: boolean }): Promise<AttachedServer | undefined> {
  const choice = chooseServer(flags);
  if (choice.mode === 'standalone') return undefined;
  let link: Attached;
  try {
    // Every topic the console reads, subscribed to in the handshake: the server answers the welcome
    // and their first snapshots in one flush, one round trip after connecting.
    traceStartup('attach');
    link = await Attached.open(choice.socket, { topics: CONSOLE_TOPICS });
    traceStartup('welcome');
  } catch (err) {
    if (err instanceof AttachError && err.kind === 'unreachable' && !choice.explicit) return undefined;
    if (err instanceof AttachError) throw new UserError(err.kind === 'unreachable' ? `server not running: ${err.message}` : err.message, 2);
    throw err;
  }
  try {
    const health = await remoteHealth(link);
    traceStartup('health snapshots');
    return { link, health, view: new LinkView(link) };
  } catch (err) {
    link.close();
    throw err;
  }
}

export async function runAttached(
  loaded: LoadedConfig,
  server: AttachedServer,
  opts: { lang: Lang; demo?: { inject(name: string): Promise<void> | void }; notice?: string; onFirstFrame?: () => void },
): Promise<number> {
  const { link, health } = server;
  const clock = realClock(loaded.config.demo?.time_scale ?? 1);
  let ops: Awaited<ReturnType<typeof remoteOps>>;
  try {
    ops = await remoteOps(link);
  } catch (err) {
    link.close();
    throw err;
  }
  traceStartup('runs snapshots');
  const tick = new Ticker(1000);
  tick.start();
  // The message bar's notice follows the server's: a server that restarts after being killed
  // mid-run says `Interrupted: …` in consoles that stayed attached too.
  const startupParts = withServerNotice(serverConsoleParts(link, health, ops), ops, opts.lang, opts.notice);
  const startup = new StartupStore(startupParts.first);
  const offNotice = startupParts.follow((p) => startup.deliver(p));
  const handle = startConsole(
    {
      fleet: health.fleet,
      runs: ops.runs,
      startup,
      demo: opts.demo,
      lang: opts.lang,
      // The operator is who the server proved, not a name this process picks.
      operator: link.identity.user,
      configPath: loaded.path,
      clock,
      tick,
      link: server.view,
    },
    { stdout: process.stdout, stdin: process.stdin },
  );
  traceStartup('first frame written');
  opts.onFirstFrame?.();

  const guard = installCrashGuard({
    stdout: process.stdout,
    stdin: process.stdin,
    logFile: join(loaded.paths.stateDir, 'crash.log'),
    what: 'the console',
    // Nothing to interrupt: the runs are the server's.
    onCrash: () => undefined,
  });

  let exiting = false;
  // SIGHUP (the SSH session dropped) / SIGTERM / SIGINT: the terminal back, the link closed, exit
  // 128+n. The server's runs go on.
  const onSignal = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    leaveAltScreen(process.stdout);
    handle.unmount();
    link.close();
    process.exit(128 + (SIGNAL_NUMBERS[sig] ?? 0));
  };
  const sigs: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    try {
      return await handle.waitUntilExit();
    } catch (err) {
      guard.crash(err);
      return await new Promise<number>(() => {});
    }
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    guard.dispose();
    offNotice();
    tick.stop();
    link.close();
  }
}
