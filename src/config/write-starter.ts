// `doai-console init`: the commented starter config, written once. Its own module so the
// commands that only read the config (the wall screen above all) never load a file writer.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file';
import { starterConfig } from './starter';

/** `init` could not write (the file exists, or the disk refused): not an invalid config. */
export class StarterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StarterConfigError';
  }
}

/**
 * Writes the starter config for `doai-console init`: refuses to overwrite an existing file
 * unless forced, creates the directory, mode 0600, atomically (a crash leaves no half file).
 */
export function writeStarterConfig(path: string, opts: { force?: boolean } = {}): string {
  const absolute = resolve(path);
  if (existsSync(absolute) && !opts.force)
    throw new StarterConfigError(`config file already exists: ${absolute} — edit it, or run \`doai-console init --force\` to replace it with the starter config`);
  try {
    writeFileAtomic(absolute, starterConfig());
  } catch (err) {
    throw new StarterConfigError(`cannot write config file ${absolute}: ${(err as Error).message}`);
  }
  return absolute;
}
