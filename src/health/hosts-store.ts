// Hosts (R-HLT-4): SSH reachability of every host on one interval, and on a slower one a single
// SSH command reading load, memory and disk. Reachability has the services' hysteresis: one
// failed probe is SUSPECT, failure_threshold in a row UNREACHABLE (that is what recommends L3 —
// a single dropped packet must not).
//
// Intervals are clock time (the demo compresses them); SSH timeouts are real time.
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import type { HostHealth, HostReachability, HostsSnapshot, HostsStore } from '../core/views';
import type { Config } from '../config/schema';
import type { RemoteShell } from '../ssh/types';
import { HOST_METRICS_COMMAND, parseHostMetrics } from './hosts';
import { backupSpecsFor, readFreshness } from './backup-freshness';

export interface HostsStoreOptions {
  /** services: the backup folders whose freshness is read with each host's metrics. */
  config: Pick<Config, 'hosts' | 'host_checks' | 'health'> & Partial<Pick<Config, 'services'>>;
  shell: Pick<RemoteShell, 'exec' | 'probe'>;
  clock: Clock;
  /** Clock ms between reachability probes; default host_checks.interval_s. */
  intervalMs?: number;
  /** Clock ms between metrics reads; default host_checks.metrics_interval_s. */
  metricsIntervalMs?: number;
  /** Real ms per SSH probe / command; default host_checks.timeout_s. */
  timeoutMs?: number;
  batchMs?: number;
}

export interface HostsStoreHandle extends HostsStore {
  /** Hosts that failed failure_threshold probes in a row. */
  unreachable(): string[];
  /** Reads metrics of every reachable host now. */
  readMetricsNow(): Promise<void>;
}

function initial(name: string, address: string, threshold: number): HostHealth {
  return { name, address, reachability: 'UNKNOWN', consecutiveFailures: 0, threshold, lastProbeAt: null, lastChangeAt: null };
}

class HostsStoreImpl extends BatchedStore<HostsSnapshot> implements HostsStoreHandle {
  private readonly hosts: HostHealth[];
  private readonly threshold: number;
  private readonly intervalMs: number;
  private readonly metricsIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly diskThreshold: number;
  private readonly probing = new Map<string, Promise<void>>();
  private readonly reading = new Map<string, Promise<void>>();
  private stops: (() => void)[] = [];
  private abort = new AbortController();
  private updatedAt: Date | null = null;

  constructor(private readonly opts: HostsStoreOptions) {
    const { config } = opts;
    const threshold = config.health.failure_threshold;
    const hosts = config.hosts.map((h) => initial(h.name, h.address, threshold));
    super({ hosts: [...hosts], diskThreshold: config.host_checks.disk_alert, updatedAt: null }, opts.batchMs ?? 0);
    this.hosts = hosts;
    this.threshold = threshold;
    this.intervalMs = opts.intervalMs ?? config.host_checks.interval_s * 1000;
    this.metricsIntervalMs = opts.metricsIntervalMs ?? config.host_checks.metrics_interval_s * 1000;
    this.timeoutMs = opts.timeoutMs ?? config.host_checks.timeout_s * 1000;
    this.diskThreshold = config.host_checks.disk_alert;
  }

  private publish(): void {
    this.updatedAt = this.opts.clock.now();
    this.set({ hosts: [...this.hosts], diskThreshold: this.diskThreshold, updatedAt: this.updatedAt });
  }

  start(): void {
    if (this.stops.length) return;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.stops.push(this.opts.clock.setInterval(() => void this.checkNow(), this.intervalMs));
    this.stops.push(this.opts.clock.setInterval(() => void this.readMetricsNow(), this.metricsIntervalMs));
    // The first metrics read follows the first probe so the pane fills in at once.
    void this.checkNow().then(() => this.readMetricsNow());
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    this.abort.abort(new Error('hosts store stopped'));
  }

  unreachable(): string[] {
    return this.hosts.filter((h) => h.reachability === 'UNREACHABLE').map((h) => h.name);
  }

  checkNow(): Promise<void> {
    if (this.abort.signal.aborted && !this.stops.length) this.abort = new AbortController();
    return Promise.all(
      this.hosts.map((h) => {
        let p = this.probing.get(h.name);
        if (!p) {
          p = this.probeOne(h.name).finally(() => this.probing.delete(h.name));
          this.probing.set(h.name, p);
        }
        return p;
      }),
    ).then(() => undefined);
  }

