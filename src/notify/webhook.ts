// Webhook notifications (R-HLT-5): a Slack-compatible JSON body `{"text": ...}` POSTed with a
// timeout and retries. The URL is a secret (R-SEC-3, R-AUD-3): it comes from an environment
// variable or an owner-only file, and is never shown, logged or put into an error message —
// only its redacted form ("https://hooks.slack.com/…").
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { loadUndici } from '../core/lazy-undici';
import type { z } from 'zod';
import type { webhookSchema } from '../config/schema';
import type { NotificationAttempt } from '../core/views';
import { describeNetworkError } from '../health/http-probe';
import { secretForms } from '../audit/redact';
import { bodyFor, PAGERDUTY_EVENTS_URL, type NotifyAbout } from './formats';

export type WebhookConfig = z.infer<typeof webhookSchema>;

export type UrlResolution = { ok: true; url: string } | { ok: false; error: string };

/** Scheme and host only: enough to tell which service it is, nothing that grants access. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(webhook URL)';
  }
}

/**
 * Removes a secret from any text: the URL as read and as used (trimmed) becomes its redacted form,
 * and each token part (path, last segment, query values, URL-encoded too) is cut out on its own.
 */
export function scrub(text: string, secret: string): string {
  if (!secret) return text;
  const shown = redactUrl(secret.trim());
  let out = text;
  for (const whole of [secret, secret.trim()]) if (whole) out = out.split(whole).join(shown);
  for (const part of [...secretForms(secret)].sort((a, b) => b.length - a.length)) out = out.split(part).join('/…');
  return out;
}

function validHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The webhook's URL from url_env or url_file. The file must be a regular file owned by this
 * user and not readable by anyone else; otherwise it is refused with what to do.
 */
export function resolveWebhookUrl(
  hook: WebhookConfig,
  opts: { env?: NodeJS.ProcessEnv; baseDir?: string; uid?: number } = {},
): UrlResolution {
  const env = opts.env ?? process.env;
  let url: string;
  let from: string;
  // PagerDuty's Events API URL is public; its routing key is the secret (resolveRoutingKey).
  if (hook.format === 'pagerduty') return { ok: true, url: hook.url ?? PAGERDUTY_EVENTS_URL };
  if (hook.url_env) {
    const value = env[hook.url_env]?.trim();
    if (!value) return { ok: false, error: `webhook ${hook.name}: environment variable ${hook.url_env} is not set — export it with the webhook URL before starting the console` };
    url = value;
    from = `environment variable ${hook.url_env}`;
  } else if (hook.url_file) {
    const path = isAbsolute(hook.url_file) ? hook.url_file : resolvePath(opts.baseDir ?? process.cwd(), hook.url_file);
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      return { ok: false, error: `webhook ${hook.name}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}) — write the webhook URL into it with mode 0600` };
    }
    if (!st.isFile()) return { ok: false, error: `webhook ${hook.name}: ${path} is not a regular file — put the webhook URL in a file with mode 0600` };
    const uid = opts.uid ?? process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return { ok: false, error: `webhook ${hook.name}: ${path} belongs to another user (uid ${st.uid}) — the secret file must be yours` };
    if ((st.mode & 0o077) !== 0) return { ok: false, error: `webhook ${hook.name}: ${path} is readable by other users — run \`chmod 600 ${path}\` and restart` };
    url = readFileSync(path, 'utf8').trim();
    from = path;
  } else {
    return { ok: false, error: `webhook ${hook.name}: no url_env or url_file — name where the URL comes from` };
  }
  if (!validHttpUrl(url)) return { ok: false, error: `webhook ${hook.name}: the value in ${from} is not an http(s) URL — check it (it is not shown here because it is a secret)` };
  return { ok: true, url };
}

/** A pagerduty receiver's routing key, from routing_key_env. */
export function resolveRoutingKey(hook: WebhookConfig, env: NodeJS.ProcessEnv = process.env): { ok: true; key?: string } | { ok: false; error: string } {
  if (hook.format !== 'pagerduty') return { ok: true };
  const key = hook.routing_key_env ? env[hook.routing_key_env]?.trim() : undefined;
  if (!key) return { ok: false, error: `webhook ${hook.name}: environment variable ${hook.routing_key_env ?? '(routing_key_env)'} is not set — export the PagerDuty routing key before starting` };
  return { ok: true, key };
}

