// The dashboard's fleet panes (R-HLT-3..5, -8): which pane has the focus, each pane's filter
// and cursor (view state only), and the layout that stacks or tiles them for the terminal size.
// The App owns the keys; this module turns them into view-state changes and renders the panes.
import type { AlertControl } from '../../src/core/alert-control';
import { Box, Text } from 'ink';
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import type { Store } from '../../src/core/store';
import type { AlertsSnapshot, Answer, AlertView, HostHealth, HostsSnapshot, Lang, NodesSnapshot, NodeView, ServiceHealth, WebSocketSnapshot } from '../../src/core/views';
import { nodeMatches } from '../../src/health/nodes';
import { probeCoverage } from '../../src/health/recommend';
import type { UnisolateResult } from '../../src/health/alerts-store';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { AlertsPane, alertMatches, alertsWanted, PaneTitle } from './alerts-pane';
import { HostsPane, hostMatches, hostsWanted, sortHostsWorstFirst } from './hosts-pane';
import { NodesPane, nodesWanted } from './nodes-pane';
import { ServicesPane } from './services-pane';
import { FilterBar, matchesFilter } from './filter-bar';
import { fleetLayout, type PaneId } from './fleet-layout';

export interface FleetStores {
  nodes?: Store<NodesSnapshot>;
  hosts?: Store<HostsSnapshot>;
  alerts?: Store<AlertsSnapshot>;
  websocket?: Store<WebSocketSnapshot>;
  /** Puts isolated devices back (the alerts store); absent in a read-only console. */
  isolation?: { unisolate(deviceIds: readonly string[], operator: string): Answer<UnisolateResult> };
  /** Acknowledge, silence, maintenance (R-MON-3); absent in a read-only console. */
  alertControl?: AlertControl;
}

const noSubscribe = () => () => {};

function useOptionalStore<S>(store: Store<S> | undefined): S | undefined {
  const subscribe = useCallback((cb: () => void) => (store ? store.subscribe(cb) : noSubscribe()), [store]);
  const get = useCallback(() => store?.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, get, get);
}

export interface FleetPanesModel {
  /** Panes shown, services always first. */
  present: PaneId[];
  focus: PaneId;
  filters: Record<PaneId, string>;
  editing: boolean;
  nodes?: NodesSnapshot;
  hosts?: HostsSnapshot;
  alerts?: AlertsSnapshot;
  websocket?: WebSocketSnapshot;
  filtered: { nodes: NodeView[]; hosts: HostHealth[]; alerts: AlertView[] };
  cursors: Record<'nodes' | 'hosts' | 'alerts', number>;
  next(): void;
  startFilter(): void;
  /** The text typed into the open filter. */
  typeFilter(value: string): void;
  applyFilter(): void;
  clearFilter(): void;
  /** Moves the focused list's cursor; false when the focus is on services (the App moves that). */
  move(delta: number): boolean;
  /** The devices `u` would put back: the ISOLATED node under the cursor, or those the device alert under it isolated. */
  unisolateTargets(): { focus: 'nodes' | 'alerts' | 'other'; devices: string[] };
}

export function serviceMatches(s: ServiceHealth, filter: string): boolean {
  return matchesFilter([s.name, s.host, s.unit ?? ''], filter);
}

