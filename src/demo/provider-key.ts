// The demo's fake provider API key lives in an owner-only file beside the demo config. One
// reader for every caller, so none of them can skip the mode check (R-SEC-3): a key readable by
// other users is refused, never used quietly.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEMO_FILES } from './layout';

/** The key file exists but must not be used; the message says what to do. */
export class DemoProviderKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoProviderKeyError';
  }
}

export function demoProviderKeyPath(configPath: string): string {
  return join(dirname(configPath), DEMO_FILES.providerKey);
}

/**
 * The key from the file beside the demo config at configPath; undefined when there is no file
 * (or it is empty). Throws DemoProviderKeyError when the file is readable by group or others,
 * is not a regular file, or cannot be read.
 */
export function readDemoProviderKey(configPath: string): string | undefined {
  const file = demoProviderKeyPath(configPath);
  let fd: number;
  try {
    // O_NOFOLLOW + fstat: the bits checked are those of the file then read, not of a link target swapped in.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return undefined;
    throw new DemoProviderKeyError(`cannot read the demo provider key ${file} (${code}): restart \`doai-console demo --serve\` to write a new one`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new DemoProviderKeyError(`the demo provider key ${file} is not a regular file: remove it and restart \`doai-console demo --serve\``);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new DemoProviderKeyError(
        `the demo provider key ${file} is readable by other users (mode ${mode}), so it is not used: run \`chmod 600 ${file}\` and start again`,
      );
    }
    return readFileSync(fd, 'utf8').trim() || undefined;
  } finally {
    closeSync(fd);
  }
}
