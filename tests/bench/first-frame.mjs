// Time to first frame: whole process, in a pty, median of RUNS, against `node -e ''` and a
// minimal bundled one-Box Ink app built like ours, runs interleaved so load hits all alike.
//
// The console (standalone here: no server) keeps its validated config and, from its second start,
// V8's compiled code of its path to the first frame (src/cli/code-cache.ts), in a cache folder of
// this run's own; two starts before the series make both, and every start after is timed. A third
// row times the same start with the compiled code moved aside (the first start after a build or a
// Node upgrade; no budget). BROKEN if the console kept no compiled code at all.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, bundle, keptConsoleCaches, median, noCodeCacheRow, servicesYaml, sleep, startPty } from './lib.mjs';

async function timeToMarker(cmd, marker, { env = {}, settleMs = 0 } = {}) {
  const pty = startPty(cmd, { env });
  try {
    if (marker) {
      const at = (await pty.waitFor((s) => s.includes(marker), 0, 15_000)) - pty.started;
      await sleep(settleMs);
      return at;
    }
    await pty.exitPromise;
    return performance.now() - pty.started;
  } finally {
    pty.kill();
  }
}

export async function firstFrame(work, runs) {
  const dir = join(work, 'first-frame');
  mkdirSync(dir, { recursive: true });
  const minSrc = join(dir, 'min-ink.jsx');
  writeFileSync(
    minSrc,
    `import React from 'react'; import { render, Box, Text } from 'ink';
     render(<Box borderStyle="single"><Text>minimal-ink-ready</Text></Box>);
     setTimeout(() => process.exit(0), 2000);`,
  );
  const minInk = await bundle(minSrc, dir);
  // A 10-service config pointing at a closed loopback port: the first frame must not wait on probes.
  const cfg = join(dir, 'console.yaml');
  writeFileSync(
    cfg,
    `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${servicesYaml(10, 'bench-host', () => 'http://127.0.0.1:9/health')}\n` +
      `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n`,
  );
  const console_ = `node ${bin} --config ${cfg} --lang en`;
  // Not counted: the two starts that make the console's caches (validated config, compiled code).
  const caches = await keptConsoleCaches(dir, (env, settleMs) => timeToMarker(console_, 'svc-09', { env, settleMs }));
  const { env } = caches;
  const withoutCodeCache = () => caches.withoutCodeCache(() => timeToMarker(console_, 'svc-09', { env }));
  const series = { node: [], minInk: [], ours: [], noCodeCache: [] };
  for (let i = 0; i < runs; i++) {
    series.node.push(await timeToMarker(`node -e ''`, null));
    series.minInk.push(await timeToMarker(`node ${minInk}`, 'minimal-ink-ready'));
    series.ours.push(await timeToMarker(console_, 'svc-09', { env }));
    series.noCodeCache.push(await withoutCodeCache());
  }
  const node = median(series.node);
  const ink = median(series.minInk);
  const ours = median(series.ours);
  const cold = median(series.noCodeCache);
  return [
    {
      figure: 'first frame, 10 services',
      ours: `${ours.toFixed(0)} ms`,
      baseline: `${ink.toFixed(0)} ms minimal Ink app`,
      ratio: ours / ink,
      budget: '≤ 1.0×',
      pass: ours / ink <= 1.0,
      data: { oursMs: ours, minimalInkMs: ink, nodeMs: node, runs, series },
    },
    noCodeCacheRow('first frame, no code cache yet', cold, ink, 'the path to the first frame'),
    {
      figure: 'first frame vs node',
      ours: `${ours.toFixed(0)} ms`,
      baseline: `${node.toFixed(0)} ms node -e ''`,
      ratio: ours / node,
      budget: '≤ 3×',
      pass: ours / node <= 3,
    },
  ];
}
