// The crash guard's pieces: restoring turns raw mode off and writes the restore sequence even
// when the streams are half gone; the one line names the log, or says why there is none.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crashMessage, RESTORE_SEQUENCE, restoreTerminal } from '../../src/watch/terminal';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

describe('restoreTerminal', () => {
  it('turns raw mode off on a TTY and leaves the alternate screen with the cursor shown', () => {
    const calls: unknown[] = [];
    const written: string[] = [];
    restoreTerminal({ stdin: { isTTY: true, setRawMode: (m: boolean) => calls.push(m) }, stdout: { write: (s: string) => written.push(s) } });
    expect(calls).toEqual([false]);
    expect(written.join('')).toBe(RESTORE_SEQUENCE);
    expect(RESTORE_SEQUENCE).toContain('\x1b[?1049l');
    expect(RESTORE_SEQUENCE).toContain('\x1b[?25h');
  });

  it('never throws, whatever is already closed', () => {
    expect(() =>
      restoreTerminal({
        stdin: { isTTY: true, setRawMode: () => { throw new Error('EBADF'); } },
        stdout: { write: () => { throw new Error('EPIPE'); } },
      }),
    ).not.toThrow();
  });
});

describe('crashMessage', () => {
  it('one line naming the log; the stack goes into the log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doai-crashmsg-'));
    dirs.push(dir);
    const log = join(dir, 'state', 'crash.log');
    const m = crashMessage(new Error('boom\nsecond line'), log, 'the wall screen', new Date('2026-01-04T06:00:00Z'));
    expect(m).toEqual({ line: `doai-console: the wall screen stopped on an internal error: boom — details in ${log}; please report it. Start it again to go on.` });
    expect(readFileSync(log, 'utf8')).toMatch(/^\[2026-01-04T06:00:00.000Z\] the wall screen pid \d+ crashed\nError: boom\nsecond line\n\s+at /);
  });

  it('a log that cannot be written: the line says so and the stack follows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doai-crashmsg-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'state'), 'a file, not a folder');
    const m = crashMessage(new Error('boom'), join(dir, 'state', 'crash.log'), 'the console');
    expect(m.line).toMatch(/^doai-console: the console stopped on an internal error: boom \(could not write .*crash\.log: .*; details below\)\. Start it again to go on\.$/);
    expect(m.detail).toMatch(/^Error: boom\n\s+at /);
  });
});
