// DESIGN.md: screens read stores and send intents, nothing else. No timers, network, files,
// processes or SSH in screens/, and no React/Ink in src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

const importsOf = (code: string) =>
  [...code.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? m[4]!,
  );

const FORBIDDEN_IN_SCREENS = /^(node:)?(fs|fs\/promises|child_process|net|tls|http|https|http2|dgram|dns|timers|timers\/promises|worker_threads)$|^(ssh2|undici|conf)(\/|$)/;
const TIMER_CALLS = /\b(setTimeout|setInterval|setImmediate)\s*\(/;

describe('screens purity', () => {
  const screens = sourceFiles(path.join(root, 'screens'));

  it('finds the screen files', () => {
    expect(screens.length).toBeGreaterThan(5);
  });

  it('the import check catches forbidden imports', () => {
    const sample = `import { Client } from 'ssh2';\nimport fs from "node:fs";\nconst x = await import('undici');\nimport 'node:child_process';`;
    expect(importsOf(sample).filter((s) => FORBIDDEN_IN_SCREENS.test(s))).toEqual(['ssh2', 'node:fs', 'undici', 'node:child_process']);
    expect(TIMER_CALLS.test('useEffect(() => { const t = setInterval(tick, 100) })')).toBe(true);
  });

  it.each(screens.map((f) => [path.relative(root, f), f]))('%s imports no timers, network, fs, child_process, ssh2 or undici', (_rel, file) => {
    const code = readFileSync(file, 'utf8');
    expect(importsOf(code).filter((s) => FORBIDDEN_IN_SCREENS.test(s))).toEqual([]);
    expect(code).not.toMatch(TIMER_CALLS);
  });

  it('src/ has no React or Ink imports', () => {
    for (const file of sourceFiles(path.join(root, 'src'))) {
      const bad = importsOf(readFileSync(file, 'utf8')).filter((s) => /^(react|ink|ink-[\w-]+|react-[\w-]+)(\/|$)/.test(s));
      expect(bad, path.relative(root, file)).toEqual([]);
    }
  });
});
