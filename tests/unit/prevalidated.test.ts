// The build validates the built-in runbooks and checklists once and ships the results keyed by a
// hash of each file's text (start-up budget, issue 8). The loaders must give exactly what parsing
// gives, and a file whose text differs from the one built must still be parsed and validated.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { prevalidateActions } from '../../scripts/esbuild-shared.mjs';

const root = resolve(__dirname, '../..');
const actions = join(root, 'actions');
const g = globalThis as { __DOAI_PREVALIDATED__?: string };

let table: string;
let dir: string;
beforeAll(async () => {
  table = await prevalidateActions(root);
  dir = mkdtempSync(join(tmpdir(), 'doai-preval-'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
afterEach(() => {
  delete g.__DOAI_PREVALIDATED__;
  vi.resetModules();
});

/** The loaders as the bundle sees them (with the table) or as tests and tsx see them (without). */
async function loaders(withTable: boolean) {
  vi.resetModules();
  if (withTable) g.__DOAI_PREVALIDATED__ = table;
  else delete g.__DOAI_PREVALIDATED__;
  const runbook = await import('../../src/runbook/loader');
  const checklist = await import('../../src/checklist/loader');
  const pre = await import('../../src/config/prevalidated');
  return { ...runbook, ...checklist, ...pre };
}

const yamlIn = (d: string) => readdirSync(d).filter((n) => n.endsWith('.yaml'));

describe('prevalidated built-ins', () => {
  it('has one entry per built-in runbook and checklist', () => {
    const keys = Object.keys(JSON.parse(table) as Record<string, string>);
    expect(keys.filter((k) => k.startsWith('runbook:'))).toHaveLength(yamlIn(actions).length);
    expect(keys.filter((k) => k.startsWith('checklist:'))).toHaveLength(yamlIn(join(actions, 'checklists')).length);
  });

  it('loads exactly what parsing loads, and uses the table for it', async () => {
    const plain = await loaders(false);
    const parsedRunbooks = plain.loadRunbooks({ builtinDir: actions });
    const parsedChecklists = plain.loadChecklists({ builtinDir: join(actions, 'checklists') });
    expect(plain.prevalidated('runbook', readFileSync(join(actions, 'l1-soft-reset.yaml'), 'utf8'))).toBeUndefined();

    const built = await loaders(true);
    expect(built.prevalidated('runbook', readFileSync(join(actions, 'l1-soft-reset.yaml'), 'utf8'))).toMatchObject({ id: 'l1-soft-reset' });
    expect(built.loadRunbooks({ builtinDir: actions })).toEqual(parsedRunbooks);
    expect(built.loadChecklists({ builtinDir: join(actions, 'checklists') })).toEqual(parsedChecklists);
  });

  it('gives each caller its own copy (a caller changing a runbook changes no other)', async () => {
    const built = await loaders(true);
    const text = readFileSync(join(actions, 'l1-soft-reset.yaml'), 'utf8');
    const a = built.parseRunbook(text, 'a.yaml');
    const b = built.parseRunbook(text, 'b.yaml');
    if (!a.ok || !b.ok) throw new Error('built-in l1 does not load');
    a.runbook.steps.length = 0;
    expect(b.runbook.steps.length).toBeGreaterThan(0);
    expect(b.runbook.source).toBe('b.yaml');
  });

  it('still validates a built-in edited in place: the error names the file, line and field', async () => {
    const built = await loaders(true);
    const edited = join(dir, 'edited');
    mkdirSync(edited);
    for (const n of yamlIn(actions)) copyFileSync(join(actions, n), join(edited, n));
    const file = join(edited, 'l1-soft-reset.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^id: l1-soft-reset$/m);
    writeFileSync(file, text.replace(/^level: .*$/m, 'level: "L 1"'));
    let err: Error | undefined;
    try {
      built.loadRunbooks({ builtinDir: edited });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('RunbookLoadError');
    expect(err?.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: level: `));
  });
});
