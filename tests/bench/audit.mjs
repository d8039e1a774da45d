// Audit log: 4 processes appending at once, lines per second with fsync, every line checked whole
// and none lost; beside the same 4 processes doing a plain appendFileSync + fsync loop.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle } from './lib.mjs';

async function runWriters(worker, mode, path, writers, count) {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, (_, id) =>
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [worker, mode, path, String(id), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${mode} writer ${id} exited ${code}`))));
      }),
    ),
  );
  return performance.now() - t0;
}

/** Problems with the file: torn or foreign lines, or a writer's sequence with gaps. */
function check(path, writers, count) {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.pop() !== '') return ['the file does not end with a newline (a torn last line)'];
  const problems = [];
  const seen = Array.from({ length: writers }, () => new Set());
  const re = /^\[[0-9T:+-]{25}\] BENCH: writer=(\d+) seq=(\d+) x{120}$/;
  for (const line of lines) {
    const m = re.exec(line);
    if (!m) {
      problems.push(`torn line: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    seen[Number(m[1])].add(Number(m[2]));
  }
  seen.forEach((s, w) => {
    if (s.size !== count) problems.push(`writer ${w}: ${count - s.size} of ${count} lines lost`);
  });
  return problems;
}

export async function auditLog(work) {
  const dir = join(work, 'audit');
  mkdirSync(dir, { recursive: true });
  const worker = await bundle(join(import.meta.dirname, 'audit-worker.ts'), dir);
  const writers = 4;
  const count = Number(process.env.BENCH_AUDIT_LINES ?? 500);
  const oursPath = join(dir, 'ours.log');
  const plainPath = join(dir, 'plain.log');
  const oursMs = await runWriters(worker, 'ours', oursPath, writers, count);
  const plainMs = await runWriters(worker, 'plain', plainPath, writers, count);
  const problems = [...check(oursPath, writers, count).map((p) => `AuditLog: ${p}`), ...check(plainPath, writers, count).map((p) => `plain: ${p}`)];
  const total = writers * count;
  const ours = total / (oursMs / 1000);
  const plain = total / (plainMs / 1000);
  return [
    {
      figure: `audit log, ${writers} processes × ${count} lines, fsync`,
      ours: `${ours.toFixed(0)} lines/s`,
      baseline: `${plain.toFixed(0)} lines/s appendFileSync+fsync`,
      ratio: ours / plain,
      budget: 'reported; none torn or lost',
      pass: problems.length === 0,
      broken: problems.length ? problems.slice(0, 5).join('; ') : undefined,
      data: { writers, count, oursMs, plainMs, oursLinesPerS: ours, plainLinesPerS: plain },
    },
  ];
}
