// `doai-console watch`: the read-only wall screen (R-UI-2). Read-only BY CONSTRUCTION: this
// module builds the fleet store and file readers (locks, journals) and nothing else. It must never
// import the runbook engine, the approval writers, the checklist writers or the SSH shell —
// tests/unit/watch-readonly.test.ts bundles this entry and fails if any of them is reachable.
import { dirname, join } from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load';
import { realClock } from '../core/clock';
import { Ticker } from '../core/ticker';
import type { Lang } from '../core/views';
import { createFleetStore } from '../health/fleet-store';
import { fitRecommendation } from '../runbook/fit';
import { createNodesStore } from '../health/nodes-store';
import { builtinActionsDir, loadRunbooks } from '../runbook/loader';
import type { Runbook } from '../runbook/schema';
import { AlertsFileSource } from '../watch/alerts-reader';
import { CoalescedStore } from '../watch/coalesce';
import { IncidentFilesSource } from '../watch/incident-reader';
import { LiveRunsSource } from '../watch/live-runs';
import { installCrashGuard, terminalProblem } from '../watch/terminal';
import { startWatch } from '../../screens/watch/start-watch';
import { EXIT_USAGE, UserError } from './exit';
import { runWallScreen } from './wall-screen-run';

export interface WatchFlags {
  config?: string;
  /** Real seconds between frames at most (1–5). */
  interval?: string;
  socket?: string;
  standalone?: boolean;
}

export function parseInterval(value: string | undefined): number {
  if (value === undefined) return 2;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 5) {
    throw new UserError(`doai-console watch: --interval must be a number of seconds from 1 to 5, found "${value}".`, EXIT_USAGE);
  }
  return n;
}

export async function runWatch(flags: WatchFlags, lang: Lang): Promise<number> {
  const frameSeconds = parseInterval(flags.interval);
  const { chooseServer } = await import('../attach/choose');
  const choice = chooseServer(flags);
  if (choice.mode === 'attach') {
    // Its own module: the attached wall screen's graph holds no config loader, prober or file reader.
    const { runAttachedWatch } = await import('./watch-attached');
    const code = await runAttachedWatch(choice, { frameSeconds, lang });
    if (code !== undefined) return code;
  }
  const problem = terminalProblem('watch', { stdout: process.stdout, stdin: process.stdin });
  if (problem) throw new UserError(problem, EXIT_USAGE);
  const loaded = loadConfig(resolveConfigPath({ flag: flags.config }));
  const { config, paths } = loaded;
  // Titles and step lists of the runs shown; a runbook file that fails to load costs only titles.
  let runbooks = new Map<string, Runbook>();
  try {
    runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: config.runbooks, baseDir: dirname(loaded.path) });
  } catch {
    // shown with ids instead of titles
  }
  const clock = realClock(config.demo?.time_scale ?? 1);
  const fleet = createFleetStore({ config, clock, batchMs: 250 });
  fleet.setRecommendationFit((rec) => fitRecommendation(rec, config, runbooks));
  // Node sources are read with GET only; alerts are not built here (their engine can act and notify).
  const nodes = config.node_sources.length ? createNodesStore({ config, clock, batchMs: 250 }) : undefined;
  const live = new LiveRunsSource({
    journalDir: paths.journalDir,
    lockDir: paths.locksDir,
    runbook: (id) => runbooks.get(id),
    pollMs: 1000,
    batchMs: 250,
  });
  // Alerts and incidents as the consoles recorded them: files read, never the engines that write them.
  const alerts = new AlertsFileSource({ file: join(paths.stateDir, 'alerts.jsonl'), stateDir: paths.stateDir, pollMs: 2000 });
  const incident = new IncidentFilesSource({ dir: join(paths.stateDir, 'incidents'), pollMs: 5000 });
  // Clocks on a wall screen move in coarse steps: one frame every few seconds, not every second.
  const tick = new Ticker(5000);
  const frames = new CoalescedStore(nodes ? [fleet, nodes, live, alerts, incident, tick] : [fleet, live, alerts, incident, tick], frameSeconds * 1000);

  fleet.start();
  void fleet.probeNow();
  nodes?.start();
  live.start();
  alerts.start();
  incident.start();
  tick.start();
  // A bug nothing else caught: the terminal back, one line (the stack in watch-crash.log), exit 1.
  const guard = installCrashGuard({ stdout: process.stdout, stdin: process.stdin, logFile: join(paths.stateDir, 'watch-crash.log'), what: 'the wall screen', graceMs: 0 });
  // Backups against the RPO are read over SSH, which this wall never opens: it says so (issue 17).
  const backupsConfigured = config.services.some((s) => (s.backups?.length ?? 0) > 0);
  const handle = startWatch({ fleet, live, nodes, alerts, incident, rtoMin: config.rto_min, frames, lang, configPath: loaded.path, clock, backupsConfigured }, { stdout: process.stdout, stdin: process.stdin });

  const stopAll = () => {
    tick.stop();
    live.stop();
    alerts.stop();
    incident.stop();
    frames.stop();
    nodes?.stop();
    fleet.stop();
  };
  return runWallScreen(handle, guard, stopAll);
}
