// Vultr API v2, the one call L3 needs: POST /v2/instances/{id}/reboot with a bearer key
// (seed 000's commented-out curl). The key is read from the environment variable the config
// names and goes only into the Authorization header: no message, error or log line carries it.
import { loadUndici } from '../core/lazy-undici';
import type { ProviderConfig } from '../config/schema';
import { describeNetworkError } from '../health/http-probe';

export interface ProviderRebootResult {
  ok: boolean;
  /** What happened, in words, for the step row and the log; never contains the key. */
  message: string;
  status?: number;
}

export interface ProviderRebootOptions {
  provider: ProviderConfig;
  /** The host's name in the config, for messages. */
  hostName: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The provider console page where an operator can reboot or inspect the instance by hand. */
export function providerConsoleUrl(provider: ProviderConfig): string {
  return `https://my.vultr.com/subs/?id=${encodeURIComponent(provider.instance_id)}`;
}

function manualHint(provider: ProviderConfig): string {
  return `reboot it by hand in the Vultr console (${providerConsoleUrl(provider)})`;
}

/** The API's own error text ({"error": "..."}), shortened, without anything that looks like the key. */
function apiError(body: string, key: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error !== 'string' || parsed.error.trim() === '') return undefined;
    const text = parsed.error.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim().slice(0, 200);
    return key && text.includes(key) ? undefined : text;
  } catch {
    return undefined;
  }
}

export async function rebootInstance(opts: ProviderRebootOptions): Promise<ProviderRebootResult> {
  const { provider } = opts;
  const env = opts.env ?? process.env;
  const key = env[provider.api_key_env]?.trim();
  if (!key) {
    return {
      ok: false,
      message: `the provider API key is not set: export ${provider.api_key_env} (the config names it in hosts[${opts.hostName}].provider.api_key_env) and run again, or ${manualHint(provider)}`,
    };
  }
  let url: string;
  try {
    url = new URL(`/v2/instances/${encodeURIComponent(provider.instance_id)}/reboot`, provider.base_url).toString();
  } catch {
    return { ok: false, message: `provider base_url ${JSON.stringify(provider.base_url)} is not a URL; fix hosts[${opts.hostName}].provider.base_url` };
  }
  const what = `POST ${url}`;
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  try {
    const { request } = await loadUndici();
    const res = await request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const body = (await res.body.text()).slice(0, 4096);
    const status = res.statusCode;
    const detail = apiError(body, key);
    const said = detail ? ` (${detail})` : '';
    if (status >= 200 && status < 300) {
      return { ok: true, status, message: `${what}: HTTP ${status} — reboot of instance ${provider.instance_id} accepted` };
    }
    if (status === 401 || status === 403) {
      return {
        ok: false,
        status,
        message: `${what}: HTTP ${status}${said} — the provider refused the API key in ${provider.api_key_env}; check the key (and its IP access list) and run again, or ${manualHint(provider)}`,
      };
    }
    if (status === 404) {
      return {
        ok: false,
        status,
        message: `${what}: HTTP 404${said} — no instance ${provider.instance_id} for this key; check hosts[${opts.hostName}].provider.instance_id, or ${manualHint(provider)}`,
      };
    }
    if (status === 429) {
      return { ok: false, status, message: `${what}: HTTP 429${said} — the provider is rate limiting; wait a minute and run again, or ${manualHint(provider)}` };
    }
    if (status >= 500) {
      return { ok: false, status, message: `${what}: HTTP ${status}${said} — the provider API has a problem; try again in a few minutes or ${manualHint(provider)}` };
    }
    return { ok: false, status, message: `${what}: unexpected HTTP ${status}${said}; ${manualHint(provider)}` };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, message: 'cancelled' };
    const why = deadline.aborted ? `no answer within ${Math.round(opts.timeoutMs / 100) / 10} s` : describeNetworkError(err, opts.timeoutMs);
    // Whether the reboot was accepted is unknown: say so, the operator must look before retrying.
    return {
      ok: false,
      message: `${what}: ${why} — the reboot may or may not have been accepted; check the instance in the Vultr console (${providerConsoleUrl(provider)}) before retrying`,
    };
  }
}
