// Polls every node source (R-HLT-3) and keeps the nodes snapshot: online / offline / total,
// offline nodes stalest first, per-device error rates. A source that fails (HTTP 500, malformed
// JSON, a hang) is reported in its status and keeps its last good list; nothing else stops.
//
// As in the fleet store, the poll interval is clock time (the demo compresses it) and the fetch
// timeout is real time.
import { loadUndici } from '../core/lazy-undici';
import type { Clock } from '../core/clock';
import type { NodeSourceStatus, NodesSnapshot, NodesStore, NodeView } from '../core/views';
import type { Config } from '../config/schema';
import { describeNetworkError } from './http-probe';
import { PollingStore } from './polling-store';
import { compareNodes, isOnline, mapNodeList, type NodeSourceConfig, type ReportedNode } from './nodes';

/** A node list bigger than this is refused rather than parsed (a misconfigured URL serving a file). */
export const MAX_NODE_LIST_BYTES = 64 * 1024 * 1024;

export type NodeFetchResult = { ok: true; body: unknown } | { ok: false; error: string };

export type NodeFetcher = (url: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<NodeFetchResult>;

function secondsText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** GET the source with a hard deadline; the body is always read or dumped. */
export const fetchNodeList: NodeFetcher = async (url, { timeoutMs, signal }) => {
  const deadline = AbortSignal.timeout(timeoutMs);
  const both = AbortSignal.any([deadline, signal]);
  try {
    const { request } = await loadUndici();
    const res = await request(url, { method: 'GET', signal: both, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept: 'application/json' } });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { ok: false, error: `HTTP ${res.statusCode}` };
    }
    const length = Number(res.headers['content-length'] ?? 0);
    if (length > MAX_NODE_LIST_BYTES) {
      await res.body.dump();
      return { ok: false, error: `response too large (${length} bytes)` };
    }
    const text = await res.body.text();
    try {
      return { ok: true, body: JSON.parse(text) as unknown };
    } catch (e) {
      const snippet = text.slice(0, 40).replace(/\s+/g, ' ');
      return { ok: false, error: `malformed JSON (${(e as Error).message}; starts with "${snippet}")` };
    }
  } catch (err) {
    if (deadline.aborted) return { ok: false, error: `timeout after ${secondsText(timeoutMs)}` };
    return { ok: false, error: describeNetworkError(err, timeoutMs) };
  }
};

export interface NodesStoreOptions {
  config: Pick<Config, 'node_sources' | 'nodes' | 'health'>;
  clock: Clock;
  fetch?: NodeFetcher;
  /** Clock ms between polls; default nodes.interval_s, then health.interval_s. */
  intervalMs?: number;
  /** Real ms before a fetch counts as failed; default health.timeout_s. */
  timeoutMs?: number;
  batchMs?: number;
}

export interface NodesStoreHandle extends NodesStore {
  /** Devices isolated by the device_error_rate alert, marked on their rows. */
  setIsolated(ids: Iterable<string>): void;
  /**
   * Share of nodes offline right now, from sources whose last fetch succeeded; undefined when
   * none has (stale lists must not drive a recommendation).
   */
  offlineRatio(): number | undefined;
}

interface SourceState {
  cfg: NodeSourceConfig;
  nodes: ReportedNode[];
  status: NodeSourceStatus;
  inFlight?: Promise<void>;
}

class NodesStoreImpl extends PollingStore<NodesSnapshot> implements NodesStoreHandle {
  private readonly sources: SourceState[];
  private readonly timeoutMs: number;
  private readonly offlineAfterMs: number;
  private readonly fetcher: NodeFetcher;
  private isolated = new Set<string>();

  constructor(private readonly opts: NodesStoreOptions) {
    const { config } = opts;
    const offlineAfterMs = config.nodes.offline_after_s * 1000;
    const empty: NodesSnapshot = {
      total: 0,
      online: 0,
      offline: 0,
      errorRateHigh: 0,
      errorRateThreshold: config.nodes.error_rate_alert,
      offlineAfterMs,
      nodes: [],
      sources: [],
      updatedAt: null,
    };
    const intervalMs = opts.intervalMs ?? (config.nodes.interval_s ?? config.health.interval_s) * 1000;
    super(empty, opts.batchMs ?? 0, opts.clock, intervalMs, 'nodes store stopped');
    this.offlineAfterMs = offlineAfterMs;
    this.timeoutMs = opts.timeoutMs ?? config.health.timeout_s * 1000;
    this.fetcher = opts.fetch ?? fetchNodeList;
    this.sources = config.node_sources.map((cfg) => ({
      cfg,
      nodes: [],
      status: { name: cfg.name, lastFetchAt: null, lastOkAt: null, count: 0 },
    }));
  }

