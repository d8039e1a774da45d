// `status` through the server: every service, host, node source and firing alert the server
// watches, each with when its last fact was established, and one verdict. Pure: snapshots in,
// report out.
import { alertName } from '../core/alert-name';
import type { NotificationAttempt } from '../core/views';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, NodesSnapshot } from '../core/views';
import { isMute, type ServerInfo, type StatusItem, type StatusReport } from '../protocol/health';

export function statusReport(input: { server: ServerInfo; now: Date; fleet: FleetSnapshot; hosts?: HostsSnapshot; nodes?: NodesSnapshot; alerts?: AlertsSnapshot }): StatusReport {
  const items: StatusItem[] = [];
  for (const s of input.fleet.services) {
    const healthy = s.unmonitored === true || s.state === 'UP';
    items.push({
      kind: 'service',
      name: s.name,
      state: s.state,
      healthy,
      lastFactAt: s.lastProbeAt,
      ...(s.unmonitored ? { detail: 'no health_url configured' } : s.lastError ? { detail: s.lastError } : s.state === 'UNKNOWN' ? { detail: 'not probed yet' } : {}),
    });
  }
  for (const h of input.hosts?.hosts ?? []) {
    items.push({ kind: 'host', name: h.name, state: h.reachability, healthy: h.reachability === 'REACHABLE', lastFactAt: h.lastProbeAt, ...(h.lastError ? { detail: h.lastError } : {}) });
  }
  for (const src of input.nodes?.sources ?? []) {
    const healthy = !src.error && src.lastOkAt !== null;
    items.push({
      kind: 'node_source',
      name: src.name,
      state: src.error ? 'ERROR' : src.lastOkAt ? 'OK' : 'UNKNOWN',
      healthy,
      lastFactAt: src.lastOkAt ?? src.lastFetchAt,
      detail: src.error ?? `${src.count} nodes${input.nodes ? `, ${input.nodes.offline} offline` : ''}`,
    });
  }
  for (const a of input.alerts?.alerts ?? []) {
    if (a.state !== 'firing') continue;
    items.push({ kind: 'alert', name: alertName(a), state: 'FIRING', healthy: false, lastFactAt: a.since, detail: `${a.subject}: ${a.message}` });
  }
  // A receiver whose latest delivery failed (after its retries) is a fact on its own.
  const lastByReceiver = new Map<string, NotificationAttempt>();
  for (const a of input.alerts?.alerts ?? []) {
    for (const n of a.notifications) {
      const prev = lastByReceiver.get(n.webhook);
      if (!prev || n.at.getTime() >= prev.at.getTime()) lastByReceiver.set(n.webhook, n);
    }
  }
  for (const [name, n] of lastByReceiver) {
    if (n.ok) continue;
    items.push({ kind: 'receiver', name, state: 'FAILED', healthy: false, lastFactAt: n.at, detail: `last delivery failed${n.attempts > 1 ? ` after ${n.attempts} attempts` : ''}: ${n.error ?? 'not sent'}` });
  }
  // Silences and maintenance windows (R-MON-3): listed with what they mute, until when, who and
  // why, so they can be found and removed; they are facts about notifications, not faults.
  for (const m of input.alerts?.mutes ?? []) {
    const planned = m.from.getTime() > input.now.getTime();
    items.push({ kind: m.what, name: m.id, state: planned ? 'PLANNED' : 'IN FORCE', healthy: true, lastFactAt: m.from, detail: `${m.match}${planned ? ` from ${m.from.toISOString()}` : ''} until ${m.until.toISOString()} by ${m.by} — ${m.reason}` });
  }
  const watched = items.filter((i) => !isMute(i));
  return { server: input.server, at: input.now, items, healthy: watched.length > 0 && watched.every((i) => i.healthy) };
}