export function useFleetPanes(stores: FleetStores): FleetPanesModel {
  const nodes = useOptionalStore(stores.nodes);
  const hosts = useOptionalStore(stores.hosts);
  const alerts = useOptionalStore(stores.alerts);
  const websocket = useOptionalStore(stores.websocket);
  const present = useMemo(() => {
    const out: PaneId[] = ['services'];
    if (stores.alerts) out.push('alerts');
    if (stores.nodes) out.push('nodes');
    if (stores.hosts) out.push('hosts');
    return out;
  }, [stores.alerts, stores.nodes, stores.hosts]);
  const [focusRaw, setFocus] = useState<PaneId>('services');
  const focus = present.includes(focusRaw) ? focusRaw : 'services';
  const [filters, setFilters] = useState<Record<PaneId, string>>({ services: '', alerts: '', nodes: '', hosts: '' });
  const [editing, setEditing] = useState<{ pane: PaneId; before: string } | null>(null);
  const [cursors, setCursors] = useState({ nodes: 0, hosts: 0, alerts: 0 });


  // Filtering 10,000 nodes is a few ms: done once per snapshot or filter change, not per frame.
  const filteredNodes = useMemo(() => {
    const list = nodes?.nodes ?? [];
    return filters.nodes ? list.filter((n) => nodeMatches(n, filters.nodes)) : list;
  }, [nodes, filters.nodes]);
  const filteredHosts = useMemo(() => {
    const list = sortHostsWorstFirst(hosts?.hosts ?? []);
    return filters.hosts ? list.filter((h) => hostMatches(h, filters.hosts)) : list;
  }, [hosts, filters.hosts]);
  const filteredAlerts = useMemo(() => {
    const list = alerts?.alerts ?? [];
    return filters.alerts ? list.filter((a) => alertMatches(a, filters.alerts)) : list;
  }, [alerts, filters.alerts]);

  const lengths = { nodes: filteredNodes.length, hosts: filteredHosts.length, alerts: filteredAlerts.length };
  const clamp = (pane: 'nodes' | 'hosts' | 'alerts', v: number) => Math.max(0, Math.min(Math.max(0, lengths[pane] - 1), v));

  return {
    present,
    focus,
    filters,
    editing: editing !== null,
    nodes,
    hosts,
    alerts,
    websocket,
    filtered: { nodes: filteredNodes, hosts: filteredHosts, alerts: filteredAlerts },
    cursors: { nodes: clamp('nodes', cursors.nodes), hosts: clamp('hosts', cursors.hosts), alerts: clamp('alerts', cursors.alerts) },
    next: () => setFocus((prev) => present[(present.indexOf(present.includes(prev) ? prev : 'services') + 1) % present.length]!),
    startFilter: () => setEditing({ pane: focus, before: filters[focus] }),
    typeFilter: (value) => {
      if (!editing) return;
      const pane = editing.pane;
      setFilters((prev) => ({ ...prev, [pane]: value }));
      if (pane !== 'services') setCursors((prev) => ({ ...prev, [pane]: 0 }));
    },
    applyFilter: () => setEditing(null),
    clearFilter: () => {
      const pane = editing?.pane ?? focus;
      setFilters((prev) => ({ ...prev, [pane]: '' }));
      setEditing(null);
    },
    unisolateTargets: () => {
      if (focus === 'nodes') {
        const n = filteredNodes[Math.min(cursors.nodes, filteredNodes.length - 1)];
        return { focus, devices: n?.isolated ? [n.id] : [] };
      }
      if (focus === 'alerts') {
        const a = filteredAlerts[Math.min(cursors.alerts, filteredAlerts.length - 1)];
        if (a?.kind !== 'device_error_rate') return { focus, devices: [] };
        // The alert's subject is its node source: every device of that source still isolated.
        const isolated = new Set(alerts?.isolated ?? []);
        const mine = nodes ? nodes.nodes.filter((n) => n.source === a.subject && isolated.has(n.id)).map((n) => n.id) : [...isolated];
        return { focus, devices: mine };
      }
      return { focus: 'other', devices: [] };
    },
    move: (delta) => {
      if (focus === 'services') return false;
      const pane = focus;
      setCursors((prev) => ({ ...prev, [pane]: clamp(pane, prev[pane] + delta) }));
      return true;
    },
  };
}

export interface FleetDashboardProps {
  model: FleetPanesModel;
  services: ServiceHealth[];
  allServices: number;
  selected: number;
  width: number;
  height: number;
  now: Date;
  lang: Lang;
  configPath: string;
}

/** "2/3 UP · 1 not probed yet": a service not probed yet is neither UP nor a fault. */
export function servicesSummary(services: readonly ServiceHealth[], lang: Lang): { text: string; bad: boolean } {
  const c = probeCoverage(services);
  const notUp = c.probed - c.up;
  if (c.total > 0 && c.probed === 0 && c.pending > 0) return { text: t(lang, 'services.waiting'), bad: false };
  const parts = [t(lang, 'services.summary', { up: c.up, total: c.total })];
  if (notUp) parts.push(t(lang, 'services.notUp', { n: notUp }));
  if (c.pending) parts.push(t(lang, 'services.pending', { n: c.pending }));
  if (c.unmonitored) parts.push(t(lang, 'services.unmonitored', { n: c.unmonitored }));
  return { text: parts.join(' · '), bad: notUp > 0 };
}

