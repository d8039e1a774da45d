import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, formatAuditLine, formatIsoLocal } from '../../src/audit/emergency-log';
import { redact, redactDeep } from '../../src/audit/redact';
import { listJournals, readJournal, RunJournal, summarizeJournal } from '../../src/audit/journal';

const LINE = /^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}\] [A-Z0-9_]+: .+$/;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-audit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

describe('formatAuditLine', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('writes seed 000 format with an explicit offset, no milliseconds', () => {
    const at = new Date(Date.UTC(2026, 0, 4, 6, 30, 0, 789));
    expect(formatAuditLine(at, 'L1_SOFT_RESET', 'START', 540)).toBe('[2026-01-04T15:30:00+09:00] L1_SOFT_RESET: START');
    expect(formatAuditLine(at, 'L1_SOFT_RESET', 'START', 0)).toBe('[2026-01-04T06:30:00+00:00] L1_SOFT_RESET: START');
    expect(formatIsoLocal(at, -210)).toBe('2026-01-04T03:00:00-03:30');
    expect(formatIsoLocal(at, 330)).toBe('2026-01-04T12:00:00+05:30');
  });

  it('uses the process time zone: Asia/Seoul is +09:00, UTC is +00:00 (never Z)', () => {
    const at = new Date(Date.UTC(2026, 0, 4, 6, 30, 0));
    process.env.TZ = 'Asia/Seoul';
    expect(formatAuditLine(at, 'L1_SOFT_RESET', 'START')).toBe('[2026-01-04T15:30:00+09:00] L1_SOFT_RESET: START');
    process.env.TZ = 'UTC';
    const utc = formatAuditLine(at, 'L2_SERVICE_RESET', 'SUCCESS');
    expect(utc).toBe('[2026-01-04T06:30:00+00:00] L2_SERVICE_RESET: SUCCESS');
    expect(utc).not.toContain('Z]');
    process.env.TZ = 'America/New_York';
    expect(formatAuditLine(at, 'X', 'Y')).toBe('[2026-01-04T01:30:00-05:00] X: Y');
  });

  it('matches `date -Iseconds` in a child process with TZ set', async () => {
    const at = Date.UTC(2026, 6, 1, 12, 0, 0);
    const out = await new Promise<string>((res, rej) => {
      const child = spawn(process.execPath, ['-e', `const d=new Date(${at});const o=-d.getTimezoneOffset();process.stdout.write(String(o))`], {
        env: { ...process.env, TZ: 'Europe/Berlin' },
      });
      let s = '';
      child.stdout.on('data', (d) => (s += d));
      child.on('error', rej);
      child.on('close', () => res(s));
    });
    // Berlin is +02:00 in July (DST): the offset is the one at that instant, not a fixed one.
    expect(Number(out)).toBe(120);
    expect(formatIsoLocal(new Date(at), Number(out))).toBe('2026-07-01T14:00:00+02:00');
  });

  it('flattens newlines so one event is one line', () => {
    expect(formatAuditLine(new Date(0), 'L3_BOX_RESET', 'REASON: disk\nfull', 0)).toBe('[1970-01-01T00:00:00+00:00] L3_BOX_RESET: REASON: disk full');
  });
});

