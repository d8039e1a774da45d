// Bench (R-HLT-8): the dashboard (the real App, bundled for production like the binary) fed
// 10,000 nodes with 1 % of them changing every second, rendered to a fake 120 × 40 terminal
// that counts the bytes written. Figures: CPU per second of wall time, bytes written per
// second, and the heap after 10,000 node-store updates — each next to a baseline measured in the
// same run (the same dashboard with the 10,000 nodes standing still, only the clock ticking).
// Never fails on timing. Run alone: `node --expose-gc tests/bench/dashboard-nodes.mjs`; run.mjs
// takes its rows through dashboardNodes().
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { devtoolsStub, requireBanner } from '../../scripts/esbuild-shared.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 10_000);

const ENTRY = `
import { render } from 'ink';
import { App } from './screens/app';
import { BatchedStore } from './src/core/store';
import { compareNodes } from './src/health/nodes';
export { render, App, BatchedStore, compareNodes };
`;

async function bundle() {
  const outdir = join(root, '.bench');
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'dashboard-nodes.bundle.mjs');
  await build({
    stdin: { contents: ENTRY, resolveDir: root, loader: 'tsx' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    jsx: 'automatic',
    // As the binary: React's production build (dev mode grows memory per update).
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [devtoolsStub],
    banner: requireBanner,
    logLevel: 'error',
  });
  return import(pathToFileURL(outfile).href);
}

/** A terminal that only counts: 120 × 40, a TTY as far as Ink can tell. */
class CountingTerminal extends Writable {
  constructor() {
    super();
    this.bytes = 0;
    this.columns = 120;
    this.rows = 40;
    this.isTTY = true;
  }
  _write(chunk, _enc, cb) {
    this.bytes += chunk.length;
    cb();
  }
}

class FakeStdin extends EventEmitter {
  constructor() {
    super();
    this.isTTY = true;
  }
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

function makeNodes(now) {
  const nodes = [];
  for (let i = 0; i < NODES; i++) {
    const offline = i % 10 === 0;
    nodes.push({
      id: `node-${String(i).padStart(5, '0')}`,
      source: 'devices',
      lastHeartbeat: new Date(now - (offline ? 6 * 60_000 + i * 1000 : (i % 15) * 1000)),
      online: !offline,
      errorRate: (i % 37) / 1000,
      labels: [`rack-${'abcd'[i % 4]}`],
    });
  }
  return nodes;
}

function snapshotOf(nodes, now, sorted) {
  const online = nodes.reduce((n, x) => n + (x.online ? 1 : 0), 0);
  return {
    total: nodes.length,
    online,
    offline: nodes.length - online,
    onlineRatio: online / nodes.length,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: sorted,
    sources: [{ name: 'devices', lastFetchAt: new Date(now), lastOkAt: new Date(now), count: nodes.length }],
    updatedAt: new Date(now),
  };
}

async function mountDashboard(mod) {
  class Store extends mod.BatchedStore {
    update(s) {
      this.set(s);
    }
  }
  const now = Date.now();
  let nodes = makeNodes(now);
  const nodesStore = new Store(snapshotOf(nodes, now, [...nodes].sort(mod.compareNodes)));
  const services = Array.from({ length: 20 }, (_, i) => ({
    name: `svc-${i}`,
    host: 'vm',
    state: 'UP',
    httpStatus: 200,
    latencyMs: 20 + i,
    samples: [20, 21, 22],
    consecutiveFailures: 0,
    threshold: 3,
    lastChangeAt: new Date(now - 60_000),
    lastProbeAt: new Date(now),
  }));
  const fleet = new Store({ services, intervalMs: 30_000, timeScale: 1, updatedAt: new Date(now) });
  Object.assign(fleet, { start() {}, stop() {}, probeNow: async () => {}, onTransition: () => () => {} });
  const runs = new Store({ runs: [], outputVersion: 0 });
  runs.getOutput = () => [];
  const tick = new Store(0);
  const alerts = new Store({ alerts: [], firing: 0, isolated: [], problems: [] });
  const hosts = new Store({ hosts: [], diskThreshold: 0.8, updatedAt: null });
  const stdout = new CountingTerminal();
  const React = await import('react');
  const instance = mod.render(
    React.createElement(mod.App, {
      fleet,
      runs,
      lang: 'en',
      operator: 'bench',
      configPath: '/bench/console.yaml',
      width: 120,
      height: 40,
      onExit: () => {},
      tick,
      fleetStores: { nodes: nodesStore, alerts, hosts },
    }),
    { stdout, stdin: new FakeStdin(), patchConsole: false, exitOnCtrlC: false },
  );
  await new Promise((r) => setTimeout(r, 300));

  /** 1 % of the nodes get a fresh heartbeat (or drop offline), and the store publishes a new snapshot. */
  let round = 0;
  const change = (sort = true) => {
    const t = Date.now();
    const next = nodes.slice();
    const step = Math.max(1, Math.floor(NODES / 100));
    for (let k = 0; k < NODES / 100; k++) {
      const i = (round * 7 + k * step) % NODES;
      const n = next[i];
      const goOffline = (round + k) % 5 === 0;
      next[i] = { ...n, lastHeartbeat: new Date(goOffline ? t - 6 * 60_000 : t), online: !goOffline };
    }
    round++;
    nodes = next;
    // The heap run skips the sort (the store's cost, not the dashboard's) to keep the bench short.
    nodesStore.update(snapshotOf(nodes, t, sort ? [...nodes].sort(mod.compareNodes) : nodes));
  };
  return { stdout, tick, change, unmount: () => instance.unmount() };
}

/** CPU (user + system) per second of wall time and bytes per second over `seconds`. */
async function measure(dash, seconds, changing) {
  const bytes0 = dash.stdout.bytes;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let s = 0; s < seconds; s++) {
    if (changing) dash.change();
    dash.tick.update(s + 1);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cpuPerSec: (cpu.user + cpu.system) / 1e6 / wall, bytesPerSec: (dash.stdout.bytes - bytes0) / wall };
}

