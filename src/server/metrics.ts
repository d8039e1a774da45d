// `/metrics` (R-MON-1): what the server knows, in the Prometheus text format through prom-client,
// on a private Registry (never the global one: two servers in one process, tests, would collide).
//
// Gauges are read from the stores at scrape time (collect), so a scrape costs one pass over the
// snapshots and nothing is kept per node: nodes are COUNTED per source and state, never one series
// each (10,000 devices are two numbers per source). Counters and histograms are fed by events:
// probes (each new lastProbeAt of a service), runs and approvals (the engine's events) and the
// audit log's failed writes.
//
// Names: `doai_` prefix, base units (seconds, bytes), `_total` on counters.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditLog } from '../audit/emergency-log';
import type { RunEvent } from '../runbook/events';
import type { Store } from '../core/store';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, NodesSnapshot } from '../core/views';

export interface MetricsSources {
  fleet: Store<FleetSnapshot>;
  nodes?: Store<NodesSnapshot>;
  hosts?: Store<HostsSnapshot>;
  alerts?: Store<AlertsSnapshot>;
  /** The engine's event feed (runs, approvals). */
  runEvents?: { on(listener: (e: RunEvent) => void): () => void };
  /** Its failed appends are counted (the append still throws to its caller, unchanged). */
  audit?: AuditLog;
}

export interface ServerMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** The exposition text, as a scrape gets it. */
  text(): Promise<string>;
  /** A delivery or receiver counter other modules feed (Alertmanager receiver). */
  readonly alertmanagerReceived: Counter<'status'>;
  stop(): void;
}

const HOST_STATES = ['REACHABLE', 'SUSPECT', 'UNREACHABLE', 'UNKNOWN'] as const;
/**
 * Probe latency buckets, seconds: 10 ms .. 5 s (slow_ms defaults to 5 s; beyond is +Inf). Six, not
 * the usual eleven: with 1,000 services the buckets are most of the scrape (bench: monitoring).
 */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 1, 5];
/** Run duration buckets, seconds: 1 s .. 2 h. */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
const MB = 1024 * 1024;

