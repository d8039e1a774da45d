// The embedded demo fleet (R-UI-3): a simulated VM reached over real loopback sockets — sshd,
// the orchestrator's HTTP service, caddy, a fake Vultr API — a second host (demo-db, its own
// sshd and host key, disk over 80 %), plus the keys, known_hosts and a
// console.yaml pointing at all of it, so `doai-console demo` works with no setup.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateEd25519KeyPair } from '../ssh/keygen';
import { stringify } from 'yaml';
import { DemoBox, type BoxState } from './box';
import type { FaultName } from './faults';
import { startCaddyServer, startControlServer, startOrchestratorServer, startProviderServer, type DemoHttpServer } from './http-services';
import { startDemoSshServer, type DemoSshServer } from './ssh-server';
import { DEMO_BACKUP_DIR, DEMO_DB_DISK_USED_PCT, DEMO_DB_HOST, DEMO_FILES, DEMO_HOST, DEMO_INSTANCE_ID, DEMO_PROVIDER_KEY_ENV } from './layout';

export { DEMO_FILES, DEMO_PROVIDER_KEY_ENV, DEMO_HOST, DEMO_DB_HOST, DEMO_INSTANCE_ID };

/** Device nodes the simulated orchestrator lists unless `--nodes N` says otherwise (issue 4). */
export const DEMO_DEFAULT_NODE_COUNT = 40;
/** The service the demo-db host runs (its caddy unit, in front of the database). */
export const DEMO_DB_SERVICE = 'db-proxy';

export interface DemoFleetOptions {
  /** Where keys, known_hosts, the token and console.yaml go (created, mode 0700). */
  dir: string;
  /** Waits on the simulated box are divided by this (default 10). */
  timeScale?: number;
  nodeCount?: number;
  /**
   * Use the machine's approvals directory (the one `doai-console approve` finds without flags)
   * instead of <dir>/approvals; the folder then stays owner-only (0700).
   */
  machineApprovals?: boolean;
}

export interface DemoFleetState extends BoxState {
  sshConnections: number;
  ports: { ssh: number; orchestrator: number; caddy: number; provider: number; control: number; dbSsh: number; dbCaddy: number };
  /** The second host; faults never reach it (box-down concerns the orchestrator host only). */
  db: BoxState & { sshConnections: number };
}

export interface DemoFleet {
  configPath: string;
  dir: string;
  timeScale: number;
  stop(): Promise<void>;
  injectFault(name: FaultName): void;
  state(): DemoFleetState;
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  // mode applies only when the file is created; an older file keeps its bits otherwise.
  chmodSync(path, 0o600);
}

