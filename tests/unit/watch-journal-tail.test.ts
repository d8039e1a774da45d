// The journal tailer other consoles and watch mode read runs through: whole lines only, torn
// lines picked up when completed, truncation (copytruncate) and replacement (rename) followed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalTail, parseJournalEvent, readJournalEnds } from '../../src/audit/journal-tail';

let dir: string;
let path: string;

const ev = (type: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type, runId: 'r1', at: '2026-01-04T06:30:00.000Z', ...extra }) + '\n';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-tail-'));
  path = join(dir, 'r1.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

describe('JournalTail', () => {
  it('a missing file yields nothing (the run has not written yet)', () => {
    expect(new JournalTail(path).read()).toEqual([]);
  });

  it('returns new whole events since the last read, with dates as Dates', () => {
    const tail = new JournalTail(path);
    writeFileSync(path, ev('run.started', { runbook: 'l1-soft-reset' }) + ev('step.started', { stepId: 'restart' }));
    const first = tail.read();
    expect(first.map((e) => e.type)).toEqual(['run.started', 'step.started']);
    expect(first[0]!.at).toBeInstanceOf(Date);
    expect(tail.read()).toEqual([]);
    appendFileSync(path, ev('step.output', { stepId: 'restart', stream: 'stdout', line: 'ok' }));
    expect(tail.read().map((e) => e.type)).toEqual(['step.output']);
  });

  it('holds a half-written line until its newline arrives, then returns it whole', () => {
    const tail = new JournalTail(path);
    const line = ev('step.output', { stepId: 's', stream: 'stdout', line: 'hello world' });
    writeFileSync(path, line.slice(0, 20));
    expect(tail.read()).toEqual([]);
    appendFileSync(path, line.slice(20));
    const got = tail.read();
    expect(got).toHaveLength(1);
    expect((got[0] as { line: string }).line).toBe('hello world');
  });

  it('skips a damaged line in the middle and keeps reading', () => {
    writeFileSync(path, ev('run.started') + '{"type": "step.out\n' + 'not json\n' + ev('run.finished', { outcome: 'success' }));
    expect(new JournalTail(path).read().map((e) => e.type)).toEqual(['run.started', 'run.finished']);
  });

  it('starts again from the top after copytruncate', () => {
    const tail = new JournalTail(path);
    writeFileSync(path, ev('run.started') + ev('step.started', { stepId: 'a' }));
    expect(tail.read()).toHaveLength(2);
    truncateSync(path, 0);
    appendFileSync(path, ev('step.finished', { stepId: 'a', outcome: 'ok' }));
    expect(tail.read().map((e) => e.type)).toEqual(['step.finished']);
  });

  it('follows a file replaced by rename rotation', () => {
    const tail = new JournalTail(path);
    writeFileSync(path, ev('run.started') + ev('step.started', { stepId: 'a' }) + ev('step.started', { stepId: 'b' }));
    expect(tail.read()).toHaveLength(3);
    renameSync(path, path + '.1');
    writeFileSync(path, ev('run.finished', { outcome: 'failed' }) + ev('audit', { message: 'x' }) + ev('audit', { message: 'y' }) + ev('audit', { message: 'z' }));
    expect(tail.read().map((e) => e.type)).toEqual(['run.finished', 'audit', 'audit', 'audit']);
  });

  it('drops a line longer than the limit without keeping it in memory, then goes on', () => {
    const tail = new JournalTail(path, { maxLineBytes: 1024 });
    writeFileSync(path, ev('run.started') + 'x'.repeat(5000));
    expect(tail.read()).toHaveLength(1);
    appendFileSync(path, 'y'.repeat(3000) + '\n' + ev('run.finished', { outcome: 'success' }));
    expect(tail.read().map((e) => e.type)).toEqual(['run.finished']);
  });

  it('reads a big journal in bounded slices', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => ev('step.output', { stepId: 's', stream: 'stdout', line: `line ${i}` })).join('');
    writeFileSync(path, lines);
    const tail = new JournalTail(path, { maxBytesPerRead: 16 * 1024 });
    let total = 0;
    let reads = 0;
    while (tail.hasMore()) {
      total += tail.read().length;
      reads++;
    }
    expect(total).toBe(2000);
    expect(reads).toBeGreaterThan(5);
  });
});

describe('parseJournalEvent / readJournalEnds', () => {
  it('rejects lines that are not run events', () => {
    expect(parseJournalEvent('')).toBeUndefined();
    expect(parseJournalEvent('[1,2]')).toBeUndefined();
    expect(parseJournalEvent('{"type":"x"}')).toBeUndefined();
    expect(parseJournalEvent('{"type":"x","runId":"r"}')?.type).toBe('x');
  });

  it('reads the first and last events of a long journal without the middle', () => {
    const middle = Array.from({ length: 5000 }, (_, i) => ev('step.output', { stepId: 's', stream: 'stdout', line: `line ${i} ${'.'.repeat(40)}` })).join('');
    writeFileSync(path, ev('run.started', { runbook: 'l2-service-reset' }) + middle + ev('run.finished', { outcome: 'interrupted' }));
    const events = readJournalEnds(path, 8 * 1024);
    expect(events[0]!.type).toBe('run.started');
    expect(events.at(-1)!.type).toBe('run.finished');
    expect(events.length).toBeLessThan(400);
  });
});

describe('writers the tailer reads behind (R-AUD-2)', () => {
  it('a run journal renamed away by logrotate is reopened: the tailer on the path sees every later line', async () => {
    const { RunJournal } = await import('../../src/audit/journal');
    const j = new RunJournal(dir, 'r1', { flushMs: 1 });
    const tail = new JournalTail(path);
    const at = new Date(Date.UTC(2026, 0, 4));
    j.record({ type: 'run.started', runId: 'r1', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 't', operator: 'o', dryRun: false, at });
    expect(tail.read().map((e) => e.type)).toEqual(['run.started']);
    renameSync(path, path + '.1');
    j.record({ type: 'step.started', runId: 'r1', stepId: 'restart', at });
    j.record({ type: 'run.finished', runId: 'r1', outcome: 'success', at });
    expect(tail.read().map((e) => e.type)).toEqual(['step.started', 'run.finished']);
  });

  it('several processes appending to emergency.log at once: every line whole, none lost', async () => {
    const { spawn } = await import('node:child_process');
    const log = join(dir, 'emergency.log');
    const writers = 4;
    const lines = 200;
    const script = (w: number) =>
      `import('${join(process.cwd(), 'src/audit/emergency-log.ts')}').then(({ AuditLog }) => {` +
      ` const a = new AuditLog(${JSON.stringify(log)}); for (let i = 0; i < ${lines}; i++) a.append('L1_SOFT_RESET', 'writer ${w} line ' + i + ' ' + 'x'.repeat(200), new Date()); })`;
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script(w)], { stdio: 'inherit' });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}`))));
        }),
      ),
    );
    const { readFileSync } = await import('node:fs');
    const got = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(got).toHaveLength(writers * lines);
    for (const line of got) expect(line).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\] L1_SOFT_RESET: writer \d line \d+ x{200}$/);
    for (let w = 0; w < writers; w++) expect(got.filter((l) => l.includes(`writer ${w} line`))).toHaveLength(lines);
  }, 60_000);
});
