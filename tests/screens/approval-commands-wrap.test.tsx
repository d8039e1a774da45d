// The approval form on 80 × 24 with the demo's own approvals folder: the command another session
// types (`doai-console approve <id> --approvals-dir <path>`) is on the form whole, wrapped, never
// cut with "…" (it was: `doai-console approve 87519d63 --approvals-…`), under both policies; the
// proven form's command carries the folder too. The plan and the footer still fit.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import { FakeClock } from '../../src/core/clock';
import type { Lang } from '../../src/core/views';
import { codeSequence, delay, FakeApprovalControl, MemoryFleetStore, MemoryRunsStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const FLAGS = " --approvals-dir '/home/operator/.local/state/doai-console/demo/approvals'";
const PLAN = ['vultr: systemctl stop doai-orchestrator', 'vultr: systemctl start doai-orchestrator'];

afterEach(() => cleanup());

async function startL2(requirement: 'declared' | 'proven', lang: Lang = 'en') {
  const clock = new FakeClock(T0);
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 })]);
  const runs = new MemoryRunsStore();
  const control = new FakeApprovalControl(runs, clock, { random: codeSequence('A3B2C1'), plan: PLAN, requestId: 'req-7f3a', requestFlags: FLAGS, requirement });
  const r = renderApp({ fleet, runs, control, lang, configPath: 'console.yaml', width: 80, height: 24, clock });
  await delay();
  await press(r.stdin, 'runbook.l2');
  return r;
}

/** The box's inside, line by line, with the border and padding taken off, joined at the wraps. */
const boxText = (frame: string) =>
  frame
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│ ?/, '').replace(/ *│$/, '').trim())
    .join(' ');

function fits(frame: string) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(23);
  for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
  expect(lines.at(-1)).toMatch(/help|도움말/);
}

describe('approval form: the command for another session is never cut', () => {
  for (const lang of ['en', 'ko'] as const) {
    it(`declared L2 (${lang}): "approve req-7f3a --approvals-dir <path>" whole, plan and footer on screen`, async () => {
      const { lastFrame } = await startL2('declared', lang);
      const frame = await waitForFrame(lastFrame, (f) => f.includes('req-7f3a'));
      expect(boxText(frame)).toContain(`doai-console approve req-7f3a${FLAGS}`);
      expect(frame).toContain('systemctl start doai-orchestrator');
      fits(frame);
    });
  }

  it('proven L2: the command another OS user runs names the approvals folder too', async () => {
    const { lastFrame } = await startL2('proven');
    const frame = await waitForFrame(lastFrame, (f) => f.includes('as their own OS user'));
    expect(boxText(frame)).toContain(`as their own OS user:  doai-console approve req-7f3a${FLAGS}`);
    fits(frame);
  });
});
