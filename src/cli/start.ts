// The program's first module (bin/doai-console.js imports dist/start.js). The bare console on a
// terminal, with a server's socket where it looks for one, starts as the cached attached console
// (src/cli/code-cache.ts): its first frame without compiling Ink, React and the screens again.
// Everything else, and that console whenever it does not apply after all (no config validated
// before, the socket does not answer), is the full CLI (dist/cli.js), started from its beginning.
import { chooseServer } from '../attach/choose';
import { plainConsoleFlags } from './console-flags';
import { runCachedConsole } from './code-cache';

const argv = process.argv.slice(2);

/** The bare console on a terminal, and a server's socket where it would attach. Cheap: no config read. */
function attachedConsoleLikely(): boolean {
  if (!process.stdout.isTTY || !process.stdin.isTTY) return false;
  const flags = plainConsoleFlags(argv);
  if (!flags) return false;
  try {
    return chooseServer(flags).mode === 'attach';
  } catch {
    return false;
  }
}

const code = attachedConsoleLikely() ? await runCachedConsole(argv) : undefined;
if (code === undefined) {
  await import(new URL('./cli.js', import.meta.url).href);
} else {
  process.exitCode = code;
  // Keep-alive sockets must not keep a finished console alive (as dist/cli.js does).
  setTimeout(() => process.exit(code), 50).unref();
}
