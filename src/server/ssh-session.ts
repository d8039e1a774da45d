// One SSH session's screen, in the server process (R-SSH-1, R-SSH-2): the full console for an
// operator (or approver), the wall screen for a viewer or `ssh … watch`. Both draw from the
// server's own stores; the console acts through the server's dispatcher (src/server/ssh-control.ts)
// with the session's proven identity, as an attached console does. Runs belong to the server: leaving the session (q, a
// dropped connection) ends only the screen.
import { runsStoreFor } from './topic-views';
import type { Dispatcher } from './server-core';
import type { ConsoleContext } from '../cli/context';
import type { LoadedConfig } from '../config/load';
import type { Lang } from '../core/views';
import type { Store } from '../core/store';
import type { IntentGate } from '../operators/gate';
import type { Principal } from '../operators/directory';
import type { LiveRunsSource } from '../watch/live-runs';
import type { IncidentFilesSource } from '../watch/incident-reader';
import { CoalescedStore } from '../watch/coalesce';
import { BatchedStore } from '../core/store';
import type { ServerLinkView } from '../core/views';
import { startConsole } from '../../screens/render';
import { startSshConsole } from '../../screens/ssh/ssh-console';
import type { ApprovalBoard } from '../operators/approval-board';
import { ApprovalPanelStore } from './ssh-approval-panel';
import { startWatch } from '../../screens/watch/start-watch';
import type { ChannelTerminal } from './ssh-terminal';
import { SessionFrames } from './ssh-frames';
import type { FleetStore } from '../core/views';
import { sshAlertControl, sshChecklists, sshIncidents, sshIsolation, sshOperatorIdentity, sshRunControl } from './ssh-control';

/** What the server lends its SSH sessions: its stores, engine and gate. */
export interface SshServerParts {
  loaded: LoadedConfig;
  ctx: ConsoleContext;
  live: LiveRunsSource;
  incident: IncidentFilesSource;
  gate: IntentGate;
  /** Open approvals, for approver sessions (R-SSH-2). */
  board: ApprovalBoard;
  /** A 1 s tick shared by every session's clocks. */
  tick: Store<unknown>;
  /** The server's one way to carry out an intent (role check, history, handler; src/server/server-core.ts). */
  dispatch: Dispatcher;
}

export interface ScreenHandle {
  waitUntilExit(): Promise<number>;
  unmount(): void;
}

function langOf(env: Record<string, string>): Lang {
  const v = env.LC_ALL || env.LANG || '';
  return /^ko/i.test(v) ? 'ko' : 'en';
}

type Streams = Parameters<typeof startConsole>[1];

function readOnlyNotice(who: Principal, lang: Lang): string {
  const role = who.roles.has('approver') ? 'approver' : 'viewer';
  return lang === 'ko'
    ? `${who.name}: 역할 ${role} — 이 콘솔은 볼 수만 있습니다${role === 'approver' ? ' (승인은 아래 창에서)' : ''}`
    : `${who.name} has role ${role}: this console only shows${role === 'approver' ? ' (approvals open below it)' : ''} — starting, cancelling and acknowledging need the operator role`;
}

