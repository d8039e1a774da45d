// One sweep of the console's own fleet store (src/health/fleet-store.ts: capped concurrency,
// per-probe timeout) over the given loopback endpoints; bundled and run by probe-sweep.mjs.
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { createFleetStore } from '../../src/health/fleet-store';

export async function sweep(ports: number[], timeoutS: number): Promise<{ wallMs: number; up: number; failed: number }> {
  const config = configSchema.parse({
    hosts: [{ name: 'h', address: '127.0.0.1' }],
    services: ports.map((p, i) => ({ name: `svc-${i}`, host: 'h', unit: `svc-${i}`, health_url: `http://127.0.0.1:${p}/health` })),
    health: { interval_s: 3600, timeout_s: timeoutS, failure_threshold: 3 },
  });
  const fleet = createFleetStore({ config, clock: realClock() });
  const t0 = performance.now();
  await fleet.probeNow();
  const wallMs = performance.now() - t0;
  const services = fleet.getSnapshot().services;
  fleet.stop();
  return { wallMs, up: services.filter((s) => s.consecutiveFailures === 0).length, failed: services.filter((s) => s.consecutiveFailures > 0).length };
}
