// Flags every command takes, and config loading from them: light enough for every command.
import { loadConfig, resolveConfigPath, type LoadedConfig } from '../config/load';

export interface CommonFlags {
  config?: string;
  lang?: string;
  acceptNew?: boolean;
}

export function loadFromFlags(flags: CommonFlags): LoadedConfig {
  return loadConfig(resolveConfigPath({ flag: flags.config }));
}
