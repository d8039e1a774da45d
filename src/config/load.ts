// Finds, reads and validates the one config file (R-CFG-1, R-CFG-3). Every problem is reported
// as `file:line:col: path: expected X, found Y` and the CLI exits 2: never a half-started console.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configSchema, type Config } from './schema';
import { formatProblem, sortProblems, validateYaml, type YamlPath, type YamlProblem, type YamlSource } from './yaml-errors';
import { starterConfig } from './starter';

export { starterConfig } from './starter';

/** A config problem the operator can fix. `message` is one `file:line:col: ...` line per problem. */
export class ConfigError extends Error {
  readonly problems: YamlProblem[];
  constructor(message: string, problems: YamlProblem[] = []) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems;
  }
  static fromProblems(problems: YamlProblem[]): ConfigError {
    return new ConfigError(problems.map(formatProblem).join('\n'), problems);
  }
}

export interface ResolvedPaths {
  auditLog: string;
  journalDir: string;
  snapshotsDir: string;
  incidentsDir: string;
  stateDir: string;
  knownHosts: string;
  /** Cross-session approval requests (R-APR-4); shared by every operator on the machine. */
  approvalsDir: string;
  /** Per-target run locks (R-RUN-7): in the system state dir when it is set up, else stateDir/locks. */
  locksDir: string;
}

export { DEFAULT_APPROVALS_DIR, approveDirFlag } from './approvals-dir';
import { DEFAULT_APPROVALS_DIR } from './approvals-dir';

export interface LoadedConfig {
  /** Absolute path of the file read. */
  path: string;
  /** Validated config; file paths in it (paths.*, hosts[].identity_file/known_hosts, runbooks, checklists, webhook url_file) are absolute. */
  config: Config;
  paths: ResolvedPaths;
  /** Valid but probably not what was meant (an empty fleet); commands print them. */
  warnings?: string[];
}

/** What a valid config may still be missing: a file with no hosts, services or node sources watches nothing. */
export function configWarnings(loaded: Pick<LoadedConfig, 'path' | 'config'>): string[] {
  const { hosts, services, node_sources } = loaded.config;
  if (hosts.length || services.length || node_sources.length) return [];
  return [`${loaded.path}: warning: the fleet is empty (no hosts, services or node sources) — nothing will be watched or recovered; add them, or run \`doai-console init\` for a commented starter config`];
}

export { defaultStateDir, expandPath, resolveConfigPath, type PathOptions } from './paths';
import { defaultStateDir, expandPath, sshHome, systemStateDirInUse, type PathOptions } from './paths';

