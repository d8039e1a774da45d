// `doai-console stats [--since 30d] [--json]`: incident count, MTTR mean/median/p95 and MTBF over
// a period (R-INC-4, seed 004), from the incidents stored under <stateDir>/incidents.
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { readIncidents } from '../incident/files';
import { computeStats, formatStats, parsePeriod, type IncidentStats } from '../incident/stats';
import { UserError } from './exit';

export function statsCommand(loaded: LoadedConfig, opts: { since?: string; json?: boolean; now?: Date }): { text: string; stats: IncidentStats } {
  const since = opts.since ?? '30d';
  const period = parsePeriod(since);
  if (period === undefined) {
    throw new UserError(`doai-console: --since "${since}" is not a period; use a number and a unit, e.g. 30d, 12h, 90m or 2w`);
  }
  const now = opts.now ?? new Date();
  const { incidents, problems } = readIncidents(join(loaded.paths.stateDir, 'incidents'));
  for (const p of problems) process.stderr.write(`doai-console: skipped ${p}\n`);
  const stats = computeStats(incidents, new Date(now.getTime() - period), now);
  if (opts.json) {
    return {
      stats,
      text: JSON.stringify({ ...stats, since: stats.since.toISOString(), until: stats.until.toISOString() }, null, 2) + '\n',
    };
  }
  return { stats, text: formatStats(stats) };
}
