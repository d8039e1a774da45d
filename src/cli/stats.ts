// `doai-console stats [--since 30d] [--json]`: incident count, MTTR mean/median/p95 and MTBF over
// a period (R-INC-4, seed 004), from the incidents stored under <stateDir>/incidents; under
// `state.backend: postgres`, every box's incidents from the database (this box's copy, said on
// stderr, while it cannot be read).
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { readIncidents } from '../incident/files';
import { computeStats, formatStats, parsePeriod, type IncidentStats } from '../incident/stats';
import { UserError } from './exit';

export async function statsCommand(loaded: LoadedConfig, opts: { since?: string; json?: boolean; now?: Date; warn?: (line: string) => void }): Promise<{ text: string; stats: IncidentStats }> {
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line));
  const since = opts.since ?? '30d';
  const period = parsePeriod(since);
  if (period === undefined) {
    throw new UserError(`doai-console: --since "${since}" is not a period; use a number and a unit, e.g. 30d, 12h, 90m or 2w`);
  }
  const now = opts.now ?? new Date();
  const copyDir = join(loaded.paths.stateDir, 'incidents');
  const state = loaded.config.state;
  if (state.backend === 'postgres') {
    const { readSharedIncidents } = await import('../state/pg-incidents');
    const shared = await readSharedIncidents(state.url_env, copyDir);
    for (const p of shared.problems) warn(`doai-console: ${p}\n`);
    return shaped(computeStats(shared.incidents, new Date(now.getTime() - period), now), opts.json === true);
  }
  const { incidents, problems } = readIncidents(copyDir);
  for (const p of problems) warn(`doai-console: skipped ${p}\n`);
  return shaped(computeStats(incidents, new Date(now.getTime() - period), now), opts.json === true);
}

function shaped(stats: IncidentStats, json: boolean): { text: string; stats: IncidentStats } {
  if (json) {
    return {
      stats,
      text: JSON.stringify({ ...stats, since: stats.since.toISOString(), until: stats.until.toISOString() }, null, 2) + '\n',
    };
  }
  return { stats, text: formatStats(stats) };
}
