// Issue 16's figures: a /metrics scrape with 1,000 services and 10,000 nodes (≤ 50 ms, ≤ 2 MB;
// nodes counted, not one series each) and a 1,000-alert Alertmanager burst in one post (≤ 1 s),
// each beside a same-run baseline: the same bytes served as a fixed string, and a handler that only
// reads and parses the post.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { importBundled } from './lib.mjs';

export async function monitoring(work, runs = 11) {
  mkdirSync(work, { recursive: true });
  const { scrape, burst } = await importBundled(join(import.meta.dirname, 'monitoring-entry.ts'), work);
  const s = await scrape(runs);
  const b = await burst(Math.min(runs, 7), work);
  const mb = s.bytes / (1024 * 1024);
  return [
    {
      figure: '/metrics scrape, 1,000 services + 10,000 nodes',
      ours: `${s.ms.toFixed(1)} ms, ${mb.toFixed(2)} MB`,
      baseline: `${s.baseMs.toFixed(1)} ms (same bytes, fixed)`,
      ratio: s.ms / s.baseMs,
      budget: '≤ 50 ms, ≤ 2 MB',
      pass: s.ms <= 50 && mb <= 2,
      // Functional: nodes are counted (2 series per source), every service has its series.
      broken: s.nodeLines !== 10 || s.serviceLines !== 1000 ? `expected 10 doai_nodes series and 1000 services, got ${s.nodeLines} and ${s.serviceLines}` : undefined,
      data: s,
    },
    {
      figure: 'Alertmanager burst, 1,000 alerts in one post',
      ours: `${b.ms.toFixed(0)} ms`,
      baseline: `${b.baseMs.toFixed(0)} ms (read + parse only)`,
      ratio: b.ms / b.baseMs,
      budget: '≤ 1000 ms',
      pass: b.ms <= 1000,
      broken: b.fired !== b.resolved || b.fired !== Math.min(runs, 7) * 1000 ? `fired ${b.fired}, resolved ${b.resolved}` : undefined,
      data: b,
    },
  ];
}
