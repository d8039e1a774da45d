// The server's core, whichever way consoles reach it: the stores and engine (buildContext), the
// operators gate, the runs/checklists/incidents intents, history, and the one dispatcher every
// intent goes through (role check → history → handler). `doai-console serve` puts the local
// socket (and --metrics, --ssh) around it (src/server/serve.ts); a standalone console runs the same
// core in its own process and talks to it through src/server/local-port.ts
// (src/server/standalone.ts), so both kinds of console go through exactly the same code.
import { BatchedStore, type Store } from '../core/store';
import type { LoadedConfig } from '../config/load';
import type { ServerInfo } from '../protocol/health';
import type { IntentName, Intents, ProvenIdentity, TopicName, Topics } from '../protocol/messages';
import { buildContext, type ConsoleContext, type EarlyParts } from '../cli/context';
import type { PassphraseAsker } from '../ssh/identity';
import type { ObservedRuns } from '../watch/merged-runs';
import { startHistory, type History } from './history';
import { intentOutcome, redactIntentArgs } from './intent-redact';
import { createServerRuns, QUIET_INTENTS, type ServerRuns } from './run-intents';
import { cliIntentHandlers } from './cli-intents';
import { createServedApprovals } from './approval-intents';
import { approveArgs, approveHere, OpenApprovals, withRemoteApprovals } from '../state/peer-approvals';
import type { ServerLog } from './log';
import { statusReport } from './status-report';
import { alertIntentHandlers } from './alert-intents';
import { approversByRole, createServerGate, proofOf, serverTotp } from '../operators/server-gate';
import type { Proof } from '../operators/directory';
import { ackOnLeader, evaluateAlertsWhileLeading } from '../state/alerts-leading';
import type { StateBackend } from '../state/backend';

export class FixedStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

export type IntentHandlers = { [N in IntentName]: (args: Intents[N][0], who: ProvenIdentity) => Promise<Intents[N][1]> };
/** `proof`: how `who` was proven when it is not a socket's uid (an SSH session's key); default the uid's OS user. */
export type Dispatcher = (name: IntentName, args: unknown, who: ProvenIdentity, proof?: Proof) => Promise<unknown>;

export interface ServerCoreOptions {
  state: StateBackend;
  log: ServerLog;
  acceptNew: boolean;
  /** Where consoles reach it (the socket path, or `standalone`), for `status` and the server topic. */
  socket: string;
  /**
   * Who evaluates alerts, as the wall screen says it: `server` for `serve`; `console` for a
   * standalone console (it evaluates while it is open, as it always did).
   */
  evaluator: 'server' | 'console';
  /** The clock and fleet store a standalone console made before its first frame (already started). */
  early?: EarlyParts;
  /** Encrypted identity files' passphrases, asked on the standalone console's own screen. */
  passphrase?: PassphraseAsker;
  /** Runs to watch beside the engine's (serve: the other boxes' under a shared state backend). */
  observe?(ctx: ConsoleContext): ObservedRuns[];
  /** How a transport's identity is checked against the operators (default: its uid's OS user). */
  proof?(who: ProvenIdentity): Proof;
}

export interface ServerCore {
  ctx: ConsoleContext;
  gate: ReturnType<typeof createServerGate>;
  served: ServerRuns;
  /** Approvals waiting in the server's runs: approver SSH sessions and `approve` on the socket. */
  approvals: ReturnType<typeof createServedApprovals>;
  history: History;
  handlers: IntentHandlers;
  /** The one way an intent is carried out. */
  dispatch: Dispatcher;
  serverTopic: FixedStore<ServerInfo>;
  /** The topics a console subscribes to (serve adds the wall's `runs` and `incident`). */
  topics: { [K in TopicName]?: Store<Topics[K]> };
  start(): void;
  /** Stops probing, evaluating and watching; the engine's runs are the caller's to end first. */
  stop(): Promise<void>;
}

