// R-UI-2: watch mode is read-only BY CONSTRUCTION. The wall screen's entry point is bundled here
// exactly as esbuild sees it; none of the modules that can change the fleet or the records may be
// in its module graph, so no key, bug or plugin in that process can reach them.
import { describe, expect, it } from 'vitest';
import { commands, registryFor } from '../../src/commands/registry';
import { dynamicImportsOnPath, externalsOf, moduleGraph, staticOnly } from '../helpers/module-graph';

/** Modules that start, stop, approve, sign or write records: never in the wall screen. */
const FORBIDDEN = [
  /^src\/runbook\/engine\.ts$/,
  /^src\/runbook\/step-kinds\.ts$/,
  /^src\/runbook\/locks\.ts$/, // acquireLock lives there; watch has its own read-only reader
  /^src\/approval\//,
  /^src\/checklist\//,
  /^src\/ssh\/(?!quote\.ts$)/, // quoting is pure text (runbook templates); connections are not
  /^src\/audit\/emergency-log\.ts$/,
  /^src\/audit\/journal\.ts$/, // the journal writer
  /^src\/health\/alerts/, // the alert engine may start runbooks and send notifications
  // The incident store and files, report writer and wiring; only the pure targets.
  /^src\/incident\/(?!targets\.ts$)/,
  /^src\/core\/atomic-file\.ts$/, // the atomic file writer (incidents, reports, config files)
  /^src\/notify\//,
  /^src\/cli\/context\.ts$/,
  /^src\/cli\/interactive\.ts$/,
  /^src\/demo\//,
];

describe('watch mode module graph', () => {
  it('contains the wall screen and its read-only sources', async () => {
    const inputs = await moduleGraph('src/cli/watch.ts');
    expect(inputs).toContain('src/watch/live-runs.ts');
    expect(inputs).toContain('src/audit/journal-tail.ts');
    expect(inputs).toContain('screens/watch/watch-app.tsx');
    // Alerts and the open incident come from file readers, not from their stores.
    expect(inputs).toContain('src/watch/alerts-reader.ts');
    expect(inputs).toContain('src/watch/incident-reader.ts');
  });

  it('does not contain the engine, approval writers, checklist writers, SSH, or the record writers', async () => {
    const inputs = await moduleGraph('src/cli/watch.ts');
    const leaked = inputs.filter((f) => FORBIDDEN.some((re) => re.test(f)));
    expect(leaked).toEqual([]);
    // The ssh2 package is not imported either (no way to open a remote shell).
    const externals = await externalsOf('src/cli/watch.ts');
    expect(externals.filter((p) => /^ssh2|child_process/.test(p))).toEqual([]);
  });

  it('the check can fail: the operator console entry does reach the engine', async () => {
    const inputs = await moduleGraph('src/cli/context.ts');
    const leaked = inputs.filter((f) => FORBIDDEN.some((re) => re.test(f)));
    expect(leaked).toContain('src/runbook/engine.ts');
    expect(leaked).toContain('src/incident/store.ts');
    expect(leaked).toContain('src/health/alerts-store.ts');
  });

  it('the read-only registry has no dangerous command at all', () => {
    expect(commands.some((c) => c.dangerous)).toBe(true);
    expect(registryFor({ readOnly: true }).filter((c) => c.dangerous)).toEqual([]);
  });
});

/**
 * What `doai-console watch` really loads: bin/doai-console.js imports the bundle of
 * src/cli/entry.ts, which loads the fast start, then main, whose watch command imports
 * src/cli/watch.ts. Static imports load with their module; a dynamic import loads only when its
 * line runs, so only the ones on that path are followed (entry's early import('./interactive')
 * runs for the bare console, not for `watch`). Inside the wall screen's own modules every import
 * is followed (attaching to a server is part of watch).
 */
async function watchEntryGraph(): Promise<string[]> {
  const onPath = {
    'src/cli/entry.ts': ['src/cli/fast-start.ts', 'src/cli/main.ts'],
    'src/cli/fast-start.ts': [],
    'src/cli/main.ts': ['src/cli/watch.ts'],
  };
  // Inside the wall screen's graph every dynamic import is followed.
  return moduleGraph('src/cli/entry.ts', [dynamicImportsOnPath('dynamic-imports-on-the-watch-path', onPath, 'followed')]);
}

/** File writers: never loaded by the wall screen, not even unused. */
const WRITERS = [/^src\/core\/atomic-file\.ts$/, /^src\/config\/cache-write\.ts$/, /^src\/config\/write-starter\.ts$/];

