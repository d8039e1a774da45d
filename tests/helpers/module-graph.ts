// What a module really loads, as esbuild bundles it: for the tests that prove a process cannot
// reach a module (watch is read-only by construction, the attached console loads no engine).
// Packages stay external (not ours to audit), but which ones are imported is reported.
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ModuleGraph {
  /** Our source files in the graph, relative to the repository (`src/cli/watch.ts`). */
  inputs: string[];
  /** The packages and node: modules it imports, with how (`import-statement`, `dynamic-import`, …). */
  externals: { path: string; kind: string }[];
}

export async function graphOf(entry: string, plugins: Plugin[] = []): Promise<ModuleGraph> {
  const result = await build({
    plugins,
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    jsx: 'automatic',
    packages: 'external',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const meta = result.metafile!;
  const externals = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => ({ path: i.path, kind: i.kind })));
  return { inputs: Object.keys(meta.inputs), externals };
}

export async function moduleGraph(entry: string, plugins: Plugin[] = []): Promise<string[]> {
  return (await graphOf(entry, plugins)).inputs;
}

/** The packages and node: modules the entry's graph imports (dynamic imports included). */
export async function externalsOf(entry: string, plugins: Plugin[] = []): Promise<string[]> {
  return (await graphOf(entry, plugins)).externals.map((i) => i.path);
}

/**
 * A process's real path through dynamic imports: a dynamic import loads only when its line runs,
 * so from each importer named in `onPath` only the imports listed for it are followed. Dynamic
 * imports elsewhere are left out (`others: 'external'`) or followed (`others: 'followed'`).
 */
export function dynamicImportsOnPath(name: string, onPath: Record<string, string[]>, others: 'external' | 'followed'): Plugin {
  return {
    name,
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === 'resolving') return undefined;
        const allowed = onPath[path.relative(ROOT, args.importer)];
        if (!allowed && others === 'followed') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        return allowed?.includes(path.relative(ROOT, r.path)) ? r : { path: args.path, external: true };
      });
    },
  };
}

/** Only what loads with the module itself: dynamic imports are left out (they load when their line runs). */
export const staticOnly: Plugin = {
  name: 'static-imports-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};
