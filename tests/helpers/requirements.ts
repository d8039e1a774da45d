// What some suites need from the machine. `.ci/run` installs all of it and runs as root; on a
// machine without it, the suite that needs it fails at load with what to install or how to run it.
// A suite never skips itself: a green run always means every test ran.
import { existsSync } from 'node:fs';

/** Throws, naming what to install, when any of `paths` is missing. */
export function requireTools(paths: readonly string[], install: string): void {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`this suite needs ${missing.join(', ')}: ${install} (.ci/run installs it)`);
}

/** Throws unless running as root (suites that start processes as other OS users). */
export function requireRoot(why: string): void {
  const uid = process.getuid?.();
  if (uid !== 0) throw new Error(`this suite must run as root (uid ${uid}): ${why} (.ci/run runs as root)`);
}
