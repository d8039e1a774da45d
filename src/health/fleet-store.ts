// Live service health (R-HLT-1, -2, -6, -7): probes every service's health_url on the clock's
// interval, runs the per-service state machine, keeps recent samples, emits transitions and
// keeps the level recommendation current. Screens only read the snapshot.
//
// Two kinds of time on purpose: the interval is clock time (the demo's compressed clock speeds
// sweeps up), the probe timeout is real time (a 10 s timeout is a fact about the network and is
// never scaled).
import type { Clock } from '../core/clock';
import type { FleetSnapshot, FleetStore, Recommendation, ServiceHealth, ServiceTransition } from '../core/views';
import type { Config, ServiceConfig } from '../config/schema';
import { probeHttp, type HttpProbeResult } from './http-probe';
import { nextServiceState } from './state-machine';
import { recommend, type Symptoms } from './recommend';
import { PollingStore } from './polling-store';
import { SERVICE_SAMPLES } from '../protocol/fleet-frames';

/** Latency samples kept per service: the bound every console keeps too (src/protocol/fleet-frames.ts). */
export const SAMPLE_COUNT = SERVICE_SAMPLES;

export interface FleetStoreOptions {
  config: Config;
  clock: Clock;
  probe?: typeof probeHttp;
  /** Clock ms between sweeps; default health.interval_s. */
  intervalMs?: number;
  /** Real ms before a probe counts as failed; default health.timeout_s. */
  timeoutMs?: number;
  /** Probes running at once; default health.concurrency. */
  concurrency?: number;
  /** Minimum ms between change notifications (0 = next macrotask). */
  batchMs?: number;
}

export interface FleetStoreHandle extends FleetStore {
  /** Symptoms other monitors know about (SSH reachability, nodes, database) that shape the recommendation. */
  setSymptoms(symptoms: Symptoms): void;
  /** Makes every recommendation fit its target (src/runbook/fit.ts); set once the runbooks are loaded. */
  setRecommendationFit(fit: (rec: Recommendation) => Recommendation | undefined): void;
  /** Changes only the given kinds of symptom (each monitor owns its own), keeping the others. */
  updateSymptoms(partial: Symptoms): void;
  /** Resolves when no probe is running (tests, shutdown). */
  settled(): Promise<void>;
}

/** A counting semaphore: FIFO, so no service starves behind others. */
class Semaphore {
  private active = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly max: number) {}

  acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active--;
  }
}

function initialHealth(s: ServiceConfig, threshold: number): ServiceHealth {
  return {
    name: s.name,
    host: s.host,
    ...(s.unit ? { unit: s.unit } : {}),
    ...(s.health_url ? {} : { unmonitored: true }),
    state: 'UNKNOWN',
    samples: [],
    consecutiveFailures: 0,
    threshold,
    lastChangeAt: null,
    lastProbeAt: null,
  };
}

class FleetStoreImpl extends PollingStore<FleetSnapshot> implements FleetStoreHandle {
  private readonly services: ServiceHealth[];
  private readonly byName: Map<string, { index: number; cfg: ServiceConfig }>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly transitionListeners = new Set<(t: ServiceTransition) => void>();
  private readonly semaphore: Semaphore;
  private readonly probe: typeof probeHttp;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly threshold: number;
  private symptoms: Symptoms = {};
  private fitRecommendation?: (rec: Recommendation) => Recommendation | undefined;

  constructor(private readonly opts: FleetStoreOptions) {
    const { config } = opts;
    const intervalMs = opts.intervalMs ?? config.health.interval_s * 1000;
    const initial: FleetSnapshot = { services: [], intervalMs, timeScale: opts.clock.scale, updatedAt: null };
    super(initial, opts.batchMs ?? 0, opts.clock, intervalMs, 'fleet store stopped');
    this.intervalMs = intervalMs;
    this.timeoutMs = opts.timeoutMs ?? config.health.timeout_s * 1000;
    this.threshold = config.health.failure_threshold;
    this.semaphore = new Semaphore(Math.max(1, opts.concurrency ?? config.health.concurrency));
    this.probe = opts.probe ?? probeHttp;
    this.services = config.services.map((s) => initialHealth(s, this.threshold));
    this.byName = new Map(config.services.map((cfg, index) => [cfg.name, { index, cfg }]));
  }

  // Rebuilt lazily, with the recommendation: a sweep of 1,000 services changes many rows but
  // costs one snapshot per read, not one per probe result.
  protected build(): FleetSnapshot {
    const raw = recommend(this.services, this.symptoms, this.opts.config);
    // Only a runbook that fits the target is recommended (src/runbook/fit.ts), once the runbooks are loaded.
    const recommendation = raw && this.fitRecommendation ? this.fitRecommendation(raw) : raw;
    return {
      services: [...this.services],
      ...(recommendation ? { recommendation } : {}),
      intervalMs: this.intervalMs,
      timeScale: this.opts.clock.scale,
      updatedAt: this.updatedAt,
    };
  }

