// Watch-mode soak (not a test; never fails on a number): the real wall screen (screens/watch) fed by
// the real read-only sources (a journal being appended, a lock file) for N updates, rendered three
// ways in the same run:
//   full         Ink's default full redraw (what ships)
//   incremental  ink 6.8 `incrementalRendering: true` as installed (has an off-by-one, DESIGN.md)
//   fixed        the same with the one-line log-update.js fix applied in memory to this bundle only
// For each: bytes written per update and per second, CPU, heap growth; then the bytes are replayed
// into a real terminal (tmux, same size) and the final screen compared with the last frame.
//
//   node tests/bench/watch-bytes.mjs [updates=300]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { devtoolsStub, requireBanner } from '../../scripts/esbuild-shared.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const UPDATES = Number(process.argv[2] ?? 300);
const COLS = 100;
const ROWS = 30;
const work = mkdtempSync(join(tmpdir(), 'doai-watch-bench-'));

// The fix: with Ink's full-screen frame (root rows-1 high) the output ends in '\n', the cursor sits
// one row below the frame, and moving up `previousVisible - 1` rows lands on row 1, not row 0.
const BUGGY = 'buffer.push(ansiEscapes.cursorUp(previousVisible - 1));';
const FIXED = "buffer.push(ansiEscapes.cursorUp(previousVisible - (previousOutput.endsWith('\\n') ? 0 : 1)));";
const fixLogUpdate = {
  name: 'fix-log-update',
  setup(b) {
    b.onLoad({ filter: /ink[\\/]build[\\/]log-update\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(BUGGY)) throw new Error('ink log-update.js changed: the fix below no longer applies');
      return { contents: text.replace(BUGGY, FIXED), loader: 'js' };
    });
  },
};

const entry = `
import { render } from 'ink';
import { createElement } from 'react';
import { PassThrough, Writable } from 'node:stream';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WatchApp } from './screens/watch/watch-app';
import { LiveRunsSource } from './src/watch/live-runs';
import { BatchedStore } from './src/core/store';
import { loadRunbooks } from './src/runbook/loader';

class Fleet extends BatchedStore { update(s) { this.set(s); } }
class Frames { v = 0; ls = new Set(); getSnapshot = () => this.v; subscribe = (l) => (this.ls.add(l), () => this.ls.delete(l)); bump() { this.v++; for (const l of this.ls) l(); } }

export async function soak({ dir, updates, cols, rows, incremental, actionsDir }) {
  const journalDir = join(dir, 'journal'); const lockDir = join(dir, 'locks');
  mkdirSync(journalDir, { recursive: true }); mkdirSync(lockDir, { recursive: true });
  const runId = '20260104T153100-l1-soft-reset-beef';
  const at = new Date(2026, 0, 4, 15, 31).toISOString();
  writeFileSync(join(lockDir, 'doai-orchestrator.lock'), JSON.stringify({ pid: process.pid, hostname: hostname(), operator: 'orion', runbook: 'l1-soft-reset', level: 'L1', since: at, runId }));
  const ev = (e) => appendFileSync(join(journalDir, runId + '.jsonl'), JSON.stringify({ runId, at, ...e }) + '\\n');
  ev({ type: 'run.started', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'doai-orchestrator', operator: 'orion', dryRun: false });
  ev({ type: 'step.started', stepId: 'verify' });
  const runbooks = loadRunbooks({ builtinDir: actionsDir, extraPaths: [], baseDir: process.cwd() });
  const svc = (name, latencyMs) => ({ name, host: 'vm', state: 'UP', httpStatus: 200, latencyMs, samples: [latencyMs], consecutiveFailures: 0, threshold: 3, lastChangeAt: new Date(at), lastProbeAt: new Date(at) });
  const fleet = new Fleet({ services: [svc('doai-orchestrator', 40), svc('caddy', 5)], intervalMs: 30000, timeScale: 1, updatedAt: null });
  const live = new LiveRunsSource({ journalDir, lockDir, runbook: (id) => runbooks.get(id), scanMs: 1e9 });
  const frames = new Frames();
  let bytes = 0; const chunks = [];
  const stdout = new Writable({ write(c, _e, cb) { bytes += c.length; chunks.push(Buffer.from(c)); cb(); } });
  Object.assign(stdout, { columns: cols, rows, isTTY: true });
  // A terminal's stdin that never types: the watch screen's key hook needs raw mode.
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode() {}, ref() {}, unref() {} });
  const clock = { now: () => new Date(at) };
  const inst = render(createElement(WatchApp, { fleet, live, frames, lang: 'en', configPath: 'console.yaml', clock, width: cols, height: rows, onExit: () => {} }), { stdout, stdin, patchConsole: false, exitOnCtrlC: false, incrementalRendering: incremental, maxFps: 1000 });
  live.poll(); frames.bump();
  await new Promise((r) => setTimeout(r, 100));
  const startBytes = bytes;
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) {
    ev({ type: 'step.output', stepId: 'verify', stream: i % 7 ? 'stdout' : 'stderr', line: 'attempt ' + i + ': GET /health -> ' + (i % 7 ? 'HTTP 200 in ' + (i % 50) + ' ms' : 'connection refused') });
    if (i % 10 === 0) fleet.update({ ...fleet.getSnapshot(), services: [svc('doai-orchestrator', 40 + (i % 30)), svc('caddy', 5)] });
    live.poll(); frames.bump();
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 100));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  inst.unmount(); live.stop();
  return { bytes: bytes - startBytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, heapGrowthKb: Math.round((heap1 - heap0) / 1024), stream: Buffer.concat(chunks) };
}
`;

