// What `doai-console serve` does with its state backend: opens it (files, or PostgreSQL with its
// schema brought up to date — exit 2 with what was tried when it cannot), and evaluates alerts
// only while this server leads. Every server keeps probing its fleet for its own consoles (so
// health keeps updating even when the database is away); only the leader turns that into alert
// transitions and notifications, and a new leader first resolves what the old one left firing.
import { dirname, join } from 'node:path';
import { expandPath } from '../config/load';
import { loadOrCreateServerKey, parsePeerKey, SERVER_KEY_FILE } from './peer-keys';
import type { LoadedConfig } from '../config/load';
import { UserError } from '../cli/exit';
import type { ServerLog } from '../server/log';
import { filesBackend, thisBox, type StateBackend } from './backend';
import { resolvePgUrl } from './pg-url';
import { PgStateBackend, preparePgDatabase } from './pg-backend';
import { boxNameOf } from './pg-incidents';

export async function openStateBackend(loaded: LoadedConfig, log: ServerLog, env: NodeJS.ProcessEnv = process.env): Promise<StateBackend> {
  const state = loaded.config.state;
  if (state.backend === 'files') return filesBackend(loaded.paths.stateDir);
  const url = resolvePgUrl(state.url_env, env);
  if (!url.ok) throw new UserError(url.error, 2);
  const m = await preparePgDatabase(url.target, state.url_env, thisBox());
  log('info', `state in ${url.target.shown}: schema version ${m.to}${m.applied.length ? ` (applied ${m.applied.join(', ')} over ${m.from})` : ''}`);
  // Approvals between boxes are signed: this server's key (made on first start) and the others' pinned keys.
  const boxName = boxNameOf(state.box_name);
  const keyPath = state.server_key_file ? expandPath(state.server_key_file, dirname(loaded.path)) : join(loaded.paths.stateDir, SERVER_KEY_FILE);
  const key = loadOrCreateServerKey(keyPath);
  const peers = new Map(Object.entries(state.peers).map(([name, text]) => [name, parsePeerKey(text)]));
  log(
    'info',
    `approvals from other boxes: this server signs as "${boxName}" with ${key.path}${key.created ? ' (made now)' : ''}; the other boxes take its approvals with this in their state.peers: ${boxName}: ${key.publicKey}` +
      (peers.size ? `; it takes approvals signed by ${[...peers.keys()].join(', ')}` : '; state.peers is empty: approvals given on other boxes are refused here'),
  );
  return new PgStateBackend({
    signing: { boxName, key, peers },
    journals: { dir: loaded.paths.journalDir, boxName },
    target: url.target,
    urlEnv: state.url_env,
    webhooks: loaded.config.notifications.webhooks,
    env,
    configDir: dirname(loaded.path),
    auditLog: { path: loaded.paths.auditLog, stateDir: loaded.paths.stateDir },
    log,
  });
}

// Evaluating only while leading, and acks only on the leader: in ./alerts-leading.ts (no database
// driver there, so a standalone console's in-process server does not load one).
export { evaluateAlertsWhileLeading, ackOnLeader } from './alerts-leading';
