// `doai-console watch` attached to a server (R-SRV-2): every fact on the wall comes from the
// server's snapshots. This module reads no config, probes nothing, reads no state file and holds
// no writer: tests/unit/watch-readonly.test.ts bundles it and fails if any of that is reachable.
import { Attached, AttachError } from '../attach/client';
import type { Store } from '../core/store';
import { Latest, LinkView } from '../attach/remote-health';
import { Ticker } from '../core/ticker';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, Lang, NodesSnapshot, OutputLine } from '../core/views';
import type { WallRunsSnapshot } from '../protocol/health';
import type { OpenIncidentSnapshot } from '../watch/incident-reader';
import { CoalescedStore } from '../watch/coalesce';
import { installCrashGuard, terminalProblem } from '../watch/terminal';
import { startWatch } from '../../screens/watch/start-watch';
import { EXIT_USAGE, UserError } from './exit';
import { runWallScreen } from './wall-screen-run';

/** Undefined when the default socket is left from a stopped server: the caller stands alone. */
export async function runAttachedWatch(choice: { socket: string; explicit: boolean }, opts: { frameSeconds: number; lang: Lang }): Promise<number | undefined> {
  const problem = terminalProblem('watch', { stdout: process.stdout, stdin: process.stdin });
  if (problem) throw new UserError(problem, EXIT_USAGE);
  let link: Attached;
  try {
    // What the wall reads, subscribed to in the handshake (a topic the server does not publish is ignored).
    link = await Attached.open(choice.socket, { topics: ['server', 'fleet', 'runs', 'incident', 'nodes', 'alerts', 'hosts'] });
  } catch (err) {
    if (err instanceof AttachError && err.kind === 'unreachable' && !choice.explicit) return undefined;
    if (err instanceof AttachError) throw new UserError(err.kind === 'unreachable' ? `server not running: ${err.message}` : err.message, EXIT_USAGE);
    throw err;
  }
  const [info, fleet0, runs0, incident0] = await Promise.all([link.first('server'), link.first('fleet'), link.first('runs'), link.first('incident')]);
  const fleet = new Latest<FleetSnapshot>(link.store('fleet'), fleet0);
  const runsStore = new Latest<WallRunsSnapshot>(link.store('runs'), runs0);
  const live = Object.assign(runsStore, {
    getOutput: (runId: string, max: number): OutputLine[] => (runsStore.getSnapshot().output[runId] ?? []).slice(-max),
  });
  const incident = new Latest<OpenIncidentSnapshot>(link.store('incident'), incident0);
  const nodes = info.monitors.nodes ? new Latest<NodesSnapshot>(link.store('nodes'), await link.first('nodes')) : undefined;
  const alerts = info.evaluatesAlerts ? new Latest<AlertsSnapshot>(link.store('alerts'), await link.first('alerts')) : undefined;
  // The server's hosts carry the backup freshness against the RPO: a folder over it is flagged.
  const hosts = info.monitors.hosts ? new Latest<HostsSnapshot>(link.store('hosts'), await link.first('hosts')) : undefined;
  const linkView = new LinkView(link);
  const tick = new Ticker(5000);
  const sources: Store<unknown>[] = [fleet, live, incident, linkView, tick, ...(nodes ? [nodes] : []), ...(alerts ? [alerts] : []), ...(hosts ? [hosts] : [])];
  const frames = new CoalescedStore(sources, opts.frameSeconds * 1000);
  tick.start();
  const guard = installCrashGuard({ stdout: process.stdout, stdin: process.stdin, what: 'the wall screen', graceMs: 0 });
  const handle = startWatch(
    { fleet, live, nodes, alerts, hosts, incident, rtoMin: info.rtoMin, frames, lang: opts.lang, configPath: info.configPath, link: linkView },
    { stdout: process.stdout, stdin: process.stdin },
  );
  const stopAll = () => {
    tick.stop();
    frames.stop();
    link.close();
  };
  return runWallScreen(handle, guard, stopAll);
}
