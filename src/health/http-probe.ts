// One HTTP probe with a hard deadline. The body is always consumed or dumped so keep-alive
// sockets return to the pool (undici leaks them otherwise).
import type { request as undiciRequest } from 'undici';

// undici costs ~100 ms to load; the console draws its first frame before the first probe needs it.
let requestFn: typeof undiciRequest | undefined;
async function loadRequest(): Promise<typeof undiciRequest> {
  // Bundled, a CommonJS module's dynamic import may expose its exports only on `default`.
  const mod = (await import('undici')) as typeof import('undici') & { default?: typeof import('undici') };
  requestFn ??= mod.request ?? mod.default!.request;
  return requestFn;
}

export interface HttpProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** The failure in words: "timeout after 10 s", "connection refused", "HTTP 503", "DNS: host not found". */
  error?: string;
  body?: string;
}

export interface HttpProbeOptions {
  timeoutMs: number;
  expectStatus?: number;
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  /** Keep up to this many bytes of the body (for body expectations); 0 = dump it. */
  keepBody?: number;
  signal?: AbortSignal;
}

export function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return `timeout after ${formatSeconds(timeoutMs)}`;
  if (e?.name === 'AbortError') return 'aborted';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset (no answer)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS: host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS: ${code}`;
  }
  if (code && /^ERR_TLS|^ERR_SSL/.test(code)) return `TLS: ${code}`;
  return e?.message ? String(e.message) : String(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export async function probeHttp(url: string, opts: HttpProbeOptions): Promise<HttpProbeResult> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  try {
    const request = await loadRequest();
    const res = await request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    let body: string | undefined;
    if (opts.keepBody && opts.keepBody > 0) {
      const text = await res.body.text();
      body = text.slice(0, opts.keepBody);
    } else {
      await res.body.dump();
    }
    const latencyMs = Math.round(performance.now() - started);
    const expected = opts.expectStatus ?? 200;
    const ok = res.statusCode === expected;
    return { ok, status: res.statusCode, latencyMs, body, error: ok ? undefined : `HTTP ${res.statusCode}` };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const timedOut = deadline.aborted;
    return { ok: false, latencyMs, error: timedOut ? `timeout after ${formatSeconds(opts.timeoutMs)}` : describeNetworkError(err, opts.timeoutMs) };
  }
}
