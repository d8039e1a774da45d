// Incremental rendering writes only the lines that changed, which is only correct with the
// log-update.js fix in patches/ink+6.8.0.patch. Proof in a real terminal: the bytes the console
// writes over a sequence of updates (frame content growing, shrinking, changing) are replayed
// into tmux, and the screen must equal a fresh full render of the final state, replayed the same way.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const COLS = 100;
const ROWS = 30;
const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'tests/e2e/fixtures/incremental-frames.tsx');
const TSX = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'doai-incr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

/** The bytes the console writes for these fleet states, rendered in a child without CI set. */
function renderSequence(steps: number[]): string {
  const { CI: _ci, ...env } = process.env;
  const out = execFileSync(TSX, ['--import', 'tsx', FIXTURE, steps.join(',')], { encoding: 'utf8', env, cwd: ROOT, timeout: 60_000 });
  return JSON.parse(out) as string;
}

/** Plays `bytes` into a real terminal of the same size and returns what it shows. */
function replay(name: string, bytes: string): string {
  const file = join(dir, `${name}.bytes`);
  writeFileSync(file, bytes);
  const socket = `doai-incr-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  try {
    // The pane signals a channel once cat is done; waiting on it beats guessing under load.
    tmux('new-session', '-d', '-s', 'r', '-x', String(COLS), '-y', String(ROWS), `cat ${file}; tmux -L ${socket} wait-for -S replayed; sleep 30`);
    execFileSync('timeout', ['20', 'tmux', '-L', socket, 'wait-for', 'replayed']);
    // And the screen must have settled: two equal captures in a row.
    let last = tmux('capture-pane', '-p', '-t', 'r');
    for (let i = 0; i < 20; i++) {
      execFileSync('sleep', ['0.1']);
      const now = tmux('capture-pane', '-p', '-t', 'r');
      if (now === last) break;
      last = now;
    }
    return last;
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

describe('incremental rendering in a real terminal', () => {
  it('after updates that grow, shrink and change the frame, the screen equals a full render of the final state', async () => {
    const sequence = [0, 1, 2, 3, 4, 5];
    const incremental = renderSequence(sequence);
    const fresh = renderSequence([sequence.at(-1)!]);
    const shown = replay('incremental', incremental);
    const expected = replay('fresh', fresh);
    expect(expected).toContain('refserver');
    expect(expected).toMatch(/doai-orchestrator\s+DOWN/);
    expect(shown).toBe(expected);
    // The point of it: later frames rewrite only what changed.
    expect(incremental.length).toBeLessThan(fresh.length * sequence.length);
  }, 30_000);
});
