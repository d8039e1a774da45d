// V8's code cache for the console (issue 13, first frame). Most of a console's start is V8 parsing
// and compiling the same ~1 MB of Ink, React and screens, every time. Node 20 keeps no compiled
// code for ES modules, so the console's path to its first frame (the fast start: attached, or
// standalone up to its first frame) is also built as one classic script (dist/console.js,
// scripts/script-wrap.mjs) that node:vm compiles with the code V8 produced for it at an earlier
// start: V8 then checks and deserialises instead of parsing and compiling. What a standalone
// console builds after its first frame (the server's core: engine, runbooks, SSH) is not in it:
// it loads as it always has, from the CLI's modules (dist/standalone-core.js), through import()
// here, which the script cannot call itself (Node 20 drops vm's import callback for a script
// that comes from the code cache).
//
// The cache is this user's, in $XDG_CACHE_HOME/doai-console/code/ (owner-only, as the config
// cache beside it), named by a SHA-256 of the bytes just read (~1 ms) and by the Node version and
// CPU: a new build or a new Node is a new file, never code compiled from other text (V8 itself
// only compares the text's length). V8 also checks its own version and flags and rejects a cache
// that does not match (the start is then as without one).
// The file is read only if this user owns it and nobody else can write it, never through a
// symlink: compiled code is code. It is written once, a second after the first frame is on the
// terminal (so it holds what drawing compiled too), atomically, when there was none or V8 rejected
// it; any failure (a read-only home) only means the next start compiles again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { readPrivateCacheFile, userCacheDir, type ConfigCacheOptions } from '../config/cache';
import { keepNewest, writeFileAtomic } from '../core/atomic-file';
import { traceStartup } from '../core/startup-trace';

/** Code cache files kept (builds and Node versions an operator switches between); the oldest go first. */
const KEEP = 4;

export function codeCacheDir(opts: ConfigCacheOptions = {}): string {
  return join(userCacheDir(opts), 'code');
}

export function codeCacheFile(scriptHash: string, opts: ConfigCacheOptions = {}): string {
  return join(codeCacheDir(opts), `console-${scriptHash}-${process.version}-${process.arch}.bin`);
}

/** Writes the cache; false when it could not (a read-only home): the next start compiles again. */
export function writeCodeCache(path: string, data: Uint8Array): boolean {
  try {
    writeFileAtomic(path, data);
    keepNewest(dirname(path), KEEP, (n) => /^console-.*\.bin$/.test(n));
    return true;
  } catch {
    return false;
  }
}

export interface CachedScriptStart {
  /** Whether V8 took the cached code; with none yet (or none trusted), or one it rejected, keep() writes one. */
  cache: 'used' | 'rejected' | 'none';
  /** The script's exports. */
  exports: Record<string, unknown>;
  /** Writes the cache when this start compiled afresh; a no-op when the cached code was used. */
  keep(): void;
}

/** Compiles and runs a script written by scripts/script-wrap.mjs, with its code cache; undefined when it is missing. */
export async function startCachedScript(file: string, opts: ConfigCacheOptions = {}): Promise<CachedScriptStart | undefined> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const source = bytes.toString('utf8');
  let cachePath: string | undefined;
  try {
    cachePath = codeCacheFile(createHash('sha256').update(bytes).digest('hex').slice(0, 32), opts);
  } catch {
    // No home to keep it in (no HOME and no passwd entry): every start compiles.
  }
  const cachedData = cachePath === undefined ? undefined : readPrivateCacheFile(cachePath);
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used';
  traceStartup(`code cache ${cache}`);
  const run = script.runInThisContext() as (req: NodeJS.Require, url: string, importModule: (specifier: string) => Promise<unknown>) => Promise<Record<string, unknown>>;
  // The script's import() of a package or of a file beside it (an absolute file: URL by then).
  const exports = await run(createRequire(file), pathToFileURL(file).href, (specifier) => import(specifier));
  const keep = (): void => {
    if (cache === 'used') return;
    traceStartup(cachePath !== undefined && writeCodeCache(cachePath, script.createCachedData()) ? 'code cache written' : 'code cache not written');
  };
  return { cache, exports, keep };
}

type FastConsole = (argv: readonly string[], hooks: { onFirstFrame?: () => void }) => Promise<number | undefined>;

/**
 * The console's fast start from dist/console.js with its code cache (src/cli/fast-start.ts): its
 * exit code, or undefined when it does not apply here (then nothing was drawn or opened, and the
 * full CLI starts instead).
 */
export async function runCachedConsole(argv: readonly string[]): Promise<number | undefined> {
  const file = fileURLToPath(new URL('./console.js', import.meta.url));
  const started = await startCachedScript(file);
  if (!started) return undefined;
  const run = started.exports.fastConsole as FastConsole;
  // A second after the first frame: what drawing compiled is in the cache, and the operator's
  // first keys are not kept waiting by it (serialising takes a few milliseconds).
  return run(argv, started.cache === 'used' ? {} : { onFirstFrame: () => setTimeout(started.keep, 1000).unref() });
}
