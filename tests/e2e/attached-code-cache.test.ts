// The console's code cache with the BUILT binary in a real terminal (issue 13, first frame;
// src/cli/code-cache.ts): the first start after a build goes through the full CLI (it validates
// the config), the next one runs dist/console.js and keeps V8's compiled code a second after its
// first frame, and every start after that uses it, attached or standalone (whose server core,
// loaded after the first frame, runs a dry run). A cache V8 will not take, or one others could
// have written, is never used: the console draws as always and writes a good one. A socket left
// by a killed server is said as the full CLI says it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, waitForProcessesGone } from '../helpers/cli';
import { startServer, waitUntil, type RunningServer } from '../helpers/console-server';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let base = '';
let config = '';
let socket = '';
let server: RunningServer | undefined;
let n = 0;
/** Every terminal a test opened: killed after each test, passed or not. */
const terms: TmuxSession[] = [];
const codeDir = () => join(base, 'cache', 'doai-console', 'code');
const cacheFiles = () => (existsSync(codeDir()) ? readdirSync(codeDir()).filter((f) => f.endsWith('.bin')) : []);

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'doai-code-cache-e2e-'));
  config = join(base, 'console.yaml');
  const services = Array.from({ length: 3 }, (_, i) => `  - { name: cache-svc-${i}, host: cc-host, unit: cache-svc-${i}, health_url: "http://127.0.0.1:9/health" }`).join('\n');
  writeFileSync(
    config,
    `hosts:\n  - { name: cc-host, address: 127.0.0.1, port: 9 }\nservices:\n${services}\n` +
      `paths:\n  state_dir: ${join(base, 'state')}\n  known_hosts: ${join(base, 'known_hosts')}\n`,
  );
  socket = join(base, 'run', 'console.sock');
  server = await startServer(config, socket);
}, 60_000);

