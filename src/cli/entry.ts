// `--version` answers before the CLI's modules load (commander, zod, yaml: ~1 MB of bundle);
// everything else goes through main.
import { VERSION } from './version';
import { traceStartup } from '../core/startup-trace';

traceStartup('entry');

// Output piped into a reader that stops early (`approve | head -3`): stop writing and exit quietly,
// as other command-line tools do, instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
let code: number;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
  code = 0;
} else {
  // The bare console on a terminal (no subcommand, no --help) is about to draw with Ink: start
  // loading its modules now, so their file reads and yoga's wasm compile overlap the fast-start
  // check instead of following it. The promise is not awaited here: whoever runs the console
  // imports the same module and gets it (or its error) then.
  const valueOf = new Set(['--config', '-c', '--lang', '--socket']);
  const bareConsole = process.stdout.isTTY && !argv.some((a, i) => a === '--help' || a === '-h' || (!a.startsWith('-') && !valueOf.has(argv[i - 1] ?? '')));
  if (bareConsole) import('./interactive').catch(() => {});
  // The plain `doai-console [--config X] [--lang L]` with a config validated before starts without
  // the CLI parser and the validator; anything else, or a miss, goes through main.
  const { fastConsole } = await import('./fast-start');
  traceStartup('fast-start loaded');
  const fast = await fastConsole(argv);
  if (fast !== undefined) code = fast;
  else {
    const { main } = await import('./main');
    code = await main(argv);
  }
}
process.exitCode = code;
// Keep-alive pools and SSH sockets must not keep a finished command alive.
setTimeout(() => process.exit(code), 50).unref();
