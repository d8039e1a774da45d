// R-UI-5 "works inside tmux and screen": the built binary inside GNU screen (detached, 80 × 24, an
// empty screenrc and a private socket folder), read back with `screen -X hardcopy`: the dashboard
// renders whole (header, services, footer), a key gets through (? help), q leaves with exit 0, and
// the wall screen shows its verdict.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';

let demo: ServedDemo;
let dir: string;
const sessions: string[] = [];

function screenCmd(...args: string[]): string {
  return execFileSync('screen', args, { encoding: 'utf8', env: { ...process.env, SCREENDIR: join(dir, 'sockets') } });
}

function start(args: string): { name: string; read(): string; keys(text: string): void } {
  const name = `doai-${randomBytes(4).toString('hex')}`;
  sessions.push(name);
  const rc = join(dir, 'screenrc');
  screenCmd('-U', '-c', rc, '-dmS', name, 'sh', '-c', `env -u CI TERM=screen node ${BIN} ${args} --config ${demo.configPath} --lang en; echo "[exit $?]"; sleep 600`);
  const copy = join(dir, `${name}.txt`);
  return {
    name,
    read() {
      rmSync(copy, { force: true });
      screenCmd('-S', name, '-p', '0', '-X', 'hardcopy', copy);
      // hardcopy is written by the screen server: wait for the file.
      const end = Date.now() + 2000;
      while (!existsSync(copy) && Date.now() < end) execFileSync('sleep', ['0.05']);
      return existsSync(copy) ? readFileSync(copy, 'utf8') : '';
    },
    keys: (text) => void screenCmd('-S', name, '-p', '0', '-X', 'stuff', text),
  };
}

async function waitFor(s: { read(): string }, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = s.read();
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`screen never showed ${pattern} within ${timeoutMs} ms:\n${last}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-gnu-screen-'));
  mkdirSync(join(dir, 'sockets'), { mode: 0o700 });
  writeFileSync(join(dir, 'screenrc'), 'startup_message off\n');
  demo = await serveDemo();
}, 30_000);

afterAll(async () => {
  for (const s of sessions) {
    try {
      screenCmd('-S', s, '-X', 'quit');
    } catch {
      // already gone
    }
  }
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('inside GNU screen', () => {
  it('the dashboard renders at 80 × 24, takes keys, and q exits 0', async () => {
    const s = start('');
    // Services come UP as their first probes answer, one by one.
    const frame = await waitFor(s, /(?=[\s\S]*doai-orchestrator\s+UP)(?=[\s\S]*caddy\s+UP)/);
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/doai-console/);
    // One header: no stale copy of a frame drawn before the size was known.
    expect(frame.match(/doai-console/g)?.length).toBe(1);
    // The footer with the keys is on screen.
    expect(frame).toMatch(/\? help/);
    s.keys('?');
    // 80 × 24 is too small for every dashboard key: the help says how many are below and scrolls.
    await waitFor(s, /\d+ above . \d+ below/); // screen's hardcopy drops the non-ASCII arrows and dashes
    // Descriptions wrap at 80 columns, so the last key is a few pages (Space) down.
    for (let i = 0; i < 10 && !/Show every key of this screen/.test(s.read()); i++) {
      const before = /(\d+) above/.exec(s.read())?.[1];
      s.keys(' ');
      await waitFor(s, new RegExp(`^(?![\\s\\S]*\\b${before} above)[\\s\\S]*\\d+ above`));
    }
    await waitFor(s, /Show every key of this screen/);
    s.keys('q');
    await waitFor(s, /^(?![\s\S]*Show every key)[\s\S]*doai-orchestrator/); // help closed, the dashboard is back
    s.keys('q');
    await waitFor(s, /\[exit 0\]/);
  }, 60_000);

  it('the wall screen shows its verdict', async () => {
    const s = start('watch');
    const frame = await waitFor(s, /ALL UP/);
    expect(frame).toMatch(/(\d+) of \1 services UP/);
  }, 60_000);
});
