// Watch-mode soak: the wall screen (screens/watch) over the real fleet store fed 100,000 probe
// results (an injected probe: no network), frames coalesced every 10 ms, into a counting terminal.
// Prints heap used after GC once warm and at the end. Run with --expose-gc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { createFleetStore } from '../../src/health/fleet-store';
import { CoalescedStore } from '../../src/watch/coalesce';
import { LiveRunsSource } from '../../src/watch/live-runs';
import { startWatch } from '../../screens/watch/start-watch';

const updates = Number(process.argv[2] ?? 100_000);
const services = 100;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

class Terminal extends Writable {
  bytes = 0;
  isTTY = true;
  columns = 100;
  rows = 30;
  _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}
const stdin = Object.assign(new Readable({ read() {} }), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
const stdout = new Terminal();

const dir = mkdtempSync(join(tmpdir(), 'doai-soak-'));
const config = configSchema.parse({
  hosts: [{ name: 'h', address: '127.0.0.1' }],
  services: Array.from({ length: services }, (_, i) => ({ name: `svc-${String(i).padStart(2, '0')}`, host: 'h', unit: `u${i}`, health_url: `http://127.0.0.1:9/${i}` })),
  health: { interval_s: 3600 },
});
let n = 0;
const fleet = createFleetStore({
  config,
  clock: realClock(),
  batchMs: 0,
  // One result per call, alternating so states, samples and errors keep changing.
  probe: async () => {
    n++;
    return n % 7 === 0 ? { ok: false, latencyMs: 3, status: 503, error: 'HTTP 503' } : { ok: true, status: 200, latencyMs: n % 50 };
  },
});
const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined, pollMs: 1000, batchMs: 250 });
const frames = new CoalescedStore([fleet, live], 10);
live.start();
const handle = startWatch({ fleet, live, frames, lang: 'en', configPath: join(dir, 'console.yaml'), clock: realClock() }, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream });

const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let warm = 0;
const t0 = performance.now();
for (let sweep = 0; n < updates; sweep++) {
  await fleet.probeNow();
  // Let timers run: coalesced frames render between sweeps.
  if (sweep % 10 === 0) await new Promise((r) => setTimeout(r, 12));
  if (sweep === 20) warm = heap();
}
await new Promise((r) => setTimeout(r, 100));
const end = heap();
handle.unmount();
live.stop();
frames.stop();
fleet.stop();
rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
process.stdout.write(JSON.stringify({ updates: n, warmHeap: warm, endHeap: end, bytes: stdout.bytes, ms: performance.now() - t0 }) + '\n');
process.exit(0);