describe('AuditLog', () => {
  it('creates the directory 0700 and the file 0600, appends whole lines', () => {
    const path = join(dir, 'new', 'sub', 'emergency.log');
    const log = new AuditLog(path);
    log.append('L1_SOFT_RESET', 'START', new Date(Date.UTC(2026, 0, 4, 6, 30, 0)));
    log.append('L1_SOFT_RESET', 'SUCCESS', new Date(Date.UTC(2026, 0, 4, 6, 30, 35)));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toMatch(LINE);
    expect(lines[0]).toMatch(/L1_SOFT_RESET: START$/);
    expect(lines[1]).toMatch(/L1_SOFT_RESET: SUCCESS$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'new', 'sub')).mode & 0o777).toBe(0o700);
  });

  it('redacts secrets in every line', () => {
    const path = join(dir, 'redact.log');
    const log = new AuditLog(path, { secrets: () => ['sk-live-abcdef123', 'ab'] });
    log.append('L3_BOX_RESET', 'REASON: key sk-live-abcdef123 leaked, ab', new Date(0));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('sk-live-abcdef123');
    expect(text).toContain('REASON: key *** leaked, ab');
  });

  it('says which file failed and what to do', () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    const log = new AuditLog(join(blocker, 'emergency.log'));
    expect(() => log.append('X', 'Y', new Date())).toThrow(/cannot write the audit log .*blocker.*paths\.audit_log/);
  });

  it('survives logrotate by rename: the next line goes to a new file', () => {
    const path = join(dir, 'rot-rename.log');
    const log = new AuditLog(path);
    log.append('L1_SOFT_RESET', 'START', new Date());
    renameSync(path, `${path}.1`);
    log.append('L1_SOFT_RESET', 'SUCCESS', new Date());
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/START\n$/);
    const fresh = readFileSync(path, 'utf8');
    expect(fresh.split('\n').filter(Boolean)).toHaveLength(1);
    expect(fresh).toMatch(/^\[.*\] L1_SOFT_RESET: SUCCESS\n$/);
  });

  it('survives logrotate by copytruncate: the next line starts the truncated file', () => {
    const path = join(dir, 'rot-copy.log');
    const log = new AuditLog(path);
    for (let i = 0; i < 5; i++) log.append('L2_SERVICE_RESET', `LINE ${i}`, new Date());
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    log.append('L2_SERVICE_RESET', 'AFTER', new Date());
    const text = readFileSync(path, 'utf8');
    // No hole of NUL bytes where the old content was: the line is at offset 0.
    expect(text.startsWith('[')).toBe(true);
    expect(text).not.toContain('\0');
    expect(text).toMatch(/L2_SERVICE_RESET: AFTER\n$/);
    expect(readFileSync(`${path}.1`, 'utf8').split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('keeps lines whole with 4 processes appending 500 lines each at once', async () => {
    const bundle = join(dir, 'emergency-log.mjs');
    buildSync({ entryPoints: [resolve(__dirname, '../../src/audit/emergency-log.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const path = join(dir, 'concurrent.log');
    const code = `
      const { AuditLog } = await import(${JSON.stringify(bundle)});
      const log = new AuditLog(${JSON.stringify(path)});
      const id = process.argv[1];
      // Long lines make a torn or interleaved write visible.
      for (let i = 0; i < 500; i++) log.append('L2_SERVICE_RESET', 'P' + id + ' #' + i + ' ' + 'x'.repeat(300 + (i % 50)), new Date());
    `;
    const runs = [0, 1, 2, 3].map(
      (id) =>
        new Promise<number>((res, rej) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', code, String(id)], { stdio: ['ignore', 'ignore', 'inherit'] });
          child.on('error', rej);
          child.on('close', (c) => res(c ?? -1));
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2000);
    const seen = new Map<string, number[]>();
    for (const line of lines) {
      const m = /^\[[^\]]+\] L2_SERVICE_RESET: P(\d) #(\d+) (x+)$/.exec(line);
      expect(m, `torn line: ${line.slice(0, 80)}`).not.toBeNull();
      expect(m![3].length).toBe(300 + (Number(m![2]) % 50));
      const list = seen.get(m![1]) ?? [];
      list.push(Number(m![2]));
      seen.set(m![1], list);
    }
    for (const id of ['0', '1', '2', '3']) expect(seen.get(id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('redact', () => {
  it('masks each secret of 4+ characters, longest first, and leaves short ones', () => {
    expect(redact('token abcd and abcdef and xyz', ['abcd', 'abcdef', 'xyz'])).toBe('token *** and *** and xyz');
    expect(redact('nothing here', [])).toBe('nothing here');
  });

  it('masks strings deep inside events and keeps dates', () => {
    const at = new Date(0);
    const ev = redactDeep({ type: 'step.output', line: 'Bearer s3cr3t-key', at, nested: { list: ['s3cr3t-key'] } }, ['s3cr3t-key']);
    expect(ev.line).toBe('Bearer ***');
    expect(ev.nested.list[0]).toBe('***');
    expect(ev.at).toBe(at);
  });
});

describe('RunJournal', () => {
  it('writes one JSON line per event in order, redacted, and reads a torn tail', async () => {
    const jdir = join(dir, 'journal');
    const at = new Date(Date.UTC(2026, 0, 4, 6, 30, 0));
    const j = new RunJournal(jdir, 'r1', { secrets: () => ['hunter22'] });
    j.record({ type: 'run.started', runId: 'r1', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'orch', operator: 'orion', dryRun: false, at });
    j.record({ type: 'step.started', runId: 'r1', stepId: 'restart', at });
    for (let i = 0; i < 50; i++) j.record({ type: 'step.output', runId: 'r1', stepId: 'restart', stream: i % 2 ? 'stderr' : 'stdout', line: `line ${i} hunter22`, at });
    // Output is buffered, not yet on disk until a boundary or ~100 ms.
    const before = readJournal(j.path);
    expect(before.filter((e) => e.type === 'step.output')).toHaveLength(0);
    j.record({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'ok', at });
    j.record({ type: 'run.finished', runId: 'r1', outcome: 'success', at });
    expect(statSync(j.path).mode & 0o777).toBe(0o600);
    const events = readJournal(j.path);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'step.started', ...Array(50).fill('step.output'), 'step.finished', 'run.finished']);
    expect(events[0].at).toBeInstanceOf(Date);
    expect(events[0].at.getTime()).toBe(at.getTime());
    const out = events.filter((e) => e.type === 'step.output');
    expect(out[7]).toMatchObject({ stream: 'stderr', line: 'line 7 ***' });
    expect(readFileSync(j.path, 'utf8')).not.toContain('hunter22');

    // A crash mid-write leaves half a line: it is ignored, the rest is read.
    writeFileSync(j.path, readFileSync(j.path, 'utf8') + '{"type":"step.out');
    expect(readJournal(j.path)).toHaveLength(events.length);
    expect(summarizeJournal(readJournal(j.path))).toMatchObject({ runId: 'r1', runbook: 'l1-soft-reset', target: 'orch', outcome: 'success', lastStep: 'restart' });
  });

  it('flushes buffered output after ~100 ms without a boundary', async () => {
    const jdir = join(dir, 'journal-timer');
    const j = new RunJournal(jdir, 'r2', { flushMs: 50 });
    j.record({ type: 'step.output', runId: 'r2', stepId: 's', stream: 'stdout', line: 'hello', at: new Date() });
    expect(readJournal(j.path)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(readJournal(j.path)).toHaveLength(1);
    j.close();
  });

  it('lists journals newest first; a missing directory is empty', () => {
    expect(listJournals(join(dir, 'nope'))).toEqual([]);
    const list = listJournals(join(dir, 'journal'));
    expect(list.map((f) => f.runId)).toEqual(['r1']);
  });
});
