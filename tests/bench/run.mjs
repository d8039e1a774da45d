// `npm run bench`: figures with a baseline measured in the same run, so ratios mean something
// on a noisy machine. Prints a table and writes .bench/results.json. Never fails on timing.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { devtoolsStub, requireBanner } from '../../scripts/esbuild-shared.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const work = mkdtempSync(join(tmpdir(), 'doai-bench-'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Starts `cmd` in a pseudo-terminal (util-linux script) and resolves when `marker` shows up. */
function timeToMarker(cmd, marker, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    // A pty made by script(1) without a controlling terminal is 0×0: size it like a real one.
    // With CI in the environment at all (even empty) Ink writes only the final frame.
    const { CI: _ci, ...baseEnv } = process.env;
    const child = spawn('script', ['-qfec', `stty cols 100 rows 30; exec ${cmd}`, '/dev/null'], {
      env: { ...baseEnv, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let done = false;
    const finish = (ms) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolvePromise(ms);
    };
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        child.kill('SIGKILL');
        reject(new Error(`no "${marker}" within 10 s; output: ${out.slice(-300)}`));
      }
    }, 10_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (marker && out.includes(marker)) finish(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('exit', () => {
      if (!marker) finish(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

async function series(label, cmd, marker, env) {
  const xs = [];
  for (let i = 0; i < RUNS; i++) xs.push(await timeToMarker(cmd, marker, env));
  return { label, median: median(xs), runs: xs.length };
}

async function firstFrame() {
  // Baseline 1: node itself.
  const nodeOnly = await series("node -e ''", `node -e ''`, null);
  // Baseline 2: a minimal bundled Ink app with one Box, built the same way as ours.
  const minSrc = join(work, 'min-ink.jsx');
  writeFileSync(
    minSrc,
    `import React from 'react'; import { render, Box, Text } from 'ink';
     render(<Box borderStyle="single"><Text>minimal-ink-ready</Text></Box>);
     setTimeout(() => process.exit(0), 2000);`,
  );
  await build({
    entryPoints: [minSrc], outfile: join(work, 'min-ink.mjs'), bundle: true, platform: 'node', format: 'esm',
    jsx: 'automatic', define: { 'process.env.NODE_ENV': '"production"' }, nodePaths: [join(root, 'node_modules')],
    banner: requireBanner, plugins: [devtoolsStub],
    logLevel: 'error',
  });
  const minInk = await series('minimal bundled Ink app', `node ${join(work, 'min-ink.mjs')}`, 'minimal-ink-ready');
  // Ours: a 10-service config pointing at closed loopback ports (the first frame must not wait on probes).
  const cfg = join(work, 'console.yaml');
  const services = Array.from({ length: 10 }, (_, i) =>
    `  - { name: svc-${String(i).padStart(2, '0')}, host: bench-host, unit: svc-${i}, health_url: "http://127.0.0.1:9/health" }`,
  ).join('\n');
  writeFileSync(
    cfg,
    `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${services}\npaths:\n  state_dir: ${join(work, 'state')}\n  known_hosts: ${join(work, 'known_hosts')}\n`,
  );
  const ours = await series('doai-console, 10 services', `node ${join(root, 'bin/doai-console.js')} --config ${cfg} --lang en`, 'svc-09');
  return [
    { figure: 'first frame: node -e \'\'', ms: nodeOnly.median },
    { figure: 'first frame: minimal bundled Ink app', ms: minInk.median },
    { figure: 'first frame: doai-console (10 services)', ms: ours.median, vsMinimalInk: ours.median / minInk.median, vsNode: ours.median / nodeOnly.median },
  ];
}

const results = { date: new Date().toISOString(), node: process.version, runs: RUNS, figures: [] };
try {
  results.figures.push(...(await firstFrame()));
} finally {
  rmSync(work, { recursive: true, force: true });
}

const rows = results.figures.map((f) => [
  f.figure,
  `${f.ms.toFixed(0)} ms`,
  f.vsMinimalInk ? `${f.vsMinimalInk.toFixed(2)}x minimal Ink` : '',
  f.vsNode ? `${f.vsNode.toFixed(2)}x node` : '',
]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`doai-console bench (median of ${RUNS} runs, ${process.version})`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
mkdirSync(join(root, '.bench'), { recursive: true });
writeFileSync(join(root, '.bench/results.json'), JSON.stringify(results, null, 2) + '\n');
console.log('written .bench/results.json');
