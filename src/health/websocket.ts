// "WebSocket accepts connections" (seed 000's post-recovery list) as a live fact: for every
// service with a websocket_url, open a connection with undici's WebSocket and close it again.
// The check interval is clock time; its timeout is real time.
import type { WebSocket } from 'undici';
import { loadUndici } from '../core/lazy-undici';
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import type { Store } from '../core/store';
import type { WebSocketCheck, WebSocketSnapshot } from '../core/views';
import type { Config } from '../config/schema';

export type WebSocketResult = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };

function describeWsError(ev: unknown): string {
  const e = ev as { error?: { message?: string; cause?: { code?: string; message?: string } }; message?: string };
  const code = e?.error?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset (no answer)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'DNS: host not found';
  const msg = e?.error?.cause?.message ?? e?.error?.message ?? e?.message;
  return msg ? `handshake failed: ${msg}` : 'handshake failed';
}

/** Opens and closes one WebSocket; never throws, never hangs longer than timeoutMs. */
export function checkWebSocket(url: string, timeoutMs: number): Promise<WebSocketResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<WebSocketResult>((resolve) => {
    let settled = false;
    let ws: WebSocket | undefined;
    const finish = (r: WebSocketResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, latencyMs: elapsed(), error: `timeout after ${timeoutMs / 1000} s (no handshake)` });
      try {
        ws?.close();
      } catch {
        // Closing a socket still connecting may throw in some states; it is dropped either way.
      }
    }, timeoutMs);
    const open = (WebSocketImpl: typeof WebSocket) => {
      if (settled) return;
      try {
        ws = new WebSocketImpl(url);
      } catch (err) {
        finish({ ok: false, latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) });
        return;
      }
      ws.addEventListener('open', () => {
        finish({ ok: true, latencyMs: elapsed() });
        ws!.close(1000);
      });
      ws.addEventListener('error', (ev) => finish({ ok: false, latencyMs: elapsed(), error: describeWsError(ev) }));
      // A close before open (e.g. HTTP 503 instead of 101) without an error event.
      ws.addEventListener('close', (ev) => finish({ ok: false, latencyMs: elapsed(), error: `closed before open (code ${(ev as { code?: number }).code ?? '?'})` }));
    };
    loadUndici().then(
      (u) => open(u.WebSocket),
      (err: unknown) => finish({ ok: false, latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

export interface WebSocketMonitorOptions {
  config: Pick<Config, 'services' | 'health'>;
  clock: Clock;
  check?: typeof checkWebSocket;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface WebSocketMonitor extends Store<WebSocketSnapshot> {
  start(): void;
  stop(): void;
  checkNow(): Promise<void>;
}

class WebSocketMonitorImpl extends BatchedStore<WebSocketSnapshot> implements WebSocketMonitor {
  private readonly targets: { service: string; url: string }[];
  private checks: WebSocketCheck[];
  private stopInterval?: () => void;
  private inFlight?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: WebSocketMonitorOptions) {
    const targets = opts.config.services.filter((s) => s.websocket_url).map((s) => ({ service: s.name, url: s.websocket_url! }));
    const checks = targets.map((t): WebSocketCheck => ({ service: t.service, ok: null, lastCheckAt: null }));
    super({ checks });
    this.targets = targets;
    this.checks = checks;
  }

  start(): void {
    if (this.stopInterval || this.targets.length === 0) return;
    this.stopped = false;
    this.stopInterval = this.opts.clock.setInterval(() => void this.checkNow(), this.opts.intervalMs ?? this.opts.config.health.interval_s * 1000);
    void this.checkNow();
  }

  stop(): void {
    this.stopped = true;
    this.stopInterval?.();
    this.stopInterval = undefined;
  }

  checkNow(): Promise<void> {
    this.inFlight ??= this.sweep().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async sweep(): Promise<void> {
    const check = this.opts.check ?? checkWebSocket;
    const timeoutMs = this.opts.timeoutMs ?? this.opts.config.health.timeout_s * 1000;
    await Promise.all(
      this.targets.map(async (t, i) => {
        const r = await check(t.url, timeoutMs).catch((e: unknown): WebSocketResult => ({ ok: false, latencyMs: 0, error: String(e) }));
        if (this.stopped && !this.stopInterval) return;
        const next: WebSocketCheck = { service: t.service, ok: r.ok, latencyMs: r.latencyMs, lastCheckAt: this.opts.clock.now(), ...(r.ok ? {} : { error: r.error }) };
        this.checks = this.checks.map((c, j) => (j === i ? next : c));
        this.set({ checks: this.checks });
      }),
    );
  }
}

export function createWebSocketMonitor(opts: WebSocketMonitorOptions): WebSocketMonitor {
  return new WebSocketMonitorImpl(opts);
}