export async function startDemoFleet(opts: DemoFleetOptions): Promise<DemoFleet> {
  const timeScale = opts.timeScale ?? 10;
  const nodeCount = opts.nodeCount ?? DEMO_DEFAULT_NODE_COUNT;
  if (!(timeScale >= 1 && timeScale <= 1000)) throw new Error(`demo time scale must be between 1 and 1000, got ${timeScale}`);
  if (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > 100_000) throw new Error(`demo node count must be a whole number from 0 to 100000, got ${nodeCount}`);
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: keyof typeof DEMO_FILES) => join(dir, DEMO_FILES[name]);

  const hostKey = generateEd25519KeyPair({ comment: 'root@demo-vm' });
  const dbHostKey = generateEd25519KeyPair({ comment: `root@${DEMO_DB_HOST}` });
  const clientKey = generateEd25519KeyPair({ comment: 'doai-console-demo' });
  const token = randomBytes(32).toString('hex');
  // The console reads the provider key from the environment; the demo provides one if unset.
  const providerKey = (process.env[DEMO_PROVIDER_KEY_ENV] ||= randomBytes(24).toString('hex'));

  const box = new DemoBox({ timeScale, nodeCount });
  const dbBox = new DemoBox({ timeScale, nodeCount: 0, hostName: DEMO_DB_HOST, rootDiskUsedPct: DEMO_DB_DISK_USED_PCT });
  const started: { close(): Promise<void> }[] = [];
  let ssh: DemoSshServer;
  let dbSsh: DemoSshServer;
  let dbCaddy: DemoHttpServer;
  let orchestrator: DemoHttpServer;
  let caddy: DemoHttpServer;
  let provider: DemoHttpServer;
  let control: DemoHttpServer;
  const state = (): DemoFleetState => ({
    ...box.state(),
    sshConnections: ssh.connections(),
    ports: { ssh: ssh.port, orchestrator: orchestrator.port, caddy: caddy.port, provider: provider.port, control: control.port, dbSsh: dbSsh.port, dbCaddy: dbCaddy.port },
    db: { ...dbBox.state(), sshConnections: dbSsh.connections() },
  });
  try {
    ssh = await startDemoSshServer({ box, hostKey: hostKey.private, clientPublicKey: clientKey.public });
    started.push(ssh);
    dbSsh = await startDemoSshServer({ box: dbBox, hostKey: dbHostKey.private, clientPublicKey: clientKey.public });
    started.push(dbSsh);
    dbCaddy = await startCaddyServer(dbBox);
    started.push(dbCaddy);
    orchestrator = await startOrchestratorServer(box);
    started.push(orchestrator);
    caddy = await startCaddyServer(box);
    started.push(caddy);
    provider = await startProviderServer(box, { apiKey: providerKey, instanceId: DEMO_INSTANCE_ID });
    started.push(provider);
    control = await startControlServer({ token, inject: (name) => box.injectFault(name), state });
    started.push(control);

    writeSecret(file('hostKey'), hostKey.private);
    writeSecret(file('dbHostKey'), dbHostKey.private);
    writeSecret(file('clientKey'), clientKey.private);
    writeFileSync(file('clientPublicKey'), `${clientKey.public.trim()}\n`, { mode: 0o644 });
    // One line per listener: each host is checked against its own key.
    const knownHost = (port: number, pub: string) => `[127.0.0.1]:${port} ${pub.trim().split(/\s+/).slice(0, 2).join(' ')}\n`;
    writeFileSync(file('knownHosts'), knownHost(ssh.port, hostKey.public) + knownHost(dbSsh.port, dbHostKey.public), { mode: 0o644 });
    writeSecret(file('controlToken'), `${token}\n`);
    writeSecret(file('providerKey'), `${providerKey}\n`);
    for (const sub of ['journal', 'snapshots', 'incidents', 'state']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    // `doai-console approve` run by another OS user must reach approvals/ (1777, made by the
    // console): the demo dir becomes traverse-only for others; its files stay owner-only. With the
    // machine's approvals directory nobody else needs to enter it.
    chmodSync(dir, opts.machineApprovals ? 0o700 : 0o711);
    writeFileSync(file('config'), renderConfig({ dir, machineApprovals: opts.machineApprovals === true, timeScale, sshPort: ssh.port, dbSshPort: dbSsh.port, dbCaddy: dbCaddy.url, orchestrator: orchestrator.url, orchestratorPort: orchestrator.port, caddy: caddy.url, provider: provider.url, control: control.url }), { mode: 0o600 });
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    box.dispose();
    dbBox.dispose();
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return {
    configPath: file('config'),
    dir,
    timeScale,
    injectFault: (name) => box.injectFault(name),
    state,
    stop: () =>
      (stopping ??= (async () => {
        box.dispose();
        dbBox.dispose();
        await Promise.all(started.map((s) => s.close()));
      })()),
  };
}

function renderConfig(p: { dir: string; machineApprovals: boolean; timeScale: number; sshPort: number; dbSshPort: number; dbCaddy: string; orchestrator: string; orchestratorPort: number; caddy: string; provider: string; control: string }): string {
  const config = {
    health: { interval_s: 30, timeout_s: 10, failure_threshold: 3 },
    hosts: [
      {
        name: DEMO_HOST,
        address: '127.0.0.1',
        port: p.sshPort,
        user: 'root',
        identity_file: join(p.dir, DEMO_FILES.clientKey),
        known_hosts: join(p.dir, DEMO_FILES.knownHosts),
        provider: { kind: 'vultr', instance_id: DEMO_INSTANCE_ID, api_key_env: DEMO_PROVIDER_KEY_ENV, base_url: p.provider },
      },
      {
        name: DEMO_DB_HOST,
        address: '127.0.0.1',
        port: p.dbSshPort,
        user: 'root',
        identity_file: join(p.dir, DEMO_FILES.clientKey),
        known_hosts: join(p.dir, DEMO_FILES.knownHosts),
      },
    ],
    services: [
      {
        name: 'doai-orchestrator',
        host: DEMO_HOST,
        kind: 'orchestrator',
        proxy: 'caddy',
        unit: 'doai-orchestrator',
        health_url: `${p.orchestrator}/health`,
        websocket_url: `ws://127.0.0.1:${p.orchestratorPort}/ws`,
        app_dir: '/opt/aifarm',
        // Read over SSH like a real host's: the box keeps last night's backup there (fresh).
        backups: [{ dir: DEMO_BACKUP_DIR, pattern: '*', rpo_h: 24 }],
      },
      { name: 'caddy', host: DEMO_HOST, kind: 'proxy', unit: 'caddy', health_url: `${p.caddy}/` },
      { name: DEMO_DB_SERVICE, host: DEMO_DB_HOST, kind: 'proxy', unit: 'caddy', health_url: `${p.dbCaddy}/` },
    ],
    node_sources: [
      {
        name: 'devices',
        url: `${p.orchestrator}/nodes`,
        list_path: 'nodes',
        fields: { id: 'id', last_heartbeat: 'last_heartbeat', errors: 'errors', requests: 'requests', labels: 'labels' },
      },
    ],
    paths: {
      audit_log: join(p.dir, 'emergency.log'),
      journal_dir: join(p.dir, 'journal'),
      snapshots_dir: join(p.dir, 'snapshots'),
      incidents_dir: join(p.dir, 'incidents'),
      state_dir: join(p.dir, 'state'),
      ...(p.machineApprovals ? {} : { approvals_dir: join(p.dir, 'approvals') }),
    },
    // The demo is tried alone at one keyboard: L3 takes typed names here (declared), and the form
    // says "demo: declared approvals". Real configs default to proven for L3 (R-APR-6).
    approval: { L2: 'declared', L3: 'declared' },
    demo: { time_scale: p.timeScale, control_url: p.control },
  };
  const header = [
    '# Generated by `doai-console demo` for the embedded demo fleet; rewritten on every start, so',
    '# edits here are lost. Every address is a loopback listener of the simulated fleet, and waits',
    `# are compressed ${p.timeScale}x (demo.time_scale); real mode never does that.`,
    `# The provider API key is read from the environment variable ${DEMO_PROVIDER_KEY_ENV}, never from`,
    `# this file: the demo keeps it in ${DEMO_FILES.providerKey} (mode 0600) beside this file, and the CLI`,
    '# loads it from there for the demo.',
    '',
  ].join('\n');
  return header + stringify(config);
}
