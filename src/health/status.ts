// `doai-console status [--json]`: probe every service once and say whether all is well, for
// scripts and cron. Exit 0 when every service with a health URL is UP, 1 otherwise; services
// without a health URL are listed as UNKNOWN and do not fail the check. It waits for the sweep,
// so no service with a URL is left UNKNOWN; when nothing has a URL there is nothing to vouch
// for, and that is exit 1, never a vacuous "all UP".
import { realClock } from '../core/clock';
import type { Recommendation, ServiceHealth } from '../core/views';
import type { Config } from '../config/schema';
import { createFleetStore } from './fleet-store';
import type { probeHttp } from './http-probe';

export interface StatusOptions {
  json?: boolean;
  probe?: typeof probeHttp;
  /** Real ms per probe; default health.timeout_s. */
  timeoutMs?: number;
  /** Makes the recommendation fit its target (the loaded runbooks: src/runbook/fit.ts). */
  fitRecommendation?: (rec: Recommendation) => Recommendation | undefined;
}

export interface StatusResult {
  exitCode: 0 | 1;
  text: string;
}

export interface StatusRow {
  name: string;
  host: string;
  url: string | null;
  state: ServiceHealth['state'];
  httpStatus: number | null;
  latencyMs: number | null;
  error: string | null;
}

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  return cells.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export async function runStatusOnce(config: Config, opts: StatusOptions = {}): Promise<StatusResult> {
  // One look cannot count consecutive failures: a service that does not answer now is reported
  // DOWN, not SUSPECT, so a script sees the verdict the operator would act on.
  const oneShot: Config = { ...config, health: { ...config.health, failure_threshold: 1 } };
  const store = createFleetStore({ config: oneShot, clock: realClock(), probe: opts.probe, timeoutMs: opts.timeoutMs });
  if (opts.fitRecommendation) store.setRecommendationFit(opts.fitRecommendation);
  try {
    await store.probeNow();
  } finally {
    store.stop();
  }
  const snapshot = store.getSnapshot();
  const urls = new Map(config.services.map((s) => [s.name, s.health_url ?? null]));
  const rows: StatusRow[] = snapshot.services.map((s) => ({
    name: s.name,
    host: s.host,
    url: urls.get(s.name) ?? null,
    state: s.state,
    httpStatus: s.httpStatus ?? null,
    latencyMs: s.latencyMs ?? null,
    error: s.lastError ?? null,
  }));
  const allUp = rows.some((r) => r.url !== null) && rows.every((r) => r.url === null || r.state === 'UP');
  const exitCode = allUp ? 0 : 1;
  const recommendation = snapshot.recommendation;
  if (opts.json) {
    const out: { services: StatusRow[]; allUp: boolean; recommendation?: Recommendation; checkedAt: string } = {
      services: rows,
      allUp,
      ...(recommendation ? { recommendation } : {}),
      checkedAt: (snapshot.updatedAt ?? new Date()).toISOString(),
    };
    return { exitCode, text: `${JSON.stringify(out, null, 2)}\n` };
  }
  return { exitCode, text: formatStatusTable(rows, recommendation) };
}

export function formatStatusTable(rows: StatusRow[], recommendation?: Recommendation): string {
  if (rows.length === 0) return 'No services declared in the config — add them under services: (see `doai-console init`).\n';
  const table = pad([
    ['SERVICE', 'HOST', 'STATE', 'HTTP', 'LATENCY', 'ERROR'],
    ...rows.map((r) => [
      r.name,
      r.host,
      r.state,
      r.httpStatus === null ? '-' : String(r.httpStatus),
      r.latencyMs === null ? '-' : `${r.latencyMs} ms`,
      r.url === null ? 'no health_url configured' : (r.error ?? ''),
    ]),
  ]);
  const probed = rows.filter((r) => r.url !== null);
  const up = probed.filter((r) => r.state === 'UP').length;
  const verdict =
    probed.length === 0
      ? 'No service has a health_url, so nothing was probed — add health_url: to the services in the config.'
      : up === probed.length
        ? `All ${probed.length} probed services UP.`
        : `${probed.length - up} of ${probed.length} probed services not UP.`;
  const rec = recommendation ? `\nRecommended: ${recommendation.reason.en} (doai-console run ${recommendation.runbook} --target ${recommendation.target})` : '';
  return `${table}\n\n${verdict}${rec}\n`;
}
