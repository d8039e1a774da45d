// R-CHK-5 with real processes: a console that signs and is then killed (SIGHUP as when the
// operator's SSH drops, or SIGKILL) loses nothing; two processes signing the same checklist at
// once lose none of each other's lines. The children use the real store on real files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import { createChecklistStore } from '../../src/checklist/store';
import type { ChecklistDefinition } from '../../src/checklist/schema';

const ROOT = resolve(__dirname, '../..');
const ITEMS = 120;

const definition: ChecklistDefinition = {
  id: 'big',
  title: { en: 'Big', ko: '큰' },
  post_recovery: false,
  sections: [{ id: 's', title: { en: 'S', ko: '가' }, items: Array.from({ length: ITEMS }, (_, i) => ({ id: `i${i}`, text: { en: `Item ${i}`, ko: `항목 ${i}` } })) }],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chk-proc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function storeIn(stateDir: string, operator = 'parent') {
  return createChecklistStore({ dir: stateDir, definitions: [definition], clock: new FakeClock(), operator, facts: () => ({ services: [] }), scopeOf: () => ({ services: [], hosts: [] }), pollMs: 0 });
}

/** A child console: signs the given items (and notes each), printing a line after each, then idles until killed. */
function child(instanceId: string, items: number[], operator: string): { proc: ChildProcess; signed: Promise<number>; lines: () => string[] } {
  const script = join(dir, `child-${operator}.ts`);
  writeFileSync(
    script,
    `
import { createChecklistStore } from ${JSON.stringify(join(ROOT, 'src/checklist/store'))};
import { realClock } from ${JSON.stringify(join(ROOT, 'src/core/clock'))};
const def = ${JSON.stringify(definition)};
const store = createChecklistStore({ dir: ${JSON.stringify(join(dir, 'checklists'))}, definitions: [def], clock: realClock(), operator: ${JSON.stringify(operator)}, facts: () => ({ services: [] }), scopeOf: () => ({ services: [], hosts: [] }), pollMs: 0 });
for (const i of ${JSON.stringify(items)}) {
  const a = store.sign(${JSON.stringify(instanceId)}, 'i' + i);
  const b = store.note(${JSON.stringify(instanceId)}, 'i' + i, 'by ${operator}');
  if (!a.ok || !b.ok) { console.log('ERROR ' + JSON.stringify(a.ok ? b : a)); process.exit(3); }
  console.log('signed i' + i);
}
console.log('done');
setInterval(() => {}, 1000);
`,
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let buf = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const signed = new Promise<number>((resolveSigned, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      out.push(...parts);
      if (parts.includes('done')) resolveSigned(out.filter((l) => l.startsWith('signed')).length);
      const e = parts.find((l) => l.startsWith('ERROR'));
      if (e) reject(new Error(e));
    });
    proc.on('exit', (code, sig) => {
      if (!out.includes('done')) reject(new Error(`child ${operator} exited ${code ?? sig} before finishing: ${err}`));
    });
  });
  return { proc, signed, lines: () => out };
}

const exited = (p: ChildProcess) => new Promise<NodeJS.Signals | number | null>((r) => (p.exitCode !== null || p.signalCode ? r(p.signalCode ?? p.exitCode) : p.on('exit', (c, s) => r(s ?? c))));

describe('checklist persistence across processes', () => {
  for (const signal of ['SIGHUP', 'SIGKILL'] as const) {
    it(`a console killed with ${signal} right after signing resumes with every sign-off`, async () => {
      const parent = storeIn(join(dir, 'checklists'));
      const opened = parent.open('big');
      expect(opened.ok).toBe(true);
      const id = (opened as { instanceId: string }).instanceId;
      const c = child(id, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'orion');
      expect(await c.signed).toBe(10);
      c.proc.kill(signal);
      expect(await exited(c.proc)).toBe(signal);
      // "Started again": a fresh store reads the files from scratch.
      const again = storeIn(join(dir, 'checklists'), 'orion');
      const inst = again.getSnapshot().instances.find((i) => i.instanceId === id)!;
      expect(inst.signed).toBe(10);
      const items = inst.sections[0]!.items;
      for (let i = 0; i < 10; i++) {
        expect(items[i]!.signed?.operator).toBe('orion');
        expect(items[i]!.notes.map((n) => n.text)).toEqual(['by orion']);
      }
      expect(items[10]!.signed).toBeUndefined();
    }, 30_000);
  }

  it('two consoles signing the same checklist at once lose none of each other\'s lines', async () => {
    const parent = storeIn(join(dir, 'checklists'));
    const id = (parent.open('big') as { instanceId: string }).instanceId;
    const evens = Array.from({ length: ITEMS / 2 }, (_, k) => 2 * k);
    const odds = evens.map((e) => e + 1);
    const a = child(id, evens, 'orion');
    const b = child(id, odds, 'vega');
    expect(await Promise.all([a.signed, b.signed])).toEqual([ITEMS / 2, ITEMS / 2]);
    a.proc.kill('SIGKILL');
    b.proc.kill('SIGKILL');
    await Promise.all([exited(a.proc), exited(b.proc)]);
    const raw = readFileSync(join(dir, 'checklists', `${id}.jsonl`), 'utf8');
    const lines = raw.trimEnd().split('\n');
    // created + (sign + note) per item, every line whole JSON.
    expect(lines).toHaveLength(1 + 2 * ITEMS);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    // The parent store sees the other consoles' lines by re-reading.
    expect(parent.refresh()).toBe(true);
    const inst = storeIn(join(dir, 'checklists')).getSnapshot().instances[0]!;
    expect(inst.signed).toBe(ITEMS);
    expect(inst.sections[0]!.items.filter((i) => i.signed?.operator === 'vega').map((i) => i.id)).toEqual(odds.map((o) => `i${o}`));
  }, 60_000);

  it('a line torn by a crash mid-write is skipped and said, the rest is kept', () => {
    const parent = storeIn(join(dir, 'checklists'));
    const id = (parent.open('big') as { instanceId: string }).instanceId;
    parent.sign(id, 'i0');
    const file = join(dir, 'checklists', `${id}.jsonl`);
    writeFileSync(file, readFileSync(file, 'utf8') + '{"type":"signed","item":"i1","oper\n', { flag: 'w' });
    const again = storeIn(join(dir, 'checklists'));
    const snap = again.getSnapshot();
    expect(snap.instances[0]!.signed).toBe(1);
    expect(snap.problems.join('\n')).toMatch(/skipped an unreadable line/);
  });
});
