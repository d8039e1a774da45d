// Alert rules (R-HLT-5, seed 000's "자동 감지"): which conditions hold right now. Pure — the
// alerts store turns conditions into firing / resolved alerts, actions and notifications.
//
//   orchestrator_down  health_check.failures >= 3   → notify_oncall
//   node_offline       node.last_heartbeat > 5m     → auto_reconnect
//   device_error_rate  error_rate > 10%             → notify_and_isolate
//
// Node rules are evaluated per node source, not per node: 10,000 nodes going offline together
// is one incident, and one alert row and one notification, naming the worst of them.
import type { z } from 'zod';
import type { alertRuleSchema, Config } from '../config/schema';
import type { AlertView, NodesSnapshot, ServiceHealth } from '../core/views';

export type AlertRule = z.infer<typeof alertRuleSchema>;

export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  { name: 'orchestrator_down', kind: 'service_down', action: 'notify_oncall' },
  { name: 'node_offline', kind: 'node_offline', action: 'auto_reconnect' },
  { name: 'device_error_rate', kind: 'device_error_rate', action: 'notify_and_isolate' },
];

const isOrchestrator = (kind: string | string[] | undefined) => (Array.isArray(kind) ? kind.includes('orchestrator') : kind === 'orchestrator');

/**
 * The config's rules, or seed 000's three when the config has no `alerts:` key. Seed 000 names
 * its service rule after the orchestrator, so by default `orchestrator_down` watches the services
 * of kind orchestrator and every other service goes down as `service_down` (caddy's alert is
 * `service_down` on caddy, never `orchestrator_down`).
 */
export function alertRules(config: Pick<Config, 'alerts'> & { services?: readonly { name: string; kind?: string | string[] }[] }): AlertRule[] {
  if (config.alerts) return [...config.alerts];
  const orchestrators = (config.services ?? []).filter((s) => isOrchestrator(s.kind)).map((s) => s.name);
  const [orchestratorDown, ...rest] = DEFAULT_ALERT_RULES;
  return [
    ...(orchestrators.length > 0 ? [{ ...orchestratorDown!, services: orchestrators }] : []),
    { name: 'service_down', kind: 'service_down', action: 'notify_oncall' },
    ...rest,
  ];
}

export interface AlertCondition {
  key: string;
  rule: AlertRule;
  kind: AlertView['kind'];
  subject: string;
  message: string;
  /** device_error_rate: the devices over the threshold. */
  devices?: string[];
}

export interface AlertInputs {
  services: readonly ServiceHealth[];
  nodes?: NodesSnapshot;
  now: Date;
  /** health.failure_threshold, the default for service_down. */
  failureThreshold: number;
}

export interface Evaluation {
  conditions: AlertCondition[];
  /** Keys whose truth cannot be known now (their node source is failing): left as they are. */
  unknown: Set<string>;
}

export const alertKey = (rule: string, subject: string) => `${rule}:${subject}`;

function pct(ratio: number): string {
  const p = ratio * 100;
  return `${p >= 10 || Number.isInteger(p) ? Math.round(p) : p.toFixed(1)}%`;
}

function ago(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 24 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d`;
}

/** At most `max` names, then "+N more". */
function some(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max} more`;
}

export function evaluateAlerts(rules: readonly AlertRule[], input: AlertInputs): Evaluation {
  const conditions: AlertCondition[] = [];
  const unknown = new Set<string>();
  const now = input.now.getTime();
  const failingSources = new Set((input.nodes?.sources ?? []).filter((s) => s.error !== undefined || s.lastOkAt === null).map((s) => s.name));
  const sourceNames = (input.nodes?.sources ?? []).map((s) => s.name);

  // A service a service_down rule names is that rule's: a rule without `services:` covers the rest.
  const named = new Set(rules.flatMap((r) => (r.kind === 'service_down' ? (r.services ?? []) : [])));

  for (const rule of rules) {
    if (rule.kind === 'service_down') {
      const threshold = rule.threshold ?? input.failureThreshold;
      const watched = rule.services ? new Set(rule.services) : undefined;
      for (const s of input.services) {
        if (watched ? !watched.has(s.name) : named.has(s.name)) continue;
        if (s.consecutiveFailures < threshold) continue;
        conditions.push({
          key: alertKey(rule.name, s.name),
          rule,
          kind: rule.kind,
          subject: s.name,
          message: `${s.name} down: ${s.consecutiveFailures} health check failures in a row (≥ ${threshold})${s.lastError ? ` — ${s.lastError}` : ''}`,
        });
      }
      continue;
    }
    const nodes = input.nodes;
    if (!nodes) continue;
    for (const source of sourceNames) {
      const key = alertKey(rule.name, source);
      if (failingSources.has(source)) {
        unknown.add(key);
        continue;
      }
      const mine = nodes.nodes.filter((n) => n.source === source);
      if (rule.kind === 'node_offline') {
        // rule.threshold here is seconds without a heartbeat; default nodes.offline_after_s.
        const afterMs = rule.threshold !== undefined ? rule.threshold * 1000 : nodes.offlineAfterMs;
        const stale = mine.filter((n) => n.lastHeartbeat === null || now - n.lastHeartbeat.getTime() > afterMs);
        if (stale.length === 0) continue;
        // nodes are sorted worst first, so the stalest come first.
        const worst = stale.slice(0, 5).map((n) => (n.lastHeartbeat ? `${n.id} ${ago(now - n.lastHeartbeat.getTime())}` : `${n.id} never`));
        conditions.push({
          key,
          rule,
          kind: rule.kind,
          subject: source,
          message: `${stale.length} of ${mine.length} nodes on ${source} without heartbeat > ${ago(afterMs)} (${some(worst)})`,
        });
      } else {
        const threshold = rule.threshold ?? nodes.errorRateThreshold;
        const over = mine.filter((n) => n.errorRate !== undefined && n.errorRate > threshold).sort((a, b) => (b.errorRate ?? 0) - (a.errorRate ?? 0));
        if (over.length === 0) continue;
        conditions.push({
          key,
          rule,
          kind: rule.kind,
          subject: source,
          devices: over.map((n) => n.id),
          message: `${over.length} device${over.length > 1 ? 's' : ''} on ${source} over ${pct(threshold)} errors (${some(over.map((n) => `${n.id} ${pct(n.errorRate ?? 0)}`))})`,
        });
      }
    }
  }
  return { conditions, unknown };
}
