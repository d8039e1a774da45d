// The plain console's command line, read without commander: shared by the fast start
// (src/cli/fast-start.ts), the start module that picks the cached attached console
// (src/cli/start.ts) and the full CLI, so all three read `--config`, `--lang` and `--socket` alike.
import { readFileSync } from 'node:fs';
import type { Lang } from '../core/views';
import { detectLang } from '../i18n/catalog';
import { readCachedConfig } from '../config/cache';
import type { LoadedConfig } from '../config/load';
import { resolveConfigPath } from '../config/paths';
import { terminalProblem } from '../watch/terminal';
import type { CommonFlags } from './flags';

export function langOf(flags: CommonFlags): Lang {
  if (flags.lang === 'ko' || flags.lang === 'en') return flags.lang;
  return detectLang(process.env);
}

/**
 * The flags when argv is only `--config <path>` / `-c <path>` / `--config=<path>`,
 * `--lang en|ko` / `--lang=en|ko` and `--socket <path>`, each at most once; otherwise undefined
 * (the full CLI parses it).
 */
export function plainConsoleFlags(argv: readonly string[]): (CommonFlags & { socket?: string }) | undefined {
  const flags: CommonFlags & { socket?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) return undefined;
    if ((name === '--config' || (name === '-c' && eq < 0)) && flags.config === undefined) flags.config = value;
    else if (name === '--lang' && flags.lang === undefined && (value === 'en' || value === 'ko')) flags.lang = value;
    // The server to attach to (the command the demo prints for a second terminal).
    else if (name === '--socket' && flags.socket === undefined) flags.socket = value;
    else return undefined;
  }
  return flags;
}

/**
 * The plain console on a terminal with a config this build validated before (read from the cache,
 * src/config/cache.ts): its flags and that config. Undefined when anything else applies; the full
 * CLI then parses, validates and says what is wrong.
 */
export function plainConsoleStart(argv: readonly string[]): { flags: CommonFlags & { socket?: string }; loaded: LoadedConfig } | undefined {
  const flags = plainConsoleFlags(argv);
  if (!flags || terminalProblem('console', { stdout: process.stdout, stdin: process.stdin })) return undefined;
  let path: string;
  let text: string;
  try {
    path = resolveConfigPath({ flag: flags.config });
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const loaded = readCachedConfig(path, text);
  return loaded ? { flags, loaded } : undefined;
}
