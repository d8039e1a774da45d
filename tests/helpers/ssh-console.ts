// `serve --ssh` for tests: a demo fleet, operators with generated keys (private keys in owner-only
// files), the built server with --ssh on a free loopback port, and the OpenSSH command line that
// pins the server's host key (printed at start) in a test known_hosts file.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { fingerprint } from '../../src/ssh/known-hosts';
import { startServer, type RunningServer } from './console-server';
import { freePort } from './sshd';

export interface SshPerson {
  name: string;
  roles: ('viewer' | 'operator' | 'approver')[];
}

export interface SshRig {
  base: string;
  fleet: DemoFleet;
  config: string;
  state: string;
  audit: string;
  keyFile(name: string): string;
  fingerprintOf(name: string): string;
  publicKey(name: string): string;
  server?: RunningServer;
  port: number;
  knownHosts: string;
  hostFingerprint: string;
  /** `ssh -i key -p PORT -o UserKnownHostsFile=… 127.0.0.1 [command]` */
  ssh(name: string, opts?: { tty?: boolean; command?: string; extra?: string[] }): string;
  sshArgs(name: string, opts?: { tty?: boolean; command?: string; extra?: string[] }): string[];
  start(extra?: string[]): Promise<RunningServer>;
  stop(): Promise<void>;
}

export async function sshRig(people: SshPerson[], opts: { unknown?: 'viewer' | 'refused'; extraKeys?: string[]; nodeCount?: number; approval?: { L2?: string; L3?: string } } = {}): Promise<SshRig> {
  const base = mkdtempSync(join(tmpdir(), 'doai-ssh-'));
  chmodSync(base, 0o711);
  const fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: opts.nodeCount ?? 3 });
  const keys = new Map<string, { file: string; pub: string; fp: string }>();
  for (const name of [...people.map((p) => p.name), ...(opts.extraKeys ?? [])]) {
    const pair = generateEd25519KeyPair({ comment: `${name}@test` });
    const file = join(base, `${name}.key`);
    writeFileSync(file, pair.private, { mode: 0o600 });
    const blob = Buffer.from(pair.public.split(' ')[1]!, 'base64');
    keys.set(name, { file, pub: pair.public, fp: fingerprint(blob) });
  }
  const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  const state = join(base, 'state');
  const audit = join(state, 'emergency.log');
  doc.paths = { ...(doc.paths as object), state_dir: state, audit_log: audit };
  if (opts.approval) doc.approval = { ...(doc.approval as object), ...opts.approval };
  doc.operators = { unknown: opts.unknown ?? 'refused', people: people.map((p) => ({ name: p.name, keys: [keys.get(p.name)!.pub], roles: p.roles })) };
  const config = join(dirname(fleet.configPath), 'ssh-console.yaml');
  writeFileSync(config, YAML.stringify(doc));
  const port = await freePort();
  const knownHosts = join(base, 'known_hosts');
  const sshArgs = (name: string, o: { tty?: boolean; command?: string; extra?: string[] } = {}) => [
    '-F', '/dev/null',
    '-i', keys.get(name)!.file,
    '-p', String(port),
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    ...(o.tty ? ['-t'] : o.command ? ['-T'] : []),
    ...(o.extra ?? []),
    'ops@127.0.0.1',
    ...(o.command ? [o.command] : []),
  ];
  const rig: SshRig = {
    base,
    fleet,
    config,
    state,
    audit,
    keyFile: (n) => keys.get(n)!.file,
    fingerprintOf: (n) => keys.get(n)!.fp,
    publicKey: (n) => keys.get(n)!.pub,
    port,
    knownHosts,
    hostFingerprint: '',
    sshArgs,
    ssh: (name, o) => ['ssh', ...sshArgs(name, o)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' '),
    async start(extra = []) {
      const socket = join(base, 'run', 'console.sock');
      // CI=true as CI machines set it: Ink would draw only the last frame, so every SSH session
      // stayed blank until the binary stopped honouring it (its screens are always for a terminal).
      const server = await startServer(config, socket, ['--ssh', `127.0.0.1:${port}`, ...extra], { CI: 'true' });
      rig.server = server;
      const m = await server.waitLog(/ssh: listening on 127\.0\.0\.1:\d+; host key (SHA256:\S+) \([^)]*\) — operators pin it: (ssh-ed25519 \S+)/);
      rig.hostFingerprint = m[1]!;
      writeFileSync(knownHosts, `[127.0.0.1]:${port} ${m[2]}\n`);
      return server;
    },
    async stop() {
      await rig.server?.stop('SIGTERM');
      await fleet.stop();
      rmSync(base, { recursive: true, force: true, maxRetries: 10 });
    },
  };
  return rig;
}
