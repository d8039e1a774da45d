// ~/.ssh/config through OpenSSH's own `ssh -F <file> -G <alias>`: HostName, User, Port,
// IdentityFile and ProxyJump reach our hosts, keys written in our config win, and the console's
// SSH client really logs in through the resolved alias (and through a ProxyJump hop) to ssh2
// servers on loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load';
import { configSchema } from '../../src/config/schema';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { createSshShell } from '../../src/ssh/shell';
import { applySshConfig, applySshConfigToLoaded, parseJumpHop, sshG } from '../../src/ssh/ssh-config';
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
    ].join('\n'),
  );
  writeFileSync(join(dir, 'known_hosts'), `${jump.knownHostsLine}\n${target.knownHostsLine}\n`);
});
afterAll(async () => {
  await jump.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('ssh -G resolution', () => {
  it('reads HostName, User, Port, IdentityFile and ProxyJump as OpenSSH sees them', () => {
    expect(sshG('api-alias', { configFile: sshConfigPath })).toEqual({ hostname: '127.0.0.1', user: 'deploy', port: target.port, identityFiles: [target.clientKeyPath] });
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
