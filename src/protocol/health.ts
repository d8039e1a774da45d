// The health domain on the wire: what a server publishes about the fleet (snapshots) and what a
// console may ask of it. The snapshot shapes are the stores' own (src/core/views.ts).
import type { StateView } from '../state/backend';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, NodesSnapshot, OutputLine, WebSocketSnapshot } from '../core/views';
import type { LiveRunsSnapshot } from '../watch/live-runs';
import type { OpenIncidentSnapshot } from '../watch/incident-reader';

/** What the server says about itself: shown in headers and by `status`. */
export interface ServerInfo {
  pid: number;
  startedAt: Date;
  socket: string;
  configPath: string;
  /** Alerts are evaluated (and notifications sent) by this server, once for every console. */
  evaluatesAlerts: boolean;
  /** Which optional monitors the config declares. */
  monitors: { nodes: boolean; hosts: boolean };
  /** The config's RTO target (incident clocks). */
  rtoMin: number;
  /** Where shared state lives and which server leads (R-HA): absent from older servers. */
  state?: StateView;
}

/** Runs in progress in any console or the server, recent runs, and each running run's output tail. */
export interface WallRunsSnapshot extends LiveRunsSnapshot {
  output: Record<string, OutputLine[]>;
}

/** Lines of output kept per running run in the wall topic. */
export const WALL_OUTPUT_LINES = 40;

export interface HealthTopics {
  server: ServerInfo;
  fleet: FleetSnapshot;
  nodes: NodesSnapshot;
  hosts: HostsSnapshot;
  websocket: WebSocketSnapshot;
  alerts: AlertsSnapshot;
  runs: WallRunsSnapshot;
  incident: OpenIncidentSnapshot;
}

/** One line of `status --json`: a thing the server watches, its verdict and how old that fact is. */
export interface StatusItem {
  /** receiver: a notification receiver whose last delivery failed (R-MON-3); silence, maintenance: one in force or planned (always healthy). */
  kind: 'service' | 'host' | 'node_source' | 'alert' | 'receiver' | 'silence' | 'maintenance';
  name: string;
  state: string;
  healthy: boolean;
  /** When the fact was last established (probe, fetch, firing); null when never. */
  lastFactAt: Date | null;
  detail?: string;
}

/** A silence or maintenance row: listed in status, not one of the things whose health is counted. */
export function isMute(i: Pick<StatusItem, 'kind'>): boolean {
  return i.kind === 'silence' || i.kind === 'maintenance';
}

export interface StatusReport {
  server: ServerInfo;
  at: Date;
  items: StatusItem[];
  healthy: boolean;
}
