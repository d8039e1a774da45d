// Probe sweep: 1,000 loopback endpoints, 10 % hanging, timeout 2 s; the wall time of one sweep of
// the console's fleet store against the timeout itself (the floor: a hung probe cannot end sooner).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { importBundled } from './lib.mjs';

export async function probeSweep(work) {
  const n = 1000;
  const timeoutS = 2;
  const targets = spawn(process.execPath, [join(import.meta.dirname, 'http-targets.mjs'), String(n), '10'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const first = await new Promise((resolve, reject) => {
      createInterface({ input: targets.stdout }).once('line', resolve);
      targets.once('exit', () => reject(new Error('http-targets exited early')));
    });
    const { ports } = JSON.parse(first);
    const { sweep } = await importBundled(join(import.meta.dirname, 'probe-sweep-entry.ts'), work);
    const r = await sweep(ports, timeoutS);
    const hanging = n / 10;
    // Functional check: exactly the hanging ones fail.
    const broken = r.up !== n - hanging || r.failed !== hanging;
    return [
      {
        figure: `probe sweep, ${n} endpoints, 10 % hanging`,
        ours: `${r.wallMs.toFixed(0)} ms`,
        baseline: `${timeoutS * 1000} ms timeout`,
        ratio: r.wallMs / (timeoutS * 1000),
        budget: '≤ 1.5×',
        pass: r.wallMs / (timeoutS * 1000) <= 1.5,
        broken: broken ? `expected ${n - hanging} up and ${hanging} failed, got ${r.up} up and ${r.failed} failed` : undefined,
        data: r,
      },
    ];
  } finally {
    targets.stdin.end();
    targets.kill();
  }
}