  protected build(): NodesSnapshot {
    const now = this.opts.clock.now().getTime();
    const threshold = this.opts.config.nodes.error_rate_alert;
    const nodes: NodeView[] = [];
    let online = 0;
    let high = 0;
    for (const s of this.sources) {
      for (const n of s.nodes) {
        const on = isOnline(n, now, this.offlineAfterMs);
        if (on) online++;
        if (n.errorRate !== undefined && n.errorRate > threshold) high++;
        // Literals of fixed keys, not spreads: the objects share V8's hidden classes (spread
        // copies gave each of 10,000 nodes a class of its own, ~200 bytes each per snapshot).
        const view: NodeView =
          n.errorRate !== undefined
            ? { id: n.id, source: n.source, lastHeartbeat: n.lastHeartbeat, errorRate: n.errorRate, labels: n.labels, online: on }
            : { id: n.id, source: n.source, lastHeartbeat: n.lastHeartbeat, labels: n.labels, online: on };
        if (this.isolated.has(n.id)) view.isolated = true;
        nodes.push(view);
      }
    }
    nodes.sort(compareNodes);
    const answered = this.sources.some((s) => s.status.lastOkAt !== null);
    return {
      total: nodes.length,
      online,
      offline: nodes.length - online,
      ...(answered && nodes.length > 0 ? { onlineRatio: online / nodes.length } : {}),
      errorRateHigh: high,
      errorRateThreshold: threshold,
      offlineAfterMs: this.offlineAfterMs,
      nodes,
      sources: this.sources.map((s) => ({ ...s.status })),
      updatedAt: this.updatedAt,
    };
  }

  pollNow(): Promise<void> {
    return this.pollOnce();
  }

  /** Polls every source, except ones whose previous poll is still in flight. */
  protected poll(): Promise<void> {
    return Promise.all(this.sources.map((s) => (s.inFlight ??= this.pollOne(s).finally(() => (s.inFlight = undefined))))).then(() => undefined);
  }

  setIsolated(ids: Iterable<string>): void {
    const next = new Set(ids);
    if (next.size === this.isolated.size && [...next].every((id) => this.isolated.has(id))) return;
    this.isolated = next;
    this.invalidate();
  }

  offlineRatio(): number | undefined {
    const now = this.opts.clock.now().getTime();
    let total = 0;
    let offline = 0;
    for (const s of this.sources) {
      if (s.status.error !== undefined || s.status.lastOkAt === null) continue;
      for (const n of s.nodes) {
        total++;
        if (!isOnline(n, now, this.offlineAfterMs)) offline++;
      }
    }
    return total > 0 ? offline / total : undefined;
  }

  private async pollOne(s: SourceState): Promise<void> {
    const signal = this.pollSignal;
    let result: NodeFetchResult;
    try {
      result = await this.guarded(s.cfg.url, signal);
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (signal.aborted) return;
    const now = this.opts.clock.now();
    const mapped = result.ok ? mapNodeList(result.body, s.cfg) : result;
    if (mapped.ok) {
      s.nodes = mapped.nodes;
      s.status = {
        name: s.cfg.name,
        lastFetchAt: now,
        lastOkAt: now,
        count: mapped.nodes.length,
        ...(mapped.skipped > 0 ? { skipped: mapped.skipped } : {}),
      };
    } else {
      s.status = { ...s.status, lastFetchAt: now, error: mapped.error };
    }
    this.changed();
  }

  /** fetchNodeList has its own deadline; this guards an injected fetcher that might not. */
  private guarded(url: string, signal: AbortSignal): Promise<NodeFetchResult> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<NodeFetchResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `timeout after ${secondsText(this.timeoutMs)}` }), this.timeoutMs + 1000);
    });
    return Promise.race([this.fetcher(url, { timeoutMs: this.timeoutMs, signal }), guard]).finally(() => clearTimeout(timer));
  }
}

export function createNodesStore(opts: NodesStoreOptions): NodesStoreHandle {
  return new NodesStoreImpl(opts);
}
