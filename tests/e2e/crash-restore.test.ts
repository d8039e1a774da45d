// R-UI-5: "the terminal is always restored (cursor, echo, raw mode) even after a crash". A
// full-screen Ink app with the crash guard fails in a real terminal (tmux) three ways; afterwards
// the pane is off the alternate screen, the cursor is shown, the tty echoes and edits lines again,
// one line says what happened and where the details are, the stack is in that log, exit 1. (Node
// also resets the tty mode when it exits; the guard turns raw mode off itself — see the unit test.)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'tests/e2e/fixtures/crash-app.tsx');
// `node --import tsx`, not the tsx CLI: the CLI keeps an IPC pipe in /tmp/tsx-<uid>/ that the killed app leaves behind.
const TSX = `${process.execPath} --import tsx`;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function crashIn(mode: 'timer' | 'rejection' | 'render') {
  const dir = mkdtempSync(join(tmpdir(), 'doai-crash-'));
  const log = join(dir, 'state', 'crash.log');
  const socket = `doai-crash-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  cleanups.push(() => {
    try {
      tmux('kill-server');
    } catch {
      // gone
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  });
  // After the app: the exit status and the tty modes the shell is left with.
  const after = `echo "[exit $?]"; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon)' | tr '\\n' ' '; echo; sleep 600`;
  tmux('new-session', '-d', '-s', 'main', '-x', '220', '-y', '30', `cd ${ROOT} && env -u CI ${TSX} ${FIXTURE} ${mode} ${log}; ${after}`);
  const screen = () => tmux('capture-pane', '-p', '-t', 'main');
  const state = () => tmux('display-message', '-p', '-t', 'main', '#{alternate_on} #{cursor_flag}').trim();
  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 20_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${screen()}`);
      await sleep(100);
    }
  };
  await until('the app', () => screen().includes('CRASH-APP READY'));
  // Full screen, cursor hidden, while it runs.
  expect(state()).toBe('1 0');
  await until('the exit and the tty modes', () => /\[exit \d+\]\n\S*(echo|icanon)/.test(screen()));
  return { screen: screen(), state: state(), log };
}

describe('crash guard in a real terminal', () => {
  for (const mode of ['timer', 'rejection', 'render'] as const) {
    it(`${mode}: main screen, cursor, echo and line editing back; one line pointing at the log; exit 1`, async () => {
      const r = await crashIn(mode);
      expect(r.state).toBe('0 1');
      expect(r.screen).toContain('[exit 1]');
      expect(r.screen).toMatch(/^icanon echo *$/m);
      const line = r.screen.split('\n').find((l) => l.startsWith('doai-console:'));
      expect(line).toMatch(/^doai-console: the console stopped on an internal error: .+ — details in /);
      // One line: no stack trace on the terminal.
      expect(r.screen).not.toMatch(/^\s+at /m);
      const log = readFileSync(r.log, 'utf8');
      expect(log).toMatch(/the console pid \d+ crashed\n/);
      expect(log).toMatch(/\n\s+at /);
      expect(log).toContain(mode === 'render' ? 'render failed: bad run view' : mode === 'rejection' ? 'journal fsync failed: EIO' : 'reading "steps"');
    }, 40_000);
  }
});