export function openConsole(parts: SshServerParts, who: Principal, term: ChannelTerminal, env: Record<string, string>): ScreenHandle {
  const { ctx } = parts;
  const monitors = ctx.monitors;
  const config = parts.loaded.config;
  const streams = { stdout: term.stdout, stdin: term.stdin } as unknown as Streams;
  const lang = langOf(env);
  const mayOperate = who.roles.has('operator');
  // A pending approval's code only on the requester's own console (src/server/topic-views.ts).
  const runs = runsStoreFor(ctx.engine, who.name);
  // The session's frame budget: monitoring stores and the clock at most once a frame (ssh-frames.ts).
  const frames = new SessionFrames({ runs });
  term.onKey = () => frames.key();
  const fleet: FleetStore = Object.assign(frames.pace(ctx.fleet), {
    start: () => ctx.fleet.start(),
    stop: () => ctx.fleet.stop(),
    probeNow: () => ctx.fleet.probeNow(),
    onTransition: (listener: Parameters<FleetStore['onTransition']>[0]) => ctx.fleet.onTransition(listener),
  });
  const props: Parameters<typeof startConsole>[0] = {
      fleet,
      runs,
      // Runs: the server's own intent handlers through its dispatcher, as an attached console's.
      control: sshRunControl(parts.dispatch, () => ctx.engine.listRunbooks(), who),
      // Without the operator role the console offers only what the role may do (R-ID-2): no key
      // that starts, cancels, signs, acknowledges or isolates. The controls stay gated anyway.
      ...(mayOperate ? {} : { readOnly: true, notice: readOnlyNotice(who, lang) }),
      lang,
      operator: who.name,
      configPath: parts.loaded.path,
      clock: ctx.clock,
      tick: frames.clock,
      clockMinutes: true,
      // The header says where this console lives: in the server, reached over SSH.
      link: new BatchedStore<ServerLinkView>({ state: 'attached', socket: `ssh (${who.name})` }),
      ops: {
        checklists: frames.pace(ctx.ops.checklists),
        checklistControl: sshChecklists(parts.dispatch, who),
        incidents: frames.pace(ctx.ops.incidents),
        incidentControl: sshIncidents(parts.dispatch, who),
      },
      ...(monitors
        ? {
            fleetStores: {
              alerts: frames.pace(monitors.alerts),
              isolation: sshIsolation(parts.dispatch, who),
              // Acknowledge, silence, maintenance: the server's own intent handlers, as for a socket
              // console (role check, history; on a PostgreSQL follower the leader takes the ack).
              alertControl: sshAlertControl(parts.dispatch, who),
              websocket: frames.pace(monitors.websocket),
              ...(config.node_sources.length ? { nodes: frames.pace(monitors.nodes) } : {}),
              ...(config.hosts.length ? { hosts: frames.pace(monitors.hosts) } : {}),
            },
          }
        : {}),
  };
  if (!who.roles.has('approver')) {
    const handle = startConsole(props, streams);
    return {
      waitUntilExit: () => handle.waitUntilExit().finally(() => frames.stop()),
      unmount: () => {
        frames.stop();
        handle.unmount();
      },
    };
  }
  // An approver's console has the approvals panel under it, which takes keys while it shows one.
  // `a` there is the server's approvals.approve intent, through its dispatcher (role check, history).
  const panel = new ApprovalPanelStore(parts.board, who, () => ({ rows: term.rows, columns: term.columns }), (shown) =>
    parts.dispatch('approvals.approve', { id: shown.runId }, sshOperatorIdentity(who), who.proof).then((r) => r as { ok: boolean; message: string }),
  );
  term.intercept = (data) => panel.key(data);
  const handle = startSshConsole(props, panel, streams);
  return {
    waitUntilExit: () =>
      handle.waitUntilExit().finally(() => {
        panel.stop();
        frames.stop();
      }),
    unmount: () => {
      panel.stop();
      frames.stop();
      handle.unmount();
    },
  };
}

export function openWallScreen(parts: SshServerParts, who: Principal, term: ChannelTerminal, env: Record<string, string>): ScreenHandle {
  const { ctx } = parts;
  const monitors = ctx.monitors;
  const config = parts.loaded.config;
  const nodes = config.node_sources.length ? monitors?.nodes : undefined;
  const alerts = monitors?.alerts;
  // The server's hosts with their backup freshness: the wall's backups line (a folder over its RPO),
  // from the same store the console's hosts pane and `watch` attached to the socket read.
  const hosts = config.hosts.length ? monitors?.hosts : undefined;
  const sources: Store<unknown>[] = [ctx.fleet, parts.live, parts.incident, parts.tick, ...(nodes ? [nodes] : []), ...(alerts ? [alerts] : []), ...(hosts ? [hosts] : [])];
  // One frame every 2 s at most, as `watch` draws by default.
  const frames = new CoalescedStore(sources, 2000);
  const handle = startWatch(
    { fleet: ctx.fleet, live: parts.live, nodes, alerts, hosts, incident: parts.incident, rtoMin: config.rto_min, frames, lang: langOf(env), configPath: parts.loaded.path, clock: ctx.clock,
      // The wall lives in the server too: not "standalone" (that also told the alerts and backups
      // lines nobody evaluates or reads them).
      link: new BatchedStore<ServerLinkView>({ state: 'attached', socket: `ssh (${who.name})` }) },
    { stdout: term.stdout, stdin: term.stdin } as unknown as Streams,
  );
  return {
    waitUntilExit: () => handle.waitUntilExit().finally(() => frames.stop()),
    unmount: () => {
      frames.stop();
      handle.unmount();
    },
  };
}