  readMetricsNow(): Promise<void> {
    if (this.abort.signal.aborted && !this.stops.length) this.abort = new AbortController();
    return Promise.all(
      this.hosts
        // An unreachable host would only add a second timeout; its metrics stay as last read.
        .filter((h) => h.reachability !== 'UNREACHABLE')
        .map((h) => {
          let p = this.reading.get(h.name);
          if (!p) {
            p = this.readOne(h.name).finally(() => this.reading.delete(h.name));
            this.reading.set(h.name, p);
          }
          return p;
        }),
    ).then(() => undefined);
  }

  private update(name: string, patch: (prev: HostHealth) => HostHealth): void {
    const i = this.hosts.findIndex((h) => h.name === name);
    if (i === -1) return;
    this.hosts[i] = patch(this.hosts[i]!);
    this.publish();
  }

  private async probeOne(name: string): Promise<void> {
    const signal = this.abort.signal;
    let result: { ok: true } | { ok: false; error: string };
    try {
      result = await this.withDeadline(this.opts.shell.probe(name, this.timeoutMs), { ok: false, error: `timeout: no SSH session within ${this.timeoutMs} ms` });
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted) return;
    const now = this.opts.clock.now();
    this.update(name, (prev) => {
      const failures = result.ok ? 0 : prev.consecutiveFailures + 1;
      const reachability: HostReachability = result.ok ? 'REACHABLE' : failures >= this.threshold ? 'UNREACHABLE' : 'SUSPECT';
      const changed = reachability !== prev.reachability;
      const next: HostHealth = {
        ...prev,
        reachability,
        consecutiveFailures: failures,
        lastProbeAt: now,
        lastChangeAt: changed || prev.lastChangeAt === null ? now : prev.lastChangeAt,
      };
      if (result.ok) delete next.lastError;
      else next.lastError = result.error;
      return next;
    });
  }

  private async readOne(name: string): Promise<void> {
    const signal = this.abort.signal;
    const lines: string[] = [];
    const errLines: string[] = [];
    let outcome: { ok: true } | { ok: false; error: string };
    try {
      const res = await this.withDeadline(
        this.opts.shell.exec(name, HOST_METRICS_COMMAND, {
          timeoutMs: this.timeoutMs,
          signal,
          onLine: (stream, line) => (stream === 'stdout' ? lines : errLines).push(line),
        }),
        { code: null, timedOut: true },
      );
      outcome = res.code === null ? { ok: false, error: metricsEndedWhy(res, this.timeoutMs) } : { ok: true };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted) return;
    const now = this.opts.clock.now();
    // df exits 1 when one mount is unreadable but still prints the rest: parse whatever came.
    const parsed = outcome.ok ? parseHostMetrics(lines, now, this.diskThreshold) : outcome;
    this.update(name, (prev) => {
      if (parsed.ok) {
        const next: HostHealth = { ...prev, metrics: parsed.metrics };
        delete next.metricsError;
        return next;
      }
      const hint = errLines[0] ? ` (${errLines[0].slice(0, 80)})` : '';
      return { ...prev, metricsError: `${parsed.error}${hint}` };
    });
    await this.readBackups(name, signal);
  }

  /** Backup freshness against the RPO, on the metrics interval: a second short command. */
  private async readBackups(name: string, signal: AbortSignal): Promise<void> {
    const specs = backupSpecsFor({ services: this.opts.config.services ?? [] }, name);
    if (!specs.length) return;
    const backups = await this.withDeadline(readFreshness(this.opts.shell, name, specs, this.timeoutMs, signal), specs.map((s) => ({ ...s, verdict: 'error' as const, count: 0, error: 'timed out' })));
    if (signal.aborted) return;
    this.update(name, (prev) => ({ ...prev, backups }));
  }

  /** The shell has its own timeouts; this guards one that might not (real time). */
  private withDeadline<T>(p: Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(fallback), this.timeoutMs + 2000);
    });
    return Promise.race([p, guard]).finally(() => clearTimeout(timer));
  }
}

/** Why the metrics command ended without an exit code, in words; the next interval tries again. */
function metricsEndedWhy(res: { timedOut?: boolean; lostConnection?: boolean; cancelled?: boolean; signal?: string }, timeoutMs: number): string {
  if (res.timedOut) return `metrics command timed out after ${timeoutMs} ms — retried at the next interval`;
  if (res.lostConnection) return 'SSH connection dropped during the metrics read — retried at the next interval';
  if (res.signal) return `metrics command ended by signal ${res.signal} — retried at the next interval`;
  return 'metrics command ended without an exit status — retried at the next interval';
}

export function createHostsStore(opts: HostsStoreOptions): HostsStoreHandle {
  return new HostsStoreImpl(opts);
}
