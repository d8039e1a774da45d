// ~/.ssh/config for hosts that ask for it (R-SEC-2): OpenSSH itself evaluates the file with
// `ssh -G <alias>` (Match, Include, wildcards, tokens all as ssh would), and we take HostName,
// User, Port, IdentityFile, ProxyJump, UserKnownHostsFile and StrictHostKeyChecking from its
// answer. Keys written in our config win; ProxyJump hops check their keys as the host does.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Config, HostConfig } from '../config/schema';
import type { LoadedConfig } from '../config/load';
import { ConfigError } from '../config/load';
import { sshHome } from '../config/paths';

export interface SshGResult {
  hostname: string;
  user?: string;
  port?: number;
  /** Every IdentityFile ssh would try, in order (~ expanded). */
  identityFiles: string[];
  /** Comma-separated hops, outermost first; undefined when none. */
  proxyJump?: string;
  /** UserKnownHostsFile: every file ssh reads (~ expanded). */
  userKnownHostsFiles: string[];
  /** StrictHostKeyChecking, in our config's words (ssh -G prints true/false for yes/no). */
  strictHostKeyChecking?: 'yes' | 'accept-new' | 'no' | 'ask';
}

const STRICT: Record<string, SshGResult['strictHostKeyChecking']> = { true: 'yes', yes: 'yes', false: 'no', no: 'no', off: 'no', 'accept-new': 'accept-new', ask: 'ask' };

export interface SshConfigOptions {
  /** `ssh -F <file>`; default: ssh's own (~/.ssh/config, /etc/ssh/ssh_config). */
  configFile?: string;
  /** The ssh binary; default /usr/bin/ssh when present, else `ssh` on PATH. */
  sshPath?: string;
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export function defaultSshPath(): string {
  return existsSync('/usr/bin/ssh') ? '/usr/bin/ssh' : 'ssh';
}

function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  return p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

/** Parses `ssh -G` output: one "keyword value" per line, keywords lowercase, some repeated. */
export function parseSshG(text: string, home: string = sshHome()): SshGResult {
  const values = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1].toLowerCase();
    values.set(key, [...(values.get(key) ?? []), m[2]]);
  }
  const one = (k: string) => values.get(k)?.[0];
  const port = one('port');
  const jump = one('proxyjump');
  const strict = STRICT[(one('stricthostkeychecking') ?? '').toLowerCase()];
  const knownHosts = (values.get('userknownhostsfile') ?? []).flatMap((v) => v.split(/\s+/)).filter((p) => p !== '' && p !== 'none');
  return {
    hostname: one('hostname') ?? '',
    ...(one('user') ? { user: one('user') } : {}),
    ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}),
    identityFiles: (values.get('identityfile') ?? []).map((p) => expandTilde(p, home)),
    ...(jump && jump !== 'none' ? { proxyJump: jump } : {}),
    userKnownHostsFiles: knownHosts.map((p) => expandTilde(p, home)),
    ...(strict ? { strictHostKeyChecking: strict } : {}),
  };
}

/** What OpenSSH makes of `alias`; throws an Error in words when ssh is missing or refuses. */
export function sshG(alias: string, opts: SshConfigOptions = {}): SshGResult {
  // An alias starting with - would be read as an option by ssh.
  if (!/^[A-Za-z0-9_.@[\]:%-]+$/.test(alias) || alias.startsWith('-')) throw new Error(`"${alias}" is not a host alias ssh can look up`);
  const ssh = opts.sshPath ?? defaultSshPath();
  const args = [...(opts.configFile ? ['-F', opts.configFile] : []), '-G', '--', alias];
  const r = spawnSync(ssh, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, env: opts.env ?? process.env });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`OpenSSH's ssh is not installed (${ssh} not found), so ~/.ssh/config cannot be read; install openssh-client, or remove ssh_config and set address, user, port and identity_file`);
    throw new Error(`\`${ssh} -G ${alias}\` failed: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const why = (r.stderr || '')
      .split(/\r?\n/)
      .map((l) => l.replace(/\r/g, '').trim())
      .filter((l) => l && !/Pseudo-terminal/.test(l))
      .join('; ');
    throw new Error(`\`ssh ${args.join(' ')}\` refused (${why || `exit ${r.status}`}); fix the ssh config file`);
  }
  return parseSshG(r.stdout, opts.home ?? sshHome());
}

interface Hop {
  user?: string;
  host: string;
  port?: number;
}

/** One ProxyJump hop: [user@]host[:port] or ssh://[user@]host[:port]. */
export function parseJumpHop(spec: string): Hop {
  let s = spec.trim().replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    s = bracket[1];
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      s = m[1];
      port = Number(m[2]);
    }
  }
  return { ...(user ? { user } : {}), host: s, ...(port ? { port } : {}) };
}

/** The keys each host entry sets in the YAML file itself (so defaults do not count as "written here"). */
export function writtenHostKeys(configPath: string): Set<string>[] {
  return writtenKeys(configPath).hosts;
}

/** Keys written in the YAML file: per host, and under paths:. */
function writtenKeys(configPath: string): { hosts: Set<string>[]; paths: Set<string> } {
  const keys = (o: unknown) => new Set(o && typeof o === 'object' ? Object.keys(o) : []);
  try {
    const data = parseYaml(readFileSync(configPath, 'utf8')) as { hosts?: unknown[]; paths?: unknown } | null;
    return { hosts: (data?.hosts ?? []).map(keys), paths: keys(data?.paths) };
  } catch {
    return { hosts: [], paths: new Set() };
  }
}

