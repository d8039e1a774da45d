// `npm run bench`: every figure of issue 8 beside a baseline measured in the same run, so ratios
// mean something on a noisy machine. Prints ONE table and writes .bench/results.json. Never fails
// on timing; exits 1 only when something is functionally broken (lines lost, probes wrong, a
// figure that could not be measured). BENCH_ONLY=first-frame,keypress,... runs a subset.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { root, useBin } from './lib.mjs';
import { firstFrame } from './first-frame.mjs';
import { keypress } from './keypress.mjs';
import { logStream } from './log-stream.mjs';
import { probeSweep } from './probe-sweep.mjs';
import { watchMode, watchSoak } from './watch.mjs';
import { auditLog } from './audit.mjs';
import { dashboardNodes } from './dashboard-nodes.mjs';
import { attachedConsole } from './attached-console.mjs';
import { monitoring } from './monitoring.mjs';
import { sshConsole } from './ssh-console.mjs';
import { sshSessions } from './ssh-sessions.mjs';
import { serverLoad } from './server-load.mjs';
import { alertLatency } from './alert-latency.mjs';
import { statePostgres } from './state-postgres.mjs';

// Heap figures need a settled heap: run again with --expose-gc (npm run bench starts plain node).
if (typeof globalThis.gc !== 'function') {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
// Inside the repo: bundles that keep ssh2 external must find node_modules.
mkdirSync(join(root, '.bench'), { recursive: true });
const work = mkdtempSync(join(root, '.bench', 'work-'));

const benches = [
  ['first-frame', (dir) => firstFrame(dir, RUNS)],
  ['keypress', keypress],
  ['log-stream', logStream],
  ['probe-sweep', probeSweep],
  ['watch', watchMode],
  ['watch-soak', watchSoak],
  ['audit', auditLog],
  ['dashboard-nodes', dashboardNodes],
  ['attached-console', (dir) => attachedConsole(dir, Math.min(RUNS, 9))],
  ['monitoring', (dir) => monitoring(dir, RUNS)],
  ['ssh-console', (dir) => sshConsole(dir, Math.min(RUNS, 7))],
  ['ssh-sessions', sshSessions],
  ['server-load', serverLoad],
  ['alert-latency', alertLatency],
  ['state-postgres', statePostgres],
];

const results = { date: new Date().toISOString(), node: process.version, runs: RUNS, load: (await import('node:os')).loadavg(), figures: [] };
let broken = false;
try {
  // A private copy of the build and of bin/ (same layout: bin/../dist/cli.js), so a rebuild of
  // dist/ by someone else mid-run cannot break or skew a figure.
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--outdir', join(work, 'dist')], { stdio: 'inherit' });
  mkdirSync(join(work, 'bin'));
  copyFileSync(join(root, 'bin/doai-console.js'), join(work, 'bin/doai-console.js'));
  useBin(join(work, 'bin/doai-console.js'));
  for (const [name, fn] of benches) {
    if (only && !only.has(name)) continue;
    process.stderr.write(`bench: ${name}...\n`);
    try {
      for (const row of await fn(join(work, name))) {
        results.figures.push({ bench: name, ...row });
        if (row.broken) broken = true;
      }
    } catch (err) {
      broken = true;
      results.figures.push({ bench: name, figure: name, ours: 'error', baseline: '', ratio: NaN, budget: '', broken: (err && err.message) || String(err) });
    }
  }
} finally {
  // A console just killed may still be writing its state: retry (ENOTEMPTY) rather than fail the run.
  rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

const header = ['figure', 'ours', 'baseline (same run)', 'ratio', 'budget', ''];
const rows = results.figures.map((f) => [
  f.figure,
  f.ours,
  f.baseline,
  Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}×` : '',
  f.budget,
  f.broken ? 'BROKEN' : f.pass === undefined ? '' : f.pass ? 'within' : 'over',
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
console.log(`doai-console bench — ${process.version}, first frame median of ${RUNS}, load ${results.load.map((l) => l.toFixed(1)).join(' ')}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
for (const f of results.figures) if (f.broken) console.log(`BROKEN ${f.figure}: ${f.broken}`);
for (const f of results.figures) if (f.note) console.log(`note — ${f.figure}: ${f.note}`);
mkdirSync(join(root, '.bench'), { recursive: true });
writeFileSync(join(root, '.bench/results.json'), JSON.stringify(results, null, 2) + '\n');
console.log('written .bench/results.json');
process.exitCode = broken ? 1 : 0;
