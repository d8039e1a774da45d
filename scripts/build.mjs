// Bundles the CLI into dist/cli.js: start-up is ~2x faster bundled (DESIGN.md), and
// NODE_ENV=production is defined at build time so React never runs its dev-mode bookkeeping.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { devtoolsStub, requireBanner } from './esbuild-shared.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Old chunks would pile up (hashed names): start from an empty dist/.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/cli/entry.ts' },
  outdir: 'dist',
  // Split at dynamic imports: a subcommand's modules load only when that command runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  jsx: 'automatic',
  sourcemap: 'linked',
  // ssh2 loads optional native addons (cpu-features, sshcrypto) with require(); keep it external.
  external: ['ssh2', 'cpu-features'],
  plugins: [devtoolsStub],
  define: { 'process.env.NODE_ENV': '"production"', __DOAI_VERSION__: JSON.stringify(pkg.version) },
  banner: requireBanner,
  logLevel: 'warning',
});
