// Watch mode: `doai-console watch` in a pty over 100 services + 10,000 nodes with 1 % changing per
// second; bytes written to the terminal per second and CPU % of a core, beside the same binary
// built with Ink's default full redraw. Soak: 100,000 updates through the wall screen, heap growth
// after GC.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin, bundle, childPid, cpuSeconds, root, sleep, startPty } from './lib.mjs';

// Probes and node polls at the config defaults (30 s): the window spans at least one of each.
const WINDOW_S = Number(process.env.BENCH_WATCH_SECONDS ?? 40);

async function measure(binPath, cfg) {
  const pty = startPty(`node ${binPath} watch --config ${cfg} --lang en --interval 1`);
  try {
    const pid = await childPid(pty.child.pid);
    await pty.waitFor((s) => /svc-\d\d/.test(s), 0, 30_000);
    // Warm-up: first probes, first node list, first transitions.
    await sleep(5000);
    const b0 = pty.bytes;
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const secs = (performance.now() - t0) / 1000;
    return { bytesPerS: (pty.bytes - b0) / secs, cpuPct: ((cpuSeconds(pid) - c0) / secs) * 100 };
  } finally {
    pty.kill();
  }
}

export async function watchMode(work) {
  const dir = join(work, 'watch');
  mkdirSync(dir, { recursive: true });
  // The baseline binary: the same sources built with Ink's whole-frame redraw.
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--outdir', join(dir, 'full/dist'), '--ink-full-redraw'], { stdio: 'inherit' });
  mkdirSync(join(dir, 'full/bin'), { recursive: true });
  copyFileSync(join(root, 'bin/doai-console.js'), join(dir, 'full/bin/doai-console.js'));
  const fleet = spawn(process.execPath, [join(import.meta.dirname, 'watch-fleet.mjs'), '100', '10000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const { port } = JSON.parse(await new Promise((r) => createInterface({ input: fleet.stdout }).once('line', r)));
    const services = Array.from({ length: 100 }, (_, i) => `  - { name: svc-${String(i).padStart(2, '0')}, host: h, unit: u${i}, health_url: "http://127.0.0.1:${port}/svc/${i}" }`).join('\n');
    const cfg = join(dir, 'console.yaml');
    writeFileSync(
      cfg,
      `hosts:\n  - { name: h, address: 127.0.0.1, port: 9 }\nservices:\n${services}\n` +
        `node_sources:\n  - { name: fleet, url: "http://127.0.0.1:${port}/nodes" }\n` +
        `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n`,
    );
    const ours = await measure(bin, cfg);
    const full = await measure(join(dir, 'full/bin/doai-console.js'), cfg);
    return [
      {
        figure: 'watch, 100 svc + 10k nodes, 1 %/s: bytes to terminal',
        ours: `${(ours.bytesPerS / 1024).toFixed(2)} KB/s`,
        baseline: `${(full.bytesPerS / 1024).toFixed(2)} KB/s Ink full redraw`,
        ratio: ours.bytesPerS / full.bytesPerS,
        budget: '≤ 1 KB/s',
        pass: ours.bytesPerS <= 1024,
        data: { windowS: WINDOW_S, ours, fullRedraw: full },
      },
      {
        figure: 'watch, 100 svc + 10k nodes, 1 %/s: CPU',
        ours: `${ours.cpuPct.toFixed(1)} % of a core`,
        baseline: `${full.cpuPct.toFixed(1)} % Ink full redraw`,
        ratio: ours.cpuPct / full.cpuPct,
        budget: '≤ 2 %',
        pass: ours.cpuPct <= 2,
      },
    ];
  } finally {
    fleet.stdin.end();
    fleet.kill();
  }
}

export async function watchSoak(work) {
  const dir = join(work, 'watch-soak');
  mkdirSync(dir, { recursive: true });
  const entry = await bundle(join(import.meta.dirname, 'watch-soak-entry.tsx'), dir);
  const updates = Number(process.env.BENCH_SOAK_UPDATES ?? 100_000);
  // stderr dropped: Ink restores the cursor there on exit.
  const out = execFileSync(process.execPath, ['--expose-gc', entry, String(updates)], { encoding: 'utf8', timeout: 10 * 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
  const r = JSON.parse(out.trim().split('\n').pop());
  const growthMb = (r.endHeap - r.warmHeap) / 1024 / 1024;
  return [
    {
      figure: `watch soak, ${r.updates.toLocaleString('en')} updates: heap growth after GC`,
      ours: `${growthMb.toFixed(2)} MB`,
      baseline: `${(r.warmHeap / 1024 / 1024).toFixed(1)} MB heap when warm`,
      ratio: r.endHeap / r.warmHeap,
      budget: '≤ 5 MB',
      pass: growthMb <= 5,
      data: r,
    },
  ];
}
