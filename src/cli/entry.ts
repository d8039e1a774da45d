// `--version` answers before the CLI's modules load (commander, zod, yaml: ~1 MB of bundle);
// everything else goes through main.
import { VERSION } from './version';

const argv = process.argv.slice(2);
let code: number;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
  code = 0;
} else {
  // The plain `doai-console [--config X] [--lang L]` with a config validated before starts without
  // the CLI parser and the validator; anything else, or a miss, goes through main.
  const { fastConsole } = await import('./fast-start');
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
