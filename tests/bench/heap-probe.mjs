// Preloaded into a `serve` under benchmark (`node --expose-gc --import <this> bin serve …`): on
// SIGUSR2 it collects garbage twice and writes process.memoryUsage() as JSON to the file named
// by BENCH_HEAP_OUT, so the bench reads a settled heap of the real server process from outside.
// Nothing else changes in the server; serve itself never handles SIGUSR2.
import { renameSync, writeFileSync } from 'node:fs';

const out = process.env.BENCH_HEAP_OUT;
if (out && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    globalThis.gc();
    // Written whole then renamed: the bench never reads half a file.
    writeFileSync(`${out}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
    renameSync(`${out}.tmp`, out);
  });
}
