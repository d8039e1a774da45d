// What each receiver gets (R-MON-3), built from the alert transition, never from the config's
// secrets except the PagerDuty routing key, which goes in the body the Events API v2 requires.
//
//   slack      {"text": "<line>"}                          (Slack, Mattermost, Rocket.Chat…)
//   discord    {"content": "<line>"}                       (Discord's own webhook shape)
//   pagerduty  Events API v2: {"routing_key", "event_action": trigger | acknowledge | resolve,
//              "dedup_key": "doai-console/<alert key>", "payload": {summary, source, severity,
//              component, group, class, timestamp, custom_details}} (payload on trigger only)
//   json       the generic schema "doai-console.alert.v1" (README "Notifications"):
//              {schema, event: fired | resolved | acknowledged, dedup_key, key, rule, kind,
//               subject, source, message, text, since, at[, acknowledged_by]}
import type { AlertView } from '../core/views';
import type { NotificationSubject } from '../health/alerts-store';

export type ReceiverFormat = 'slack' | 'discord' | 'pagerduty' | 'json';
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const JSON_SCHEMA_ID = 'doai-console.alert.v1';

/** One alert transition as the receivers see it: the alerts store's notification subject. */
export type NotifyAbout = NotificationSubject;

/** Stable for an alert across trigger, acknowledge and resolve (PagerDuty groups on it). */
export const dedupKeyOf = (alertKey: string) => `doai-console/${alertKey}`;

const PD_ACTION = { fired: 'trigger', resolved: 'resolve', acknowledged: 'acknowledge' } as const;
const PD_SEVERITY: Record<AlertView['kind'], 'critical' | 'error' | 'warning'> = {
  service_down: 'critical',
  node_offline: 'error',
  device_error_rate: 'error',
  external: 'warning',
};

export type BodyResult = { ok: true; body: unknown } | { ok: false; error: string };

export function bodyFor(format: ReceiverFormat, text: string, about: NotifyAbout | undefined, routingKey?: string): BodyResult {
  if (format === 'slack') return { ok: true, body: { text } };
  if (format === 'discord') return { ok: true, body: { content: text.slice(0, 2000) } };
  if (!about) return { ok: false, error: `a ${format} receiver needs an alert transition, not only a text` };
  if (format === 'json') {
    return {
      ok: true,
      body: {
        schema: JSON_SCHEMA_ID,
        event: about.transition,
        dedup_key: dedupKeyOf(about.key),
        key: about.key,
        rule: about.rule,
        kind: about.kind,
        subject: about.subject,
        source: about.source ?? 'console',
        message: about.message ?? text,
        text,
        since: about.since.toISOString(),
        at: about.at.toISOString(),
        ...(about.acknowledgedBy ? { acknowledged_by: about.acknowledgedBy } : {}),
      },
    };
  }
  if (!routingKey) return { ok: false, error: 'no routing key' };
  const base = { routing_key: routingKey, event_action: PD_ACTION[about.transition], dedup_key: dedupKeyOf(about.key) };
  if (about.transition !== 'fired') return { ok: true, body: base };
  return {
    ok: true,
    body: {
      ...base,
      payload: {
        summary: (about.message ? `${about.rule}: ${about.message}` : text).slice(0, 1024),
        source: about.subject || 'doai-console',
        severity: PD_SEVERITY[about.kind],
        timestamp: about.since.toISOString(),
        component: about.subject,
        group: about.rule,
        class: about.kind,
        custom_details: { text, since: about.since.toISOString(), ...(about.source ? { source: about.source } : {}) },
      },
      client: 'doai-console',
    },
  };
}
