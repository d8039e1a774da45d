// The attached console's script and its V8 code cache (src/cli/code-cache.ts, scripts/
// script-wrap.mjs): an ES module bundle, as esbuild writes it, becomes a script that runs alike;
// its compiled code is kept by the exact text, used only when this user wrote it and nobody else
// could, and a cache V8 does not take is replaced, never trusted. Each start is a new Node process
// (in one process V8's in-memory compilation cache would answer instead of the file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeCacheDir } from '../../src/cli/code-cache';
// @ts-expect-error: a build script (plain .mjs, no types)
import { wrapAsScript } from '../../scripts/script-wrap.mjs';

const wrap = wrapAsScript as (bundle: string) => string;

let dir = '';
let runner = '';
const opts = () => ({ env: { XDG_CACHE_HOME: join(dir, 'cache') }, home: join(dir, 'home') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-code-cache-'));
  // What the scripts import() at run time: a module beside them, and a package in node_modules.
  writeFileSync(join(dir, 'beside.mjs'), "export const beside = 'B';\n");
  mkdirSync(join(dir, 'node_modules', 'semver-like-package'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'semver-like-package', 'package.json'), JSON.stringify({ name: 'semver-like-package', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'node_modules', 'semver-like-package', 'index.js'), 'exports.major = 1;\n');
  // A process that starts a script as the console's start module does, and reports what it saw.
  runner = join(dir, 'runner.mjs');
  await build({
    stdin: {
      contents: `
        import { startCachedScript } from ${JSON.stringify(resolve(__dirname, '../../src/cli/code-cache.ts'))};
        const [file, xdg, keep] = process.argv.slice(2);
        // 'nohome': as where os.homedir() throws (no HOME and no passwd entry for the uid).
        const opts = xdg === 'nohome' ? { env: {}, get home() { throw new Error('ENOENT: no home directory'); } } : { env: { XDG_CACHE_HOME: xdg }, home: '/nonexistent' };
        const s = await startCachedScript(file, opts);
        const facts = s.exports.facts();
        const later = await s.exports.later();
        if (keep === 'keep') s.keep();
        process.stdout.write(JSON.stringify({ cache: s.cache, here: s.exports.here, facts, later }));
      `,
      loader: 'ts',
      resolveDir: dir,
    },
    outfile: runner,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  cache: 'used' | 'rejected' | 'none';
  here: string;
  facts: Record<string, unknown>;
  later: string;
}

function start(file: string, o: { keep?: boolean; xdg?: string } = {}): Started {
  const out = execFileSync(process.execPath, [runner, file, o.xdg ?? opts().env.XDG_CACHE_HOME, o.keep ? 'keep' : ''], { encoding: 'utf8' });
  return JSON.parse(out) as Started;
}

/** A module set that uses every import form esbuild writes for node: built-ins, a top-level await, import.meta.url, dynamic import. */
async function bundleText(marker: string): Promise<string> {
  const out = await build({
    stdin: {
      contents: `
        import { join as joinPath } from 'node:path';
        import fs, { existsSync } from 'node:fs';
        import * as os from 'node:os';
        import { EventEmitter } from 'node:events';
        import 'node:process';
        const wait = await new Promise((r) => setTimeout(() => r(${JSON.stringify(marker)}), 1));
        export const here = import.meta.url;
        export function facts() {
          return { joined: joinPath('a', 'b'), exists: existsSync(new URL(import.meta.url)), readable: typeof fs.readFileSync, eol: os.EOL, emitter: new EventEmitter() instanceof EventEmitter, wait };
        }
        export async function later() {
          const { sep } = await import('node:path');
          const { beside } = await import('./beside.mjs');
          const { major } = await import('semver-like-package');
          return sep + beside + major;
        }
      `,
      loader: 'ts',
      resolveDir: dir,
    },
    bundle: true,
    // Loaded at run time by the loader's own import(): a file beside the script, and a package.
    external: ['./beside.mjs', 'semver-like-package'],
    write: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

const cacheFiles = () => (existsSync(codeCacheDir(opts())) ? readdirSync(codeCacheDir(opts())).filter((n) => n.endsWith('.bin')) : []);

describe('script-wrap: an ES module bundle as a classic script', () => {
  it('runs alike: built-ins under every import form, top-level await, import.meta.url, import() of a built-in, a file beside it and a package, its exports', async () => {
    const file = join(dir, 'alike.js');
    writeFileSync(file, wrap(await bundleText('waited')));
    const s = start(file, { xdg: join(dir, 'cache-alike') });
    expect(s.here).toBe(pathToFileURL(file).href);
    expect(s.facts).toEqual({ joined: 'a/b', exists: true, readable: 'function', eol: '\n', emitter: true, wait: 'waited' });
    expect(s.later).toBe('/B1');
  });

  it('refuses what a script cannot do as a module does: a package import, another use of import.meta', () => {
    expect(() => wrap('import { Client } from "ssh2";\nexport { Client };\n')).toThrow(/module-only line: import \{ Client \} from "ssh2"/);
    expect(() => wrap('const d = import.meta.dirname;\nexport { d };\n')).toThrow(/module-only line: import\.meta\.dirname/);
    expect(() => wrap('const name = "x";\nconst m = () => import(name);\nexport { m };\n')).toThrow(/module-only line: import\(name\)/);
  });
});

describe('the code cache', () => {
  let file = '';
  const cachePath = () => join(codeCacheDir(opts()), cacheFiles()[0]!);
  beforeAll(async () => {
    file = join(dir, 'console.js');
    writeFileSync(file, wrap(await bundleText('cached')));
  });

  it('the first start compiles and keeps the code (owner-only); the next start uses it and runs the same', () => {
    expect(start(file).cache).toBe('none');
    expect(cacheFiles()).toEqual([]);
    expect(start(file, { keep: true }).cache).toBe('none');
    expect(cacheFiles()).toHaveLength(1);
    expect(cacheFiles()[0]).toMatch(new RegExp(`^console-[0-9a-f]{32}-${process.version}-${process.arch}\\.bin$`));
    expect(statSync(cachePath()).mode & 0o777).toBe(0o600);
    expect(statSync(codeCacheDir(opts())).mode & 0o777).toBe(0o700);

    const before = statSync(cachePath()).mtimeMs;
    const second = start(file, { keep: true });
    expect(second.cache).toBe('used');
    expect(second.facts).toMatchObject({ joined: 'a/b', wait: 'cached' });
    // import() still works when the code came from the cache (Node 20 drops vm's callback then).
    expect(second.later).toBe('/B1');
    // Used as it is: not written again.
    expect(statSync(cachePath()).mtimeMs).toBe(before);
  });

  it('another text of the same length is another cache file: never code compiled from other text', () => {
    const other = join(dir, 'other.js');
    const text = readFileSync(file, 'utf8').replace('"cached"', '"CACHED"');
    expect(text.length).toBe(readFileSync(file, 'utf8').length);
    writeFileSync(other, text);
    const s = start(other);
    expect(s.cache).toBe('none');
    expect(s.facts.wait).toBe('CACHED');
  });

  it('a cache V8 does not take (garbage) is rejected, the script still runs, and the cache is replaced', () => {
    const path = cachePath();
    const size = statSync(path).size;
    writeFileSync(path, Buffer.alloc(size, 0x5a), { mode: 0o600 });
    const s = start(file, { keep: true });
    expect(s.cache).toBe('rejected');
    expect(s.facts.wait).toBe('cached');
    expect(readFileSync(path).every((b) => b === 0x5a)).toBe(false);
    expect(start(file).cache).toBe('used');
  });

  it('is not read when others could have written it, nor through a symlink', () => {
    const path = cachePath();
    chmodSync(path, 0o666);
    expect(start(file).cache).toBe('none');
    chmodSync(path, 0o600);
    expect(start(file).cache).toBe('used');

    const real = join(dir, 'elsewhere.bin');
    const bytes = readFileSync(path);
    writeFileSync(real, bytes, { mode: 0o600 });
    rmSync(path);
    symlinkSync(real, path);
    expect(start(file, { keep: true }).cache).toBe('none');
    // Written in its place: the link is replaced by a file; the file it pointed to is untouched.
    expect(statSync(path).isFile()).toBe(true);
    expect(readFileSync(real).equals(bytes)).toBe(true);
    expect(start(file).cache).toBe('used');
  });

  it('no home folder to keep it in: the script runs, nothing is kept, no error', () => {
    const s = start(file, { keep: true, xdg: 'nohome' });
    expect(s.cache).toBe('none');
    expect(s.facts.wait).toBe('cached');
  });

  it('a cache folder that cannot be written only means the next start compiles again', () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    const s = start(file, { keep: true, xdg: ro });
    expect(s.cache).toBe('none');
    expect(s.facts.wait).toBe('cached');
    // root writes anyway; anyone else gets nothing written, and no error.
    if (process.getuid?.() !== 0) expect(readdirSync(ro)).toEqual([]);
  });
});
