// The program's first module (bin/doai-console.js imports dist/start.js). The bare console on a
// terminal starts from the cached script (src/cli/code-cache.ts): its first frame without
// compiling Ink, React and the screens again. Everything else, and that console whenever the fast
// start does not apply after all (a config not validated before), is the full CLI (dist/cli.js),
// started from its beginning.
import { plainConsoleFlags } from './console-flags';
import { runCachedConsole } from './code-cache';

const argv = process.argv.slice(2);

/** `doai-console [--config X] [--lang L] [--socket S]` on a terminal. Cheap: no file read. */
const bareConsole = process.stdout.isTTY === true && process.stdin.isTTY === true && plainConsoleFlags(argv) !== undefined;

const code = bareConsole ? await runCachedConsole(argv) : undefined;
if (code === undefined) {
  await import(new URL('./cli.js', import.meta.url).href);
} else {
  process.exitCode = code;
  // Keep-alive sockets must not keep a finished console alive (as dist/cli.js does).
  setTimeout(() => process.exit(code), 50).unref();
}