async function bundle(name, plugins) {
  const out = join(work, `${name}.mjs`);
  await build({
    stdin: { contents: entry, resolveDir: root, loader: 'tsx', sourcefile: 'watch-bench-entry.tsx' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    jsx: 'automatic',
    outfile: out,
    external: ['ssh2', 'cpu-features'],
    plugins: [devtoolsStub, ...plugins],
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: requireBanner,
    logLevel: 'warning',
  });
  return import(out);
}

/** Replays the bytes into a real terminal of the same size and returns what it shows. */
function replay(bytes) {
  const file = join(work, `replay-${randomBytes(3).toString('hex')}.bin`);
  writeFileSync(file, bytes);
  const socket = `doai-bench-${randomBytes(4).toString('hex')}`;
  const tmux = (...a) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
  try {
    tmux('new-session', '-d', '-x', String(COLS), '-y', String(ROWS), `printf '\\033[?1049h'; cat ${file}; sleep 30`);
    execFileSync('sleep', ['1.5']);
    return tmux('capture-pane', '-p').replace(/\s+$/gm, '').replace(/\n+$/, '');
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // gone
    }
  }
}

function hasTmux() {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

const plain = await bundle('plain', []);
const fixed = await bundle('fixed', [fixLogUpdate]);
const rows = [];
const finals = {};
for (const [label, mod, incremental] of [
  ['full (default)', plain, false],
  ['incremental, ink 6.8 as is', plain, true],
  ['incremental + one-line fix', fixed, true],
]) {
  const dir = mkdtempSync(join(work, 'run-'));
  const r = await mod.soak({ dir, updates: UPDATES, cols: COLS, rows: ROWS, incremental, actionsDir: join(root, 'actions') });
  finals[label] = r.stream;
  rows.push({ label, perUpdate: Math.round(r.bytes / UPDATES), perSecond: Math.round((r.bytes / r.ms) * 1000), cpuMs: Math.round(r.cpuMs), heapGrowthKb: r.heapGrowthKb });
}

console.log(`watch mode: ${UPDATES} updates (one output line each, a probe every 10), ${COLS}×${ROWS}, same run`);
console.log('mode                          bytes/update  bytes/s     CPU ms  heap growth KB');
for (const r of rows) console.log(`${r.label.padEnd(30)}${String(r.perUpdate).padStart(12)}  ${String(r.perSecond).padStart(9)}  ${String(r.cpuMs).padStart(7)}  ${String(r.heapGrowthKb).padStart(14)}`);
const base = rows[0].perUpdate;
for (const r of rows.slice(1)) console.log(`${r.label}: ${(base / Math.max(1, r.perUpdate)).toFixed(1)}× fewer bytes than the full redraw`);

if (hasTmux()) {
  const reference = replay(finals['full (default)']);
  for (const label of ['incremental, ink 6.8 as is', 'incremental + one-line fix']) {
    const got = replay(finals[label]);
    console.log(`${label}: final screen replayed in tmux ${got === reference ? 'MATCHES' : 'DIFFERS FROM'} the full redraw`);
  }
} else {
  console.log('tmux not found: the replay comparison was skipped');
}
rmSync(work, { recursive: true, force: true, maxRetries: 10 });
