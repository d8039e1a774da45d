// The `?` screen on a small terminal: every key is reachable. When the dashboard's keys do not fit
// (80 × 24 with the alert keys; 80 × 18 here without them), the help says how many rows are above and below (in its title bar) and scrolls with
// ↑↓ / PgUp PgDn / Space, stopping at both ends; on a tall terminal it shows everything at once.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { delay, MemoryFleetStore, press, renderApp, service, waitForFrame } from './fixtures';

const fleet = () => new MemoryFleetStore([service({ name: 'alpha', latencyMs: 10, samples: [10] })], { timeScale: 1 });

afterEach(() => cleanup());

describe('the help screen scrolls when its keys do not fit', () => {
  it('at 80 × 18: says what is below, PgDn and ↓ reach the last key, ↑ and PgUp come back, and it never scrolls past either end', async () => {
    const { stdin, lastFrame } = renderApp({ fleet: fleet(), width: 80, height: 18 });
    await delay();
    await press(stdin, 'help');
    // At the right of the title bar (the footer names the scroll keys).
    const first = await waitForFrame(lastFrame, (f) => /^ Keys — Dashboard .* 0 above · \d+ below $/m.test(f));
    expect(first).toContain('Select the service above');
    expect(first).not.toContain('Show every key');
    const below = Number(/0 above · (\d+) below/.exec(first)![1]);
    for (let i = 0; i < below + 3; i++) await press(stdin, 'help.down');
    const end = await waitForFrame(lastFrame, (f) => new RegExp(`${below} above · 0 below`).test(f));
    expect(end).toContain('Show every key of this screen');
    expect(end).not.toContain('Select the service above');
    await press(stdin, 'help.pageUp');
    await press(stdin, 'help.pageUp');
    await press(stdin, 'help.pageUp');
    const top = await waitForFrame(lastFrame, (f) => /0 above · \d+ below/.test(f));
    expect(top).toContain('Select the service above');
    await press(stdin, 'help.pageDown', 1); // Space
    await waitForFrame(lastFrame, (f) => !/ 0 above/.test(f) && / above · \d+ below/.test(f));
    await press(stdin, 'help.close');
    await waitForFrame(lastFrame, (f) => !f.includes('below — ↑↓') && f.includes('alpha'));
  });

  it('on a tall terminal every key is shown and there is nothing to scroll', async () => {
    const { stdin, lastFrame } = renderApp({ fleet: fleet(), width: 120, height: 60 });
    await delay();
    await press(stdin, 'help');
    const frame = await waitForFrame(lastFrame, (f) => f.includes('Show every key of this screen'));
    expect(frame).toContain('Select the service above');
    expect(frame).not.toMatch(/below — ↑↓/);
  });
});
