// Keys that arrive in one read: a held key or two quick presses over a slow SSH link reach Ink as
// one chunk ("jj", "qq"). Each key of a repeated chunk acts, in order, on the screen the one
// before it left; a chunk of mixed characters is a paste and fires nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { escapeThenKey, repeatedKeys } from '../../screens/shared/use-commands';
import { delay, MemoryFleetStore, press, renderApp, service, waitForFrame } from './fixtures';

function setup() {
  const fleet = new MemoryFleetStore(
    [
      service({ name: 'alpha', latencyMs: 10, samples: [10] }),
      service({ name: 'bravo', latencyMs: 11, samples: [11] }),
      service({ name: 'charlie', latencyMs: 12, samples: [12] }),
      service({ name: 'delta', latencyMs: 13, samples: [13] }),
    ],
    { timeScale: 1 },
  );
  return renderApp({ fleet });
}

const flags = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageUp: false, pageDown: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false };

afterEach(() => cleanup());

describe('keys that arrive in one chunk', () => {
  it('splits only a repeated key; pastes, escapes and Ctrl stay whole', () => {
    expect(repeatedKeys('jjj', flags)).toEqual(['j', 'j', 'j']);
    expect(repeatedKeys('qq', flags)).toEqual(['q', 'q']);
    expect(repeatedKeys('q', flags)).toBeUndefined();
    expect(repeatedKeys('ry', flags)).toBeUndefined();
    expect(repeatedKeys('hello', flags)).toBeUndefined();
    expect(repeatedKeys('\u001B\u001B', flags)).toBeUndefined();
    expect(repeatedKeys('cc', { ...flags, ctrl: true })).toBeUndefined();
  });

  it('Esc and a key in one read (Alt+key to Ink) act as Esc, then the key', async () => {
    expect(escapeThenKey('q', { ...flags, meta: true })).toEqual([
      { input: '', key: { escape: true } },
      { input: 'q', key: { ...flags, meta: false } },
    ]);
    expect(escapeThenKey('q', flags)).toBeUndefined();
    expect(escapeThenKey('', { ...flags, meta: true, upArrow: true })).toBeUndefined();
    const { stdin, lastFrame, exits } = setup();
    await delay();
    stdin.write('?');
    await waitForFrame(lastFrame, (f) => f.includes('Show every key'));
    // Esc closes help, q quits the dashboard: two levels, as when typed apart.
    stdin.write('\u001Bq');
    await waitForFrame(lastFrame, () => exits.length > 0);
    expect(exits).toEqual([0]);
  });

  it('"qq" while help is open closes help, then quits', async () => {
    const { stdin, lastFrame, exits } = setup();
    await delay();
    stdin.write('?');
    await waitForFrame(lastFrame, (f) => f.includes('Show every key'));
    stdin.write('qq');
    await waitForFrame(lastFrame, () => exits.length > 0);
    expect(exits).toEqual([0]);
  });

  it('"jj" moves the selection two rows, as two separate presses do', async () => {
    const a = setup();
    await delay();
    a.stdin.write('j');
    await waitForFrame(a.lastFrame, (f) => /›.* bravo/.test(f));
    a.stdin.write('j');
    const twoPresses = await waitForFrame(a.lastFrame, (f) => /›.* charlie/.test(f), 5000);
    cleanup();
    const b = setup();
    await delay();
    b.stdin.write('jj');
    const oneChunk = await waitForFrame(b.lastFrame, (f) => f === twoPresses, 5000);
    expect(oneChunk).toBe(twoPresses);
    // and the selection did move: the frame differs from one press
    const c = setup();
    await delay();
    c.stdin.write('j');
    await delay(200);
    expect(c.lastFrame()).not.toBe(oneChunk);
  });

  it('pasted text of mixed characters fires no command', async () => {
    const { stdin, control, exits, lastFrame } = setup();
    await delay();
    const before = lastFrame();
    stdin.write('r1q?');
    await delay(200);
    expect(exits).toEqual([]);
    expect(control.starts).toEqual([]);
    expect(lastFrame()).toBe(before);
  });

  it('in the / filter a chunk of Backspaces deletes that many characters, then the text is typed after them', async () => {
    const { stdin, lastFrame } = setup();
    await delay();
    await press(stdin, 'filter.start');
    stdin.write('bravo');
    await waitForFrame(lastFrame, (f) => f.includes('/ bravo'));
    stdin.write('\u007F\u007F\u007F\u007F\u007Fdel');
    const f = await waitForFrame(lastFrame, (x) => x.includes('/ del'));
    expect(f).toContain('/ del');
    await press(stdin, 'filter.apply');
    const list = await waitForFrame(lastFrame, (x) => !x.includes('alpha'));
    expect(list).toContain('delta');
    expect(list).not.toContain('bravo');
  });
});

