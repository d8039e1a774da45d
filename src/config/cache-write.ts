// Writes the validated-config cache that src/config/cache.ts reads. Its own module, loaded only by
// the commands that validate and keep a config: the reader (fast start, every command) and the wall
// screen never load a file writer (R-UI-2).
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file';
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
    prune(configCacheDir(opts));
  } catch {
    // the next start validates again
  }
}

/** One file per config path ever opened: keep the KEEP most recently written. */
function prune(dir: string): void {
  const files = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (files.length <= KEEP) return;
  const aged = files.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { n } of aged.slice(KEEP)) unlinkSync(join(dir, n));
}
