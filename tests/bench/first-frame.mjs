// Time to first frame: whole process, in a pty, median of RUNS, against `node -e ''` and a
// minimal bundled one-Box Ink app built like ours, runs interleaved so load hits all alike.
//
// The console (standalone here: no server) keeps its validated config and, from its second start,
// V8's compiled code of its path to the first frame (src/cli/code-cache.ts), in a cache folder of
// this run's own; two starts before the series make both, and every start after is timed. A third
// row times the same start with the compiled code moved aside (the first start after a build or a
// Node upgrade; no budget). BROKEN if the console kept no compiled code at all.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, bundle, median, servicesYaml, sleep, startPty } from './lib.mjs';

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
  const env = { XDG_CACHE_HOME: join(dir, 'cache') };
  const codeDir = join(dir, 'cache', 'doai-console', 'code');
  const console_ = `node ${bin} --config ${cfg} --lang en`;
  // Not counted: the first start validates and keeps the config; the second keeps the compiled code.
  await timeToMarker(console_, 'svc-09', { env });
  await timeToMarker(console_, 'svc-09', { env, settleMs: 1500 });
  const kept = existsSync(codeDir) ? readdirSync(codeDir).filter((n) => n.endsWith('.bin')) : [];
  if (kept.length !== 1) throw new Error(`the console kept no compiled code in ${codeDir} (found: ${JSON.stringify(kept)})`);
  const withoutCodeCache = async () => {
    renameSync(codeDir, `${codeDir}.aside`);
    try {
      return await timeToMarker(console_, 'svc-09', { env });
    } finally {
      rmSync(codeDir, { recursive: true, force: true });
      renameSync(`${codeDir}.aside`, codeDir);
    }
  };
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
    {
      figure: 'first frame, no code cache yet',
      ours: `${cold.toFixed(0)} ms`,
      baseline: `${ink.toFixed(0)} ms minimal Ink app`,
      ratio: cold / ink,
      budget: '—',
      note: 'the first start after a build or a Node upgrade: V8 compiles the path to the first frame, then keeps it for the next start',
    },
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
