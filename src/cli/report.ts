// `doai-console report [incident]`: (re)writes an incident's markdown report from what is stored
// under <stateDir>/incidents and prints it (R-INC-3). Headless: no fleet, no SSH.
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { realClock } from '../core/clock';
import type { Lang } from '../core/views';
import { createIncidentStore } from '../incident/store';
import { UserError } from './exit';
import { operatorName } from '../config/operator';
import { incidentRecordsFor } from '../state/pg-incidents';

/** The store `report` reads, and what closes its database connection (a server answers many reports). */
export function incidentStoreFor(loaded: LoadedConfig, lang: Lang): { store: ReturnType<typeof createIncidentStore>; close: () => void } {
  const { config, paths } = loaded;
  // postgres: every box's incidents, from the database (this box's copy while it is away).
  const records = incidentRecordsFor(config.state, join(paths.stateDir, 'incidents'));
  const store = createIncidentStore({
    dir: join(paths.stateDir, 'incidents'),
    ...(records ? { records } : {}),
    reportsDir: paths.incidentsDir,
    snapshotsDir: paths.snapshotsDir,
    alertsFile: join(paths.stateDir, 'alerts.jsonl'),
    clock: realClock(),
    operator: operatorName(),
    rtoMin: config.rto_min,
    contacts: config.contacts.map((c) => ({ name: c.name, role: c.role, ...(c.reach ? { reach: c.reach } : {}), fromMin: c.from_min })),
    lang,
    hostOf: (s) => config.services.find((x) => x.name === s)?.host,
    pollMs: 0,
  });
  return { store, close: () => records?.close?.() };
}

export function reportCommand(loaded: LoadedConfig, wanted: string | undefined, opts: { lang: Lang }): { markdown: string; path: string } {
  const { store, close } = incidentStoreFor(loaded, opts.lang);
  try {
    return reportFrom(store, loaded, wanted);
  } finally {
    close();
  }
}

function reportFrom(store: ReturnType<typeof createIncidentStore>, loaded: LoadedConfig, wanted: string | undefined): { markdown: string; path: string } {
  const dir = join(loaded.paths.stateDir, 'incidents');
  const all = store.getSnapshot().incidents;
  if (!all.length) {
    throw new UserError(`doai-console: no incidents recorded in ${dir} yet — an incident opens when a runbook starts, or with i in the console`);
  }
  let chosen = all[0]!;
  if (wanted !== undefined) {
    const w = wanted.trim();
    const matches = all.filter((i) => i.id === w);
    const loose = matches.length ? matches : all.filter((i) => i.id.startsWith(w) || i.slug === w);
    if (loose.length !== 1) {
      const list = all.slice(0, 10).map((i) => `  ${i.id}  ${i.state.padEnd(6)}  ${i.title}`).join('\n');
      throw new UserError(
        `doai-console: ${loose.length ? `"${w}" matches ${loose.length} incidents` : `no incident "${w}" in ${dir}`}; give one of these ids:\n${list}`,
      );
    }
    chosen = loose[0]!;
  } else {
    // Without an id: the latest incident, open or closed.
    chosen = [...all].sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime())[0]!;
  }
  try {
    return store.regenerateReport(chosen.id);
  } catch (err) {
    throw new UserError(`doai-console: cannot write the report in ${loaded.paths.incidentsDir}: ${(err as Error).message} — check paths.incidents_dir in the config`, 1);
  }
}
