// R-CHK-2/5 on the built binary in a real terminal: recover with L1, open the post-recovery
// checklist from the run screen, sign with Space, add a note with n, then drop the terminal
// (tmux kill-server: the console gets SIGHUP like a dropped SSH session), start again, and
// resume the same checklist with every sign-off intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, runCli } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
const pause = (ms = 250) => new Promise((r) => setTimeout(r, ms));
let term: TmuxSession | undefined;

const console_ = () => startTmux(`node ${BIN} --config ${demo.configPath} --lang en`, { cols: 100, rows: 30, env: { DOAI_OPERATOR: 'orion' } });

function checklistLines(): { type: string; item?: string; operator?: string; text?: string }[] {
  const dir = join(dirname(demo.configPath), 'state', 'checklists');
  const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  return readFileSync(join(dir, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

beforeAll(async () => {
  demo = await serveDemo();
}, 30_000);

afterAll(async () => {
  term?.kill();
  await demo?.stop();
});

describe('checklist sign-off in a real terminal', () => {
  it('after L1 succeeds, l opens the post-recovery checklist; Space signs and n notes, as orion', async () => {
    term = console_();
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
    const r = await runCli(['demo', 'fault', 'crash', '--config', demo.configPath]);
    expect(r.code, r.stderr).toBe(0);
    await term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
    // DOWN recommends L2 (seed 000); L1 has its own key.
    term.send('1');
    await term.waitFor(/l post-recovery checklist/, 40_000);
    term.send('l');
    await term.waitFor('Post-recovery checklist · doai-orchestrator · 0/9 signed');
    const screen = await term.waitFor(/\/health endpoint answers normally\s+PASS/, 20_000);
    expect(screen).toMatch(/After 10 minutes — opens in \d+m\d\ds/);
    term.send('Space');
    await term.waitFor(/\[x\] \/health endpoint answers normally\s+PASS\s+orion \d\d:\d\d/);
    // Signing moved the cursor on to the WebSocket item; one down is the nodes item.
    term.send('j');
    // Keys sent together arrive as one read, which the console treats as pasted text.
    await pause();
    term.send('n');
    await term.waitFor('Note for "Nodes have started reconnecting"');
    term.type('181 of 200 back');
    await pause();
    term.send('Enter');
    await term.waitFor('note: 181 of 200 back — orion');
    await pause();
    term.send('Space');
    await term.waitFor(/\[x\] Nodes have started reconnecting\s+orion/);
    expect(checklistLines().map((l) => [l.type, l.item, l.operator])).toEqual([
      ['created', undefined, 'orion'],
      ['signed', 'health', 'orion'],
      ['note', 'nodes-reconnecting', 'orion'],
      ['signed', 'nodes-reconnecting', 'orion'],
    ]);
  }, 120_000);

  it('the terminal drops (SIGHUP); started again, the console offers to resume and every sign-off is there', async () => {
    term!.kill();
    term = undefined;
    // Nothing written after the drop, nothing lost before it.
    expect(checklistLines()).toHaveLength(4);
    term = console_();
    await term.waitFor('Checklist "Post-recovery checklist" in progress (2/9) — press l to resume', 30_000);
    term.send('l');
    await term.waitFor(/In progress\s*\n› Post-recovery checklist · doai-orchestrator · 2\/9 signed/);
    term.send('Enter');
    await term.waitFor(/\[x\] Nodes have started reconnecting/);
    // The auto check shows UNKNOWN until the fresh console's first probe of /health answers.
    const screen = await term.waitFor(/\[x\] \/health endpoint answers normally\s+PASS\s+orion/, 30_000);
    // Resumes at the first item still open: the WebSocket one.
    expect(screen).toMatch(/›\[ \] WebSocket accepts connections/);
    term.send('u');
    await term.waitFor('not signed — nothing to undo');
  }, 90_000);
});
