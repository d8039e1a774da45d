// Settings shared by the CLI bundle and the benchmark's minimal Ink app, so both are built alike.
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

// ink reaches react-devtools-core only when DEV=true (never in production), but its module
// imports it statically; it is not installed, so bundles get an inert stand-in.
export const devtoolsStub = {
  name: 'devtools-stub',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
      loader: 'js',
    }));
  },
};

// An ESM bundle still meets require() in CommonJS dependencies.
export const requireBanner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};

/**
 * Validates the built-in runbooks and checklists with the loaders' own code, so the console skips
 * a cold YAML parser and zod for them at every start (src/config/prevalidated.ts): the table maps
 * a hash of each file's exact text to its validated data, as a JSON string for define.
 */
export async function prevalidateActions(root) {
  const tmp = mkdtempSync(join(tmpdir(), 'doai-build-'));
  try {
    const file = join(tmp, 'validate.mjs');
    await build({
      stdin: {
        contents:
          "export { parseRunbook } from './src/runbook/loader'; export { parseChecklist } from './src/checklist/loader';" +
          "export { prevalidatedKey } from './src/config/prevalidated';",
        resolveDir: root,
        loader: 'ts',
      },
      outfile: file,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external: ['ssh2', 'cpu-features'],
      banner: requireBanner,
      logLevel: 'warning',
    });
    const { parseRunbook, parseChecklist, prevalidatedKey } = await import(pathToFileURL(file).href);
    const table = {};
    const sets = [
      { kind: 'runbook', dir: join(root, 'actions'), parse: parseRunbook, field: 'runbook', source: 'source' },
      { kind: 'checklist', dir: join(root, 'actions/checklists'), parse: parseChecklist, field: 'checklist', source: 'source_file' },
    ];
    for (const set of sets) {
      for (const name of readdirSync(set.dir).filter((n) => /\.ya?ml$/i.test(n)).sort()) {
        const text = readFileSync(join(set.dir, name), 'utf8');
        const res = set.parse(text, join(set.dir, name));
        if (!res.ok) {
          // Left out: the console reports it at start exactly as without the table.
          console.warn(`build: ${set.kind} ${name} does not validate:\n${res.problems.join('\n')}`);
          continue;
        }
        const { [set.source]: _where, ...data } = res[set.field];
        const json = JSON.stringify(data);
        // Only plain data can be shipped as JSON; anything else keeps being parsed at start.
        if (!isDeepStrictEqual(JSON.parse(json), data)) {
          console.warn(`build: ${set.kind} ${name} does not survive JSON; it is validated at start`);
          continue;
        }
        table[prevalidatedKey(set.kind, text)] = json;
      }
    }
    return JSON.stringify(table);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