/** Byte offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > buf.length) return i;
    for (let k = 1; k < len; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong 3/4-byte forms, UTF-16 surrogates and code points past U+10FFFF.
    const b1 = buf[i + 1] ?? 0;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += len;
  }
  return -1;
}

function decodeConfig(path: string, buf: Buffer): string {
  const bad = firstInvalidUtf8(buf);
  if (bad < 0) return buf.toString('utf8');
  const before = buf.subarray(0, bad).toString('utf8');
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  throw new ConfigError(`${path}:${line}:${col}: expected UTF-8 text, found the byte 0x${buf[bad]!.toString(16).padStart(2, '0')}, which is not valid UTF-8 — save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`);
}

function readConfigText(path: string): string {
  try {
    return decodeConfig(path, readFileSync(path));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`config file not found: ${path} — run \`doai-console init\` to write a starter config`);
    if (code === 'EACCES') throw new ConfigError(`cannot read config file ${path}: permission denied — check its owner and mode (it should be readable by you, 0600)`);
    if (code === 'EISDIR') throw new ConfigError(`config path ${path} is a directory — pass the YAML file itself with --config`);
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
}

/** Checks that need the whole file: names are unique and references name declared things. */
function crossReferenceProblems(config: Config, source: YamlSource): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const unique = (section: YamlPath, items: { name: string }[], what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.name);
      if (first === undefined) {
        seen.set(item.name, i);
        return;
      }
      const at = source.locate([...section, first, 'name']);
      problems.push(source.problem([...section, i, 'name'], `expected a unique ${what} name, found "${item.name}" (already used at line ${at.line})`));
    });
  };
  unique(['hosts'], config.hosts, 'host');
  unique(['services'], config.services, 'service');
  unique(['node_sources'], config.node_sources, 'node source');
  unique(['alerts'], config.alerts ?? [], 'alert');
  unique(['notifications', 'webhooks'], config.notifications.webhooks, 'webhook');

  const hostNames = new Set(config.hosts.map((h) => h.name));
  const declared = () => (hostNames.size ? `one of: ${[...hostNames].join(', ')}` : 'none declared yet — add it under hosts:');
  config.services.forEach((s, i) => {
    if (!hostNames.has(s.host)) problems.push(source.problem(['services', i, 'host'], `expected a host declared under hosts (${declared()}), found "${s.host}"`));
  });
  const serviceByName = new Map(config.services.map((s) => [s.name, s]));
  config.services.forEach((s, i) => {
    if (s.proxy === undefined) return;
    const proxy = serviceByName.get(s.proxy);
    if (!proxy || proxy === s) problems.push(source.problem(['services', i, 'proxy'], `expected another service declared under services (the proxy in front of "${s.name}"), found "${s.proxy}"`));
    else if (proxy.host !== s.host) problems.push(source.problem(['services', i, 'proxy'], `expected a service on the same host as "${s.name}" (${s.host}), found "${s.proxy}" on ${proxy.host}`));
    else if (proxy.unit === undefined) problems.push(source.problem(['services', i, 'proxy'], `expected a service with a unit: (L2 stops and starts it), found "${s.proxy}" without one`));
  });
  config.hosts.forEach((h, i) => {
    if (h.jump === undefined) return;
    if (h.jump === h.name) problems.push(source.problem(['hosts', i, 'jump'], `expected another host as the jump host, found "${h.jump}" (the host itself)`));
    else if (!hostNames.has(h.jump)) problems.push(source.problem(['hosts', i, 'jump'], `expected a host declared under hosts (${declared()}), found "${h.jump}"`));
  });
  // A jump chain that loops would hang every connection attempt.
  const byName = new Map(config.hosts.map((h) => [h.name, h]));
  config.hosts.forEach((h, i) => {
    const seen = new Set<string>([h.name]);
    let cur = h.jump ? byName.get(h.jump) : undefined;
    for (let hops = 0; cur && hops < config.hosts.length; hops++) {
      if (seen.has(cur.name)) {
        if (cur.name === h.name && h.jump !== h.name)
          problems.push(source.problem(['hosts', i, 'jump'], `expected a jump chain that ends, found a loop back to "${h.name}"`));
        break;
      }
      seen.add(cur.name);
      cur = cur.jump ? byName.get(cur.jump) : undefined;
    }
  });
  // A probe that may outlast the interval overlaps the next one: probes pile up on a slow target.
  const shorter = (section: 'health' | 'host_checks') => {
    const { timeout_s, interval_s } = config[section];
    if (timeout_s >= interval_s)
      problems.push(source.problem([section, 'timeout_s'], `expected a timeout shorter than ${section}.interval_s (${interval_s} s) so probes never overlap, found ${timeout_s}`));
  };
  shorter('health');
  shorter('host_checks');
  config.alerts?.forEach((a, i) => {
    if (a.kind === 'device_error_rate' && a.threshold !== undefined && a.threshold > 1)
      problems.push(source.problem(['alerts', i, 'threshold'], `expected a fraction between 0 and 1 (0.1 = 10 %), found ${a.threshold}`));
  });
  return problems;
}

