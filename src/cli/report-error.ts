// How a command that failed says so, and its exit code: shared by the CLI (main) and the
// console's fast start, which must report exactly alike. By error name, not class: the fast start
// does not load the modules that define ConfigError and the loaders' errors.
import { EXIT_USAGE, UserError } from './exit';

export function reportError(err: unknown): number {
  const e = err as (Error & { exitCode?: number }) | undefined;
  if (e?.name === 'ConfigError') {
    process.stderr.write(`doai-console: invalid config\n${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e?.name === 'DemoControlError' || e?.name === 'RunbookLoadError' || e?.name === 'ChecklistLoadError' || e?.name === 'StarterConfigError') {
    process.stderr.write(`doai-console: ${e.message}\n`);
    return EXIT_USAGE;
  }
  // By name too: the standalone console's server core comes from another bundle than its first
  // frame (src/cli/code-cache.ts), so its UserError is another class of the same name.
  if (err instanceof UserError) {
    process.stderr.write(err.message + '\n');
    return err.exitCode;
  }
  if (e?.name === 'UserError' && typeof e.exitCode === 'number') {
    process.stderr.write(e.message + '\n');
    return e.exitCode;
  }
  if (e?.name === 'SshError') {
    process.stderr.write(`doai-console: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`doai-console: unexpected error: ${e?.stack ?? String(err)}\n`);
  return 1;
}
