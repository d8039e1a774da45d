import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, loadConfig, resolveConfigPath, starterConfig } from '../../src/config/load';
import { writeStarterConfig } from '../../src/config/write-starter';
import { configSchema } from '../../src/config/schema';

let dir: string;
// No system state dir: the defaults below are the per-user ones, whatever this machine has set up.
const env = { XDG_STATE_HOME: '/var/tmp/xdg-state-test', DOAI_CONSOLE_SYSTEM_DIR: '/nonexistent/doai-console-system' };
const home = '/home/tester';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const valid = `hosts:
  - name: vm
    address: 127.0.0.1
services:
  - name: api
    host: vm
    unit: doai-orchestrator
    health_url: http://127.0.0.1:8080/health
`;

describe('loadConfig', () => {
  it('applies seed 000 defaults', () => {
    const { config } = loadConfig(write('console.yaml', valid), { env, home });
    expect(config.health.interval_s).toBe(30);
    expect(config.health.timeout_s).toBe(10);
    expect(config.health.failure_threshold).toBe(3);
    expect(config.nodes.offline_after_s).toBe(300);
    expect(config.nodes.error_rate_alert).toBe(0.1);
    expect(config.services[0].slow_ms).toBe(5000);
    expect(config.hosts[0].port).toBe(22);
  });

  it('with a system state dir set up (setgid), locks, approvals and the audit log default there; a config with its own state_dir keeps its own', () => {
    const system = join(dir, 'system');
    mkdirSync(system);
    chmodSync(system, 0o2770);
    const sysEnv = { ...env, DOAI_CONSOLE_SYSTEM_DIR: system };
    const { paths } = loadConfig(write('console.yaml', valid), { env: sysEnv, home });
    expect(paths).toMatchObject({ locksDir: join(system, 'locks'), approvalsDir: join(system, 'approvals'), auditLog: join(system, 'emergency.log'), journalDir: '/var/tmp/xdg-state-test/doai-console/journal' });
    const own = loadConfig(write('own.yaml', `${valid}paths: { state_dir: ${join(dir, 'state')} }\n`), { env: sysEnv, home }).paths;
    expect(own).toMatchObject({ locksDir: join(dir, 'state', 'locks'), auditLog: join(dir, 'state', 'emergency.log') });
    // Not setgid: not set up (a folder some tool made), not used.
    chmodSync(system, 0o770);
    expect(loadConfig(write('console.yaml', valid), { env: sysEnv, home }).paths.locksDir).toBe('/var/tmp/xdg-state-test/doai-console/locks');
  });

  it('accepts an empty file as all defaults', () => {
    const { config } = loadConfig(write('console.yaml', ''), { env, home });
    expect(config.hosts).toEqual([]);
    expect(config.health.interval_s).toBe(30);
  });

  it('reports a YAML syntax error with line and column', () => {
    const p = write('console.yaml', 'hosts:\n  - name: vm\n    address: [1, 2\nservices: []\n');
    const err = errorOf(() => loadConfig(p, { env, home }));
    expect(err.message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error: `));
    expect(err.problems[0].line).toBeGreaterThanOrEqual(3);
  });

  it('reports a wrong type at the value with the field path', () => {
    const p = write('console.yaml', valid.replace('address: 127.0.0.1', 'address: 127.0.0.1\n    port: "abc"'));
    const err = errorOf(() => loadConfig(p, { env, home }));
    expect(err.message).toBe(`${p}:4:11: hosts[0].port: expected a number, found "abc"`);
  });

  it('reports an invalid URL', () => {
    const p = write('console.yaml', valid.replace('http://127.0.0.1:8080/health', 'htp:/x'));
    const err = errorOf(() => loadConfig(p, { env, home }));
    expect(err.message).toMatch(/:8:17: services\[0\]\.health_url: expected a URL.*, found "htp:\/x"$/);
  });

  it('reports an unknown key (typo) at the key with the known keys and a suggestion', () => {
    const p = write('console.yaml', valid.replace('address: 127.0.0.1', 'adress: 127.0.0.1'));
    const err = errorOf(() => loadConfig(p, { env, home }));
    const lines = err.message.split('\n');
    expect(lines).toContain(
      `${p}:3:5: hosts[0].adress: unknown key "adress" (expected one of: name, address, port, user, identity_file, agent, jump, known_hosts, strict_host_key_checking, provider, snapshot_dir, backup_dir, ssh_config) — did you mean "address"?`,
    );
    // the missing required key points at the parent object
    expect(lines).toContain(`${p}:2:5: hosts[0].address: expected a string, found nothing (missing key "address")`);
  });

  it('approval policy per level (R-APR-6): L2 declared and L3 proven by default; unknown levels and modes are errors', () => {
    expect(loadConfig(write('console.yaml', valid), { env, home }).config.approval).toEqual({ L2: 'declared', L3: 'proven', approver_role: [] });
    expect(loadConfig(write('console.yaml', `${valid}approval:\n  L3: declared\n`), { env, home }).config.approval).toEqual({ L2: 'declared', L3: 'declared', approver_role: [] });
    const p = write('console.yaml', `${valid}approval:\n  L2: proved\n  L4: proven\n`);
    const lines = errorOf(() => loadConfig(p, { env, home })).message.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: approval\\.L2: expected one of "declared"|"proven", found "proved"`));
    expect(lines[1]).toMatch(/approval\.L4: unknown key "L4" \(expected one of: L2, L3, approver_role\)/);
  });

  it('lists every problem, sorted by position', () => {
    const p = write('console.yaml', 'health:\n  interval_s: -5\n  timout_s: 3\nrto_min: "soon"\n');
    const err = errorOf(() => loadConfig(p, { env, home }));
    expect(err.message.split('\n')).toEqual([
      `${p}:2:15: health.interval_s: expected a number >= 1 (at least 1 s: a shorter interval floods the targets with probes), found -5`,
      expect.stringContaining(`${p}:3:3: health.timout_s: unknown key "timout_s"`),
      `${p}:4:10: rto_min: expected a number, found "soon"`,
    ]);
  });

  it('refuses a service whose host is not declared', () => {
    const p = write('console.yaml', valid.replace('host: vm', 'host: vn'));
    const err = errorOf(() => loadConfig(p, { env, home }));
    expect(err.message).toBe(`${p}:6:11: services[0].host: expected a host declared under hosts (one of: vm), found "vn"`);
  });

  it('refuses an undeclared jump host and duplicate names', () => {
    const text = `hosts:
  - name: vm
    address: a.example.internal
    jump: bastion
  - name: vm
    address: b.example.internal
`;
    const err = errorOf(() => loadConfig(write('console.yaml', text), { env, home }));
    const lines = err.message.split('\n');
    expect(lines[0]).toMatch(/:4:11: hosts\[0\]\.jump: expected a host declared under hosts \(one of: vm\), found "bastion"$/);
    expect(lines[1]).toMatch(/:5:11: hosts\[1\]\.name: expected a unique host name, found "vm" \(already used at line 2\)$/);
  });

  it('says what to do when the file is missing', () => {
    const p = join(dir, 'nope.yaml');
    const err = errorOf(() => loadConfig(p));
    expect(err.message).toBe(`config file not found: ${p} — run \`doai-console init\` to write a starter config`);
  });

  it('resolves paths against the config directory and ~, with XDG defaults', () => {
    const text = `${valid.replace('address: 127.0.0.1', 'address: 127.0.0.1\n    identity_file: keys/id_ed25519\n    known_hosts: ~/kh')}
paths:
  audit_log: logs/emergency.log
  journal_dir: /abs/journal
runbooks: [my-runbooks]
`;
    const loaded = loadConfig(write('console.yaml', text), { env, home });
    expect(loaded.path).toBe(join(dir, 'console.yaml'));
    expect(loaded.paths).toEqual({
      auditLog: join(dir, 'logs/emergency.log'),
      journalDir: '/abs/journal',
      stateDir: '/var/tmp/xdg-state-test/doai-console',
      snapshotsDir: '/var/tmp/xdg-state-test/doai-console/snapshots',
      incidentsDir: '/var/tmp/xdg-state-test/doai-console/incidents',
      knownHosts: '/home/tester/.ssh/known_hosts',
      approvalsDir: '/var/lib/doai-console/approvals',
      locksDir: '/var/tmp/xdg-state-test/doai-console/locks',
    });
    expect(loaded.config.hosts[0].identity_file).toBe(join(dir, 'keys/id_ed25519'));
    expect(loaded.config.hosts[0].known_hosts).toBe('/home/tester/kh');
    expect(loaded.config.runbooks).toEqual([join(dir, 'my-runbooks')]);
    expect(loaded.config.paths.audit_log).toBe(loaded.paths.auditLog);
  });

  it('defaults the state dir to ~/.local/state/doai-console without XDG_STATE_HOME', () => {
    const loaded = loadConfig(write('console.yaml', valid), { env: {}, home });
    expect(loaded.paths.stateDir).toBe('/home/tester/.local/state/doai-console');
    expect(loaded.paths.auditLog).toBe('/home/tester/.local/state/doai-console/emergency.log');
    expect(loaded.paths.journalDir).toBe('/home/tester/.local/state/doai-console/journal');
  });
});

