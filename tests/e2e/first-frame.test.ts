// Issue 8 on the built binary in a real terminal: the console draws the services before it has
// built its engine, then everything works as before; a runbook that does not load, found only
// after the first frame now, still ends the console with the loader's words and exit 2, the
// terminal back on the main screen.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../helpers/cli';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let term: TmuxSession | undefined;
let dir: string | undefined;

afterEach(async () => {
  term?.kill();
  term = undefined;
  if (dir) {
    // The console may still write its state folder while it exits on the hang-up: remove the
    // folder again once that had time, so nothing is recreated in /tmp after the test.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  }
  dir = undefined;
});

function config(extra = ''): string {
  dir = mkdtempSync(join(tmpdir(), 'doai-first-frame-'));
  const path = join(dir, 'console.yaml');
  writeFileSync(
    path,
    // Port 9 on loopback: nothing answers, the services go DOWN; nothing leaves the machine.
    `hosts:\n  - { name: box, address: 127.0.0.1, port: 9 }\nservices:\n` +
      `  - { name: svc-a, host: box, unit: svc-a, health_url: "http://127.0.0.1:9/health" }\n` +
      `  - { name: svc-b, host: box, unit: svc-b, health_url: "http://127.0.0.1:9/health" }\n` +
      `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n${extra}`,
  );
  return path;
}

describe('first frame before the engine (built binary, tmux)', () => {
  it('shows the services, then the keys that need the engine work (b lists the runbooks for the selected service)', async () => {
    const path = config();
    term = startTmux(`env DOAI_OPERATOR=orion node ${BIN} --config ${path} --lang en`);
    await term.waitFor(/svc-b/);
    term.send('j');
    await term.waitFor(/› svc-b/);
    // Built right after the first frame: the picker lists the built-in runbooks for svc-b.
    let screen = '';
    for (let i = 0; i < 40 && !/Runbooks for svc-b/.test(screen); i++) {
      term.send('b');
      screen = await term.waitFor(/Runbooks for svc-b|starting…/, 5_000);
      if (!/Runbooks for svc-b/.test(screen)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(screen).toMatch(/Runbooks for svc-b/);
    expect(screen).toMatch(/l1-soft-reset/);
    term.send('Escape');
    term.send('q');
    expect(await term.waitFor(/\[exit 0\]/, 40_000)).toMatch(/\[exit 0\]/);
  }, 60_000);

  it('a runbook that does not load ends the console with the problem and exit 2, on the main screen', async () => {
    const path = config('runbooks:\n  - broken.yaml\n');
    writeFileSync(join(dir!, 'broken.yaml'), 'id: broken\nsteps: [\n');
    term = startTmux(`node ${BIN} --config ${path} --lang en`);
    const screen = await term.waitFor(/\[exit \d+\]/);
    expect(screen).toContain('[exit 2]');
    expect(screen).toMatch(/doai-console: .*broken\.yaml/s);
    // Left the alternate screen: the dashboard is not what remains on the terminal.
    expect(screen).not.toMatch(/SERVICE\s+STATE/);
  }, 60_000);
});
