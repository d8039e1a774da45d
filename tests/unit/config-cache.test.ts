// The validated-config cache behind the console's fast start: a hit only for the same build, path,
// text, home and XDG_STATE_HOME; a foreign, loose, linked or broken cache file is a miss; writing
// never fails the console; old entries are pruned.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigAndText } from '../../src/config/load';
import { configCacheDir, readCachedConfig, type ConfigCacheOptions } from '../../src/config/cache';
import { writeCachedConfig } from '../../src/config/cache-write';
import { plainConsoleFlags } from '../../src/cli/fast-start';

let dir: string;
let opts: { env: Record<string, string>; home: string; buildId: string };

const TEXT = `hosts:
  - { name: vm, address: 127.0.0.1 }
services:
  - { name: api, host: vm, unit: api, health_url: "http://127.0.0.1:9/health" }
paths:
  state_dir: ./state
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-config-cache-'));
  opts = { env: { XDG_CACHE_HOME: join(dir, 'cache'), XDG_STATE_HOME: '/var/tmp/state-a' }, home: '/home/tester', buildId: 'build-1' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function configFile(text = TEXT): string {
  const p = join(dir, 'console.yaml');
  writeFileSync(p, text);
  return p;
}

function cached(path: string, text = TEXT, o: ConfigCacheOptions = opts) {
  return readCachedConfig(path, text, o);
}

function only(): string {
  const files = readdirSync(configCacheDir(opts));
  expect(files).toHaveLength(1);
  return join(configCacheDir(opts), files[0]!);
}

describe('validated-config cache', () => {
  it('gives back exactly what was validated, for the same text; owner-only files', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    expect(cached(loaded.path)).toBeUndefined();
    writeCachedConfig(loaded, text, opts);
    expect(cached(loaded.path)).toEqual(loaded);
    expect(statSync(configCacheDir(opts)).mode & 0o777).toBe(0o700);
    expect(statSync(only()).mode & 0o777).toBe(0o600);
  });

  it('misses on one changed byte, another build, path, home or XDG_STATE_HOME', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    writeCachedConfig(loaded, text, opts);
    expect(cached(loaded.path, text.replace('api', 'apj'))).toBeUndefined();
    expect(cached(loaded.path, text, { ...opts, buildId: 'build-2' })).toBeUndefined();
    expect(cached(loaded.path, text, { ...opts, home: '/home/other' })).toBeUndefined();
    expect(cached(loaded.path, text, { ...opts, env: { ...opts.env, XDG_STATE_HOME: '/var/tmp/state-b' } })).toBeUndefined();
    // The same entry moved under another config path's name is not taken for it.
    const other = join(dir, 'other.yaml');
    writeFileSync(other, text);
    writeCachedConfig({ ...loaded, path: other }, text, opts);
    const files = readdirSync(configCacheDir(opts)).map((f) => join(configCacheDir(opts), f));
    const [a, b] = files;
    renameSync(a!, `${a}.x`);
    renameSync(b!, a!);
    renameSync(`${a}.x`, b!);
    expect(cached(loaded.path)).toBeUndefined();
    expect(cached(other)).toBeUndefined();
  });

  it('without a build id (not the bundle) nothing is written or read', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    const unbuilt = { env: opts.env, home: opts.home };
    writeCachedConfig(loaded, text, unbuilt);
    expect(existsSync(configCacheDir(opts))).toBe(false);
    writeCachedConfig(loaded, text, opts);
    expect(cached(loaded.path, text, unbuilt)).toBeUndefined();
  });

  it('a cache file others can write, a symlink, or one owned by another user is not trusted', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    writeCachedConfig(loaded, text, opts);
    const file = only();
    chmodSync(file, 0o620);
    expect(cached(loaded.path)).toBeUndefined();
    chmodSync(file, 0o602);
    expect(cached(loaded.path)).toBeUndefined();
    chmodSync(file, 0o600);
    expect(cached(loaded.path)).toEqual(loaded);

    const real = join(dir, 'elsewhere.json');
    renameSync(file, real);
    symlinkSync(real, file);
    expect(cached(loaded.path)).toBeUndefined();
    rmSync(file);
    renameSync(real, file);

    if (process.getuid?.() === 0) {
      chownSync(file, 65534, 65534);
      expect(cached(loaded.path)).toBeUndefined();
    }
  });

  it('a torn or garbled cache file is a miss, and the next write replaces it', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    writeCachedConfig(loaded, text, opts);
    const file = only();
    writeFileSync(file, '{"key":"', { mode: 0o600 });
    expect(cached(loaded.path)).toBeUndefined();
    writeCachedConfig(loaded, text, opts);
    expect(cached(loaded.path)).toEqual(loaded);
    expect(readdirSync(configCacheDir(opts)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a cache folder that cannot be written costs nothing but the cache', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    writeFileSync(join(dir, 'not-a-dir'), '');
    const blocked = { ...opts, env: { ...opts.env, XDG_CACHE_HOME: join(dir, 'not-a-dir') } };
    expect(() => writeCachedConfig(loaded, text, blocked)).not.toThrow();
    expect(cached(loaded.path, text, blocked)).toBeUndefined();
  });

  it('keeps the 32 most recent entries', () => {
    const { loaded, text } = loadConfigAndText(configFile(), opts);
    mkdirSync(configCacheDir(opts), { recursive: true });
    for (let i = 0; i < 40; i++) writeCachedConfig({ ...loaded, path: join(dir, `c${i}.yaml`) }, text, opts);
    expect(readdirSync(configCacheDir(opts))).toHaveLength(32);
    expect(cached(join(dir, 'c39.yaml'))).toBeDefined();
  });
});

describe('which command lines take the fast start', () => {
  it('only the bare console with --config and --lang, each once', () => {
    expect(plainConsoleFlags([])).toEqual({});
    expect(plainConsoleFlags(['--config', 'a.yaml'])).toEqual({ config: 'a.yaml' });
    expect(plainConsoleFlags(['-c', 'a.yaml', '--lang', 'ko'])).toEqual({ config: 'a.yaml', lang: 'ko' });
    expect(plainConsoleFlags(['--lang=en', '--config=/x/a.yaml'])).toEqual({ config: '/x/a.yaml', lang: 'en' });
    // Attaching to a server (the demo's second-terminal command) starts as fast.
    expect(plainConsoleFlags(['--config', 'a.yaml', '--socket', '/run/x/console.sock', '--lang', 'en'])).toEqual({ config: 'a.yaml', socket: '/run/x/console.sock', lang: 'en' });
    for (const argv of [
      ['status'],
      ['demo'],
      ['--accept-new'],
      ['--config'],
      ['--config', '--lang', 'en'],
      ['--config='],
      ['--lang', 'fr'],
      ['--config', 'a', '--config', 'b'],
      ['-c=a.yaml'],
      ['--help'],
      ['-V'],
      ['--config', 'a.yaml', 'watch'],
      ['--socket', 'a.sock', '--socket', 'b.sock'],
      ['--socket'],
      ['--standalone'],
    ])
      expect(plainConsoleFlags(argv), argv.join(' ')).toBeUndefined();
  });
});
