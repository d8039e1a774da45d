// Wires the fleet-at-a-glance monitors together: node sources, hosts over SSH, WebSocket checks,
// the alert rules and their webhooks. The hosts and nodes facts feed the fleet store's level
// recommendation (R-HLT-6: "host unreachable → L3", "many nodes offline → L2").
import { join } from 'node:path';
import type { Clock } from '../core/clock';
import type { Config } from '../config/schema';
import type { RemoteShell } from '../ssh/types';
import { Notifier } from '../notify/webhook';
import type { FleetStoreHandle } from './fleet-store';
import { createNodesStore, type NodesStoreHandle, type NodeFetcher } from './nodes-store';
import { createHostsStore, type HostsStoreHandle } from './hosts-store';
import { createWebSocketMonitor, type WebSocketMonitor } from './websocket';
import { createAlertsStore, type AlertActions, type AlertNotifier, type AlertsStoreHandle } from './alerts-store';
import { registerAlertEvaluator } from './alerts-evaluator-presence';
import { MuteStore, type MuteShare } from './alerts-mute';
import type { AckShare } from './alerts-acks';

/** Silences and console-started maintenance windows, kept across restarts. */
export const MUTES_FILE = 'mutes.json';

export interface FleetMonitorsOptions {
  config: Config;
  clock: Clock;
  fleet: Pick<FleetStoreHandle, 'subscribe' | 'getSnapshot' | 'updateSymptoms'>;
  shell: Pick<RemoteShell, 'exec' | 'probe'>;
  stateDir: string;
  /** Directory relative secret files (url_file) resolve against: the config file's. */
  configDir: string;
  /** Absent in a read-only console: alert actions that start runbooks are then only recorded. */
  actions?: AlertActions;
  env?: NodeJS.ProcessEnv;
  fetchNodes?: NodeFetcher;
  /** The notifier alerts use, given the webhooks' own (a shared state backend puts an outbox in between). */
  notifier?: (direct: Notifier) => AlertNotifier;
  /** The caller starts and stops alert evaluation (a server that evaluates only while it holds the lease). */
  alertsStartedByCaller?: boolean;
  /** Who evaluates the alerts, for the wall screen's "alerts evaluated by" (default: a console of $USER). */
  evaluator?: { kind: 'console' | 'server'; operator: string };
  /** Writes one audit line for acknowledgements, silences and maintenance (emergency.log). */
  audit?: (message: string) => void;
  /** Where silences and maintenance windows live when boxes share state (else <stateDir>/mutes.json). */
  mutesShared?: MuteShare;
  /** Where acknowledgements are kept when boxes share state (a new leader knows them); else in memory. */
  acksShared?: AckShare;
}

export interface FleetMonitors {
  nodes: NodesStoreHandle;
  hosts: HostsStoreHandle;
  websocket: WebSocketMonitor;
  alerts: AlertsStoreHandle;
  /** Silences and maintenance windows (R-MON-3). */
  mutes: MuteStore;
  /** Where acknowledgements, silences and maintenance go in the incident timeline (set once the incidents exist). */
  setTimeline(sink: (subject: string | undefined, text: string, actor: string) => void): void;
  notifier: Notifier;
  /**
   * With alertsStartedByCaller: the caller says when this process evaluates the alerts (a server
   * while it holds the lease), so the "alerts evaluated here" marker is written only then.
   */
  setEvaluating(on: boolean): void;
  start(): void;
  stop(): void;
}

export const ALERTS_FILE = 'alerts.jsonl';

export function createFleetMonitors(opts: FleetMonitorsOptions): FleetMonitors {
  const { config, clock } = opts;
  const nodes = createNodesStore({ config, clock, ...(opts.fetchNodes ? { fetch: opts.fetchNodes } : {}) });
  const hosts = createHostsStore({ config, clock, shell: opts.shell });
  const websocket = createWebSocketMonitor({ config, clock });
  const notifier = new Notifier({ webhooks: config.notifications.webhooks, env: opts.env, baseDir: opts.configDir, now: () => clock.now() });
  let timeline: ((subject: string | undefined, text: string, actor: string) => void) | undefined;
  const toTimeline = (subject: string | undefined, text: string, actor: string) => timeline?.(subject, text, actor);
  const mutes = new MuteStore({
    clock,
    services: config.services.map((s) => s.name),
    windows: config.maintenance.map((w) => ({ service: w.service, from: new Date(w.from), until: new Date(w.until), reason: w.reason })),
    file: join(opts.stateDir, MUTES_FILE),
    ...(opts.audit ? { audit: opts.audit } : {}),
    ...(opts.mutesShared ? { shared: opts.mutesShared } : {}),
    timeline: toTimeline,
  });
  const alerts = createAlertsStore({
    config,
    clock,
    fleet: opts.fleet,
    nodes,
    notifier: opts.notifier ? opts.notifier(notifier) : notifier,
    ackNotifier: notifier,
    ...(opts.acksShared ? { acks: opts.acksShared } : {}),
    mutes,
    ...(opts.audit ? { audit: opts.audit } : {}),
    timeline: toTimeline,
    ...(opts.actions ? { actions: opts.actions } : {}),
    file: join(opts.stateDir, ALERTS_FILE),
    onIsolated: (ids) => nodes.setIsolated(ids),
  });

  const feed = () => {
    // Alertmanager's alerts (alertmanager.symptoms) count beside what the monitors see themselves.
    const external = alerts.externalSymptoms();
    const unreachable = [...new Set([...hosts.unreachable(), ...external.hostsUnreachable])];
    opts.fleet.updateSymptoms({
      hostsUnreachable: unreachable,
      nodesOfflineRatio: nodes.offlineRatio(),
      dbFailing: external.dbFailing.length ? external.dbFailing : undefined,
    });
  };
  let unsubscribe: (() => void)[] = [];
  let unregister: () => void = () => {};
  let registered = false;
  const who = opts.evaluator ?? { kind: 'console' as const, operator: process.env.USER ?? 'unknown' };
  const mark = (on: boolean) => {
    if (on === registered) return;
    registered = on;
    if (on) unregister = registerAlertEvaluator(opts.stateDir, who.kind, who.operator, clock.now());
    else {
      unregister();
      unregister = () => {};
    }
  };

  return {
    nodes,
    hosts,
    websocket,
    alerts,
    mutes,
    setTimeline(sink) {
      timeline = sink;
    },
    notifier,
    setEvaluating(on) {
      mark(on);
    },
    start() {
      if (unsubscribe.length) return;
      unsubscribe = [hosts.subscribe(feed), nodes.subscribe(feed), alerts.subscribe(feed)];
      if (!opts.alertsStartedByCaller) {
        alerts.start();
        mark(true);
      }
      nodes.start();
      hosts.start();
      websocket.start();
    },
    stop() {
      for (const u of unsubscribe) u();
      unsubscribe = [];
      alerts.stop();
      mutes.stop();
      mark(false);
      nodes.stop();
      hosts.stop();
      websocket.stop();
    },
  };
}