export function createServerCore(loaded: LoadedConfig, opts: ServerCoreOptions): ServerCore {
  const { state, log } = opts;
  const ctx = buildContext(loaded, { acceptNew: opts.acceptNew }, opts.early, {
    evaluator: opts.evaluator,
    alerts: { notifier: (direct) => state.notifier(direct), alertsStartedByCaller: true },
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  });
  try {
    const { fleet, monitors, engine } = ctx;
    const config = loaded.config;
    const info: ServerInfo = {
      pid: process.pid,
      startedAt: new Date(),
      socket: opts.socket,
      configPath: loaded.path,
      evaluatesAlerts: monitors !== undefined,
      monitors: { nodes: config.node_sources.length > 0, hosts: config.hosts.length > 0 },
      rtoMin: config.rto_min,
      state: state.leadership.getSnapshot(),
    };
    const serverTopic = new FixedStore(info);
    const offLeadership = state.leadership.subscribe(() => serverTopic.update({ ...info, state: state.leadership.getSnapshot() }));
    // Operators and roles (R-ID-1, R-ID-2): every intent is checked against the proven identity.
    const gate = createServerGate(loaded, ctx.audit, log, () => ctx.clock.now());
    ctx.approvals.configure({ totp: serverTotp(loaded, gate.directory), approversFor: approversByRole(loaded, gate.directory) });
    // Runs, checklists and incidents: consoles see and act on the server's (R-SRV-3).
    const observed = opts.observe?.(ctx) ?? [];
    const served = createServerRuns(ctx, observed.length ? { observed } : {});
    // Approvals waiting in the server's runs: approver SSH sessions and `approve` on the socket.
    const approvals = createServedApprovals(ctx, gate);
    const history = startHistory({ stateDir: loaded.paths.stateDir, log, now: () => ctx.clock.now(), fleet, hosts: config.hosts.length ? monitors?.hosts : undefined });
    // Proven approvals: a console approves as the user this server proved; another box's run is
    // approved there, in a row this server signs (src/state/peer-approvals.ts, peer-keys.ts).
    const openApprovals = new OpenApprovals();
    ctx.approvals.configure({ onFlow: openApprovals.track });
    const alertHandlers = alertIntentHandlers(monitors) as Pick<IntentHandlers, 'alerts.ack' | 'alerts.silence' | 'alerts.unsilence' | 'alerts.maintenance' | 'alerts.maintenance.end'>;
    const handlers: IntentHandlers = {
      'run.approve': async (args, who) => {
        const { runId, step } = approveArgs(args);
        const mine = engine.getSnapshot().runs.some((r) => r.runId === runId);
        const forwarded = mine ? undefined : (state.forwardApproval?.(runId, step, who) as Promise<Intents['run.approve'][1]> | undefined);
        return forwarded ?? approveHere(approvals.handlers, runId, step, who);
      },
      ...served.handlers,
      ...approvals.noteStarters(served.handlers),
      // `approve` here lists and approves the other boxes' waiting runs too (signed for them).
      ...(state.pendingElsewhere
        ? withRemoteApprovals(approvals.handlers, () => state.pendingElsewhere!(), (runId, step, who) => state.forwardApproval?.(runId, step, who), () => ctx.clock.now())
        : approvals.handlers),
      ...cliIntentHandlers(loaded),
      ...alertHandlers,
      // A follower evaluates no alerts: an acknowledgement is given on the leader's box.
      ...(state.kind === 'postgres' ? { 'alerts.ack': ackOnLeader(state, alertHandlers['alerts.ack']) } : {}),
      status: async () =>
        statusReport({
          server: serverTopic.getSnapshot(),
          now: new Date(),
          fleet: fleet.getSnapshot(),
          hosts: config.hosts.length ? monitors?.hosts.getSnapshot() : undefined,
          nodes: config.node_sources.length ? monitors?.nodes.getSnapshot() : undefined,
          alerts: monitors?.alerts.getSnapshot(),
        }),
      'fleet.probe': async () => {
        await fleet.probeNow();
        return null;
      },
      'alerts.unisolate': async (args, who) => {
        const devices = Array.isArray(args?.devices) ? args.devices.filter((d): d is string => typeof d === 'string') : [];
        if (!monitors) throw new Error('this server does not evaluate alerts');
        const res = monitors.alerts.unisolate(devices, who.user);
        if (!res.ok) throw new Error(res.error);
        return { released: res.released };
      },
    };
    // Shared state: an approval given here for a run on another box goes to that box's server,
    // and approvals given on other boxes for this server's runs are answered here.
    const answerHere = handlers['run.answer'];
    handlers['run.answer'] = async (args, who) => {
      const runId = typeof (args as { runId?: unknown })?.runId === 'string' ? (args as { runId: string }).runId : '';
      const mine = engine.getSnapshot().runs.some((r) => r.runId === runId);
      const forwarded = mine ? undefined : state.forwardAnswer?.(runId, (args as { answer?: unknown }).answer, who);
      return (forwarded as ReturnType<typeof answerHere> | undefined) ?? answerHere(args, who);
    };
    state.onForwardedAnswer?.(
      (runId, what, by) => {
        log('info', `approval for run ${runId} given on ${by.box} (${by.server}) by ${by.user} (uid ${by.uid} there), signed by ${by.box}`);
        const peer: ProvenIdentity = { uid: by.uid, user: `${by.user}@${by.box}`, via: 'peer-server', box: by.box };
        if (what.kind === 'proven') return Promise.resolve(openApprovals.approveFromPeer(runId, what.step, by));
        return answerHere({ runId, answer: what.answer } as Parameters<typeof answerHere>[0], peer);
      },
      (runId, message) => {
        try {
          ctx.audit.append('APPROVAL_REFUSED', `run ${runId}: ${message}`, ctx.clock.now());
        } catch (err) {
          log('error', `audit line not written (${(err as Error).message}): APPROVAL_REFUSED: run ${runId}: ${message}`);
        }
      },
    );
    const proof = opts.proof ?? proofOf;
    // The one way an intent is carried out, whichever transport proved who sends it (the socket,
    // or a console in this process through src/server/local-port.ts).
    const dispatch: Dispatcher = (name, args, who, proven) => {
      const handler = handlers[name] as ((a: unknown, w: ProvenIdentity) => Promise<unknown>) | undefined;
      try {
        gate.check(String(name), proven ?? proof(who));
      } catch (err) {
        return Promise.reject(err);
      }
      if (!handler) return Promise.reject(new Error(`unknown intent "${String(name).slice(0, 40)}"`));
      // Every intent is recorded with the identity the transport proved, never one it names
      // (repeated reads such as an attached `run` polling its events excepted).
      // Secrets in the arguments (approval codes, passphrases) are never written: the line says
      // one was given (src/server/intent-redact.ts) and the outcome the handler gave.
      if (QUIET_INTENTS.has(name)) return handler(args, who);
      log('info', `intent ${name} by ${who.user} (${who.key ? `ssh-key ${who.key.fingerprint}` : `uid ${who.uid}`})`);
      return handler(args, who).then(
        (value) => {
          history.intent(who, name, redactIntentArgs(args), intentOutcome(value));
          return value;
        },
        (err: unknown) => {
          history.intent(who, name, redactIntentArgs(args), `refused: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        },
      );
    };
    let stopLeading: () => void = () => {};
    return {
      ctx,
      gate,
      served,
      approvals,
      history,
      handlers,
      dispatch,
      serverTopic,
      topics: {
        server: serverTopic,
        fleet,
        ...(monitors ? { nodes: monitors.nodes, hosts: monitors.hosts, websocket: monitors.websocket, alerts: monitors.alerts } : {}),
        ...served.topics,
      },
      start() {
        // A standalone console started its fleet before its first frame.
        if (!opts.early) {
          fleet.start();
          void fleet.probeNow();
        }
        monitors?.start();
        stopLeading = monitors ? evaluateAlertsWhileLeading(state, monitors, fleet, log) : () => {};
        state.start();
        ctx.ops.start();
        served.start();
      },
      async stop() {
        offLeadership();
        served.stop();
        approvals.stop();
        stopLeading();
        monitors?.stop();
        fleet.stop();
        history.stop();
        await Promise.race([Promise.all([monitors?.alerts.settled(), history.settled()]), new Promise((r) => setTimeout(r, 5000).unref())]);
      },
    };
  } catch (err) {
    ctx.close();
    throw err;
  }
}
