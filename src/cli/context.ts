// Builds the core objects a command needs from the config. Interactive, headless run and the
// demo all go through here, so they share one wiring and one set of safety checks.
import { pgMuteShare } from '../state/pg-mutes';
import { pgAckShare } from '../state/pg-acks';
import { dirname, join } from 'node:path';
import { DemoProviderKeyError, readDemoProviderKey } from '../demo/provider-key';
import { UserError } from './exit';
import type { LoadedConfig } from '../config/load';
import type { CommonFlags } from './flags';
import { operatorName } from '../config/operator';
import { realClock, type Clock } from '../core/clock';
import { createSshShell } from '../ssh/shell';
import type { PassphraseAsker } from '../ssh/identity';
import { applySshConfigToLoaded } from '../ssh/ssh-config';
import { builtinActionsDir, loadRunbooks } from '../runbook/loader';
import { createRunEngine, type RunEngine } from '../runbook/engine';
import { createApprovalHook, type ApprovalHook } from '../approval/engine-hook';
import { AuditLog } from '../audit/emergency-log';
import { createFleetStore } from '../health/fleet-store';
import { fitRecommendation } from '../runbook/fit';
import type { FleetStore } from '../core/views';
import type { RemoteShell } from '../ssh/types';
import { createFleetMonitors, type FleetMonitors, type FleetMonitorsOptions } from '../health/alerts-fleet';
import { resolveWebhookUrl } from '../notify/webhook';
import { createOpsStores, type OpsStores } from '../incident/wiring';
import { FileLockStore } from '../runbook/locks';
import { pgLockStore } from '../state/pg-locks';
import { pgAuditLog } from '../state/pg-audit';
import type { RemoteHealth } from '../attach/remote-health';


export interface ConsoleContext {
  loaded: LoadedConfig;
  clock: Clock;
  operator: string;
  shell: RemoteShell;
  engine: RunEngine;
  audit: AuditLog;
  fleet: FleetStore;
  /** Nodes, hosts, WebSocket checks and alerts (R-HLT-3..5); started by the interactive console. */
  monitors?: FleetMonitors;
  /** L2/L3 approvals: the form (answerApproval) and cross-session requests in paths.approvals_dir. */
  approvals: ApprovalHook;
  /** Checklists and incidents (R-CHK, R-INC), fed by the engine, the fleet and the alerts. */
  ops: OpsStores;
  close(): void;
}


/**
 * Secrets the config names (provider keys, webhook URLs) are read here so the audit writer can
 * redact them from every line, whatever a command prints.
 */
export function configSecrets(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const host of loaded.config.hosts) {
    const key = host.provider ? env[host.provider.api_key_env] : undefined;
    if (key) out.push(key);
  }
  for (const hook of loaded.config.notifications.webhooks) {
    const url = hook.url_env ? env[hook.url_env] : undefined;
    if (url) out.push(url);
    if (hook.url_file) {
      const r = resolveWebhookUrl(hook, { env, baseDir: dirname(loaded.path) });
      if (r.ok) out.push(r.url);
    }
    // PagerDuty's routing key (R-MON-3).
    const routingKey = hook.routing_key_env ? env[hook.routing_key_env]?.trim() : undefined;
    if (routingKey) out.push(routingKey);
  }
  // The Alertmanager receiver's bearer token (R-MON-2).
  const amToken = loaded.config.alertmanager ? env[loaded.config.alertmanager.token_env]?.trim() : undefined;
  if (amToken) out.push(amToken);
  return out;
}

/**
 * The demo fleet keeps its fake provider key in an owner-only file beside its config; the CLI
 * exports it so the console finds it in the environment like a real key (R-SEC-3).
 */
export function loadDemoSecrets(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): void {
  if (!loaded.config.demo) return;
  for (const host of loaded.config.hosts) {
    const name = host.provider?.api_key_env;
    if (!name || env[name]) continue;
    let key: string | undefined;
    try {
      key = readDemoProviderKey(loaded.path);
    } catch (e) {
      // Refused up front: starting without it would only fail later as a "missing key" at the reboot step.
      if (e instanceof DemoProviderKeyError) throw new UserError(e.message);
      throw e;
    }
    // No key file: the provider step will say the key is missing.
    if (key !== undefined) env[name] = key;
  }
}

