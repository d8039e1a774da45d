// Time to first frame: whole process, in a pty, median of RUNS, against `node -e ''` and a
// minimal bundled one-Box Ink app built like ours, runs interleaved so load hits all alike.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, bundle, median, servicesYaml, startPty } from './lib.mjs';

async function timeToMarker(cmd, marker) {
  const pty = startPty(cmd);
  try {
    if (marker) return (await pty.waitFor((s) => s.includes(marker), 0, 15_000)) - pty.started;
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
  const series = { node: [], minInk: [], ours: [] };
  for (let i = 0; i < runs; i++) {
    series.node.push(await timeToMarker(`node -e ''`, null));
    series.minInk.push(await timeToMarker(`node ${minInk}`, 'minimal-ink-ready'));
    series.ours.push(await timeToMarker(`node ${bin} --config ${cfg} --lang en`, 'svc-09'));
  }
  const node = median(series.node);
  const ink = median(series.minInk);
  const ours = median(series.ours);
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
      figure: 'first frame vs node',
      ours: `${ours.toFixed(0)} ms`,
      baseline: `${node.toFixed(0)} ms node -e ''`,
      ratio: ours / node,
      budget: '≤ 3×',
      pass: ours / node <= 3,
    },
  ];
}