afterEach(() => {
  for (const t of terms.splice(0)) t.kill();
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await waitForProcessesGone(base);
  rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

/** One console start in tmux: its screen once drawn, and its start-up trace. */
async function consoleStart(opts: { quit?: boolean; waitForCacheWrite?: boolean; standalone?: boolean } = {}): Promise<{ term: TmuxSession; screen: string; trace: () => string }> {
  const traceFile = join(base, `trace-${++n}.txt`);
  const term = startTmux(`node ${BIN} --config ${config}${opts.standalone ? '' : ` --socket ${socket}`} --lang en`, {
    cols: 120,
    rows: 30,
    env: { XDG_CACHE_HOME: join(base, 'cache'), DOAI_TRACE_STARTUP: traceFile, NO_COLOR: '1' },
  });
  terms.push(term);
  const trace = () => (existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : '');
  try {
    const screen = await term.waitFor(/cache-svc-2/, 30_000);
    expect(screen).toContain(opts.standalone ? 'standalone' : `attached to ${socket}`);
    if (opts.waitForCacheWrite) await waitUntil('the code cache written', () => /code cache (not )?written/.test(trace()), 15_000);
    if (opts.quit !== false) {
      term.send('q');
      expect(await term.waitFor(/\[exit \d+\]/, 15_000)).toContain('[exit 0]');
      term.kill();
    }
    return { term, screen, trace };
  } catch (err) {
    term.kill();
    throw err;
  }
}

describe('the attached console keeps its compiled code (built binary, tmux)', () => {
  it('first start: the full CLI; second: the script, which keeps its code; third: uses it and draws the same', async () => {
    const first = await consoleStart();
    // The config was never validated: the script gives way before drawing, the full CLI validates.
    expect(first.trace()).toMatch(/code cache none\n[\s\S]*entry\n/);
    expect(cacheFiles()).toEqual([]);

    const second = await consoleStart({ waitForCacheWrite: true });
    expect(second.trace()).toContain('code cache none');
    expect(second.trace()).not.toMatch(/^[\d.]+ entry$/m);
    expect(second.trace()).toContain('code cache written');
    const [file] = cacheFiles();
    expect(file).toMatch(/^console-[0-9a-f]{32}-v\d+\.\d+\.\d+-\w+\.bin$/);
    expect(statSync(join(codeDir(), file!)).mode & 0o777).toBe(0o600);

    const third = await consoleStart({ quit: false });
    expect(third.trace()).toContain('code cache used');
    expect(third.trace()).not.toMatch(/^[\d.]+ entry$/m);
    // Keys work in it: the help opens and closes, q leaves with 0.
    third.term.send('?');
    await third.term.waitFor(/^\s*Keys\b/m, 10_000);
    third.term.send('Escape');
    await third.term.waitFor(/cache-svc-2/, 10_000);
    third.term.send('q');
    expect(await third.term.waitFor(/\[exit \d+\]/, 15_000)).toContain('[exit 0]');
    third.term.kill();
    // A start that used the cache leaves it as it was.
    expect(third.trace()).not.toContain('code cache written');
    expect(cacheFiles()).toEqual([file]);
  }, 120_000);

  it('a cache V8 will not take is rejected and replaced; one others could write is not read', async () => {
    const [file] = cacheFiles();
    const path = join(codeDir(), file!);
    writeFileSync(path, Buffer.alloc(statSync(path).size, 0x41), { mode: 0o600 });
    const rejected = await consoleStart({ waitForCacheWrite: true });
    expect(rejected.trace()).toContain('code cache rejected');
    expect(rejected.trace()).toContain('code cache written');
    expect(readFileSync(path).every((b) => b === 0x41)).toBe(false);

    chmodSync(path, 0o622);
    const foreign = await consoleStart({ waitForCacheWrite: true });
    expect(foreign.trace()).toContain('code cache none');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await consoleStart()).trace()).toContain('code cache used');
  }, 120_000);

  it('standalone (no server): the same script draws the first frame, then loads the server core, which runs a dry run', async () => {
    const before = cacheFiles();
    const first = await consoleStart({ standalone: true, quit: false });
    // The cache the attached starts kept is the same script's: used here too.
    expect(first.trace()).toContain('code cache used');
    expect(first.trace()).not.toMatch(/^[\d.]+ entry$/m);
    expect(cacheFiles()).toEqual(before);
    const term = first.term;
    // The runbooks are the server core's: `b` says `starting…` until it has loaded, then opens them.
    await waitUntil(
      'the runbook picker',
      () => {
        if (/Runbooks for cache-svc-0 — \d+ of \d+/.test(term.screen())) return true;
        term.send('b');
        return false;
      },
      30_000,
      500,
    );
    term.send('d');
    await term.waitFor(/dry run: nothing ran/, 30_000);
    term.send('Escape');
    term.send('q');
    const left = await term.waitFor(/\[exit \d+\]|\(y\/n\)/, 15_000);
    if (/\(y\/n\)/.test(left)) term.send('y');
    expect(await term.waitFor(/\[exit \d+\]/, 15_000)).toContain('[exit 0]');
    term.kill();
    expect(existsSync(join(base, 'state', 'crash.log'))).toBe(false);
  }, 90_000);

  it('a socket left by a killed server: the console says the server is not running, as the full CLI does', async () => {
    await server!.stop('SIGKILL');
    server = undefined;
    expect(existsSync(socket)).toBe(true);
    const traceFile = join(base, 'trace-stale.txt');
    const term = startTmux(`node ${BIN} --config ${config} --socket ${socket} --lang en`, {
      cols: 120,
      rows: 30,
      env: { XDG_CACHE_HOME: join(base, 'cache'), DOAI_TRACE_STARTUP: traceFile },
    });
    terms.push(term);
    try {
      const screen = await term.waitFor(/\[exit \d+\]/, 30_000);
      expect(screen).toMatch(/server not running/);
      expect(screen).toContain('[exit 2]');
      expect(screen).not.toContain('cache-svc-2');
      // Said by the script itself: the same words and code as the full CLI (src/cli/report-error.ts).
      expect(readFileSync(traceFile, 'utf8')).toContain('code cache used');
    } finally {
      term.kill();
    }
  }, 60_000);
});
