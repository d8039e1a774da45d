// ~/.ssh/config through OpenSSH's own `ssh -F <file> -G <alias>`: HostName, User, Port,
// IdentityFile and ProxyJump reach our hosts, keys written in our config win, and the console's
// SSH client really logs in through the resolved alias (and through a ProxyJump hop) to ssh2
// servers on loopback.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load';
import { configSchema } from '../../src/config/schema';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { createSshShell } from '../../src/ssh/shell';
import { applySshConfig, applySshConfigToLoaded, parseJumpHop, parseSshG, sshG } from '../../src/ssh/ssh-config';
import { SshError } from '../../src/ssh/types';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';
import { requireTools } from '../helpers/requirements';

requireTools(['/usr/bin/ssh'], 'apt-get install -y openssh-client');
let dir: string;
let jump: TestSshServer;
let target: TestSshServer;
let sshConfigPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-sshcfg-'));
  const clientKey = generateEd25519KeyPair();
  jump = await startTestSshServer({ clientKey });
  target = await startTestSshServer({ clientKey, onExec: (ctx) => (ctx.stdout(`ran: ${ctx.command}\n`), ctx.exit(0)) });
  sshConfigPath = join(dir, 'ssh_config');
  writeFileSync(
    sshConfigPath,
    [
      'Host api-alias',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User deploy',
      `  IdentityFile ${target.clientKeyPath}`,
      '',
      'Host bastion',
      '  HostName 127.0.0.1',
      `  Port ${jump.port}`,
      '  User root',
      `  IdentityFile ${jump.clientKeyPath}`,
      '',
      'Host behind',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User root',
      `  IdentityFile ${target.clientKeyPath}`,
      '  ProxyJump bastion',
      '',
      'Host two-hops',
      '  HostName 10.0.0.9',
      '  ProxyJump ops@gw1:2201,bastion',
      '',
      // Its key is only in its own UserKnownHostsFile (the second of two files).
      'Host own-known-hosts',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User root',
      `  IdentityFile ${target.clientKeyPath}`,
      `  UserKnownHostsFile ${join(dir, 'kh-empty')} ${join(dir, 'kh-target')}`,
      '',
      'Host accept-new-host',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User root',
      `  IdentityFile ${target.clientKeyPath}`,
      `  UserKnownHostsFile ${join(dir, 'kh-accept')}`,
      '  StrictHostKeyChecking accept-new',
      '',
      'Host strict-host',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User root',
      `  IdentityFile ${target.clientKeyPath}`,
      `  UserKnownHostsFile ${join(dir, 'kh-strict')}`,
      '  StrictHostKeyChecking yes',
      '',
      // The hop's key is not in paths.known_hosts: only in the file the host itself uses.
      'Host behind-own',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User root',
      `  IdentityFile ${target.clientKeyPath}`,
      '  ProxyJump bastion',
      `  UserKnownHostsFile ${join(dir, 'kh-both')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'known_hosts'), `${jump.knownHostsLine}\n${target.knownHostsLine}\n`);
  writeFileSync(join(dir, 'kh-target'), `${target.knownHostsLine}\n`);
  writeFileSync(join(dir, 'kh-both'), `${jump.knownHostsLine}\n${target.knownHostsLine}\n`);
  writeFileSync(join(dir, 'kh-empty'), '');
});
afterAll(async () => {
  await jump.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('ssh -G resolution', () => {
  it('reads HostName, User, Port, IdentityFile and ProxyJump as OpenSSH sees them', () => {
    expect(sshG('api-alias', { configFile: sshConfigPath })).toMatchObject({ hostname: '127.0.0.1', user: 'deploy', port: target.port, identityFiles: [target.clientKeyPath] });
    expect(sshG('own-known-hosts', { configFile: sshConfigPath })).toMatchObject({ userKnownHostsFiles: [join(dir, 'kh-empty'), join(dir, 'kh-target')] });
    expect(sshG('accept-new-host', { configFile: sshConfigPath }).strictHostKeyChecking).toBe('accept-new');
    expect(sshG('strict-host', { configFile: sshConfigPath }).strictHostKeyChecking).toBe('yes');
    expect(sshG('behind', { configFile: sshConfigPath }).proxyJump).toBe('bastion');
    // An alias the file does not name keeps its own name as HostName, like ssh.
    expect(sshG('plain.example', { configFile: sshConfigPath }).hostname).toBe('plain.example');
  });

  it('parses ProxyJump hops', () => {
    expect(parseJumpHop('ops@gw1:2201')).toEqual({ user: 'ops', host: 'gw1', port: 2201 });
    expect(parseJumpHop('ssh://gw2')).toEqual({ host: 'gw2' });
    expect(parseJumpHop('[::1]:22')).toEqual({ host: '::1', port: 22 });
  });

  it('ssh_config: true takes every setting; keys written in our config win', () => {
    const config = configSchema.parse({
      hosts: [
        { name: 'api', address: 'api-alias', ssh_config: true },
        { name: 'api-fixed', address: '127.0.0.1', ssh_config: 'api-alias', port: 2022, user: 'root' },
        { name: 'plain', address: '127.0.0.3' },
      ],
    });
    const out = applySshConfig(config, { configFile: sshConfigPath, written: [new Set(['name', 'address', 'ssh_config']), new Set(['name', 'address', 'ssh_config', 'port', 'user']), new Set(['name', 'address'])] });
    expect(out.hosts[0]).toMatchObject({ name: 'api', address: '127.0.0.1', port: target.port, user: 'deploy', identity_file: target.clientKeyPath });
    expect(out.hosts[1]).toMatchObject({ name: 'api-fixed', address: '127.0.0.1', port: 2022, user: 'root', identity_file: target.clientKeyPath });
    expect(out.hosts[2]).toEqual(config.hosts[2]);
  });

  it('ProxyJump hops become jump hosts, outermost first; a hop named under hosts: is used as it is', () => {
    const config = configSchema.parse({
      hosts: [
        { name: 'bastion', address: '127.0.0.1', port: jump.port, user: 'root', identity_file: jump.clientKeyPath },
        { name: 'deep', address: 'two-hops', ssh_config: true },
      ],
    });
    const out = applySshConfig(config, { configFile: sshConfigPath, written: [new Set(['name', 'address', 'port', 'user', 'identity_file']), new Set(['name', 'address', 'ssh_config'])] });
    const deep = out.hosts.find((h) => h.name === 'deep')!;
    expect(deep.address).toBe('10.0.0.9');
    // two-hops: gw1 first, then bastion: deep jumps through bastion, which jumps through gw1.
    expect(deep.jump).toBe('bastion');
    const gw1 = out.hosts.find((h) => h.name === 'ssh-config:ops@gw1:2201');
    expect(gw1).toMatchObject({ address: 'gw1', port: 2201, user: 'ops' });
    // The declared bastion is not rewritten: its own config says how to reach it.
    expect(out.hosts.find((h) => h.name === 'bastion')!.jump).toBeUndefined();
  });

  it('the console logs in through the resolved alias and through a ProxyJump hop', async () => {
    const d = mkdtempSync(join(dir, 'cfg-'));
    const configPath = join(d, 'console.yaml');
    writeFileSync(
      configPath,
      stringify({
        hosts: [
          { name: 'api', address: 'behind', ssh_config: true },
          { name: 'direct', address: 'api-alias', ssh_config: true, user: 'root' },
        ],
        paths: { ssh_config: sshConfigPath, known_hosts: join(dir, 'known_hosts'), state_dir: join(d, 'state') },
      }),
    );
    const loaded = applySshConfigToLoaded(loadConfig(configPath));
    const api = loaded.config.hosts.find((h) => h.name === 'api')!;
    expect(api).toMatchObject({ address: '127.0.0.1', port: target.port, jump: 'ssh-config:bastion' });
    // Written in our file: user root wins over the alias's User deploy.
    expect(loaded.config.hosts.find((h) => h.name === 'direct')).toMatchObject({ user: 'root', port: target.port });

    const shell = createSshShell({ hosts: loaded.config.hosts, knownHostsPath: loaded.paths.knownHosts });
    try {
      const jumpLoginsBefore = jump.authenticatedConnections();
      const lines: string[] = [];
      const res = await shell.exec('api', 'echo hi', { timeoutMs: 10_000, onLine: (_s, l) => lines.push(l) });
      expect(res.code).toBe(0);
      expect(lines).toEqual(['ran: echo hi']);
      expect(jump.authenticatedConnections()).toBe(jumpLoginsBefore + 1);
      const direct = await shell.exec('direct', 'uptime', { timeoutMs: 10_000, onLine: () => undefined });
      expect(direct.code).toBe(0);
    } finally {
      shell.close();
    }
  });

  it('a broken ssh config or a missing ssh is a config error saying what to do', () => {
    const broken = join(dir, 'broken_config');
    writeFileSync(broken, 'Host x\n  NoSuchOption yes\n');
    const config = configSchema.parse({ hosts: [{ name: 'x', address: 'x', ssh_config: true }] });
    expect(() => applySshConfig(config, { configFile: broken })).toThrow(ConfigError);
    expect(() => applySshConfig(config, { configFile: broken })).toThrow(/host "x": ssh_config: `ssh -F .*broken_config -G -- x` refused \(.*Bad configuration option: nosuchoption.*\); fix the ssh config file/);
    expect(() => applySshConfig(config, { sshPath: join(dir, 'no-ssh-here') })).toThrow(
      /host "x": ssh_config: OpenSSH's ssh is not installed .*install openssh-client, or remove ssh_config and set address, user, port and identity_file/,
    );
  });
});

// Issue 12 item 18: UserKnownHostsFile and StrictHostKeyChecking as OpenSSH resolves them, jump
// hops checked against the host's own files, and ~/.ssh in the passwd home, not $HOME.
describe('known_hosts as OpenSSH has it', () => {
  /** A config whose paths.known_hosts is not written: the ssh_config hosts' files are used. */
  function loadFor(hosts: Record<string, unknown>[], paths: Record<string, unknown> = {}) {
    const d = mkdtempSync(join(dir, 'kh-'));
    const configPath = join(d, 'console.yaml');
    writeFileSync(configPath, stringify({ hosts, paths: { ssh_config: sshConfigPath, state_dir: join(d, 'state'), ...paths } }));
    const loaded = applySshConfigToLoaded(loadConfig(configPath));
    return { loaded, shell: createSshShell({ hosts: loaded.config.hosts, knownHostsPath: loaded.paths.knownHosts, env: {} }) };
  }
  const run = (shell: ReturnType<typeof createSshShell>, host: string) => shell.exec(host, 'true', { timeoutMs: 20_000, onLine: () => undefined });

  it("UserKnownHostsFile: every file listed is read (the key is in the second)", async () => {
    const { loaded, shell } = loadFor([{ name: 'api', address: 'own-known-hosts', ssh_config: true }]);
    try {
      expect(loaded.config.hosts[0]!.known_hosts).toEqual([join(dir, 'kh-empty'), join(dir, 'kh-target')]);
      expect(await run(shell, 'api')).toEqual({ code: 0 });
    } finally {
      shell.close();
    }
  });

  it('StrictHostKeyChecking accept-new records an unknown key in the first file; yes refuses it even with --accept-new', async () => {
    const { shell } = loadFor([
      { name: 'fresh', address: 'accept-new-host', ssh_config: true },
      { name: 'strict', address: 'strict-host', ssh_config: true },
    ]);
    try {
      expect(await run(shell, 'fresh')).toEqual({ code: 0 });
      expect(readFileSync(join(dir, 'kh-accept'), 'utf8')).toBe(`${target.knownHostsLine}\n`);
    } finally {
      shell.close();
    }
    const { loaded } = loadFor([{ name: 'strict', address: 'strict-host', ssh_config: true }]);
    const eager = createSshShell({ hosts: loaded.config.hosts, knownHostsPath: loaded.paths.knownHosts, env: {}, acceptNew: true });
    try {
      const err = await run(eager, 'strict').then(() => undefined, (e: SshError) => e);
      expect(err).toBeInstanceOf(SshError);
      expect(err!.kind).toBe('hostkey-unknown');
      expect(err!.message).toContain('StrictHostKeyChecking is yes');
      expect(err!.trust?.fix).toContain(`ssh-keyscan -p ${target.port} 127.0.0.1 >> ${join(dir, 'kh-strict')}`);
      expect(existsSync(join(dir, 'kh-strict'))).toBe(false);
    } finally {
      eager.close();
    }
  });

  it("a ProxyJump hop checks its key against the host's known_hosts, not paths.known_hosts", async () => {
    // From ssh_config (UserKnownHostsFile; paths.known_hosts is then ~/.ssh/known_hosts, which
    // lists neither test server), and from known_hosts written in our config (paths.known_hosts
    // is an empty file).
    for (const [host, paths] of [
      [{ name: 'api', address: 'behind-own', ssh_config: true }, {}],
      [{ name: 'api', address: 'behind', ssh_config: true, known_hosts: join(dir, 'kh-both') }, { known_hosts: join(dir, 'kh-empty') }],
    ] as const) {
      const { loaded, shell } = loadFor([host], paths);
      try {
        const hop = loaded.config.hosts.find((h) => h.name === 'ssh-config:bastion')!;
        expect(hop.known_hosts).toEqual(loaded.config.hosts[0]!.known_hosts);
        expect(await run(shell, 'api')).toEqual({ code: 0 });
      } finally {
        shell.close();
      }
    }
  });

  it('~/.ssh is the passwd home, as OpenSSH has it, whatever $HOME says', () => {
    const before = process.env.HOME;
    const fakeHome = mkdtempSync(join(dir, 'home-'));
    process.env.HOME = fakeHome;
    try {
      const passwdHome = userInfo().homedir;
      expect(passwdHome).not.toBe(fakeHome);
      const d = mkdtempSync(join(dir, 'home-cfg-'));
      const configPath = join(d, 'console.yaml');
      writeFileSync(configPath, stringify({ hosts: [{ name: 'a', address: '127.0.0.1', identity_file: '~/.ssh/id_ed25519', known_hosts: '~/.ssh/known_hosts_a' }], paths: { state_dir: join(d, 'state') } }));
      const loaded = loadConfig(configPath);
      expect(loaded.paths.knownHosts).toBe(join(passwdHome, '.ssh', 'known_hosts'));
      expect(loaded.config.hosts[0]).toMatchObject({ identity_file: join(passwdHome, '.ssh', 'id_ed25519'), known_hosts: join(passwdHome, '.ssh', 'known_hosts_a') });
      expect(parseSshG('identityfile ~/.ssh/id_rsa\n').identityFiles).toEqual([join(passwdHome, '.ssh', 'id_rsa')]);
    } finally {
      process.env.HOME = before;
    }
  });
});