describe('resolveConfigPath', () => {
  it('prefers the flag, then DOAI_CONSOLE_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    const env = { DOAI_CONSOLE_CONFIG: '/etc/doai/env.yaml', XDG_CONFIG_HOME: '/xdg' };
    expect(resolveConfigPath({ flag: 'my.yaml', env, home, cwd: '/work' })).toBe('/work/my.yaml');
    expect(resolveConfigPath({ env, home })).toBe('/etc/doai/env.yaml');
    expect(resolveConfigPath({ env: { XDG_CONFIG_HOME: '/xdg' }, home })).toBe('/xdg/doai-console/console.yaml');
    expect(resolveConfigPath({ env: {}, home })).toBe('/home/tester/.config/doai-console/console.yaml');
  });
});

describe('starter config', () => {
  it('parses against the schema with seed defaults and loads cleanly', () => {
    const text = starterConfig();
    const doc = parseDocument(text);
    expect(doc.errors).toEqual([]);
    const config = configSchema.parse(doc.toJS());
    expect(config.health).toEqual({ interval_s: 30, timeout_s: 10, failure_threshold: 3, concurrency: 256 });
    expect(config.nodes.offline_after_s).toBe(300);
    expect(config.nodes.error_rate_alert).toBe(0.1);
    expect(config.services[0].slow_ms).toBe(5000);
    expect(config.services[0].health_url).toContain('example.internal');
    // every section is present and explained
    // (operators is there commented out: the section's presence turns role enforcement on)
    for (const key of Object.keys(configSchema.shape).filter((k) => k !== 'demo' && k !== 'operators')) expect(text).toMatch(new RegExp(`^${key}:`, 'm'));
    expect(text).toMatch(/^# operators:$/m);
    const p = write('console.yaml', text);
    expect(() => loadConfig(p, { env, home })).not.toThrow();
  });

  it('writes 0600 into a new directory and refuses to overwrite without force', () => {
    const p = join(dir, 'nested', 'deeper', 'console.yaml');
    expect(writeStarterConfig(p)).toBe(p);
    expect(readFileSync(p, 'utf8')).toBe(starterConfig());
    expect(statSync(p).mode & 0o777).toBe(0o600);
    writeFileSync(p, '# mine\n');
    let err: Error | undefined;
    try {
      writeStarterConfig(p);
    } catch (e) {
      err = e as Error;
    }
    // Not an invalid config: init reports it as its own kind of error (no "invalid config" line).
    expect(err?.name).toBe('StarterConfigError');
    expect(err!.message).toContain(`config file already exists: ${p}`);
    expect(err!.message).toContain('--force');
    expect(readFileSync(p, 'utf8')).toBe('# mine\n');
    writeStarterConfig(p, { force: true });
    expect(readFileSync(p, 'utf8')).toBe(starterConfig());
    // no temp files left behind
    expect(readdirSync(join(dir, 'nested', 'deeper'))).toEqual(['console.yaml']);
    expect(existsSync(p)).toBe(true);
  });
});
