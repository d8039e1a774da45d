// Issue 13: the console attached to a server loads no config validation, no prober and no engine
// (everything it shows is the server's). What it really loads: bin/doai-console.js imports the
// bundle of src/cli/entry.ts, which starts loading src/cli/interactive.ts early (bare console on a
// terminal) and takes the fast start (src/cli/fast-start.ts: a config validated before, read from
// the cache), whose runInteractive imports src/cli/interactive-attached.ts once a server answers.
// Static imports load with their module; a dynamic import only when its line runs, so only those
// on this path are followed (the standalone branch's and main's are not).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dynamicImportsOnPath, graphOf, moduleGraph, ROOT, staticOnly } from '../helpers/module-graph';

const onAttachedPath = dynamicImportsOnPath(
  'dynamic-imports-on-the-attached-path',
  {
    'src/cli/entry.ts': ['src/cli/interactive.ts', 'src/cli/fast-start.ts'],
    'src/cli/fast-start.ts': ['src/cli/interactive.ts'],
    'src/cli/interactive.ts': ['src/cli/interactive-attached.ts'],
  },
  // Any other dynamic import (a package's optional part, a screen's later chunk) is not loaded at start.
  'external',
);

async function attachedGraph(): Promise<{ inputs: string[]; packages: string[] }> {
  const { inputs, externals } = await graphOf('src/cli/entry.ts', [onAttachedPath]);
  return { inputs, packages: externals.filter((i) => i.kind !== 'dynamic-import').map((i) => i.path) };
}

/** Config validation, probing, the engine and the record writers: the server's, never the attached console's. */
const NOT_ATTACHED = [
  /^src\/config\/(schema|load|validate|cache-write|write-starter)\.ts$/,
  /^src\/health\/(fleet-store|nodes-store|hosts-store|polling-store|http-probe|websocket|alerts-store|alerts)\.ts$/,
  /^src\/core\/lazy-undici\.ts$/,
  /^src\/runbook\/(engine|step-kinds|locks|loader)\.ts$/,
  /^src\/ssh\/(?!quote\.ts$)/,
  /^src\/audit\/(emergency-log|journal)\.ts$/,
  /^src\/core\/atomic-file\.ts$/,
  /^src\/cli\/(context|main)\.ts$/,
  /^src\/server\//,
  /^src\/notify\//,
  /^src\/demo\//,
];

// From its second start on, the console is dist/console.js: src/cli/fast-start.ts and what it
// imports as one script, compiled with V8's code cache, which bin/doai-console.js reaches through
// dist/start.js (src/cli/start.ts). Its path from fast-start on is the one below, so the same rules
// hold for it; the start module itself loads no more than this.
describe('dist/console.js, the script the start module runs (as built)', () => {
  /** The standalone console's own first frame: its prober, evaluated only when no server answers. */
  const STANDALONE_FIRST_FRAME = /^src\/health\/(fleet-store|polling-store|http-probe)\.ts$/;
  const modules = () => [...readFileSync(join(ROOT, 'dist/console.js'), 'utf8').matchAll(/^\/\/ ((?:src|screens)\/\S+\.tsx?)$/gm)].map((m) => m[1]!);

  it('holds the path to the first frame: the fast start, the attaching client, the screens', () => {
    for (const f of ['src/cli/fast-start.ts', 'src/cli/interactive.ts', 'src/cli/interactive-attached.ts', 'src/attach/client.ts', 'screens/app.tsx']) expect(modules()).toContain(f);
  });

  it('holds nothing of the server core: no config validation, engine, SSH client, writer, server module, notifier or demo', () => {
    expect(modules().filter((f) => NOT_ATTACHED.some((re) => re.test(f)) && !STANDALONE_FIRST_FRAME.test(f))).toEqual([]);
    // The standalone console's core is the CLI's own entry, imported after the first frame.
    expect(readFileSync(join(ROOT, 'dist/console.js'), 'utf8')).toContain('__import(new URL("./standalone-core.js", __meta_url).href)');
  });
});

describe('the start module (bin → start → console.js or cli.js)', () => {
  it('only picks: no screens, no Ink, no engine; its one writer is the code cache', async () => {
    const { inputs, externals } = await graphOf('src/cli/start.ts', [staticOnly]);
    expect(inputs.filter((f) => f.startsWith('screens/') || NOT_ATTACHED.some((re) => re.test(f)))).toEqual(['src/core/atomic-file.ts']);
    expect(externals.map((i) => i.path).filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});

describe('the attached console at start (bin → entry → fast start → interactive → interactive-attached)', () => {
  it('loads the attaching client and the screens', async () => {
    const { inputs } = await attachedGraph();
    for (const f of ['src/cli/fast-start.ts', 'src/cli/interactive.ts', 'src/cli/interactive-attached.ts', 'src/attach/client.ts', 'src/config/cache.ts', 'screens/app.tsx']) expect(inputs).toContain(f);
  });

  it('loads no config validation, prober, engine, SSH, writer or server module, and none of their packages', async () => {
    const { inputs, packages } = await attachedGraph();
    expect(inputs.filter((f) => NOT_ATTACHED.some((re) => re.test(f)))).toEqual([]);
    expect(packages.filter((p) => /^(zod|yaml|undici|ssh2|pg|prom-client|commander)(\/|$)/.test(p))).toEqual([]);
  });

  it('the check can fail: the standalone branch of the same module does load the prober', async () => {
    const everything = await moduleGraph('src/cli/interactive.ts');
    expect(everything).toContain('src/health/fleet-store.ts');
    expect(everything).toContain('src/cli/context.ts');
  });
});
