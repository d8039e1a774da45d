// R-UI-5 terminal behaviour on the built binary in tmux: NO_COLOR leaves no colour escape in what
// reaches the terminal, TERM=dumb and a pipe get a message naming status/run/log, 80 × 24 works,
// and resizing redraws cleanly (one header, footer on the last line, no stale copy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BIN, runCli } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';

let demo: ServedDemo;
const socket = `doai-term-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (name: string, escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name);

async function waitFor(name: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen(name);
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`screen never showed ${pattern} within ${timeoutMs} ms:\n${last}`);
}

function start(name: string, args: string, env = '', size = { cols: 100, rows: 30 }): void {
  tmux('new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), `env -u CI ${env} node ${BIN} ${args} --config ${demo.configPath} --lang en; echo "[exit $?]"; sleep 600`);
}

/** SGR sequences that set a colour (30–37, 90–97, 40–47, 100–107, 38;…, 48;…). */
const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

beforeAll(async () => {
  demo = await serveDemo();
}, 30_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // none left
  }
  await demo?.stop();
});

describe('terminal behaviour', () => {
  it('the check can see colour: without NO_COLOR the wall screen is coloured', async () => {
    start('colour', 'watch');
    await waitFor('colour', /ALL UP/);
    expect(screen('colour', true)).toMatch(COLOUR);
  });

  it.each([['watch'], ['']])('NO_COLOR: no colour escape on screen (%s)', async (cmd) => {
    const name = `nocolor-${cmd || 'console'}`;
    start(name, cmd, 'NO_COLOR=1');
    await waitFor(name, cmd ? /ALL UP/ : /doai-orchestrator\s+UP/);
    const raw = screen(name, true);
    expect(raw).not.toMatch(COLOUR);
  });

  it.each([['watch'], ['']])('TERM=dumb gets a message pointing to status, run and log (%s)', async (cmd) => {
    const name = `dumb-${cmd || 'console'}`;
    start(name, cmd, 'TERM=dumb');
    const s = await waitFor(name, /\[exit \d+\]/);
    expect(s).toContain('[exit 2]');
    expect(s).toMatch(/TERM=dumb/);
    expect(s).toContain('doai-console status');
    expect(s).toContain('doai-console run');
    expect(s).toContain('doai-console log');
  });

  it('a pipe (non-TTY) gets the same advice for watch', async () => {
    const r = await runCli(['watch', '--config', demo.configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal/);
    expect(r.stderr).toContain('doai-console status');
    expect(r.stderr).toContain('doai-console log');
  });

  it('watch --interval outside 1–5 s is refused with a message', async () => {
    const r = await runCli(['watch', '--interval', '0.1', '--config', demo.configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval must be a number of seconds from 1 to 5, found "0.1"/);
  });

  it.each([['watch'], ['']])('redraws on resize without stale copies, down to 80 × 24 (%s)', async (cmd) => {
    const name = `resize-${cmd || 'console'}`;
    start(name, cmd, '', { cols: 120, rows: 40 });
    const marker = cmd ? /ALL UP/ : /doai-orchestrator\s+UP/;
    await waitFor(name, marker);
    for (const [cols, rows] of [
      [80, 24],
      [140, 45],
      [100, 30],
      [80, 24],
    ] as const) {
      tmux('resize-window', '-t', name, '-x', String(cols), '-y', String(rows));
      await new Promise((r) => setTimeout(r, cmd ? 2500 : 800));
      const s = await waitFor(name, marker);
      const lines = s.replace(/\n+$/, '').split('\n');
      // One frame: exactly one header and one footer, the footer on the bottom rows.
      expect(lines.filter((l) => l.startsWith('doai-console ·')), s).toHaveLength(1);
      expect(lines.filter((l) => /\? help · q quit/.test(l)), s).toHaveLength(1);
      expect(lines[0]).toMatch(/^doai-console ·/);
      expect(lines.length).toBeLessThanOrEqual(rows);
      expect(lines.findIndex((l) => /q quit/.test(l))).toBeGreaterThanOrEqual(rows - 3);
    }
    tmux('send-keys', '-t', name, 'q');
    await waitFor(name, /\[exit 0\]/);
  }, 60_000);
});
