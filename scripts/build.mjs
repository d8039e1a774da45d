// Bundles the CLI into dist/cli.js: start-up is ~2x faster bundled (DESIGN.md), and
// NODE_ENV=production is defined at build time so React never runs its dev-mode bookkeeping.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { devtoolsStub, requireBanner } from './esbuild-shared.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/cli.js',
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
