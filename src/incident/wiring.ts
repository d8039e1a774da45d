// Builds the checklist and incident stores for a console and connects them to the engine, the
// fleet, the alert monitor and each other. Watch mode never calls this (read-only by construction).
import { dirname, join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import type { Clock } from '../core/clock';
import type { Store } from '../core/store';
import type { AlertEvent, FleetStore, HostsSnapshot, Lang, NodesSnapshot, WebSocketSnapshot } from '../core/views';
import type { RunEventListener } from '../runbook/events';
import type { Runbook } from '../runbook/schema';
import type { RemoteShell } from '../ssh/types';
import { checkBackups } from '../checklist/backups';
import { factsFrom, scopeFor } from '../checklist/live-facts';
import { loadChecklists } from '../checklist/loader';
import { createChecklistStore, type ChecklistStore } from '../checklist/store';
import { detectLang } from '../i18n/catalog';
import type { Symptoms } from '../health/recommend';
import { createIncidentStore, type IncidentStore } from './store';
import { incidentRecordsFor } from '../state/pg-incidents';
import { checklistShareFor } from '../state/pg-checklists';

export interface OpsStores {
  checklists: ChecklistStore;
  incidents: IncidentStore;
  start(): void;
  stop(): void;
}

export interface OpsInput {
  loaded: LoadedConfig;
  clock: Clock;
  operator: string;
  shell: Pick<RemoteShell, 'exec'>;
  engine: { on(listener: RunEventListener): () => void; getRunbook(id: string): Runbook | undefined };
  /** updateSymptoms, when present, gets the incidents' failed recoveries (the recommendation's run history). */
  fleet: FleetStore & { updateSymptoms?(partial: Symptoms): void };
  monitors?: {
    nodes?: Store<NodesSnapshot>;
    hosts?: Store<HostsSnapshot>;
    websocket?: Store<WebSocketSnapshot>;
    alerts?: { onEvent(l: (e: AlertEvent) => void): () => void };
  };
  lang?: Lang;
}

export function createOpsStores(input: OpsInput): OpsStores {
  const { loaded, clock, operator, engine, fleet, monitors } = input;
  const { config, paths } = loaded;
  const definitions = loadChecklists({ extraPaths: config.checklists, baseDir: dirname(loaded.path) });
  const hostDir = (host: string) => config.hosts.find((h) => h.name === host)?.backup_dir;
  // Under state.backend postgres the sign-offs are every box's (src/state/pg-checklists.ts).
  const checklistShare = checklistShareFor(config.state);
  const checklists = createChecklistStore({
    dir: join(paths.stateDir, 'checklists'),
    ...(checklistShare ? { shared: checklistShare } : {}),
    definitions,
    clock,
    operator,
    facts: factsFrom({ fleet, nodes: monitors?.nodes, hosts: monitors?.hosts, websocket: monitors?.websocket }),
    factSources: ([fleet, monitors?.nodes, monitors?.hosts, monitors?.websocket] as (Store<unknown> | undefined)[]).filter((s): s is Store<unknown> => s !== undefined),
    scopeOf: scopeFor(config),
    backups: {
      check: async (host) => {
        const dir = hostDir(host);
        return dir ? checkBackups(input.shell as RemoteShell, host, dir, { now: clock.now() }) : undefined;
      },
    },
    batchMs: 100,
  });
  const title = (rb: Runbook | undefined) => rb?.title;
  // Under state.backend postgres the incidents are every box's (src/state/pg-incidents.ts).
  const records = incidentRecordsFor(config.state, join(paths.stateDir, 'incidents'));
  const incidents = createIncidentStore({
    dir: join(paths.stateDir, 'incidents'),
    ...(records ? { records } : {}),
    reportsDir: paths.incidentsDir,
    snapshotsDir: paths.snapshotsDir,
    alertsFile: join(paths.stateDir, 'alerts.jsonl'),
    clock,
    operator,
    rtoMin: config.rto_min,
    settleMs: config.resolve_settle_s * 1000,
    contacts: config.contacts.map((c) => ({ name: c.name, role: c.role, ...(c.reach ? { reach: c.reach } : {}), fromMin: c.from_min })),
    lang: input.lang ?? detectLang(process.env),
    describe: {
      runbook: (id) => title(engine.getRunbook(id)),
      step: (id, stepId) => engine.getRunbook(id)?.steps.find((s) => s.id === stepId)?.title,
    },
    hostOf: (s) => config.services.find((x) => x.name === s)?.host,
    batchMs: 100,
  });
  incidents.attachEngine(engine);
  incidents.attachFleet(fleet);
  incidents.attachChecklists(checklists);
  if (monitors?.alerts) incidents.attachAlerts(monitors.alerts);
  const feedHistory = () => fleet.updateSymptoms?.({ failedRecoveries: incidents.failedRecoveries() });
  feedHistory();
  const offHistory = incidents.subscribe(feedHistory);
  return {
    checklists,
    incidents,
    start() {
      checklists.start();
      incidents.start();
    },
    stop() {
      offHistory();
      checklists.stop();
      incidents.stop();
      records?.close?.();
      checklistShare?.close?.();
    },
  };
}
