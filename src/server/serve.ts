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
import { challengeDirFor } from '../protocol/socket-path';
import { UserError } from '../cli/exit';
import { interruptReason } from '../cli/interrupt-reason';
import { acquireServerLock, ServerRunningError } from './server-lock';
import { prepareChallengeDir } from './identity';
import { startProofSweeper } from './proof-sweep';
import { Connections, DEFAULT_STALL_MS } from './connections';
import { stderrLog, type ServerLog } from './log';
import { THIS_BUILD, describeVersion } from '../protocol/version';
import { proofOf } from '../operators/server-gate';
import { createServerCore, type ServerCore } from './server-core';
import { openStateBackend } from '../state/serve-state';
import type { StateBackend } from '../state/backend';

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
  /** `--ssh-keepalive` / `--ssh-keepalive-count` (src/server/ssh-keepalive.ts). */
  sshKeepalive?: import('./ssh-keepalive').SshKeepalive;
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
  let core: ServerCore | undefined;
  let state: StateBackend | undefined;
  let proofs: ReturnType<typeof startProofSweeper> | undefined;
  try {
    state = await openStateBackend(loaded, log);
    await clearStaleSocket(socket);
    const challengeDir = challengeDirFor(socket);
    prepareChallengeDir(challengeDir, uid);
    // Proof files of consoles killed mid-handshake: swept now (nothing listens yet) and every minute.
    proofs = startProofSweeper(challengeDir, log);
    let live!: LiveRunsSource;
    let wallRuns!: WallRunsStore;
    let shared: ReturnType<NonNullable<StateBackend['shareRuns']>> | undefined;
    core = createServerCore(loaded, {
      state,
      log,
      acceptNew: opts.acceptNew === true,
      socket,
      evaluator: 'server',
      observe: ({ engine }) => {
        live = new LiveRunsSource({ journalDir: loaded.paths.journalDir, lockDir: loaded.paths.locksDir, runbook: (id) => engine.getRunbook(id), pollMs: 1000, batchMs: 250 });
        wallRuns = new WallRunsStore(live);
        // With a shared state backend, the other boxes' runs too (live, watch only).
        shared = state!.shareRuns?.(wallRuns, engine);
        return shared ? [shared.others] : [];
      },
    });
    const { ctx, gate, handlers, dispatch } = core;
    const { fleet, monitors, engine } = ctx;
    const config = loaded.config;
    const sharedRuns = shared?.wall ?? wallRuns;
    const incident = new IncidentFilesSource({ dir: join(loaded.paths.stateDir, 'incidents'), pollMs: 2000 });
    const connections = new Connections({
      socket,
      challengeDir,
      log,
      stallMs: opts.stallSeconds !== undefined ? opts.stallSeconds * 1000 : DEFAULT_STALL_MS,
      topics: { ...core.topics, runs: sharedRuns, incident },
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
        keepalive: opts.sshKeepalive,
        hostKeyFile: opts.sshHostKey,
        stallMs: opts.stallSeconds !== undefined ? opts.stallSeconds * 1000 : DEFAULT_STALL_MS,
        parts: { loaded, ctx, live, incident, gate, board: core.approvals.board, dispatch },
        status: () => handlers.status({}, { uid: uid, user: 'ssh', via: 'local-socket' }),
        log,
      });
    } catch (err) {
      await http?.close();
      throw err;
    }
    // The proven approval form says an approver can also approve in their own SSH session, only
    // while some operator with the approver role has a key (operators are read once, at start).
    if (sshServer) ctx.approvals.configure({ sshApprovals: () => gate.directory.sshApprovers().length > 0 });
    core.start();
    live.start();
    incident.start();
    for (const r of core.served.interrupted) log('warn', `run ${r.runId} (${r.runbook} on ${r.target}) was INTERRUPTED${r.lastStep ? ` in step ${r.lastStep}` : ''}: ${r.message ?? 'its console or server stopped'}${r.resume ? ` — a console can resume it from step ${r.resume.stepId}` : ''}`);
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
    wallRuns.stop();
    incident.stop();
    await core.stop();
    await state.close();
    log('info', 'stopped');
    return 0;
  } finally {
    proofs?.stop();
    core?.ctx.close();
    await state?.close();
    lock.release();
  }
}