/** The panes for the space above the recommendation box; the filter line on top while typing. */
export function FleetDashboard({ model, services, allServices, selected, width, height, now, lang, configPath }: FleetDashboardProps) {
  const filterRows = model.editing ? 1 : 0;
  const space = Math.max(1, height - filterRows);
  const wanted: Partial<Record<PaneId, number>> = {
    services: 2 + Math.max(1, services.length),
    ...(model.alerts ? { alerts: alertsWanted(model.alerts, model.filtered.alerts.length, model.filters.alerts !== '') } : {}),
    ...(model.nodes ? { nodes: nodesWanted(model.nodes, model.filtered.nodes.length, now, lang) } : {}),
    ...(model.hosts ? { hosts: hostsWanted(model.filtered.hosts.length) } : {}),
  };
  const layout = fleetLayout(width, space, model.present, model.focus, wanted);

  const pane = (id: PaneId, w: number, h: number) => {
    const focused = model.focus === id;
    switch (id) {
      case 'services': {
        return (
          <Box key={id} flexDirection="column" width={w} height={h} overflow="hidden" flexShrink={0}>
            <PaneTitle
              name={t(lang, 'pane.services')}
              summary={servicesSummary(services, lang)}
              filter={{ text: model.filters.services, shown: services.length, total: allServices }}
              focused={focused}
              width={w}
              lang={lang}
            />
            {h > 2 ? <ServicesPane services={services} selected={selected} rows={h - 2} width={w} now={now} lang={lang} configPath={configPath} /> : null}
          </Box>
        );
      }
      case 'nodes':
        return model.nodes ? (
          <NodesPane
            key={id}
            snapshot={model.nodes}
            nodes={model.filtered.nodes}
            websocket={model.websocket}
            filter={model.filters.nodes}
            cursor={model.cursors.nodes}
            height={h}
            width={w}
            focused={focused}
            now={now}
            lang={lang}
            configPath={configPath}
          />
        ) : null;
      case 'hosts':
        return model.hosts ? (
          <HostsPane
            key={id}
            snapshot={model.hosts}
            hosts={model.filtered.hosts}
            filter={model.filters.hosts}
            cursor={model.cursors.hosts}
            height={h}
            width={w}
            focused={focused}
            lang={lang}
            configPath={configPath}
          />
        ) : null;
      case 'alerts':
        return model.alerts ? (
          <AlertsPane
            key={id}
            snapshot={model.alerts}
            alerts={model.filtered.alerts}
            filter={model.filters.alerts}
            cursor={model.cursors.alerts}
            height={h}
            width={w}
            focused={focused}
            now={now}
            lang={lang}
          />
        ) : null;
    }
  };

  const columns = layout.columnWidths.map((w, c) => (
    <Box key={`col${c}`} flexDirection="column" width={w} height={space} overflow="hidden" flexShrink={0}>
      {layout.panes.filter((p) => p.column === c).map((p) => pane(p.id, p.width, p.height))}
    </Box>
  ));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden" flexShrink={0}>
      {model.editing ? (
        <FilterBar pane={t(lang, `pane.${model.focus}` as MessageKey)} value={model.filters[model.focus]} onChange={model.typeFilter} lang={lang} width={width} />
      ) : null}
      <Box flexDirection="row" width={width} height={space} overflow="hidden">
        {layout.columns === 2 ? [columns[0], <Box key="gap" width={1} flexShrink={0} />, columns[1]] : columns}
      </Box>
    </Box>
  );
}

/** Shown instead of the fleet panes on a console with only services: the filter line, if any. */
export function ServicesFilterLine({ model, shown, total, width, lang }: { model: FleetPanesModel; shown: number; total: number; width: number; lang: Lang }) {
  if (model.editing) return <FilterBar pane={t(lang, 'pane.services')} value={model.filters.services} onChange={model.typeFilter} lang={lang} width={width} />;
  if (!model.filters.services) return null;
  return (
    <Text color="yellow" wrap="truncate">
      {t(lang, 'filter.active', { text: model.filters.services, shown, total })}
    </Text>
  );
}
