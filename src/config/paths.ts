// Where the config file is and where state goes: no YAML or zod here, so the console's fast start
// (src/cli/fast-start.ts) can find the config without loading the validator.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export interface PathOptions {
  env?: Env;
  /** Home directory (tests); defaults to os.homedir(). */
  home?: string;
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

