// Writes the validated-config cache that src/config/cache.ts reads. Its own module, loaded only by
// the commands that validate and keep a config: the reader (fast start, every command) and the wall
// screen never load a file writer (R-UI-2).
import { keepNewest, writeFileAtomic } from '../core/atomic-file';
import { BUILD_ID, cacheFile, cacheKey, configCacheDir, type ConfigCacheOptions } from './cache';
import type { LoadedConfig } from './load';

/** Cache files kept; the oldest go first (each config path has one file). */
const KEEP = 32;

/**
 * Keeps a config just validated from `text`. Best effort: a read-only or full home only means the
 * next start validates again, so every failure is swallowed. Atomic (src/core/atomic-file.ts): a
 * console killed mid-write leaves the old entry or none, never half a file.
 */
export function writeCachedConfig(loaded: LoadedConfig, text: string, opts: ConfigCacheOptions = {}): void {
  const buildId = opts.buildId ?? BUILD_ID;
  if (!buildId) return;
  try {
    writeFileAtomic(cacheFile(loaded.path, opts), JSON.stringify({ key: cacheKey(buildId, loaded.path, text, opts), loaded }));
    // One file per config path ever opened: keep the KEEP most recently written.
    keepNewest(configCacheDir(opts), KEEP, (n) => n.endsWith('.json'));
  } catch {
    // the next start validates again
  }
}
