// Incremental rendering writes only the lines that changed, which is only correct with the
// log-update.js fix in patches/ink+6.8.0.patch. Proof in a real terminal: the bytes the console
// writes over a sequence of updates (frame content growing, shrinking, changing) are replayed
// into tmux, and the screen must equal a fresh full render of the final state, replayed the same way.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { startConsole } from '../../screens/render';
import { MemoryFleetStore, MemoryRunsStore, service, delay } from '../screens/fixtures';

const COLS = 100;
const ROWS = 30;
const dir = mkdtempSync(join(tmpdir(), 'doai-incr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class TerminalCapture extends Writable {
  columns = COLS;
  rows = ROWS;
  isTTY = true;
  bytes = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.toString();
    cb();
  }
}

function fakeStdin(): NodeJS.ReadStream {
  const s = new PassThrough() as unknown as NodeJS.ReadStream & { setRawMode(v: boolean): void };
  Object.assign(s, { isTTY: true, setRawMode: () => s, ref: () => s, unref: () => s });
  return s;
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

function states(step: number) {
  const names = ['doai-orchestrator', 'caddy', 'api-server', 'postgres', 'nginx', 'refserver'];
  const count = [2, 4, 6, 3, 5, 6][step];
  return names.slice(0, count).map((name, i) =>
    service({
      name,
      state: step % 2 === 1 && i === 0 ? 'DOWN' : 'UP',
      latencyMs: 40 + step * 7 + i,
      samples: Array.from({ length: step + 2 }, (_, k) => 30 + k * 5),
      consecutiveFailures: step % 2 === 1 && i === 0 ? 3 : 0,
      lastError: step % 2 === 1 && i === 0 ? 'connection refused' : undefined,
    }),
  );
}

function recommendationFor(step: number) {
  return step % 2 === 1
    ? { level: 'L1' as const, runbook: 'l1-soft-reset', target: 'doai-orchestrator', reason: { en: 'doai-orchestrator not answering (3/3 failures) → L1', ko: 'x' } }
    : undefined;
}

/** Waits until Ink wrote something after `since` bytes and then nothing more for 150 ms. */
async function settled(stdout: TerminalCapture, since: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = stdout.bytes.length;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await delay(25);
    if (stdout.bytes.length !== last) {
      last = stdout.bytes.length;
      quietSince = Date.now();
    } else if (last > since && Date.now() - quietSince >= 150) return;
  }
  throw new Error('the console wrote no frame within 10 s');
}

async function renderSequence(steps: number[]): Promise<string> {
  const fleet = new MemoryFleetStore(states(steps[0]), { recommendation: recommendationFor(steps[0]) });
  const runs = new MemoryRunsStore();
  const stdout = new TerminalCapture();
  const handle = startConsole(
    { fleet, runs, lang: 'en', operator: 'orion', configPath: 'console.yaml', clock: { now: () => new Date(Date.UTC(2026, 0, 4, 6, 30)) } },
    { stdout: stdout as unknown as NodeJS.WriteStream, stdin: fakeStdin() },
  );
  // Past the alternate-screen and cursor sequences: the first frame itself.
  await settled(stdout, 20);
  for (const step of steps.slice(1)) {
    const before = stdout.bytes.length;
    fleet.update({ services: states(step), recommendation: recommendationFor(step) });
    await settled(stdout, before);
  }
  const bytes = stdout.bytes;
  handle.unmount();
  return bytes;
}

describe('incremental rendering in a real terminal', () => {
  it('after updates that grow, shrink and change the frame, the screen equals a full render of the final state', async () => {
    const sequence = [0, 1, 2, 3, 4, 5];
    const incremental = await renderSequence(sequence);
    const fresh = await renderSequence([sequence.at(-1)!]);
    const shown = replay('incremental', incremental);
    const expected = replay('fresh', fresh);
    expect(expected).toContain('refserver');
    expect(expected).toMatch(/doai-orchestrator\s+DOWN/);
    expect(shown).toBe(expected);
    // The point of it: later frames rewrite only what changed.
    expect(incremental.length).toBeLessThan(fresh.length * sequence.length);
  }, 30_000);
});
