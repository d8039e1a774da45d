// A standalone console (no server configured, or `--standalone`) is the server's core running in
// the console's own process (issue 13 item 2: one code path, not two). The same core `serve` runs
// (src/server/server-core.ts: probing, alerts, engine, locks, approvals, audit, history, the
// gate); the console's screens get the same remote stores and controls as an attached console,
// through an in-process port (src/server/local-port.ts) instead of the socket, so every key that
// changes something is an intent through the server's dispatcher: role check, history, handler.
//
// What it does not claim, so that a `doai-console serve` can start beside it later: no socket is
// listened on and the server lock (<state>/server/) is not taken. Like any standalone console it
// evaluates alerts while it is open (the wall screen says `console`); under a shared state
// backend (postgres) it never leads, so it neither evaluates nor pages, as before. Its server log
// lines go to <state>/standalone.log (the screen owns the terminal).
import { join } from 'node:path';
import { BatchedStore } from '../core/store';
import type { Lang } from '../core/views';
import type { LoadedConfig } from '../config/load';
import type { EarlyParts } from '../cli/context';
import type { PassphraseAsker } from '../ssh/identity';
import type { ProvenIdentity } from '../protocol/messages';
import type { IntentPort } from '../attach/port';
import { remoteHealth, type RemoteHealth } from '../attach/remote-health';
import { remoteOps, type RemoteOps } from '../attach/remote-runs';
import { userName } from '../protocol/socket-path';
import { operatorName } from '../config/operator';
import { UserError } from '../cli/exit';
import { RotatingLog } from '../core/rotating-log';
import type { StateBackend, StateView } from '../state/backend';
import { filesBackend, thisBox } from '../state/backend';
import type { Proof } from '../operators/directory';
import { proofOf } from '../operators/server-gate';
import type { ServerLog } from './log';
import { createServerCore, type ServerCore } from './server-core';
import { inProcessPort } from './local-port';

export interface StandaloneServer {
  core: ServerCore;
  /** Who this console is to the server: this process's uid. */
  who: ProvenIdentity;
  port: IntentPort;
  health: RemoteHealth;
  ops: RemoteOps;
  /** Stops the core (the caller ends the engine's runs first) and closes what it opened. */
  stop(): Promise<void>;
}

/** The console's own uid, proven by being this process; the name recorded is the console's operator (DOAI_OPERATOR, as ever). */
export function standaloneIdentity(): { who: ProvenIdentity; proof: Proof } {
  const uid = process.getuid?.() ?? 0;
  // Roles are looked up by the uid's OS account, whatever name the console records runs under.
  return { who: { uid, user: operatorName(), via: 'in-process' }, proof: { kind: 'os-user', uid, user: userName(uid) } };
}

class FollowerView extends BatchedStore<StateView> {
  onChange(): () => void {
    return () => {};
  }
}

/**
 * Files: this console is alone with its state, as `serve` on files is. Postgres: the lease and the
 * outbox are the servers'; a standalone console never leads, so it evaluates and pages nothing.
 */
function standaloneState(loaded: LoadedConfig): StateBackend {
  if (loaded.config.state.backend === 'files') return filesBackend(loaded.paths.stateDir);
  const box = thisBox();
  return {
    kind: 'files',
    leadership: new FollowerView({ backend: 'postgres', where: 'postgres (standalone console: the servers lead)', box, leading: false, reachable: true }),
    notifier: (direct) => direct,
    start() {},
    close: async () => {},
  };
}

function fileLog(stateDir: string): { log: ServerLog; settled(): Promise<void> } {
  const file = new RotatingLog(join(stateDir, 'standalone.log'), { maxBytes: 1024 * 1024, keep: 1 });
  return {
    log: (level, message) => void file.append(`${new Date().toISOString()} ${level.padEnd(5)} ${message}`),
    settled: () => file.settled(),
  };
}

export async function startStandaloneServer(
  loaded: LoadedConfig,
  opts: { acceptNew: boolean; early: EarlyParts; lang: Lang; passphrase?: PassphraseAsker },
): Promise<StandaloneServer> {
  const { who, proof } = standaloneIdentity();
  const { log, settled } = fileLog(loaded.paths.stateDir);
  const state = standaloneState(loaded);
  const core = createServerCore(loaded, {
    state,
    log,
    acceptNew: opts.acceptNew,
    socket: 'standalone',
    evaluator: 'console',
    early: opts.early,
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
    proof: (w) => (w.via === 'in-process' ? proof : proofOf(w)),
  });
  const stop = async () => {
    await core.stop();
    core.ctx.close();
    await state.close();
    await Promise.race([settled(), new Promise((r) => setTimeout(r, 2000).unref())]);
  };
  try {
    // Admitted as the socket admits a connection: with `operators.unknown: refused`, a user who is
    // no operator gets no console.
    const refused = core.gate.admit(proof);
    if (refused) throw new UserError(`standalone console: ${refused}`, 2);
    // Incidents the console opens by itself are written in its language.
    core.ctx.ops.incidents.setLang(opts.lang);
    core.start();
    const port = inProcessPort(core.topics, (name, args) => core.dispatch(name, args, who), who);
    const [health, ops] = await Promise.all([remoteHealth(port), remoteOps(port)]);
    return { core, who, port, health, ops, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
