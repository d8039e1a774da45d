// `doai-console serve` (R-SRV-1): the one long-running authority. It probes the fleet, evaluates
// alerts and sends notifications (once, however many consoles are open), keeps history, owns the
// runbook engine and answers consoles on a local socket. Foreground, log lines on stderr; SIGTERM
// drains: consoles are told, running runs are recorded INTERRUPTED with their step, exit 0.
import { connect } from 'node:net';
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LiveRunsSource } from '../watch/live-runs';
import { IncidentFilesSource } from '../watch/incident-reader';
import { WallRunsStore } from './wall-runs';
import type { LoadedConfig } from '../config/load';
import { BatchedStore } from '../core/store';
import type { ServerInfo } from '../protocol/health';
import type { IntentName, Intents, ProvenIdentity } from '../protocol/messages';
import { challengeDirFor } from '../protocol/socket-path';
import { UserError } from '../cli/exit';
import { interruptReason } from '../cli/interrupt-reason';
import { buildContext } from '../cli/context';
import { acquireServerLock, ServerRunningError } from './server-lock';
import { prepareChallengeDir } from './identity';
import { Connections, DEFAULT_STALL_MS } from './connections';
import { startHistory } from './history';
import { intentOutcome, redactIntentArgs } from './intent-redact';
import { createServerRuns, QUIET_INTENTS } from './run-intents';
import { cliIntentHandlers } from './cli-intents';
import { createServedApprovals } from './approval-intents';
import { stderrLog, type ServerLog } from './log';
import { statusReport } from './status-report';
import { alertIntentHandlers } from './alert-intents';
import { THIS_BUILD, describeVersion } from '../protocol/version';
import { approversByRole, createServerGate, proofOf, serverTotp } from '../operators/server-gate';
import { ackOnLeader, evaluateAlertsWhileLeading, openStateBackend } from '../state/serve-state';
import type { StateBackend } from '../state/backend';
import { approveArgs, approveHere, OpenApprovals } from '../state/peer-approvals';

export interface ServeOptions {
  socket: string;
  /** Seconds a console may stop reading before it is dropped. */
  stallSeconds?: number;
  acceptNew?: boolean;
  log?: ServerLog;
  /** `--metrics [ADDR]`: serve /metrics (and the Alertmanager receiver) over HTTP there. */
  metrics?: string | true;
  /** `--ssh [ADDR]`: consoles over SSH (R-SSH-1); `sshIdleSeconds` closes idle sessions. */
  ssh?: string | true;
  sshIdleSeconds?: number;
  sshHostKey?: string;
}

class FixedStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

/** The socket folder: made 0755 if missing; one that others could write to is refused. */
function prepareSocketDir(dir: string, uid: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (!st.isDirectory()) throw new UserError(`socket folder ${dir} is not a folder`, 2);
  if (st.uid !== uid) throw new UserError(`socket folder ${dir} is owned by uid ${st.uid}, not this server's uid ${uid} — refusing to listen there (consoles would refuse it too)`, 2);
  if (st.mode & 0o022) throw new UserError(`socket folder ${dir} is writable by others (mode ${mode}) — refusing to listen there: chmod 755 ${dir}`, 2);
}

/** A socket file left at the path: another live server (refused) or a dead one's (removed). */
async function clearStaleSocket(path: string): Promise<void> {
  try {
    lstatSync(path);
  } catch {
    return;
  }
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new UserError(`another server is listening on ${path} (with another state folder) — stop it or give this one another --socket`, 1);
  unlinkSync(path);
}

