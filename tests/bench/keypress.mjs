// Keypress → frame on a dashboard with 1,000 services: press down-arrow 200 times in a pty and time
// each press until the selection marker (›) stands on another service in the output stream.
// Baseline: a minimal bundled Ink app with a windowed 1,000-item list and the same marker.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin, bundle, median, percentile, servicesYaml, sleep, startPty, stripAnsi } from './lib.mjs';

const DOWN = '\x1b[B';

function selected(text, re) {
  const i = text.lastIndexOf('›');
  if (i < 0) return undefined;
  return re.exec(text.slice(i))?.[1];
}

/** Presses down `keys` times; each latency ends when the marker shows a different name. */
export async function pressAndTime(pty, keys, re, { gapMs = 15 } = {}) {
  let current = selected(stripAnsi(pty.out), re);
  const xs = [];
  for (let k = 0; k < keys; k++) {
    const from = pty.out.length;
    const t0 = performance.now();
    pty.write(DOWN);
    let next;
    const t1 = await pty.waitFor((s) => {
      next = selected(s, re);
      return next !== undefined && next !== current;
    }, from, 5000);
    current = next;
    xs.push(t1 - t0);
    await sleep(gapMs);
  }
  return xs;
}

export async function startTargets(n, hangEvery) {
  const targets = spawn(process.execPath, [join(import.meta.dirname, 'http-targets.mjs'), String(n), String(hangEvery)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: targets.stdout }).once('line', resolve);
    targets.once('exit', () => reject(new Error('http-targets exited early')));
  });
  return { ports: JSON.parse(line).ports, stop: () => { targets.stdin.end(); targets.kill(); } };
}

export async function keypress(work) {
  const dir = join(work, 'keypress');
  mkdirSync(dir, { recursive: true });
  const keys = Number(process.env.BENCH_KEYS ?? 200);
  const minSrc = join(dir, 'min-list.jsx');
  writeFileSync(
    minSrc,
    `import React, { useState } from 'react'; import { render, Box, Text, useInput } from 'ink';
     const items = Array.from({ length: 1000 }, (_, i) => 'item-' + String(i).padStart(4, '0'));
     function App() {
       const [sel, setSel] = useState(0);
       useInput((input, key) => { if (key.downArrow) setSel((s) => Math.min(items.length - 1, s + 1)); if (input === 'q') process.exit(0); });
       const rows = 26; const start = Math.max(0, Math.min(sel - 13, items.length - rows));
       return <Box flexDirection="column" height={29}>{items.slice(start, start + rows).map((it, i) =>
         <Text key={it} inverse={start + i === sel}>{start + i === sel ? '›' : ' '} {it}</Text>)}</Box>;
     }
     render(<App />);`,
  );
  const minApp = await bundle(minSrc, dir);
  const targets = await startTargets(1, 0);
  try {
    const cfg = join(dir, 'console.yaml');
    writeFileSync(
      cfg,
      `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${servicesYaml(1000, 'bench-host', () => `http://127.0.0.1:${targets.ports[0]}/health`)}\n` +
        `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n`,
    );
    const base = startPty(`node ${minApp}`);
    let baseXs;
    try {
      await base.waitFor((s) => s.includes('item-0000'));
      baseXs = await pressAndTime(base, keys, /›\s*(item-\d+)/);
    } finally {
      base.kill();
    }
    const pty = startPty(`node ${bin} --config ${cfg} --lang en`);
    let xs;
    try {
      await pty.waitFor((s) => /svc-0\d{3}\s+UP/.test(s), 0, 30_000);
      await sleep(1000);
      xs = await pressAndTime(pty, keys, /›\s*(svc-\d+)/);
    } finally {
      pty.kill();
    }
    const p99 = percentile(xs, 99);
    const bp99 = percentile(baseXs, 99);
    return [
      {
        figure: `keypress → frame, 1,000 services (p99 of ${keys})`,
        ours: `${p99.toFixed(1)} ms (median ${median(xs).toFixed(1)})`,
        baseline: `${bp99.toFixed(1)} ms (median ${median(baseXs).toFixed(1)}) minimal Ink list`,
        ratio: p99 / bp99,
        budget: 'p99 ≤ 50 ms',
        pass: p99 <= 50,
        data: { keys, ours: { median: median(xs), p99 }, baseline: { median: median(baseXs), p99: bp99 } },
      },
    ];
  } finally {
    targets.stop();
  }
}