function resolveAllPaths(config: Config, configDir: string, opts: PathOptions): { config: Config; paths: ResolvedPaths } {
  const home = opts.home ?? homedir();
  const abs = (p: string) => expandPath(p, configDir, home);
  // ~/.ssh things follow the passwd home, as OpenSSH does, whatever $HOME says.
  const sshDir = opts.sshHome ?? opts.home ?? sshHome();
  const sshAbs = (p: string) => expandPath(p, configDir, sshDir);
  const stateDir = config.paths.state_dir ? abs(config.paths.state_dir) : defaultStateDir(opts);
  // A config that names its state dir keeps everything there; otherwise the machine-wide dir (when
  // set up) holds what must be shared across OS users: locks, approvals, the audit log.
  const system = config.paths.state_dir ? undefined : systemStateDirInUse(opts.env ?? process.env);
  const paths: ResolvedPaths = {
    stateDir,
    locksDir: join(system ?? stateDir, 'locks'),
    auditLog: config.paths.audit_log ? abs(config.paths.audit_log) : join(system ?? stateDir, 'emergency.log'),
    journalDir: config.paths.journal_dir ? abs(config.paths.journal_dir) : join(stateDir, 'journal'),
    snapshotsDir: config.paths.snapshots_dir ? abs(config.paths.snapshots_dir) : join(stateDir, 'snapshots'),
    incidentsDir: config.paths.incidents_dir ? abs(config.paths.incidents_dir) : join(stateDir, 'incidents'),
    knownHosts: config.paths.known_hosts ? sshAbs(config.paths.known_hosts) : join(sshDir, '.ssh', 'known_hosts'),
    approvalsDir: config.paths.approvals_dir ? abs(config.paths.approvals_dir) : system ? join(system, 'approvals') : DEFAULT_APPROVALS_DIR,
  };
  const resolved: Config = {
    ...config,
    hosts: config.hosts.map((h) => ({
      ...h,
      ...(h.identity_file !== undefined ? { identity_file: sshAbs(h.identity_file) } : {}),
      ...(h.known_hosts !== undefined ? { known_hosts: typeof h.known_hosts === 'string' ? sshAbs(h.known_hosts) : h.known_hosts.map(sshAbs) } : {}),
    })),
    runbooks: config.runbooks.map(abs),
    checklists: config.checklists.map(abs),
    notifications: {
      ...config.notifications,
      webhooks: config.notifications.webhooks.map((w) => ({ ...w, ...(w.url_file !== undefined ? { url_file: abs(w.url_file) } : {}) })),
    },
    paths: {
      state_dir: paths.stateDir,
      audit_log: paths.auditLog,
      journal_dir: paths.journalDir,
      snapshots_dir: paths.snapshotsDir,
      incidents_dir: paths.incidentsDir,
      known_hosts: paths.knownHosts,
      approvals_dir: paths.approvalsDir,
      ...(config.paths.ssh_config !== undefined ? { ssh_config: sshAbs(config.paths.ssh_config) } : {}),
    },
  };
  return { config: resolved, paths };
}

/**
 * Validates config text. `file` is how messages name the file (the path as the operator gave it).
 * Throws ConfigError listing every problem found.
 */
export function parseConfig(text: string, file: string, opts: PathOptions & { configDir?: string } = {}): { config: Config; paths: ResolvedPaths } {
  const result = validateYaml(text, file, configSchema);
  if (!result.ok) throw ConfigError.fromProblems(result.problems);
  const refs = crossReferenceProblems(result.data, result.source);
  if (refs.length) throw ConfigError.fromProblems(sortProblems(refs));
  return resolveAllPaths(result.data, opts.configDir ?? process.cwd(), opts);
}

/** Reads and validates the config file; throws ConfigError (exit code 2 in the CLI). */
export function loadConfig(path: string, opts: PathOptions = {}): LoadedConfig {
  return loadConfigAndText(path, opts).loaded;
}

/** loadConfig, with the exact text it validated (the key the validated-config cache is kept under). */
export function loadConfigAndText(path: string, opts: PathOptions = {}): { loaded: LoadedConfig; text: string } {
  const absolute = resolve(path);
  const text = readConfigText(absolute);
  const { config, paths } = parseConfig(text, path, { ...opts, configDir: dirname(absolute) });
  const warnings = configWarnings({ path: absolute, config });
  return { loaded: { path: absolute, config, paths, ...(warnings.length ? { warnings } : {}) }, text };
}


export type { YamlPath };
