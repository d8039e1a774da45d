// `npm run demo` runs like a jump box (issue 13 item 8): the demo starts the fleet AND a server,
// its console attaches, and the message bar prints the command for a second terminal, which
// attaches to the same server and sees the run the first console starts. Built binary in tmux.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, waitForProcessesGone } from '../helpers/cli';
import { startTmux, type TmuxSession } from '../helpers/tmux';

const terms: TmuxSession[] = [];
let demoDir = '';

afterEach(async () => {
  for (const t of terms.splice(0).reverse()) t.kill();
  if (demoDir) {
    await waitForProcessesGone(demoDir);
    rmSync(demoDir, { recursive: true, force: true, maxRetries: 10 });
    demoDir = '';
  }
});

describe('demo with a server', () => {
  it('the demo console is attached to its server; the printed command attaches a second terminal that sees the same run', async () => {
    // The demo keeps its folder in the state dir: a throwaway one here.
    demoDir = mkdtempSync(join(tmpdir(), 'doai-demo-server-'));
    const first = startTmux(`node ${BIN} demo --lang en`, { cols: 220, rows: 40, env: { XDG_STATE_HOME: demoDir } });
    terms.push(first);
    const screen = await first.waitFor(/Second terminal, same server: doai-console --config (\S+) --socket (\S+)/, 40_000);
    const [, config, socket] = /Second terminal, same server: doai-console --config (\S+) --socket (\S+)/.exec(screen)!;
    expect(config!.startsWith(demoDir)).toBe(true);
    expect(screen).toContain(`attached to ${socket}`);
    expect(existsSync(socket!)).toBe(true);

    const second = startTmux(`node ${BIN} --config ${config} --socket ${socket} --lang en`, { cols: 220, rows: 40, env: { XDG_STATE_HOME: demoDir } });
    terms.push(second);
    await second.waitFor(`attached to ${socket}`, 30_000);
    await second.waitFor(/doai-orchestrator\s+UP/, 30_000);

    // A run started in the first console is seen in the second.
    await first.waitFor(/doai-orchestrator\s+UP/, 30_000);
    first.send('1');
    // The service is UP: the console asks before restarting it anyway.
    if (/restart anyway/.test(await first.waitFor(/restart anyway with L1 Soft Reset\? \(y\/n\)|Restart the service/, 30_000))) first.send('y');
    await first.waitFor(/Restart the service/, 30_000);
    // In progress (observed) or, if it was quick, as the last run: either way the same run.
    await second.waitFor(/L1 in progress by root|Last run: L1 Soft Reset on caddy/, 30_000);

    // Quitting the demo stops its server (the folder is kept, as the demo always keeps it).
    first.send('Escape');
    await first.waitFor(/Last run: L1 Soft Reset on caddy/, 30_000);
    // The run is over and the server's anyway: q leaves at once, no 'A run is active' question.
    first.send('q');
    const left = await first.waitFor(/\[exit \d+\]|quit anyway\? \(y\/n\)/, 30_000);
    expect(left).not.toMatch(/quit anyway/);
    expect(left).toContain('[exit 0]');
    expect(existsSync(socket!)).toBe(false);
  }, 150_000);
});
