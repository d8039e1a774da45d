// The shared outbox (PostgreSQL state backend) stores each transition once per receiver and sends
// it later, maybe from another server: what it stores must carry no secret (no routing key) and
// enough to build every receiver's shape at send time. These two helpers are that contract.
import type { WebhookConfig } from './webhook';
import { resolveRoutingKey } from './webhook';
import { bodyFor, type NotifyAbout } from './formats';

/** The receivers a rule is routed to (webhooks[].rules; none listed = every rule). */
export function routedHooks(webhooks: readonly WebhookConfig[], rule: string): WebhookConfig[] {
  return webhooks.filter((h) => !h.rules || h.rules.includes(rule));
}

export interface OutboxBody {
  text: string;
  dedup_key: string;
  /** The transition, dates as ISO strings (absent in rows written before receivers had shapes). */
  about?: Omit<NotifyAbout, 'since' | 'at'> & { since: string; at: string };
}

export function outboxAbout(about: NotifyAbout): OutboxBody['about'] {
  return { ...about, since: about.since.toISOString(), at: about.at.toISOString() };
}

/** The body to POST for a stored row: Slack's {text, dedup_key} as before, or the receiver's shape. */
export function outboxPayload(hook: WebhookConfig | undefined, body: OutboxBody, env: NodeJS.ProcessEnv = process.env): { ok: true; body: unknown } | { ok: false; error: string } {
  const format = hook?.format ?? 'slack';
  if (format === 'slack' || !body.about) return { ok: true, body: { text: body.text, dedup_key: body.dedup_key } };
  const key = hook ? resolveRoutingKey(hook, env) : { ok: true as const };
  if (!key.ok) return key;
  const about: NotifyAbout = { ...body.about, since: new Date(body.about.since), at: new Date(body.about.at) };
  return bodyFor(format, body.text, about, key.key);
}
