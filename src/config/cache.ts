// The validated config, kept by the exact text it was validated from (issue 8, first frame).
// Loading YAML and zod and checking the file is ~60 ms of every start of the console; an operator
// opens the same config again and again, so the console keeps the result in
// $XDG_CACHE_HOME/doai-console/config/ (owner-only) and uses it only when the key matches: the same
// build, the same config path, the same text byte for byte, the same home and XDG_STATE_HOME (the
// inputs of path resolution). Anything else (a changed file, a new build, an unreadable or foreign
// cache file) is a miss and the config is validated as always. No YAML or zod here: a hit must not
// load them. The config holds no secrets (webhook URLs and API keys are named, never inline).
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { LoadedConfig } from './load';
import { systemStateDirInUse, type Env } from './paths';

// Replaced at bundle time with a hash of the sources and the lock file. Unbundled (tests) there is
// no build to key on, so nothing is cached unless a test passes its own id.
declare const __DOAI_BUILD_ID__: string | undefined;
export const BUILD_ID: string | undefined = typeof __DOAI_BUILD_ID__ === 'string' ? __DOAI_BUILD_ID__ : undefined;

export interface ConfigCacheOptions {
  env?: Env;
  home?: string;
  /** Overrides the bundle's build id (tests). */
  buildId?: string;
}

/** $XDG_CACHE_HOME/doai-console (~/.cache/doai-console): this user's caches, none of them state. */
export function userCacheDir(opts: ConfigCacheOptions = {}): string {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(base, 'doai-console');
}

export function configCacheDir(opts: ConfigCacheOptions = {}): string {
  return join(userCacheDir(opts), 'config');
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function cacheKey(buildId: string, absPath: string, text: string, opts: ConfigCacheOptions): string {
  const env = opts.env ?? process.env;
  // Where locks, approvals and the audit log go depends on the system state dir being set up.
  return sha256(JSON.stringify([buildId, absPath, opts.home ?? homedir(), env.XDG_STATE_HOME ?? '', systemStateDirInUse(env) ?? '', text]));
}

export function cacheFile(absPath: string, opts: ConfigCacheOptions): string {
  return join(configCacheDir(opts), `${sha256(absPath).slice(0, 40)}.json`);
}

/** Written by this user and by nobody else: owned by us, not writable by group or others. */
function ownedAndPrivate(st: Stats): boolean {
  const uid = process.getuid?.();
  return st.isFile() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/**
 * A cache file's bytes when this user wrote them and nobody else could have (ownedAndPrivate);
 * undefined when it is missing, unreadable or not so. O_NOFOLLOW: a symlink planted in its place is
 * not followed. Shared by the config cache and the code cache (src/cli/code-cache.ts).
 */
export function readPrivateCacheFile(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!ownedAndPrivate(fstatSync(fd))) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The validated config for exactly this text, or undefined (validate it the usual way). */
export function readCachedConfig(absPath: string, text: string, opts: ConfigCacheOptions = {}): LoadedConfig | undefined {
  const buildId = opts.buildId ?? BUILD_ID;
  if (!buildId) return undefined;
  const bytes = readPrivateCacheFile(cacheFile(absPath, opts));
  if (!bytes) return undefined;
  try {
    const entry = JSON.parse(bytes.toString('utf8')) as { key?: unknown; loaded?: LoadedConfig };
    if (entry.key !== cacheKey(buildId, absPath, text, opts) || entry.loaded?.path !== absPath) return undefined;
    return entry.loaded;
  } catch {
    return undefined;
  }
}
