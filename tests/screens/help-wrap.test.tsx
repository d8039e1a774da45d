// The `?` screen at 80 columns: a key's description longer than the line wraps under itself instead
// of being cut ("Start the recommended runbook on its target [changes the fleet…" lost the marker,
// "L2 Service Reset on the selected service (approval needed) [ch…" most of it). Scrolling still
// reaches every line, and the counts say lines above and below.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import { delay, MemoryFleetStore, press, renderApp, service, waitForFrame } from './fixtures';

afterEach(() => cleanup());

const fleet = () => new MemoryFleetStore([service({ name: 'alpha', latencyMs: 10, samples: [10] })], { timeScale: 1 });

/** Every help line from the top to the bottom, scrolling a page at a time. */
async function allHelpLines(stdin: { write(s: string): void }, lastFrame: () => string | undefined): Promise<string[]> {
  await press(stdin, 'help');
  let frame = await waitForFrame(lastFrame, (f) => / above · \d+ below/.test(f));
  const seen: string[] = [];
  for (let i = 0; i < 20; i++) {
    const lines = frame.split('\n');
    // Between the title bar (which says how many rows are above and below) and the footer.
    const from = lines.findIndex((l) => /^ Keys/.test(l));
    const to = lines.findIndex((l) => /^Esc close/.test(l));
    seen.push(...lines.slice(from + 1, to).filter((l) => l.trim() !== '' && !/ above · \d+ below/.test(l)));
    if (/ above · 0 below/.test(frame)) break;
    await press(stdin, 'help.pageDown');
    const prev = frame;
    frame = await waitForFrame(lastFrame, (f) => f !== prev);
  }
  return seen;
}

describe('help descriptions wrap at 80 columns', () => {
  it('at 80 × 24 no key line is cut with …, and the dangerous marker and approval note are there whole', async () => {
    const { stdin, lastFrame } = renderApp({ fleet: fleet(), width: 80, height: 24 });
    await delay();
    const lines = await allHelpLines(stdin, lastFrame);
    for (const l of lines) {
      expect(stringWidth(l)).toBeLessThanOrEqual(80);
      expect(l).not.toMatch(/…\s*$/);
    }
    const text = lines.map((l) => l.trim()).join(' ');
    // A command that changes the fleet is marked "!" in front of its keys; the title line says what "!" means.
    expect(await waitForFrame(lastFrame, (f) => f.includes(' Keys — Dashboard   ! changes the fleet'))).toBeTruthy();
    expect(text).toMatch(/! r +Start the recommended runbook on its target \(nothing to recommend — all services healthy\)/);
    expect(text).toMatch(/! 2 +L2 Service Reset on the selected service \(approval needed\)/);
    expect(text).toMatch(/(^| )d +Dry run of L1/);
    expect(text).toContain('Show every key of this screen');
  });

  it('in Korean too (wide characters wrap by display width)', async () => {
    const { stdin, lastFrame } = renderApp({ fleet: fleet(), width: 80, height: 24, lang: 'ko' });
    await delay();
    await press(stdin, 'help');
    const frame = await waitForFrame(lastFrame, (f) => /0 (above|위)/.test(f) || f.includes('↑↓'));
    for (const l of frame.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    expect(frame.split('\n').length).toBeLessThanOrEqual(23);
  });
});
