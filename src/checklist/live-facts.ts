// Builds the checklist's LiveFacts from whatever stores this console has. The fleet store is
// always there; the nodes, hosts and WebSocket monitors may not be: their facts then stay absent
// and the items that need them show "unknown".
import type { Store } from '../core/store';
import type { FleetSnapshot, HostsSnapshot, NodesSnapshot, WebSocketSnapshot } from '../core/views';
import type { Config } from '../config/schema';
import type { CheckScope, LiveFacts } from './facts';

export interface FactStores {
  fleet: Store<FleetSnapshot>;
  nodes?: Store<NodesSnapshot>;
  hosts?: Store<HostsSnapshot>;
  websocket?: Store<WebSocketSnapshot>;
}

export function factsFrom(stores: FactStores): () => LiveFacts {
  return () => {
    const facts: LiveFacts = { services: stores.fleet.getSnapshot().services };
    const nodes = stores.nodes?.getSnapshot();
    if (nodes && nodes.onlineRatio !== undefined) {
      const rates = nodes.nodes.map((n) => n.errorRate).filter((r): r is number => r !== undefined);
      facts.nodes = {
        online: nodes.online,
        total: nodes.total,
        ...(rates.length ? { errorRate: rates.reduce((a, b) => a + b, 0) / rates.length } : {}),
      };
    }
    const hosts = stores.hosts?.getSnapshot();
    if (hosts) {
      facts.hosts = {};
      for (const h of hosts.hosts) if (h.metrics?.disk) facts.hosts[h.name] = { diskPct: h.metrics.disk.usedRatio * 100 };
      const read = hosts.hosts.flatMap((h) => h.backups ?? []);
      if (read.length) facts.freshness = read;
    }
    const ws = stores.websocket?.getSnapshot();
    if (ws) {
      facts.websocket = {};
      for (const c of ws.checks) {
        if (c.ok === null || !c.lastCheckAt) continue;
        facts.websocket[c.service] = { ok: c.ok, ...(c.error ? { error: c.error } : {}), at: c.lastCheckAt };
      }
    }
    return facts;
  };
}

/** A service target checks that service and its host; a host target its services; none, everything. */
export function scopeFor(config: Pick<Config, 'services' | 'hosts'>): (target: string | undefined) => CheckScope {
  return (target) => {
    const service = config.services.find((s) => s.name === target);
    if (service) return { services: [service.name], hosts: [service.host] };
    if (target && config.hosts.some((h) => h.name === target)) {
      return { services: config.services.filter((s) => s.host === target).map((s) => s.name), hosts: [target] };
    }
    return { services: config.services.map((s) => s.name), hosts: config.hosts.map((h) => h.name) };
  };
}