describe('the real entry path of `doai-console watch` (bin → CLI entry → fast start → main → watch)', () => {
  it('loads the wall screen and the CLI around it', async () => {
    const inputs = await watchEntryGraph();
    for (const f of ['src/cli/entry.ts', 'src/cli/fast-start.ts', 'src/cli/main.ts', 'src/cli/watch.ts', 'src/config/cache.ts', 'screens/watch/watch-app.tsx']) expect(inputs).toContain(f);
    expect(inputs).not.toContain('src/cli/interactive.ts');
  });

  it('loads no writer (atomic writer, config-cache writer, starter-config writer) and nothing forbidden to watch', async () => {
    const inputs = await watchEntryGraph();
    // The demo's fault names are a constant list the CLI's help prints; nothing of the fleet.
    const forbidden = [...WRITERS, ...FORBIDDEN].filter((re) => !re.test('src/demo/faults.ts'));
    const leaked = inputs.filter((f) => forbidden.some((re) => re.test(f)) || (/^src\/demo\//.test(f) && f !== 'src/demo/faults.ts'));
    expect(leaked).toEqual([]);
  });

  it('the check can fail: the init command path does reach the starter-config writer', async () => {
    const inputs = await moduleGraph('src/cli/main.ts');
    expect(inputs).toContain('src/config/write-starter.ts');
    expect(inputs).toContain('src/config/cache-write.ts');
  });
});

/**
 * Attached to a server (R-SRV-2), the wall screen gets every fact from the server's snapshots: on
 * top of the above, its graph holds no config loader, no prober, no state-file reader and nothing
 * of the server itself.
 */
const FORBIDDEN_ATTACHED = [
  ...FORBIDDEN,
  /^src\/server\//,
  /^src\/config\//,
  /^src\/health\/(?!recommend\.ts$)/, // probes, node and host stores; the pure recommendation table stays
  /^src\/runbook\//,
  /^src\/audit\//,
  /^src\/watch\/(live-runs|incident-reader|alerts-reader|lock-reader|polled-source|merged-runs)\.ts$/,
];

describe('attached watch module graph', () => {
  it('is the wall screen and the socket client, nothing that probes, reads state files, runs or writes', async () => {
    const inputs = await moduleGraph('src/cli/watch-attached.ts');
    expect(inputs).toContain('src/attach/client.ts');
    expect(inputs).toContain('screens/watch/watch-app.tsx');
    expect(inputs.filter((f) => FORBIDDEN_ATTACHED.some((re) => re.test(f)))).toEqual([]);
    const externals = await externalsOf('src/cli/watch-attached.ts');
    expect(externals.filter((p) => /^(ssh2|undici|yaml|zod|node:child_process)/.test(p))).toEqual([]);
  });

  it('the check can fail: the standalone wall screen does load the config and the probes', async () => {
    const inputs = await moduleGraph('src/cli/watch.ts');
    const leaked = inputs.filter((f) => FORBIDDEN_ATTACHED.some((re) => re.test(f)));
    expect(leaked).toContain('src/config/load.ts');
    expect(leaked).toContain('src/health/fleet-store.ts');
  });
});

describe('attached operator console module graph (R-SRV-3)', () => {
  it('is the screens and the socket client: no engine, runbook loader, lock, journal, approval or any writer', async () => {
    const inputs = await moduleGraph('src/cli/interactive-attached.ts');
    expect(inputs).toContain('src/attach/client.ts');
    expect(inputs).toContain('src/attach/remote-runs.ts');
    expect(inputs).toContain('screens/app.tsx');
    const forbidden = [...FORBIDDEN, ...FORBIDDEN_ATTACHED.filter((re) => !/config/.test(re.source)), /^src\/cli\/resume\.ts$/];
    // Pure text the screens use: the parameter form's checks and templates, node and backup-age wording.
    const pure = new Set(['src/runbook/params.ts', 'src/runbook/template.ts', 'src/health/nodes.ts', 'src/health/backup-freshness.ts']);
    expect(inputs.filter((f) => !pure.has(f) && forbidden.some((re) => re.test(f)))).toEqual([]);
    const externals = await externalsOf('src/cli/interactive-attached.ts');
    expect(externals.filter((p) => /^(ssh2|undici|node:child_process)/.test(p))).toEqual([]);
  });

  it('the console start-up before it attaches loads no engine either (the standalone one is imported only without a server)', async () => {
    const inputs = await moduleGraph('src/cli/interactive.ts', [staticOnly]);
    const forbidden = [/^src\/runbook\/engine\.ts$/, /^src\/approval\//, /^src\/audit\//, /^src\/checklist\//, /^src\/cli\/context\.ts$/, /^src\/server\//];
    expect(inputs.filter((f) => forbidden.some((re) => re.test(f)))).toEqual([]);
  });

  it('the check can fail: the standalone console does load the engine', async () => {
    const inputs = await moduleGraph('src/cli/interactive.ts');
    expect(inputs).toContain('src/runbook/engine.ts');
  });
});
