// Where the config file is and where state goes: no YAML or zod here, so the console's fast start
// (src/cli/fast-start.ts) can find the config without loading the validator.
import { statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export interface PathOptions {
  env?: Env;
  /** Home directory (tests); defaults to os.homedir(). */
  home?: string;
  /** Home for SSH paths (~/.ssh): the passwd entry's, as OpenSSH; default `home` when given, else sshHome(). */
  sshHome?: string;
}

/**
 * The home OpenSSH uses for ~/.ssh and `~` in its paths: the user's passwd entry, not $HOME
 * (ssh reads getpwuid(); `sudo -E`, cron and service managers often leave another $HOME).
 */
export function sshHome(): string {
  try {
    return userInfo().homedir || homedir();
  } catch {
    return homedir(); // no passwd entry for this uid (some containers)
  }
}

/** `~` and `~/x` expand to home; relative paths resolve against `base`. */
export function expandPath(p: string, base: string, home: string = homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(base, p);
}

/** `--config` flag, else DOAI_CONSOLE_CONFIG, else $XDG_CONFIG_HOME/doai-console/console.yaml. */
export function resolveConfigPath(opts: { flag?: string; env?: Env; home?: string; cwd?: string } = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const cwd = opts.cwd ?? process.cwd();
  if (opts.flag) return expandPath(opts.flag, cwd, home);
  if (env.DOAI_CONSOLE_CONFIG) return expandPath(env.DOAI_CONSOLE_CONFIG, cwd, home);
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(xdg, 'doai-console', 'console.yaml');
}

/** Default state directory: $XDG_STATE_HOME/doai-console or ~/.local/state/doai-console. */
export function defaultStateDir(opts: PathOptions = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const xdg = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(xdg, 'doai-console');
}


/** The machine-wide state dir: $DOAI_CONSOLE_SYSTEM_DIR (absolute) or /var/lib/doai-console. */
export function systemStateDir(env: Env = process.env): string {
  const dir = env.DOAI_CONSOLE_SYSTEM_DIR;
  return dir && isAbsolute(dir) ? resolve(dir) : '/var/lib/doai-console';
}

/**
 * The system state dir when it is set up (`doai-console init --system`: a setgid directory, group
 * doai-console): every console on the machine keeps its locks, approvals and audit log there, so
 * one recovery per target holds across OS users (R-RUN-7). Undefined when it is not set up.
 */
export function systemStateDirInUse(env: Env = process.env): string | undefined {
  const dir = systemStateDir(env);
  try {
    const st = statSync(dir);
    return st.isDirectory() && (st.mode & 0o2000) !== 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}