export interface SendOptions {
  timeoutMs: number;
  /** Extra attempts after the first; 5xx, 429, timeouts and network errors are retried, 4xx not. */
  retries: number;
  /** Real ms before retry n (1-based); default 500 ms doubling. */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendResult {
  ok: boolean;
  attempts: number;
  status?: number;
  /** In words, never containing the URL. */
  error?: string;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/** POSTs the body as JSON; never throws. */
export async function postJson(url: string, body: unknown, opts: SendOptions): Promise<SendResult> {
  const payload = JSON.stringify(body);
  const sleep = opts.sleep ?? realSleep;
  const backoff = opts.backoffMs ?? ((n: number) => 500 * 2 ** (n - 1));
  let last: SendResult = { ok: false, attempts: 0, error: 'not sent' };
  for (let attempt = 1; attempt <= opts.retries + 1; attempt++) {
    if (attempt > 1) await sleep(backoff(attempt - 1));
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    try {
      const { request } = await loadUndici();
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: deadline,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, attempts: attempt, status: res.statusCode };
      last = { ok: false, attempts: attempt, status: res.statusCode, error: `HTTP ${res.statusCode}` };
      if (res.statusCode < 500 && res.statusCode !== 429) break;
    } catch (err) {
      const words = deadline.aborted ? `timeout after ${opts.timeoutMs / 1000} s` : describeNetworkError(err, opts.timeoutMs);
      last = { ok: false, attempts: attempt, error: scrub(words, url) };
    }
  }
  return last;
}

export interface NotifierOptions {
  webhooks: WebhookConfig[];
  env?: NodeJS.ProcessEnv;
  /** Directory relative url_file paths resolve against (the config file's). */
  baseDir?: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  backoffMs?: (attempt: number) => number;
}

/** Sends one text to every configured webhook; results per webhook, in words. */
export class Notifier {
  private readonly targets: { hook: WebhookConfig; url?: string; routingKey?: string; error?: string }[];

  constructor(private readonly opts: NotifierOptions) {
    this.targets = opts.webhooks.map((hook) => {
      const r = resolveWebhookUrl(hook, { env: opts.env, baseDir: opts.baseDir });
      if (!r.ok) return { hook, error: r.error };
      const k = resolveRoutingKey(hook, opts.env);
      if (!k.ok) return { hook, error: k.error };
      return { hook, url: r.url, ...(k.key ? { routingKey: k.key } : {}) };
    });
  }

  /** The receivers an alert rule is routed to (webhooks[].rules; none listed = every rule). */
  routedFor(rule: string | undefined): string[] {
    return this.targets.filter((t) => !t.hook.rules || (rule !== undefined && t.hook.rules.includes(rule))).map((t) => t.hook.name);
  }

  get configured(): number {
    return this.targets.length;
  }

  /** Problems with the webhook secrets themselves, found at start (shown in the alerts pane). */
  problems(): string[] {
    return this.targets.flatMap((t) => (t.error ? [t.error] : []));
  }

  /** The URLs, for redaction by other writers (audit log, journal). */
  secrets(): string[] {
    return this.targets.flatMap((t) => [...(t.url && t.hook.format !== 'pagerduty' ? [t.url] : []), ...(t.routingKey ? [t.routingKey] : [])]);
  }

  /** Where each webhook goes, redacted, for display. */
  describe(): { name: string; target: string }[] {
    return this.targets.map((t) => ({ name: t.hook.name, target: t.url ? redactUrl(t.url) : '(not configured)' }));
  }

  /**
   * Sends one alert transition to every receiver routed for its rule, each in its own shape. A
   * text-only send (no `about`) goes to the receivers without a rules list.
   */
  async send(text: string, about?: NotifyAbout): Promise<NotificationAttempt[]> {
    const now = this.opts.now ?? (() => new Date());
    const routed = new Set(this.routedFor(about?.rule));
    // An acknowledgement means something to PagerDuty and to a generic JSON receiver, not to a chat.
    if (about?.transition === 'acknowledged') for (const t of this.targets) if (t.hook.format === 'slack' || t.hook.format === 'discord') routed.delete(t.hook.name);
    return Promise.all(
      this.targets.filter((t) => routed.has(t.hook.name)).map(async (t): Promise<NotificationAttempt> => {
        if (!t.url) return { webhook: t.hook.name, ok: false, attempts: 0, error: t.error ?? 'not configured', at: now() };
        // Acknowledgements mean something to PagerDuty (and to a generic JSON receiver) only.
        const built = bodyFor(t.hook.format, text, about, t.routingKey);
        if (!built.ok) return { webhook: t.hook.name, ok: false, attempts: 0, error: built.error, at: now() };
        const secret = t.routingKey ?? t.url;
        let r: SendResult;
        try {
          r = await postJson(t.url, built.body, {
            timeoutMs: t.hook.timeout_s * 1000,
            retries: t.hook.retries,
            ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
            ...(this.opts.backoffMs ? { backoffMs: this.opts.backoffMs } : {}),
          });
        } catch (err) {
          r = { ok: false, attempts: 1, error: scrub(err instanceof Error ? err.message : String(err), secret) };
        }
        return { webhook: t.hook.name, ok: r.ok, attempts: r.attempts, ...(r.error ? { error: scrub(scrub(r.error, t.url), secret) } : {}), at: now() };
      }),
    );
  }
}
