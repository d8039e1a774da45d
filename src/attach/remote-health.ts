// The fleet's health as a console attached to a server sees it: the server's snapshots behind the
// same store interfaces the screens and the incident wiring use. Nothing here probes or evaluates:
// transitions and alert events are read off consecutive snapshots, `probeNow` asks the server.
import { BatchedStore, type Store } from '../core/store';
import type { AlertEvent, AlertsSnapshot, FleetSnapshot, FleetStore, HostsSnapshot, NodesSnapshot, ServiceTransition, WebSocketSnapshot, ServerLinkView } from '../core/views';
import type { ServerInfo } from '../protocol/health';
import type { Attached } from './client';
import type { IntentPort } from './port';

/** A remote topic as a plain store: its last snapshot (the first one is awaited before use). */
export class Latest<S> implements Store<S> {
  private last: S;
  constructor(
    private readonly remote: Store<S | undefined>,
    first: S,
  ) {
    this.last = first;
  }
  getSnapshot = (): S => {
    const s = this.remote.getSnapshot();
    if (s !== undefined) this.last = s;
    return this.last;
  };
  subscribe = (cb: () => void): (() => void) => this.remote.subscribe(cb);
}

/** Calls `onChange(prev, next)` for each new snapshot of `store`, for as long as anyone listens. */
function diffing<S, L>(store: Store<S>, listeners: Set<L>, step: (prev: S, next: S) => void): (l: L) => () => void {
  let prev = store.getSnapshot();
  let off: (() => void) | undefined;
  return (l) => {
    listeners.add(l);
    off ??= store.subscribe(() => {
      const next = store.getSnapshot();
      if (next !== prev) step(prev, next);
      prev = next;
    });
    return () => {
      listeners.delete(l);
      if (listeners.size === 0) {
        off?.();
        off = undefined;
      }
    };
  };
}

export class RemoteFleet extends Latest<FleetSnapshot> implements FleetStore {
  private readonly transitionListeners = new Set<(t: ServiceTransition) => void>();
  readonly onTransition: (l: (t: ServiceTransition) => void) => () => void;

  constructor(
    private readonly link: IntentPort,
    first: FleetSnapshot,
  ) {
    super(link.store('fleet'), first);
    this.onTransition = diffing<FleetSnapshot, (t: ServiceTransition) => void>(this, this.transitionListeners, (prev, next) => {
      const before = new Map(prev.services.map((s) => [s.name, s.state]));
      for (const s of next.services) {
        const from = before.get(s.name);
        if (from === undefined || from === s.state) continue;
        const t: ServiceTransition = { service: s.name, from, to: s.state, at: s.lastChangeAt ?? new Date(), ...(s.lastError ? { error: s.lastError } : {}) };
        for (const l of [...this.transitionListeners]) l(t);
      }
    });
  }

  start(): void {}
  stop(): void {}

  /** The server probes (the `r` key); resolves when it has, or at once when it is away. */
  probeNow(): Promise<void> {
    return this.link.request('fleet.probe', {}).then(
      () => undefined,
      () => undefined,
    );
  }
}

export class RemoteAlerts extends Latest<AlertsSnapshot> {
  private readonly eventListeners = new Set<(e: AlertEvent) => void>();
  readonly onEvent: (l: (e: AlertEvent) => void) => () => void;

  constructor(link: IntentPort, first: AlertsSnapshot) {
    super(link.store('alerts'), first);
    this.onEvent = diffing<AlertsSnapshot, (e: AlertEvent) => void>(this, this.eventListeners, (prev, next) => {
      const firing = new Set(prev.alerts.filter((a) => a.state === 'firing').map((a) => a.key));
      const events: AlertEvent[] = [];
      for (const a of next.alerts) {
        if (a.state === 'firing' && !firing.has(a.key)) events.push({ type: 'alert.fired', alert: a, at: a.since });
        if (a.state === 'resolved' && firing.has(a.key)) events.push({ type: 'alert.resolved', alert: a, at: a.resolvedAt ?? new Date() });
      }
      for (const e of events) for (const l of [...this.eventListeners]) l(e);
    });
  }
}

export interface RemoteHealth {
  info: ServerInfo;
  fleet: RemoteFleet;
  alerts?: RemoteAlerts;
  nodes?: Store<NodesSnapshot>;
  hosts?: Store<HostsSnapshot>;
  websocket?: Store<WebSocketSnapshot>;
}

/** Subscribes to the server's health topics (a socket's, or in-process) and waits for their first snapshots. */
export async function remoteHealth(link: IntentPort): Promise<RemoteHealth> {
  const [info, fleet] = await Promise.all([link.first('server'), link.first('fleet')]);
  const out: RemoteHealth = { info, fleet: new RemoteFleet(link, fleet) };
  if (info.evaluatesAlerts) {
    const [alerts, websocket] = await Promise.all([link.first('alerts'), link.first('websocket')]);
    out.alerts = new RemoteAlerts(link, alerts);
    out.websocket = new Latest(link.store('websocket'), websocket);
    if (info.monitors.nodes) out.nodes = new Latest(link.store('nodes'), await link.first('nodes'));
    if (info.monitors.hosts) out.hosts = new Latest(link.store('hosts'), await link.first('hosts'));
  }
  return out;
}

/** The link as headers show it: attached to <socket>, reconnecting, lost. */
export class LinkView extends BatchedStore<ServerLinkView> {
  constructor(link: Attached) {
    super({ state: 'attached', socket: link.socketPath });
    const server = link.store('server');
    const update = () => {
      const l = link.link.getSnapshot();
      const st = server.getSnapshot()?.state;
      const shared = st && st.backend !== 'files' ? { reachable: st.reachable, leading: st.leading, ...(st.leader ? { leader: st.leader } : {}) } : undefined;
      this.set({ state: l.state, socket: l.socket, ...(l.reason ? { reason: l.reason } : {}), ...(shared ? { sharedState: shared } : {}) });
    };
    link.link.subscribe(update);
    server.subscribe(update);
    update();
  }
}

