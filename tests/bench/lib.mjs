// Shared pieces of the benchmarks: a pseudo-terminal per process (util-linux script(1)), ANSI
// stripping, statistics, bundling a TypeScript entry the way the CLI is bundled, CPU time of a pid,
// a free loopback port, a real `doai-console serve` and a loopback webhook receiver.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { devtoolsStub, requireBanner } from '../../scripts/esbuild-shared.mjs';

export const root = resolve(new URL('../..', import.meta.url).pathname);
// run.mjs points this at a private build (others may rebuild dist/ while the bench runs).
export let bin = join(root, 'bin/doai-console.js');
export function useBin(path) {
  bin = path;
}

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// CSI (colours, cursor moves, erase), OSC and two-byte escapes: what is left is the text drawn.
const ANSI = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
export function stripAnsi(s) {
  return s.replace(ANSI, '');
}

/**
 * A process in a pseudo-terminal of cols × rows. `out` grows with everything it writes (raw);
 * `waitFor(test, fromIndex, timeoutMs)` resolves with the time (performance.now()) the raw output
 * from `fromIndex` on first satisfied test(stripped text). Without CI in the environment: with CI
 * set (even empty) Ink writes only the final frame.
 */
export function startPty(cmd, { cols = 100, rows = 30, env = {} } = {}) {
  const { CI: _ci, ...baseEnv } = process.env;
  const child = spawn('script', ['-qfec', `stty cols ${cols} rows ${rows}; exec ${cmd}`, '/dev/null'], {
    env: { ...baseEnv, TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const pty = {
    child,
    out: '',
    bytes: 0,
    exited: false,
    waiters: new Set(),
    started: performance.now(),
    write(s) {
      child.stdin.write(s);
    },
    waitFor(test, fromIndex = 0, timeoutMs = 10_000) {
      return new Promise((resolvePromise, reject) => {
        const w = {
          check() {
            if (test(stripAnsi(pty.out.slice(fromIndex)))) {
              clearTimeout(w.timer);
              pty.waiters.delete(w);
              resolvePromise(performance.now());
              return true;
            }
            return false;
          },
          timer: setTimeout(() => {
            pty.waiters.delete(w);
            if (process.env.BENCH_DEBUG) writeFileSync(`/tmp/bench-pty-${child.pid}.log`, pty.out);
            reject(new Error(`not on screen within ${timeoutMs} ms; last output: ${JSON.stringify(stripAnsi(pty.out).slice(-1500))}`));
          }, timeoutMs),
        };
        if (!w.check()) pty.waiters.add(w);
      });
    },
    /** Ends the process group (script and what it runs). */
    kill(sig = 'SIGKILL') {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    },
    exitPromise: null,
  };
  pty.exitPromise = new Promise((r) => child.on('exit', () => {
    pty.exited = true;
    r();
  }));
  child.stdout.on('data', (d) => {
    pty.bytes += d.length;
    pty.out += d.toString('utf8');
    for (const w of [...pty.waiters]) w.check();
  });
  return pty;
}

/**
 * The console's caches in a folder of the bench's own (XDG_CACHE_HOME under `dir`), made before a
 * series by two starts (`start(env, settleMs)`): the first validates and keeps the config, the
 * second, left running 1.5 s after its first frame, keeps V8's compiled code of the fast start
 * (src/cli/code-cache.ts). Throws when no compiled code was kept. `withoutCodeCache(fn)` runs one
 * start with the kept code moved aside (that start is killed at its first frame, so it keeps none)
 * and puts it back.
 */
export async function keptConsoleCaches(dir, start) {
  const env = { XDG_CACHE_HOME: join(dir, 'cache') };
  const codeDir = join(dir, 'cache', 'doai-console', 'code');
  await start(env, 0);
  await start(env, 1500);
  const kept = existsSync(codeDir) ? readdirSync(codeDir).filter((n) => n.endsWith('.bin')) : [];
  if (kept.length !== 1) throw new Error(`the console kept no compiled code in ${codeDir} (found: ${JSON.stringify(kept)})`);
  return {
    env,
    async withoutCodeCache(fn) {
      renameSync(codeDir, `${codeDir}.aside`);
      try {
        return await fn();
      } finally {
        rmSync(codeDir, { recursive: true, force: true });
        renameSync(`${codeDir}.aside`, codeDir);
      }
    },
  };
}

/** The row for the first start after a build (no compiled code kept yet): shown, no budget. */
export function noCodeCacheRow(figure, coldMs, inkMs, what) {
  return {
    figure,
    ours: `${coldMs.toFixed(0)} ms`,
    baseline: `${inkMs.toFixed(0)} ms minimal Ink app`,
    ratio: coldMs / inkMs,
    budget: '—',
    note: `the first start after a build or a Node upgrade: V8 compiles ${what}, then keeps it for the next start`,
  };
}

/** The pid of the node process script(1) started (its child), for /proc CPU readings. */
export async function childPid(scriptPid) {
  for (let i = 0; i < 100; i++) {
    try {
      const kids = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      if (kids.length) return Number(kids[0]);
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error(`no child of script pid ${scriptPid}`);
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the comm field.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Bundles a TypeScript/TSX entry like the CLI (production React, node20) and imports it. */
export async function bundle(entry, outDir, { external = ['ssh2', 'cpu-features'], format = 'esm' } = {}) {
  const name = entry.split('/').pop().replace(/\.[tj]sx?$/, '');
  const outfile = join(outDir, `${name}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    nodePaths: [join(root, 'node_modules')],
    external,
    banner: format === 'esm' ? requireBanner : undefined,
    plugins: [devtoolsStub],
    logLevel: 'error',
  });
  return outfile;
}

export async function importBundled(entry, outDir, opts) {
  return import(pathToFileURL(await bundle(entry, outDir, opts)).href);
}

/** One config file's services block: n services on host `host`, health at url(i). */
export function servicesYaml(n, host, url) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${String(i).padStart(n > 100 ? 4 : 2, '0')}`;
    out.push(`  - { name: ${name}, host: ${host}, unit: ${name}, health_url: "${url(i)}" }`);
  }
  return out.join('\n');
}

/** A loopback TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The built `doai-console serve` with `args`, started once its log (stderr, the last 20 KB kept)
 * matches `ready` (and `socket` exists, when given). `nodeFlags` go before the binary, `env` on
 * top of this process's. stop(): SIGTERM, SIGKILL after `graceMs`.
 */
export async function startServe(args, { env = {}, nodeFlags = [], ready = / serving .* on /, socket, graceMs = 15_000 } = {}) {
  const child = spawn(process.execPath, [...nodeFlags, bin, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-20_000)));
  let match = null;
  for (let i = 0; i < 600 && !(match = ready.exec(log)) && child.exitCode === null; i++) await sleep(50);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(graceMs)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  if (!match || (socket && !existsSync(socket))) {
    await stop();
    throw new Error(`serve did not start: ${log.slice(-500)}`);
  }
  return { child, match, log: () => log, stop };
}

/**
 * A loopback webhook receiver: every post, JSON or not, with when it was read whole (`at`,
 * performance.now()) and its `event`, `subject` and `baseline` fields. wait(from, pred, ms): the
 * first post from index `from` on that `pred` accepts, or undefined after `ms`.
 */
export async function hookReceiver() {
  const hooks = [];
  const waiters = new Set();
  const http = createHttp((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200).end('ok');
      let j = {};
      try {
        j = JSON.parse(body);
      } catch {
        // not ours to judge here: counted as nothing
      }
      hooks.push({ at, event: j.event, subject: j.subject, baseline: j.baseline === true });
      for (const w of [...waiters]) w();
    });
  });
  const wait = (from, pred, ms) =>
    new Promise((resolve) => {
      const check = () => {
        const h = hooks.slice(from).find(pred);
        if (!h) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(h);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(undefined);
      }, ms);
      if (!check()) waiters.add(check);
    });
  const port = await new Promise((r) => http.listen(0, '127.0.0.1', () => r(http.address().port)));
  return { http, hooks, wait, url: `http://127.0.0.1:${port}/hook`, stop: () => (http.closeAllConnections(), new Promise((r) => http.close(r))) };
}