export interface ApplySshConfigOptions extends SshConfigOptions {
  /** Keys written per host (index as in config.hosts); default: every key present counts as written. */
  written?: Set<string>[];
  /**
   * paths.known_hosts is written in the config: it then wins over UserKnownHostsFile for
   * ssh_config hosts too (default false: OpenSSH's files are used).
   */
  knownHostsWritten?: boolean;
}

/**
 * The config with every `ssh_config` host filled in from OpenSSH's view of the alias. ProxyJump
 * hops become jump hosts: one declared under hosts: by that name is used as it is, any other is
 * added (named "ssh-config:<hop>") with its own settings from `ssh -G`.
 */
export function applySshConfig(config: Config, opts: ApplySshConfigOptions = {}): Config {
  if (!config.hosts.some((h) => h.ssh_config !== undefined && h.ssh_config !== false)) return config;
  const byName = new Map(config.hosts.map((h) => [h.name, h] as const));
  const added = new Map<string, HostConfig>();
  const template = config.hosts[0];

  const firstExisting = (files: string[]) => files.find((f) => existsSync(f));

  /** How a hop checks its host key: as the host reached through it does (its files and mode). */
  type Trust = Pick<HostConfig, 'known_hosts' | 'strict_host_key_checking'>;

  function hopHost(spec: string, depth: number, trust: Trust): string {
    const declared = byName.get(spec);
    if (declared) return declared.name;
    const name = `ssh-config:${spec}`;
    if (added.has(name)) return name;
    if (depth > 8) throw new Error(`ProxyJump chain through ${spec} is longer than 8 hops or loops; fix ProxyJump in the ssh config`);
    const hop = parseJumpHop(spec);
    const g = sshG(hop.host, opts);
    const host: HostConfig = {
      ...template,
      name,
      address: g.hostname || hop.host,
      port: hop.port ?? g.port ?? 22,
      user: hop.user ?? g.user ?? template.user,
      identity_file: firstExisting(g.identityFiles),
      agent: !firstExisting(g.identityFiles),
      jump: undefined,
      known_hosts: trust.known_hosts,
      strict_host_key_checking: trust.strict_host_key_checking,
      provider: undefined,
      ssh_config: undefined,
    };
    added.set(name, host);
    if (g.proxyJump) host.jump = chain(g.proxyJump, depth + 1, trust);
    return name;
  }

  /** Links "a,b,c" so c jumps through b through a; returns c's host name. */
  function chain(proxyJump: string, depth: number, trust: Trust): string {
    const hops = proxyJump.split(',').map((s) => s.trim()).filter(Boolean);
    let previous: string | undefined;
    for (const spec of hops) {
      const name = hopHost(spec, depth, trust);
      const h = added.get(name);
      if (previous && h && h.jump === undefined) h.jump = previous;
      previous = name;
    }
    return previous!;
  }

  const hosts = config.hosts.map((h, i) => {
    if (h.ssh_config === undefined || h.ssh_config === false) return h;
    const written = opts.written?.[i] ?? new Set(Object.keys(h));
    const alias = typeof h.ssh_config === 'string' ? h.ssh_config : h.address;
    let g: SshGResult;
    try {
      g = sshG(alias, opts);
    } catch (err) {
      throw new ConfigError(`host "${h.name}": ssh_config: ${(err as Error).message}`);
    }
    const identity = firstExisting(g.identityFiles);
    const out: HostConfig = { ...h };
    // With ssh_config: true, address is the alias itself: HostName replaces it.
    if (h.ssh_config === true && g.hostname) out.address = g.hostname;
    if (!written.has('user') && g.user) out.user = g.user;
    if (!written.has('port') && g.port) out.port = g.port;
    if (!written.has('identity_file') && identity) out.identity_file = identity;
    if (!written.has('identity_file') && !identity && !written.has('agent')) out.agent = true;
    if (!written.has('known_hosts') && !opts.knownHostsWritten && g.userKnownHostsFiles.length > 0) out.known_hosts = g.userKnownHostsFiles;
    if (!written.has('strict_host_key_checking') && g.strictHostKeyChecking) out.strict_host_key_checking = g.strictHostKeyChecking;
    if (!written.has('jump') && g.proxyJump) {
      try {
        out.jump = chain(g.proxyJump, 0, { known_hosts: out.known_hosts, strict_host_key_checking: out.strict_host_key_checking });
      } catch (err) {
        throw new ConfigError(`host "${h.name}": ssh_config ProxyJump ${g.proxyJump}: ${(err as Error).message}`);
      }
    }
    return out;
  });
  return { ...config, hosts: [...hosts, ...added.values()] };
}

/** applySshConfig for a loaded file: written keys from the YAML, paths.ssh_config relative to it. */
export function applySshConfigToLoaded(loaded: LoadedConfig, opts: SshConfigOptions = {}): LoadedConfig {
  const file = loaded.config.paths.ssh_config;
  const configFile = opts.configFile ?? (file ? (isAbsolute(file) ? file : resolve(dirname(loaded.path), expandTilde(file, opts.home ?? sshHome()))) : undefined);
  const written = writtenKeys(loaded.path);
  const config = applySshConfig(loaded.config, { ...opts, configFile, written: written.hosts, knownHostsWritten: written.paths.has('known_hosts') });
  return config === loaded.config ? loaded : { ...loaded, config };
}