  probeNow(): Promise<void> {
    return this.pollOnce();
  }

  settled(): Promise<void> {
    return Promise.all([...this.inFlight.values()]).then(() => undefined);
  }

  onTransition(listener: (t: ServiceTransition) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  /** Makes every recommendation fit its target; set once the runbooks are loaded (the store starts before them). */
  setRecommendationFit(fit: (rec: Recommendation) => Recommendation | undefined): void {
    this.fitRecommendation = fit;
    this.changed();
  }

  setSymptoms(symptoms: Symptoms): void {
    this.symptoms = { ...symptoms };
    this.changed();
  }

  updateSymptoms(partial: Symptoms): void {
    const next: Symptoms = { ...this.symptoms, ...partial };
    for (const k of Object.keys(next) as (keyof Symptoms)[]) if (next[k] === undefined) delete next[k];
    // Monitors report on every poll; an unchanged fact must not cost a snapshot and a render.
    if (JSON.stringify(next) === JSON.stringify(this.symptoms)) return;
    this.symptoms = next;
    this.changed();
  }

  /** Starts a probe of every service with a health URL, except ones still being probed. */
  protected poll(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const { cfg } of this.byName.values()) {
      if (!cfg.health_url) continue;
      let p = this.inFlight.get(cfg.name);
      if (!p) {
        p = this.probeOne(cfg, cfg.health_url).finally(() => this.inFlight.delete(cfg.name));
        this.inFlight.set(cfg.name, p);
      }
      all.push(p);
    }
    return Promise.all(all).then(() => undefined);
  }

  private async probeOne(cfg: ServiceConfig, url: string): Promise<void> {
    const signal = this.pollSignal;
    await this.semaphore.acquire();
    try {
      if (signal.aborted) return;
      const result = await this.guardedProbe(url, cfg, signal);
      if (signal.aborted) return;
      this.apply(cfg.name, result);
    } finally {
      this.semaphore.release();
    }
  }

  /** probeHttp has its own deadline; this guards an injected probe that might not. */
  private guardedProbe(url: string, cfg: ServiceConfig, signal: AbortSignal): Promise<HttpProbeResult> {
    const timeoutMs = this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<HttpProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, latencyMs: timeoutMs, error: `timeout after ${secondsText(timeoutMs)}` }), timeoutMs + 1000);
    });
    const run = this.probe(url, { timeoutMs, expectStatus: cfg.expected_status, signal }).catch(
      (err: unknown): HttpProbeResult => ({ ok: false, latencyMs: 0, error: err instanceof Error ? err.message : String(err) }),
    );
    return Promise.race([run, guard]).finally(() => clearTimeout(timer));
  }

  private apply(name: string, result: HttpProbeResult): void {
    const entry = this.byName.get(name);
    if (!entry) return;
    const prev = this.services[entry.index];
    const next = nextServiceState(prev, result, { threshold: this.threshold, slowMs: entry.cfg.slow_ms });
    const now = this.opts.clock.now();
    const stateChanged = next.state !== prev.state;
    const samples = [...prev.samples, result.ok ? result.latencyMs : null];
    if (samples.length > SAMPLE_COUNT) samples.splice(0, samples.length - SAMPLE_COUNT);
    const updated: ServiceHealth = {
      name: prev.name,
      host: prev.host,
      ...(prev.unit ? { unit: prev.unit } : {}),
      state: next.state,
      ...(result.status !== undefined ? { httpStatus: result.status, latencyMs: result.latencyMs } : {}),
      samples,
      consecutiveFailures: next.consecutiveFailures,
      threshold: this.threshold,
      lastChangeAt: stateChanged || prev.lastChangeAt === null ? now : prev.lastChangeAt,
      lastProbeAt: now,
      ...(result.ok ? {} : { lastError: result.error ?? 'failed' }),
    };
    this.services[entry.index] = updated;
    this.changed();
    if (stateChanged) {
      const t: ServiceTransition = { service: name, from: prev.state, to: next.state, at: now, ...(result.ok ? {} : { error: updated.lastError }) };
      for (const l of [...this.transitionListeners]) {
        try {
          l(t);
        } catch {
          // A failing listener (journal, alerts) must not stop health monitoring.
        }
      }
    }
  }
}

function secondsText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function createFleetStore(opts: FleetStoreOptions): FleetStoreHandle {
  return new FleetStoreImpl(opts);
}