export function createMetrics(src: MetricsSources): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const cleanups: (() => void)[] = [];

  // --- services -------------------------------------------------------------------------------
  new Gauge({
    name: 'doai_service_probe_success',
    help: 'Whether the last health probe of the service succeeded (1) or failed (0); absent until probed.',
    labelNames: ['service'],
    registers,
    collect() {
      this.reset();
      for (const s of src.fleet.getSnapshot().services) {
        if (s.unmonitored || s.lastProbeAt === null || s.samples.length === 0) continue;
        this.set({ service: s.name }, s.samples[s.samples.length - 1] === null ? 0 : 1);
      }
    },
  });
  new Gauge({
    name: 'doai_service_consecutive_failures',
    help: 'Health probes of the service that failed in a row.',
    labelNames: ['service'],
    registers,
    collect() {
      this.reset();
      for (const s of src.fleet.getSnapshot().services) this.set({ service: s.name }, s.consecutiveFailures);
    },
  });
  new Gauge({
    name: 'doai_service_state',
    help: 'The service state the console shows (UP, SLOW, SUSPECT, DOWN, UNKNOWN): one series per service, 1, labelled with the current state.',
    labelNames: ['service', 'state'],
    registers,
    collect() {
      // Only the current state: with 1,000 services the four zeros each would be 4,000 lines per
      // scrape (bench: monitoring); `doai_service_state{state="DOWN"}` still selects the down ones.
      this.reset();
      for (const s of src.fleet.getSnapshot().services) this.set({ service: s.name, state: s.state }, 1);
    },
  });
  const probes = new Counter({ name: 'doai_service_probes_total', help: 'Health probes done, by service and result.', labelNames: ['service', 'result'], registers });
  const latency = new Histogram({
    name: 'doai_service_probe_duration_seconds',
    help: 'Latency of successful health probes, seconds.',
    labelNames: ['service'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const lastSeen = new Map<string, number>();
  const observeProbes = (snap: FleetSnapshot) => {
    for (const s of snap.services) {
      const at = s.lastProbeAt?.getTime();
      if (at === undefined || lastSeen.get(s.name) === at) continue;
      lastSeen.set(s.name, at);
      const last = s.samples[s.samples.length - 1];
      if (last === undefined) continue;
      if (last === null) probes.inc({ service: s.name, result: 'failure' });
      else {
        probes.inc({ service: s.name, result: 'success' });
        latency.observe({ service: s.name }, last / 1000);
      }
    }
  };
  observeProbes(src.fleet.getSnapshot());
  cleanups.push(src.fleet.subscribe(() => observeProbes(src.fleet.getSnapshot())));

  // --- nodes: counted, not listed -------------------------------------------------------------
  if (src.nodes) {
    const nodes = src.nodes;
    new Gauge({
      name: 'doai_nodes',
      help: 'Device nodes by source and state (online, offline); counted, not one series per node.',
      labelNames: ['source', 'state'],
      registers,
      collect() {
        this.reset();
        const snap = nodes.getSnapshot();
        const counts = new Map<string, { online: number; offline: number }>();
        for (const s of snap.sources) counts.set(s.name, { online: 0, offline: 0 });
        for (const n of snap.nodes) {
          const c = counts.get(n.source) ?? { online: 0, offline: 0 };
          if (n.online) c.online++;
          else c.offline++;
          counts.set(n.source, c);
        }
        for (const [source, c] of counts) {
          this.set({ source, state: 'online' }, c.online);
          this.set({ source, state: 'offline' }, c.offline);
        }
      },
    });
    new Gauge({
      name: 'doai_nodes_isolated',
      help: 'Device nodes isolated by the device_error_rate alert, by source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        const snap = nodes.getSnapshot();
        const counts = new Map<string, number>(snap.sources.map((s) => [s.name, 0]));
        for (const n of snap.nodes) if (n.isolated) counts.set(n.source, (counts.get(n.source) ?? 0) + 1);
        for (const [source, c] of counts) this.set({ source }, c);
      },
    });
    new Gauge({
      name: 'doai_node_source_up',
      help: 'Whether the last fetch of the node source succeeded (1) or not (0).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of nodes.getSnapshot().sources) this.set({ source: s.name }, s.error === undefined && s.lastOkAt !== null ? 1 : 0);
      },
    });
  }

  // --- hosts ----------------------------------------------------------------------------------
  if (src.hosts) {
    const hosts = src.hosts;
    const each = (fn: (h: HostsSnapshot['hosts'][number]) => void) => {
      for (const h of hosts.getSnapshot().hosts) fn(h);
    };
    new Gauge({
      name: 'doai_host_reachable',
      help: 'Whether the host answers over SSH (1 REACHABLE, 0 otherwise); absent until checked.',
      labelNames: ['host'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          if (h.reachability !== 'UNKNOWN') this.set({ host: h.name }, h.reachability === 'REACHABLE' ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: 'doai_host_state',
      help: 'The host reachability the console shows: 1 for the current state, 0 for the others.',
      labelNames: ['host', 'state'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          for (const st of HOST_STATES) this.set({ host: h.name, state: st }, h.reachability === st ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: 'doai_host_load',
      help: 'Load average of the host, by window (1m, 5m, 15m), from the last metrics read.',
      labelNames: ['host', 'window'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          if (!h.metrics) return;
          this.set({ host: h.name, window: '1m' }, h.metrics.load1);
          this.set({ host: h.name, window: '5m' }, h.metrics.load5);
          this.set({ host: h.name, window: '15m' }, h.metrics.load15);
        });
      },
    });
    new Gauge({
      name: 'doai_host_memory_total_bytes',
      help: 'Memory of the host, bytes.',
      labelNames: ['host'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          if (h.metrics?.memTotalMb !== undefined) this.set({ host: h.name }, h.metrics.memTotalMb * MB);
        });
      },
    });
    new Gauge({
      name: 'doai_host_memory_used_bytes',
      help: 'Memory in use on the host, bytes.',
      labelNames: ['host'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          if (h.metrics?.memUsedMb !== undefined) this.set({ host: h.name }, h.metrics.memUsedMb * MB);
        });
      },
    });
    new Gauge({
      name: 'doai_host_disk_used_ratio',
      help: 'Used fraction (0..1) of the fullest filesystem of the host, and of every one over the disk threshold.',
      labelNames: ['host', 'mount'],
      registers,
      collect() {
        this.reset();
        each((h) => {
          const m = h.metrics;
          if (!m) return;
          for (const d of [...(m.disk ? [m.disk] : []), ...m.diskOver]) this.set({ host: h.name, mount: d.mount }, d.usedRatio);
        });
      },
    });
  }

  // --- alerts ---------------------------------------------------------------------------------
  if (src.alerts) {
    const alerts = src.alerts;
    new Gauge({
      name: 'doai_alert_firing',
      help: 'Alerts the server knows, by rule and subject: 1 firing, 0 resolved (recently resolved ones are kept).',
      labelNames: ['rule', 'subject'],
      registers,
      collect() {
        this.reset();
        const list = alerts.getSnapshot().alerts;
        // A rule and subject that fired again after resolving: firing wins.
        const firing = new Set(list.filter((a) => a.state === 'firing').map((a) => `${a.rule}\u0000${a.subject}`));
        for (const a of list) {
          if (a.state === 'firing' || !firing.has(`${a.rule}\u0000${a.subject}`)) this.set({ rule: a.rule, subject: a.subject }, a.state === 'firing' ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'doai_alerts_firing',
      help: 'Alerts firing now.',
      registers,
      collect() {
        this.set(alerts.getSnapshot().firing);
      },
    });
  }

  // --- runs and approvals ---------------------------------------------------------------------
  const runs = new Counter({ name: 'doai_runs_total', help: 'Runbook runs finished, by runbook, level and outcome.', labelNames: ['runbook', 'level', 'outcome'], registers });
  const runsStarted = new Counter({ name: 'doai_runs_started_total', help: 'Runbook runs started, by runbook and level.', labelNames: ['runbook', 'level'], registers });
  const runDuration = new Histogram({
    name: 'doai_run_duration_seconds',
    help: 'Duration of finished runbook runs, seconds, by runbook and level.',
    labelNames: ['runbook', 'level'],
    buckets: RUN_BUCKETS,
    registers,
  });
  const approvals = new Counter({ name: 'doai_approvals_total', help: 'Approval steps decided, by outcome (granted, rejected).', labelNames: ['outcome'], registers });
  if (src.runEvents) {
    const started = new Map<string, { runbook: string; level: string; at: number }>();
    cleanups.push(
      src.runEvents.on((e) => {
        if (e.type === 'run.started') {
          // dry runs change nothing: not counted as runs.
          if (!e.dryRun) {
            started.set(e.runId, { runbook: e.runbook, level: e.level, at: e.at.getTime() });
            runsStarted.inc({ runbook: e.runbook, level: e.level });
          }
        } else if (e.type === 'run.finished') {
          const s = started.get(e.runId);
          if (!s) return;
          started.delete(e.runId);
          runs.inc({ runbook: s.runbook, level: s.level, outcome: e.outcome });
          runDuration.observe({ runbook: s.runbook, level: s.level }, Math.max(0, (e.at.getTime() - s.at) / 1000));
        } else if (e.type === 'approval.granted') approvals.inc({ outcome: 'granted' });
        else if (e.type === 'approval.rejected') approvals.inc({ outcome: 'rejected' });
      }),
    );
  }

  // --- audit log ------------------------------------------------------------------------------
  const auditFailures = new Counter({ name: 'doai_audit_write_failures_total', help: 'Audit log lines that could not be written (each is kept in the run journal and retried).', registers });
  if (src.audit) {
    const audit = src.audit;
    const original = audit.append;
    audit.append = function (this: AuditLog, ...args: Parameters<AuditLog['append']>) {
      try {
        return original.apply(this, args);
      } catch (err) {
        auditFailures.inc();
        throw err;
      }
    };
    cleanups.push(() => {
      audit.append = original;
    });
  }

  const alertmanagerReceived = new Counter({
    name: 'doai_alertmanager_requests_total',
    help: 'Alertmanager webhook posts received, by HTTP status answered.',
    labelNames: ['status'],
    registers,
  });

  return {
    registry,
    contentType: registry.contentType,
    // The gauges read the snapshot at the scrape; the probe counters and histogram are caught up
    // to it first, so a scrape between a probe and the store's batched notify still agrees.
    text: () => {
      observeProbes(src.fleet.getSnapshot());
      return registry.metrics();
    },
    alertmanagerReceived,
    stop() {
      for (const c of cleanups.splice(0)) c();
    },
  };
}
