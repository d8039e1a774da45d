// Headless L3 with piped answers (`printf 'reason\nyes\n' | doai-console run …`): stdin reaches
// EOF long before the engine has moved from the reason to the final `yes`, and the queued line
// must still answer it. The flow is a stand-in here so EOF can be made to win that race every
// time; the whole path against the demo fleet is in tests/integration/approve-cli.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attachHeadlessApproval } from '../../src/cli/headless-approval';
import { FakeClock } from '../../src/core/clock';
import type { ApprovalAnswer, RunPrompt } from '../../src/core/views';
import type { RunEngine } from '../../src/runbook/engine';
import type { RunEvent } from '../../src/runbook/events';

type Phase = 'step1' | 'reason' | 'summary' | 'confirm-yes';

function standInEngine() {
  const listeners = new Set<(ev: RunEvent) => void>();
  const answers: ApprovalAnswer[] = [];
  const prompt = (phase: Phase): void => {
    const p: RunPrompt = { kind: 'approval', step: phase === 'step1' ? 1 : 2, mode: 'two-step', phase, requestId: phase === 'step1' ? '0a1b2c3d' : undefined, summary: phase === 'summary' ? [{ en: 'Reason: r', ko: '사유: r' }] : undefined };
    for (const l of [...listeners]) l({ type: 'run.prompt', runId: 'r1', prompt: p, at: new Date() });
  };
  const engine = {
    on(l: (ev: RunEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    answerApproval(_runId: string, a: ApprovalAnswer) {
      answers.push(a);
      // The next question comes a moment later, after stdin's EOF has been seen.
      if (a.kind === 'reason') setTimeout(() => prompt('summary'), 50);
      if (a.kind === 'continue') setTimeout(() => prompt('confirm-yes'), 50);
      return { accepted: a.kind !== 'confirm' || a.word.trim() === 'yes' };
    },
  } as unknown as RunEngine;
  return { engine, answers, prompt };
}

async function pipeThrough(text: string, opts: { approvals: boolean }) {
  const { engine, answers, prompt } = standInEngine();
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d) => (shown += d));
  const lines: string[] = [];
  const ui = attachHeadlessApproval({ engine, runId: 'r1', clock: new FakeClock(), lang: 'en', write: (l) => lines.push(l), input, output, interactive: false, liveOutput: false });
  input.end(text);
  try {
    if (opts.approvals) prompt('step1');
    await new Promise((r) => setTimeout(r, 30));
    prompt('reason');
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    ui.stop();
  }
  return { answers, lines, shown };
}

describe('headless approval with answers piped on stdin', () => {
  it('reason and yes piped before EOF are both used, even when EOF arrives before the yes is asked', async () => {
    const r = await pipeThrough('disk full\nyes\n', { approvals: false });
    expect(r.answers).toEqual([{ kind: 'reason', reason: 'disk full' }, { kind: 'continue' }, { kind: 'confirm', word: 'yes' }]);
    expect(r.shown).toContain('reason for this box reset: disk full\n');
    expect(r.shown).toContain('execute? type yes (anything else cancels): yes\n');
    expect(r.lines.join('\n')).not.toMatch(/stdin closed/);
  });

  it('anything but yes is passed on as the word typed (the flow cancels), never replaced by yes', async () => {
    const r = await pipeThrough('disk full\nno\n', { approvals: false });
    expect(r.answers.at(-1)).toEqual({ kind: 'confirm', word: 'no' });
  });

  it('only a reason piped: the missing yes cancels with a message saying how to answer', async () => {
    const r = await pipeThrough('disk full\n', { approvals: false });
    expect(r.answers).toEqual([{ kind: 'reason', reason: 'disk full' }, { kind: 'continue' }, { kind: 'cancel' }]);
    expect(r.lines.join('\n')).toMatch(/stdin closed before the approval was complete — cancelling; run it again from a terminal \(or pipe the reason and yes\)/);
  });

  it('a pipe never approves: lines waiting at the approval step are not read as a name and code', async () => {
    const r = await pipeThrough('alice\nA1B2C3\nyes\n', { approvals: true });
    expect(r.answers.some((a) => a.kind === 'approve')).toBe(false);
    expect(r.lines.join('\n')).toMatch(/waiting for another user to approve \(stdin is not a terminal, so no code can be typed here\)/);
    // The first piped line is taken as the reason only once the reason is asked for.
    expect(r.answers[0]).toEqual({ kind: 'reason', reason: 'alice' });
  });
});