export async function runServe(loaded: LoadedConfig, opts: ServeOptions): Promise<number> {
  const log = opts.log ?? stderrLog();
  const uid = process.geteuid?.() ?? 0;
  const socket = opts.socket;
  const httpServe = opts.metrics === undefined ? undefined : await import('./http-serve');
  const metricsAt = opts.metrics === undefined ? undefined : httpServe!.metricsAddress(opts.metrics);
  prepareSocketDir(dirname(socket), uid);
  let lock: ReturnType<typeof acquireServerLock>;
  try {
    lock = acquireServerLock(loaded.paths.stateDir, socket);
  } catch (err) {
    if (err instanceof ServerRunningError) throw new UserError(err.message, 1);
    throw err;
  }
  let ctx: ReturnType<typeof buildContext> | undefined;
  let state: StateBackend | undefined;
  try {
    state = await openStateBackend(loaded, log);
    await clearStaleSocket(socket);
    const challengeDir = challengeDirFor(socket);
    prepareChallengeDir(challengeDir, uid);
    ctx = buildContext(loaded, { acceptNew: opts.acceptNew === true }, undefined, { evaluator: 'server', alerts: { notifier: (direct) => state!.notifier(direct), alertsStartedByCaller: true } });
    const { fleet, monitors, engine } = ctx;
    const config = loaded.config;
    const info: ServerInfo = {
      pid: process.pid,
      startedAt: new Date(),
      socket,
      configPath: loaded.path,
      evaluatesAlerts: monitors !== undefined,
      monitors: { nodes: config.node_sources.length > 0, hosts: config.hosts.length > 0 },
      rtoMin: config.rto_min,
      state: state.leadership.getSnapshot(),
    };
    const serverTopic = new FixedStore(info);
    state.leadership.subscribe(() => serverTopic.update({ ...info, state: state!.leadership.getSnapshot() }));
    const { journalDir, stateDir } = loaded.paths;
    const live = new LiveRunsSource({ journalDir, lockDir: loaded.paths.locksDir, runbook: (id) => engine.getRunbook(id), pollMs: 1000, batchMs: 250 });
    const wallRuns = new WallRunsStore(live);
    // With a shared state backend, the other boxes' runs too (live, watch only).
    const shared = state.shareRuns?.(wallRuns, engine);
    const sharedRuns = shared?.wall ?? wallRuns;
    const incident = new IncidentFilesSource({ dir: join(stateDir, 'incidents'), pollMs: 2000 });
    // Operators and roles (R-ID-1, R-ID-2): every intent is checked against the proven identity.
    const gate = createServerGate(loaded, ctx.audit, log, () => ctx!.clock.now());
    ctx.approvals.configure({ totp: serverTotp(loaded, gate.directory), approversFor: approversByRole(loaded, gate.directory) });
    // Runs, checklists and incidents: consoles see and act on the server's (R-SRV-3).
    const served = createServerRuns(ctx, shared ? { observed: [shared.others] } : {});
    // Approvals waiting in the server's runs: approver SSH sessions and `approve` on the socket.
    const approvals = createServedApprovals(ctx, gate);
    const history = startHistory({ stateDir: loaded.paths.stateDir, log, now: () => ctx!.clock.now(), fleet, hosts: config.hosts.length ? monitors?.hosts : undefined });
    // Proven approvals: a console approves as the user this server proved; another box's run is
    // approved there, in a row this server signs (src/state/peer-approvals.ts, peer-keys.ts).
    const openApprovals = new OpenApprovals();
    ctx.approvals.configure({ onFlow: openApprovals.track });
    const handlers: { [N in IntentName]: (args: Intents[N][0], who: ProvenIdentity) => Promise<Intents[N][1]> } = {
      'run.approve': async (args, who) => {
        const { runId, step } = approveArgs(args);
        const mine = engine.getSnapshot().runs.some((r) => r.runId === runId);
        const forwarded = mine ? undefined : (state!.forwardApproval?.(runId, step, who) as Promise<Intents['run.approve'][1]> | undefined);
        return forwarded ?? approveHere(approvals.handlers, runId, step, who);
      },
      ...served.handlers,
      ...approvals.noteStarters(served.handlers),
      ...approvals.handlers,
      ...cliIntentHandlers(loaded),
      ...(alertIntentHandlers(monitors) as Pick<typeof handlers, 'alerts.ack' | 'alerts.silence' | 'alerts.unsilence' | 'alerts.maintenance' | 'alerts.maintenance.end'>),
      // A follower evaluates no alerts: an acknowledgement is given on the leader's box.
      ...(state.kind === 'postgres' ? { 'alerts.ack': ackOnLeader(state, (alertIntentHandlers(monitors) as Pick<typeof handlers, 'alerts.ack'>)['alerts.ack']) } : {}),
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
        const res = monitors!.alerts.unisolate(devices, who.user);
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
      const forwarded = mine ? undefined : state!.forwardAnswer?.(runId, (args as { answer?: unknown }).answer, who);
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
          ctx!.audit.append('APPROVAL_REFUSED', `run ${runId}: ${message}`, ctx!.clock.now());
        } catch (err) {
          log('error', `audit line not written (${(err as Error).message}): APPROVAL_REFUSED: run ${runId}: ${message}`);
        }
      },
    );
    // The one way an intent is carried out, whichever transport proved who sends it (the socket
    // here; an SSH session's console through src/server/local-port.ts).
    const dispatch = (name: IntentName, args: unknown, who: ProvenIdentity): Promise<unknown> => {
      const handler = handlers[name] as ((a: unknown, w: ProvenIdentity) => Promise<unknown>) | undefined;
      try {
        gate.check(String(name), proofOf(who));
      } catch (err) {
        return Promise.reject(err);
      }
      if (!handler) return Promise.reject(new Error(`unknown intent "${String(name).slice(0, 40)}"`));
      // Every intent is recorded with the identity the transport proved, never one it names
      // (repeated reads such as an attached `run` polling its events excepted).
      // Secrets in the arguments (approval codes, passphrases) are never written: the line says
      // one was given (src/server/intent-redact.ts) and the outcome the handler gave.
      if (QUIET_INTENTS.has(name)) return handler(args, who);
      log('info', `intent ${name} by ${who.user} (uid ${who.uid})`);
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
    const connections = new Connections({
      socket,
      challengeDir,
      log,
      stallMs: opts.stallSeconds !== undefined ? opts.stallSeconds * 1000 : DEFAULT_STALL_MS,
      topics: {
        server: serverTopic,
        fleet,
        ...(monitors ? { nodes: monitors.nodes, hosts: monitors.hosts, websocket: monitors.websocket, alerts: monitors.alerts } : {}),
        runs: sharedRuns,
        incident,
        ...served.topics,
      },
      admit: (who) => gate.admit(proofOf(who)),
      handle: (name, args, who) => dispatch(name, args, who),
    });
    // Before anything starts: a --metrics address in use stops the server here, cleanly.
    const http = metricsAt === undefined ? undefined : await httpServe!.startServerHttp(metricsAt, { fleet, nodes: config.node_sources.length ? monitors?.nodes : undefined, hosts: config.hosts.length ? monitors?.hosts : undefined, alerts: monitors?.alerts, runEvents: engine, audit: ctx.audit }, log, { config, alerts: monitors?.alerts, incidents: ctx.ops.incidents });
    let sshServer: Awaited<ReturnType<typeof import('./ssh-serve').startSshServe>> | undefined;
    try {
      sshServer = opts.ssh === undefined ? undefined : await (await import('./ssh-serve')).startSshServe({
        flag: opts.ssh,
        idleSeconds: opts.sshIdleSeconds,
        hostKeyFile: opts.sshHostKey,
        stallMs: opts.stallSeconds !== undefined ? opts.stallSeconds * 1000 : DEFAULT_STALL_MS,
        parts: { loaded, ctx, live, incident, gate, board: approvals.board },
        status: () => handlers.status({}, { uid: uid, user: 'ssh', via: 'local-socket' }),
        log,
      });
    } catch (err) {
      await http?.close();
      throw err;
    }
    fleet.start();
    void fleet.probeNow();
    monitors?.start();
    const stopLeading = monitors ? evaluateAlertsWhileLeading(state, monitors, fleet, log) : () => {};
    state.start();
    ctx.ops.start();
    live.start();
    incident.start();
    served.start();
    for (const r of served.interrupted) log('warn', `run ${r.runId} (${r.runbook} on ${r.target}) was INTERRUPTED${r.lastStep ? ` in step ${r.lastStep}` : ''}: ${r.message ?? 'its console or server stopped'}${r.resume ? ` — a console can resume it from step ${r.resume.stepId}` : ''}`);
    await connections.listen();
    log('info', `serving ${describeVersion(THIS_BUILD)} on ${socket} (pid ${process.pid}, state ${loaded.paths.stateDir}${state.kind === 'postgres' ? ` and ${state.leadership.getSnapshot().where}` : ''}, config ${loaded.path}); alerts evaluated ${state.kind === 'postgres' ? 'by the leader' : 'here'}`);

    const sig = await new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(s, () => resolve(s));
    });
    log('info', `${sig}: draining — telling consoles, interrupting running runs`);
    await connections.close(`server stopping (${sig})`, true);
    await http?.close();
    await sshServer?.close();
    const active = engine.getSnapshot().runs.filter((r) => r.state === 'running');
    for (const run of active) engine.interrupt(run.runId, interruptReason(`server stopped (${sig})`, run));
    await Promise.race([Promise.all(active.map((r) => engine.waitFor(r.runId))), new Promise((r) => setTimeout(r, 10_000).unref())]);
    for (const run of active) log('info', `run ${run.runId} (${run.runbook} on ${run.target}) recorded INTERRUPTED`);
    live.stop();
    served.stop();
    approvals.stop();
    wallRuns.stop();
    incident.stop();
    stopLeading();
    monitors?.stop();
    fleet.stop();
    history.stop();
    await Promise.race([Promise.all([monitors?.alerts.settled(), history.settled()]), new Promise((r) => setTimeout(r, 5000).unref())]);
    await state.close();
    log('info', 'stopped');
    return 0;
  } finally {
    ctx?.close();
    await state?.close();
    lock.release();
  }
}
