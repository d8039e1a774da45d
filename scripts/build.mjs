// Bundles the CLI into dist/cli.js: start-up is ~2x faster bundled (DESIGN.md), and
// NODE_ENV=production is defined at build time so React never runs its dev-mode bookkeeping.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devtoolsStub, prevalidateActions, requireBanner } from './esbuild-shared.mjs';
import { inkFastPaths } from './ink-fast-paths.mjs';
import { wrapAsScript } from './script-wrap.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// `--outdir DIR` builds elsewhere (profiling a private copy while others rebuild dist/).
const argOut = process.argv.indexOf('--outdir');
const outdir = argOut > 0 ? resolve(process.argv[argOut + 1]) : fileURLToPath(new URL('../dist', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
// `--ink-full-redraw`: Ink's default whole-frame redraw instead of incremental rendering, the
// baseline the watch benchmark measures beside ours (tests/bench/watch.mjs). Never shipped.
const fullRedraw = process.argv.includes('--ink-full-redraw');
const fullRedrawPlugin = {
  name: 'ink-full-redraw',
  setup(b) {
    b.onLoad({ filter: /[\\/]screens[\\/].*\.tsx$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/incrementalRendering: true/g, 'incrementalRendering: false'),
      loader: 'tsx',
    }));
  },
};

// `import { z } from 'zod'` hands esbuild zod's whole namespace as one value, so all of zod (every
// locale, JSON schema, ~750 KB) is bundled and evaluated before the config can be checked (~40 ms
// of the first frame). The same binding as a namespace import (`import * as z`) lets esbuild keep
// only what the schemas use (~170 KB). Same module, same `z`, same error messages.
const ZOD_NAMED = /^import \{ z \} from 'zod';$/m;
const zodNamespace = {
  name: 'zod-namespace',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!ZOD_NAMED.test(text)) return undefined;
      return { contents: text.replace(ZOD_NAMED, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

// yoga-layout (Ink's layout engine) ships its wasm as a base64 data: URL and, when a global fetch
// exists, "fetches" it: on Node 20 that loads Node's internal undici (~15 ms of the first frame,
// in every process that draws) only to decode base64. Its own synchronous decoder is used when
// there is no fetch; take that path for data: URLs. The build fails if yoga's text changes.
// Its decoder then goes through atob and a character loop (~2 ms); Buffer decodes base64 natively.
const YOGA_EDITS = [
  ['function ya(){return w||"function"!=typeof fetch?', 'function ya(){return w||ua(H)||"function"!=typeof fetch?'],
  ['var b=xa(a.slice(37)),c=new Uint8Array(b.length);for(a=0;a<b.length;++a)c[a]=b.charCodeAt(a);var d=c', 'var d=new Uint8Array(Buffer.from(a.slice(37),"base64"))'],
];
const yogaNoFetch = {
  name: 'yoga-no-fetch',
  setup(b) {
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [from, to] of YOGA_EDITS) {
        if (text.split(from).length !== 2) throw new Error(`yoga-no-fetch: ${args.path} no longer has the expected loader; review the plugin`);
        text = text.replace(from, to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

// Ink measures every string it lays out and draws with string-width, which is slow for anything
// but ASCII (box lines, sparklines, arrows). Imports that resolve to the copy Ink and our screens
// share (the top-level one) go to src/core/text-width.ts: the same answers, a fast path for the
// characters a frame is made of. Other copies (wrap-ansi pins an older major) are left alone.
const textWidthModule = join(root, 'src/core/text-width.ts');
const sharedStringWidth = join(root, 'node_modules/string-width/index.js');
const fastTextWidth = {
  name: 'fast-text-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.importer === textWidthModule || args.pluginData?.real) return undefined;
      const real = await b.resolve('string-width', { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { real: true } });
      return real.path === sharedStringWidth ? { path: textWidthModule } : undefined;
    });
  },
};

const prevalidated = await prevalidateActions(root);

// What the validated-config cache is keyed on (src/config/cache.ts): the sources and the locked
// dependency versions. Any change to them is a new build whose first start validates afresh.
function buildId() {
  const hash = createHash('sha256').update(readFileSync(join(root, 'package-lock.json')));
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name)) hash.update(p.slice(root.length)).update(readFileSync(p));
    }
  };
  walk(join(root, 'src'));
  return hash.digest('hex').slice(0, 32);
}

// Old chunks would pile up (hashed names): start from an empty output directory.
rmSync(outdir, { recursive: true, force: true });

const id = buildId();

// Everything the bundles are built with: the same plugins, the same defined constants.
const common = () => ({
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  jsx: 'automatic',
  // ssh2 loads optional native addons (cpu-features, sshcrypto) with require(); keep it external.
  // pg requires pg-native only when asked for its libpq binding (never here): not bundled.
  external: ['ssh2', 'cpu-features', 'pg-native'],
  plugins: [devtoolsStub, zodNamespace, yogaNoFetch, fastTextWidth, inkFastPaths(root, readFileSync), ...(fullRedraw ? [fullRedrawPlugin] : [])],
  define: {
    'process.env.NODE_ENV': '"production"',
    __DOAI_VERSION__: JSON.stringify(pkg.version),
    __DOAI_PREVALIDATED__: JSON.stringify(prevalidated),
    __DOAI_BUILD_ID__: JSON.stringify(id),
  },
  logLevel: 'warning',
});

// The CLI: every command; and the standalone console's server core as an entry of its own, which
// the console script below imports after its first frame (src/cli/code-cache.ts).
await build({
  ...common(),
  entryPoints: { cli: join(root, 'src/cli/entry.ts'), 'standalone-core': join(root, 'src/server/standalone.ts') },
  outdir,
  // Split at dynamic imports: a subcommand's modules load only when that command runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  banner: requireBanner,
});

// The console's fast start as one classic script, compiled with V8's code cache from its second
// start on (src/cli/code-cache.ts, scripts/script-wrap.mjs): the same modules as the CLI's path to
// the first frame. The standalone console's server core stays the CLI's (the entry above), and
// undici (the prober's, imported when it first probes) is the installed package.
const coreOutside = {
  name: 'standalone-core-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/server\/standalone$/ }, (args) => (args.kind === 'dynamic-import' ? { path: './standalone-core.js', external: true } : undefined));
  },
};
const base = common();
const consoleBundle = await build({
  ...base,
  entryPoints: [join(root, 'src/cli/fast-start.ts')],
  external: [...base.external, 'undici'],
  plugins: [coreOutside, ...base.plugins],
  write: false,
  outfile: join(outdir, 'console.mjs'),
});
writeFileSync(join(outdir, 'console.js'), wrapAsScript(consoleBundle.outputFiles[0].text));

// What bin/doai-console.js imports: runs the console script above from its code cache, or the CLI.
await build({ ...common(), entryPoints: { start: join(root, 'src/cli/start.ts') }, outdir, banner: requireBanner });
