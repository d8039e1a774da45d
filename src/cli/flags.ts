// Flags every command takes, and config loading from them: light enough for every command.
import { loadConfig, resolveConfigPath, type LoadedConfig } from '../config/load';

export interface CommonFlags {
  config?: string;
  lang?: string;
  acceptNew?: boolean;
}

/**
 * Loads the config; warnings (an empty fleet) go to stderr, where a script's log keeps them.
 * Commands that never look at the fleet (report, stats) pass `fleet: false`: a warning about
 * hosts there is noise on a line a script may parse.
 */
export function loadFromFlags(flags: CommonFlags, opts: { fleet?: boolean } = {}): LoadedConfig {
  const loaded = loadConfig(resolveConfigPath({ flag: flags.config }));
  if (opts.fleet !== false) for (const w of loaded.warnings ?? []) process.stderr.write(`${w}\n`);
  return loaded;
}
