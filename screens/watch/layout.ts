// How the wall screen's height is shared (R-UI-5: usable at 80 × 24, panes collapse). Greedy:
// every pane first gets its minimum, then the run in progress gets the room, then the lists.

export interface WatchLayoutInput {
  height: number;
  services: number;
  /** Steps of the run shown, or null when no run is in progress. */
  liveSteps: number | null;
  recent: number;
  nodes: boolean;
  alerts: boolean;
  /** A backup line to show (a folder over its RPO, or backups not read here). */
  backups?: boolean;
  /** Rows the backup line wants at this width (it wraps rather than being cut); 1 when absent. */
  backupsRows?: number;
  /** An incident is open: its title and its clocks. */
  incident?: boolean;
  /** Rows the incident's title wants at this width (it wraps rather than being cut); 1 when absent. */
  incidentHead?: number;
}

export interface WatchLayout {
  /** 3 = big banner, 1 = one-line banner. */
  banner: number;
  /** Service rows under the column header (0 hides the pane). */
  serviceRows: number;
  nodesLine: boolean;
  alertsLine: boolean;
  backupsLine: boolean;
  /** Rows the backup line gets (0 with no line). */
  backupsRows: number;
  /** 1 + title rows = title (wrapped) and clocks, 1 = clocks only, 0 = none. */
  incidentRows: number;
  /** Run in progress: steps shown and output lines shown; null when none runs. */
  live: { stepRows: number; logRows: number } | null;
  /** Recent finished runs shown under their title (0 hides the pane). */
  recentRows: number;
}

export function watchLayout(input: WatchLayoutInput): WatchLayout {
  const { height, services, liveSteps, recent } = input;
  let room = Math.max(0, height);
  const take = (n: number) => {
    const got = Math.max(0, Math.min(n, room));
    room -= got;
    return got;
  };
  const banner = height >= 20 ? take(3) : take(1);
  // Services: the column header and at least the two worst.
  const svcHeader = take(1);
  let serviceRows = svcHeader ? take(Math.max(1, Math.min(services, 2))) : 0;
  const nodesLine = input.nodes && take(1) === 1;
  const alertsLine = input.alerts && take(1) === 1;
  const backupsRows = input.backups === true ? take(Math.max(1, input.backupsRows ?? 1)) : 0;
  const backupsLine = backupsRows > 0;
  const incidentRows = input.incident ? take(height >= 20 ? 1 + Math.max(1, input.incidentHead ?? 1) : 1) : 0;
  let live: WatchLayout['live'] = null;
  if (liveSteps !== null) {
    take(1); // "L2 in progress by …"
    const stepRows = take(Math.min(liveSteps, 3));
    const rule = take(1);
    const logRows = rule ? take(3) : 0;
    live = { stepRows, logRows };
  } else {
    take(1); // "No recovery in progress"
  }
  const recentTitle = take(1);
  let recentRows = recentTitle ? take(Math.min(recent, 1) || 1) : 0;
  // What is left: while a run is in progress its whole step list first, then services (the worst
  // are at the top) up to a third of the rest, then the output; otherwise the whole fleet.
  if (live) {
    live.stepRows += take(Math.max(0, (liveSteps ?? 0) - live.stepRows));
    serviceRows += take(Math.min(Math.max(0, services - serviceRows), Math.floor(room / 3)));
    const forRecent = Math.min(Math.max(0, recent - recentRows), 3);
    live.logRows += take(Math.max(0, room - forRecent));
  } else serviceRows += take(Math.max(0, services - serviceRows));
  recentRows += take(Math.max(0, recent - recentRows));
  return { banner, serviceRows, nodesLine, alertsLine, backupsLine, backupsRows, incidentRows, live, recentRows };
}
