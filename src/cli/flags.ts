// Flags every command takes, and config loading from them: light enough for every command.
import { loadConfig, resolveConfigPath, type LoadedConfig } from '../config/load';

export interface CommonFlags {
  config?: string;
  lang?: string;
  acceptNew?: boolean;
}

/** Loads the config; warnings (an empty fleet) go to stderr, where a script's log keeps them. */
export function loadFromFlags(flags: CommonFlags): LoadedConfig {
  const loaded = loadConfig(resolveConfigPath({ flag: flags.config }));
  for (const w of loaded.warnings ?? []) process.stderr.write(`${w}\n`);
  return loaded;
}