/**
 * Rows for run.mjs's table (figure / ours / baseline / ratio). `_work` is unused: the bundle goes
 * to .bench/ so its dependencies resolve from node_modules.
 */
export async function dashboardNodes(_work) {
  delete process.env.CI; // with CI set Ink writes only the last frame
  const mod = await bundle();
  const dash = await mountDashboard(mod);
  const rows = [];
  try {
    await measure(dash, 1, true); // warm-up: JIT and the first full frames
    const still = await measure(dash, SECONDS, false);
    const moving = await measure(dash, SECONDS, true);
    rows.push({
      figure: `dashboard, ${NODES} nodes, 1 % changing per s: CPU`,
      ours: `${(moving.cpuPerSec * 100).toFixed(1)} %`,
      baseline: `${(still.cpuPerSec * 100).toFixed(1)} % (nodes still)`,
      ratio: moving.cpuPerSec / Math.max(1e-9, still.cpuPerSec),
      budget: '',
    });
    rows.push({
      figure: `dashboard, ${NODES} nodes, 1 % changing per s: bytes written`,
      ours: `${moving.bytesPerSec.toFixed(0)} B/s`,
      baseline: `${still.bytesPerSec.toFixed(0)} B/s (nodes still)`,
      ratio: moving.bytesPerSec / Math.max(1, still.bytesPerSec),
      budget: '',
    });

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < UPDATES; i++) {
      dash.change(false);
      // Let the store notify and Ink render between some updates, as a live console would.
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 500));
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    rows.push({
      figure: `dashboard heap after ${UPDATES} node-store updates`,
      ours: `${(heapAfter / 1048576).toFixed(1)} MB`,
      baseline: `${(heapBefore / 1048576).toFixed(1)} MB after mount`,
      ratio: heapAfter / heapBefore,
      budget: '',
      ...(global.gc ? {} : { note: 'run node with --expose-gc for settled heap figures' }),
    });
  } finally {
    dash.unmount();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await dashboardNodes()) console.log(`${f.figure}: ${f.ours} (baseline ${f.baseline}, ${f.ratio.toFixed(2)}x)`);
  process.exit(0);
}
