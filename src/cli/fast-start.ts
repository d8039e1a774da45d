// The console's fast start (issue 8, time to first frame): `doai-console` with at most --config and
// --lang, on a terminal, with a config validated before by this build, goes straight to the
// console: no commander, no YAML parser, no zod (~70 ms). Everything else (another command or flag,
// a changed or missing config, no terminal) returns undefined and takes the full CLI, which
// validates, reports problems and refreshes the cache. This path never reports a usage or config
// problem itself, so there is one place that words them.
import { langOf, plainConsoleFlags, plainConsoleStart } from './console-flags';
import { reportError } from './report-error';
import { traceStartup } from '../core/startup-trace';

export { langOf, plainConsoleFlags };

/**
 * Runs the console when the fast start applies (its exit code), else undefined. Also the entry of
 * dist/console.js, the same path as one script compiled with V8's code cache (src/cli/code-cache.ts),
 * whose start module asks to hear when the first frame is on the terminal.
 */
export async function fastConsole(argv: readonly string[], hooks: { onFirstFrame?: () => void } = {}): Promise<number | undefined> {
  const start = plainConsoleStart(argv);
  if (!start) return undefined;
  traceStartup('config read');
  const { runInteractive } = await import('./interactive');
  traceStartup('interactive loaded');
  try {
    return await runInteractive(start.loaded, start.flags, { lang: langOf(start.flags), ...(hooks.onFirstFrame ? { onFirstFrame: hooks.onFirstFrame } : {}) });
  } catch (err) {
    return reportError(err);
  }
}
