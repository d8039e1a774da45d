// An approval form's one-time code leaves the requester's screen nowhere (R-AUD-3): not in what is
// recorded or sent on of its run events (journal, `run.events` pages), nor in the run views other
// boxes read from the shared state — neither the code field nor the form's sentence that says it.
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../src/core/views';
import type { RunEvent } from '../../src/runbook/events';
import { recordableEvent } from '../../src/runbook/event-records';
import { shareable } from '../../src/state/pg-runs';
import { approvalPrompt } from '../../src/approval/run-events';

const at = new Date('2026-01-04T06:31:00Z');
// The form exactly as the flow's snapshot makes it (the hint names the code).
const form = approvalPrompt({ mode: 'code', requirement: 'declared', phase: 'code', step: 1, code: 'A3B2C1', expiresAt: at, triesLeft: 3, done: false })!;

describe('an approval code in records and shared views', () => {
  it('the form says the code to the requester', () => {
    expect(form).toMatchObject({ kind: 'approval', code: 'A3B2C1', message: { en: expect.stringContaining('A3B2C1'), ko: expect.stringContaining('A3B2C1') } });
  });

  it('a recorded run.prompt keeps the form but neither the code nor any sentence holding it', () => {
    const ev: RunEvent = { type: 'run.prompt', runId: 'r1', prompt: form, at };
    const out = recordableEvent(ev);
    expect(JSON.stringify(out)).not.toContain('A3B2C1');
    expect(out).toMatchObject({ type: 'run.prompt', runId: 'r1', prompt: { kind: 'approval', step: 1, triesLeft: 3, message: { en: expect.stringContaining('***') } } });
    expect((out as Extract<RunEvent, { type: 'run.prompt' }>).prompt).not.toHaveProperty('code');
    // The requester's own event is untouched.
    expect(ev.prompt).toHaveProperty('code', 'A3B2C1');
  });

  it('other events, and forms without a code, go as they are', () => {
    const started: RunEvent = { type: 'audit', runId: 'r1', message: 'START - Confirm: A3B2C1', at };
    expect(recordableEvent(started)).toBe(started);
    const proven: RunEvent = { type: 'run.prompt', runId: 'r1', prompt: { kind: 'approval', step: 1, requirement: 'proven' }, at };
    expect(recordableEvent(proven)).toBe(proven);
    const cleared: RunEvent = { type: 'run.prompt', runId: 'r1', prompt: null, at };
    expect(recordableEvent(cleared)).toBe(cleared);
  });

  it("a run view shared with other boxes carries no code, in its field or its form's sentence", () => {
    const run = { runId: 'r1', runbook: 'l2-service-reset', operator: 'orion', state: 'running', prompt: form } as unknown as RunView;
    const out = shareable(run);
    expect(JSON.stringify(out)).not.toContain('A3B2C1');
    expect(out.prompt).toMatchObject({ kind: 'approval', step: 1 });
  });
});