/**
 * The clock and fleet store the interactive console made before its first frame (so it could
 * draw the services while the rest is built); everything built here then shares them.
 */
export interface EarlyParts {
  clock: Clock;
  fleet: ReturnType<typeof createFleetStore>;
}

/**
 * A console beside a server (R-SRV-1): health comes from the server's snapshots and no monitor or
 * alert evaluator is built here, so every alert is evaluated, and posted, once.
 */
export interface ServerHealthParts {
  clock: Clock;
  health: RemoteHealth;
}

export function buildContext(loaded: LoadedConfig, flags: CommonFlags, early?: EarlyParts | ServerHealthParts, extra: { passphrase?: PassphraseAsker; evaluator?: 'console' | 'server'; alerts?: Pick<FleetMonitorsOptions, 'notifier' | 'alertsStartedByCaller'> } = {}): ConsoleContext {
  // Hosts with ssh_config take HostName/User/Port/IdentityFile/ProxyJump from OpenSSH (R-SEC-2).
  loaded = applySshConfigToLoaded(loaded);
  loadDemoSecrets(loaded);
  const { config, paths } = loaded;
  const clock = early?.clock ?? realClock(config.demo?.time_scale ?? 1);
  const operator = operatorName();
  const shell = createSshShell({
    hosts: config.hosts,
    knownHostsPath: paths.knownHosts,
    acceptNew: flags.acceptNew === true,
    configPath: loaded.path,
    ...(extra.passphrase ? { passphrase: extra.passphrase } : {}),
  });
  const runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: config.runbooks, baseDir: dirname(loaded.path), userDir: join(dirname(loaded.path), 'runbooks') });
  // Under a shared state backend the lines go to the database; each box's server writes its emergency.log from there.
  const audit = config.state.backend === 'postgres' ? pgAuditLog(paths.auditLog, { secrets: () => configSecrets(loaded) }, config.state.url_env) : new AuditLog(paths.auditLog, { secrets: () => configSecrets(loaded) });
  const approvals = createApprovalHook({ clock, approvalsDir: paths.approvalsDir, approvers: config.approvers, policy: config.approval, demo: config.demo !== undefined });
  const engine = createRunEngine({
    config,
    runbooks,
    shell,
    clock,
    operator,
    audit,
    journalDir: paths.journalDir,
    locks: config.state.backend === 'postgres' ? pgLockStore(config.state.url_env, process.env, { unreachableWaitMs: config.state.unreachable_wait_s * 1000 }) : new FileLockStore(paths.locksDir),
    snapshotsDir: paths.snapshotsDir,
    prepareApproval: (info) => approvals.prepareApproval(info),
  });
  const health = early && 'health' in early ? early.health : undefined;
  let fleet: FleetStore;
  let monitors: FleetMonitors | undefined;
  if (health) fleet = health.fleet;
  else {
    const local = (early && 'fleet' in early ? early.fleet : undefined) ?? createFleetStore({ config, clock });
    local.setRecommendationFit((rec) => fitRecommendation(rec, config, runbooks));
    fleet = local;
    monitors = createFleetMonitors({
      config,
      clock,
      fleet: local,
      shell,
      stateDir: paths.stateDir,
      configDir: dirname(loaded.path),
      actions: { startRunbook: (id, target) => engine.start(id, target) },
      evaluator: { kind: extra.evaluator ?? 'console', operator },
      audit: (message) => void audit.append('ALERTS', message, clock.now()),
      // Under a shared state backend only the leading server evaluates alerts and pages: a console
      // on its own would page a second time.
      // and silences and maintenance windows live in the database, so whichever box leads honours them.
      ...(config.state.backend === 'postgres' ? { alertsStartedByCaller: true, mutesShared: pgMuteShare(config.state.url_env), acksShared: pgAckShare(config.state.url_env) } : {}),
      ...extra.alerts,
    });
  }
  const ops = createOpsStores({ loaded, clock, operator, shell, engine, fleet, monitors: health ?? monitors });
  monitors?.setTimeline((subject, text, actor) => ops.incidents.noteFromAlerts(subject, text, actor));
  return {
    loaded,
    clock,
    operator,
    shell,
    engine,
    audit,
    fleet,
    monitors,
    approvals,
    ops,
    close() {
      ops.stop();
      monitors?.stop();
      fleet.stop();
      shell.close();
    },
  };
}
