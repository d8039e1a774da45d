// The approval form on 80 × 24 with the demo's own approvals folder: the command another session
// types (`doai-console approve <id> --approvals-dir <path>`) is on the form whole, wrapped, never
// cut with "…" (it was: `doai-console approve 87519d63 --approvals-…`), under both policies; the
// proven form's command carries the folder too. The plan and the footer still fit.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import { FakeClock } from '../../src/core/clock';
import type { Lang } from '../../src/core/views';
import { boxText, codeSequence, delay, FakeApprovalControl, MemoryFleetStore, MemoryRunsStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const FLAGS = " --approvals-dir '/home/operator/.local/state/doai-console/demo/approvals'";
const PLAN = ['vultr: systemctl stop doai-orchestrator', 'vultr: systemctl start doai-orchestrator'];

afterEach(() => cleanup());

async function startL2(requirement: 'declared' | 'proven', lang: Lang = 'en', plan: string[] = PLAN, height = 24) {
  const clock = new FakeClock(T0);
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 })]);
  const runs = new MemoryRunsStore();
  const control = new FakeApprovalControl(runs, clock, { random: codeSequence('A3B2C1'), requestId: 'req-7f3a', requestFlags: FLAGS, requirement, plan });
  const r = renderApp({ fleet, runs, control, lang, configPath: 'console.yaml', width: 80, height, clock });
  await delay();
  await press(r.stdin, 'runbook.l2');
  return { ...r, control };
}


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

// The demo's L2 plan at 80 columns: commands are longer than the box. Each wraps under itself
// instead of being cut ("… > '/var/log/doai/snapshots/20261203_1…"): what is cut is what the
// approver never saw. The plan scrolls, and the answer waits until all of it was on screen.
const LONG_PLAN = [
  "ssh root@demo-vm: mkdir -p '/var/log/doai/snapshots/20261203_161222'",
  "ssh root@demo-vm: sh -c 'journalctl -u '\\''doai-orchestrator'\\'' -n 1000 --no-pager' > '/var/log/doai/snapshots/20261203_161222/orchestrator.log'",
  "ssh root@demo-vm: sh -c 'journalctl -u '\\''caddy'\\'' -n 200 --no-pager' > '/var/log/doai/snapshots/20261203_161222/caddy.log'",
  "ssh root@demo-vm: sh -c 'ps aux' > '/var/log/doai/snapshots/20261203_161222/processes.txt'",
  "ssh root@demo-vm: sh -c 'ss -tlnp 2>/dev/null || netstat -tlnp' > '/var/log/doai/snapshots/20261203_161222/ports.txt'",
  'ssh root@demo-vm: systemctl stop doai-orchestrator',
  'ssh root@demo-vm: systemctl stop caddy',
  "ssh root@demo-vm: find /opt/aifarm -type d -name __pycache__ -exec rm -rf {} + ; rm -rf /tmp/doai-cache-* '/opt/aifarm/.cache/sessions'",
  'ssh root@demo-vm: systemctl start caddy',
  'ssh root@demo-vm: systemctl start doai-orchestrator',
];

describe('approval form: a plan line wider than the box wraps, never cut', () => {
  for (const lang of ['en', 'ko'] as const) {
    it(`80 × 24 (${lang}): every command is on screen whole by the end of the plan, and only then is the answer offered`, async () => {
      const { stdin, lastFrame } = await startL2('declared', lang, LONG_PLAN);
      let frame = await waitForFrame(lastFrame, (f) => f.includes('req-7f3a'));
      const end = lang === 'ko' ? '계획 끝' : 'end of plan';
      const answer = lang === 'ko' ? 'Enter 제출' : 'Enter submit';
      expect(frame.split('\n').at(-1)).not.toContain(answer);
      let seen = '';
      for (let i = 0; i < 15; i++) {
        fits(frame);
        seen += ' ' + boxText(frame);
        // A plan row is never cut: only the "N more below" row may end with an ellipsis-free hint.
        for (const l of frame.split('\n').filter((x) => x.startsWith('│'))) expect(l).not.toMatch(/…\s*│$/);
        if (frame.includes(end)) break;
        const before = frame;
        await press(stdin, 'approval.plan.down', 1); // ↓ one line
        frame = await waitForFrame(lastFrame, (f) => f !== before);
      }
      expect(frame).toContain(end);
      const flat = seen.replace(/\s+/g, '');
      for (const p of LONG_PLAN) expect(flat).toContain(p.replace(/\s+/g, ''));
      await delay();
      expect((lastFrame() ?? '').split('\n').at(-1)).toContain(answer);
    });
  }
});

// However long a plan line is, it is never cut short of what runs (R-APR-8): the 4-row cap it had
// cut a 600-character command's end with "…"; a line taller than the whole plan room is shown cut,
// says so, and keeps the answer refused until the window is tall enough to show it whole.
describe('approval form: a plan line longer than four rows', () => {
  const words = Array.from({ length: 60 }, (_, i) => `/srv/data/part-${String(i).padStart(2, '0')}`);
  /** Code, Tab, approver name, Enter: the declared L2 answer. */
  async function answerCodeAndName(stdin: { write(data: string): void }) {
    stdin.write('A3B2C1');
    await delay();
    await press(stdin, 'approval.next');
    stdin.write('kim');
    await delay();
    await press(stdin, 'approval.submit');
  }
  const LONG = `ssh root@demo-vm: tar -czf /var/backups/all.tar.gz ${words.join(' ')}`;

  it('is shown whole on a window tall enough, and the answer is offered', async () => {
    const { stdin, lastFrame, control } = await startL2('declared', 'en', ['ssh root@demo-vm: systemctl stop caddy', LONG], 60);
    const frame = await waitForFrame(lastFrame, (f) => f.includes('req-7f3a'));
    const flat = boxText(frame).replace(/\s+/g, '');
    for (const w of words) expect(flat).toContain(w);
    expect(flat).toContain(LONG.replace(/\s+/g, ''));
    expect(frame).not.toContain('make the window taller');
    await answerCodeAndName(stdin);
    await delay();
    expect(control.answers.map((a) => a.answer.kind)).toEqual(['approve']);
  });

  it('too tall for the window: shown cut, said, and the answer refused however far the plan is scrolled', async () => {
    const huge = `ssh root@demo-vm: tar -czf /var/backups/all.tar.gz ${Array.from({ length: 8 }, () => words.join(' ')).join(' ')}`;
    const { stdin, lastFrame, control } = await startL2('declared', 'en', [huge, 'ssh root@demo-vm: systemctl start caddy'], 24);
    let frame = await waitForFrame(lastFrame, (f) => f.includes('req-7f3a'));
    expect(frame).toMatch(/line 1 needs \d+ rows: make the window taller/);
    for (let i = 0; i < 5 && !frame.includes('end of plan'); i++) {
      await press(stdin, 'approval.plan.down', 1);
      frame = lastFrame() ?? '';
    }
    expect(frame).toContain('systemctl start caddy');
    await answerCodeAndName(stdin);
    frame = await waitForFrame(lastFrame, (f) => f.includes('read the whole plan first'));
    expect(control.answers).toEqual([]);
    fits(frame);
  });
});
