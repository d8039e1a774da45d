// The console's fast start (issue 8, time to first frame): `doai-console` with at most --config and
// --lang, on a terminal, with a config validated before by this build, goes straight to the
// console: no commander, no YAML parser, no zod (~70 ms). Everything else (another command or flag,
// a changed or missing config, no terminal) returns undefined and takes the full CLI, which
// validates, reports problems and refreshes the cache. This path never reports a usage or config
// problem itself, so there is one place that words them.
import { readFileSync } from 'node:fs';
import type { Lang } from '../core/views';
import { detectLang } from '../i18n/catalog';
import { readCachedConfig } from '../config/cache';
import { resolveConfigPath } from '../config/paths';
import { terminalProblem } from '../watch/terminal';
import type { CommonFlags } from './flags';
import { reportError } from './report-error';
import { traceStartup } from '../core/startup-trace';

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

/** Runs the console when the fast start applies (its exit code), else undefined. */
export async function fastConsole(argv: readonly string[]): Promise<number | undefined> {
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
  if (!loaded) return undefined;
  traceStartup('config read');
  const { runInteractive } = await import('./interactive');
  traceStartup('interactive loaded');
  try {
    return await runInteractive(loaded, flags, { lang: langOf(flags) });
  } catch (err) {
    return reportError(err);
  }
}
