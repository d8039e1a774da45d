// The console attached to a server (issue 13, Performance): time to first frame and resident
// memory, against a minimal bundled one-Box Ink app measured in the same run (interleaved, so
// load hits both alike). The server runs on a 10-service config whose services point at a closed
// loopback port; the attached console builds no engine, prober or config validation of its own.
//
// The console keeps V8's compiled code of its attached path (src/cli/code-cache.ts) from its
// first full start on; the budget row is every start after that. The row without it (a cache
// folder emptied before each start: the first start after a build or a Node upgrade) is shown
// beside it, and the bench says BROKEN if the console did not write its cache at all.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bin, bundle, childPid, keptConsoleCaches, median, noCodeCacheRow, servicesYaml, sleep, startPty } from './lib.mjs';

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Time to the marker, and the RSS of the process once it has sat for `settleMs`. */
async function measure(cmd, marker, settleMs, env = {}) {
  const pty = startPty(cmd, { env });
  try {
    const at = await pty.waitFor((s) => s.includes(marker), 0, 15_000);
    const pid = await childPid(pty.child.pid);
    await sleep(settleMs);
    return { ms: at - pty.started, rssKb: rssKb(pid) };
  } finally {
    pty.kill();
    await pty.exitPromise;
  }
}

export async function attachedConsole(work, runs) {
  const dir = join(work, 'attached');
  mkdirSync(dir, { recursive: true });
  const minSrc = join(dir, 'min-ink.jsx');
  writeFileSync(
    minSrc,
    `import React from 'react'; import { render, Box, Text } from 'ink';
     render(<Box borderStyle="single"><Text>minimal-ink-ready</Text></Box>);
     setTimeout(() => process.exit(0), 30000);`,
  );
  const minInk = await bundle(minSrc, dir);
  const cfg = join(dir, 'console.yaml');
  writeFileSync(
    cfg,
    `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${servicesYaml(10, 'bench-host', () => 'http://127.0.0.1:9/health')}\n` +
      `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n`,
  );
  const socket = join(dir, 'run', 'console.sock');
  const server = spawn(process.execPath, [bin, 'serve', '--config', cfg, '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => (log += d));
  try {
    for (let i = 0; i < 300 && !/ serving .* on /.test(log); i++) await sleep(50);
    if (!existsSync(socket)) throw new Error(`server did not start: ${log.slice(-500)}`);
    const series = { minInk: [], attached: [], minRss: [], attachedRss: [], noCodeCache: [] };
    const consoleCmd = `node ${bin} --config ${cfg} --socket ${socket} --lang en`;
    // Not counted: the two starts that make the console's caches (validated config, compiled
    // code) in a folder of this run's own. Every start after that is what is timed.
    const caches = await keptConsoleCaches(dir, (env, settleMs) => measure(consoleCmd, 'svc-09', settleMs, env));
    const { env } = caches;
    const minimal = () => measure(`node ${minInk}`, 'minimal-ink-ready', 1500);
    const attached = () => measure(consoleCmd, 'svc-09', 1500, env);
    const withoutCodeCache = () => caches.withoutCodeCache(() => measure(consoleCmd, 'svc-09', 0, env));
    const kinds = [
      async () => {
        const m = await minimal();
        series.minInk.push(m.ms);
        series.minRss.push(m.rssKb);
      },
      async () => {
        const m = await attached();
        series.attached.push(m.ms);
        series.attachedRss.push(m.rssKb);
      },
      async () => series.noCodeCache.push((await withoutCodeCache()).ms),
    ];
    // Rotate which goes first, so none always follows another's exit and load hits all alike.
    for (let i = 0; i < runs; i++) for (let k = 0; k < kinds.length; k++) await kinds[(i + k) % kinds.length]();
    const ink = median(series.minInk);
    const ours = median(series.attached);
    const cold = median(series.noCodeCache);
    const minRss = median(series.minRss) / 1024;
    const rss = median(series.attachedRss) / 1024;
    return [
      {
        figure: 'attached console, first frame (10 services)',
        ours: `${ours.toFixed(0)} ms`,
        baseline: `${ink.toFixed(0)} ms minimal Ink app`,
        ratio: ours / ink,
        budget: '≤ 1.0×',
        pass: ours / ink <= 1.0,
        data: { runs, series },
      },
      { ...noCodeCacheRow('attached console, first frame, no code cache yet', cold, ink, 'the attached path'), data: { runs, series } },
      {
        figure: 'attached console, RSS after 1.5 s',
        ours: `${rss.toFixed(0)} MB`,
        baseline: `${minRss.toFixed(0)} MB minimal Ink app`,
        ratio: rss / minRss,
        budget: '≤ 1.3×',
        pass: rss / minRss <= 1.3,
        data: { runs, series },
      },
    ];
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
  }
}
