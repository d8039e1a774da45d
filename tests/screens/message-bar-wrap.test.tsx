// The message bar on 80 × 24: a message wider than the terminal wraps onto up to three lines (the
// body gives them up while it shows) instead of being cut with "…". The demo's command for a second
// terminal, a question's "(y/n)" and a refusal's next step are what the operator needs from it.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { delay, MemoryFleetStore, press, renderApp, service, waitForFrame } from './fixtures';

afterEach(() => cleanup());

const attach =
  'Second terminal, same server: doai-console --config /tmp/pglock-ux.RcsX/state/doai-console/demo/console.yaml --socket /tmp/pglock-ux.RcsX/state/doai-console/demo/run/console.sock';

/** The frame's lines joined back at the wrap points (spaces trimmed), to find a wrapped text whole. */
const joined = (frame: string) => frame.split('\n').map((l) => l.trim()).join(' ');

describe('the message bar wraps a long message instead of cutting it', () => {
  it('at 80 × 24 the command for a second terminal is there whole, and the footer is still the last line', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'alpha', latencyMs: 10, samples: [10] })], { timeScale: 1 });
    const { lastFrame } = renderApp({ fleet, width: 80, height: 24, notice: attach });
    const frame = await waitForFrame(lastFrame, (f) => f.includes('Second terminal'));
    expect(frame.split('\n').at(-2)).not.toMatch(/…\s*$/);
    expect(joined(frame)).toContain('--socket /tmp/pglock-ux.RcsX/state/doai-console/demo/run/console.sock');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(lines.at(-1)).toMatch(/q quit/);
    expect(frame).toContain('alpha');
  });

  it('a question longer than the terminal keeps its (y/n), and the bar is one line again once answered', async () => {
    const name = 'doai-orchestrator-primary-eu-west-1a';
    const fleet = new MemoryFleetStore([service({ name, latencyMs: 10, samples: [10] })], { timeScale: 1 });
    const { stdin, lastFrame } = renderApp({ fleet, width: 80, height: 24 });
    await delay();
    await press(stdin, 'runbook.l1');
    const asked = await waitForFrame(lastFrame, (f) => f.includes('restart anyway'));
    expect(asked.split('\n').at(-2)).not.toMatch(/…\s*$/);
    expect(joined(asked)).toMatch(new RegExp(`${name} is UP — restart anyway with .+\\? \\(y/n\\)`));
    expect(asked.split('\n').length).toBeLessThanOrEqual(23);
    stdin.write('n');
    const after = await waitForFrame(lastFrame, (f) => !f.includes('restart anyway'));
    expect(after.split('\n').length).toBeLessThanOrEqual(23);
    expect(after.split('\n').at(-1)).toMatch(/q quit/);
  });
});
