// The start-up line about an interrupted run: one stopped before any step ran (an L2 waiting for
// its approval when the server was stopped) says so, in both languages, never "during -".
import { describe, expect, it } from 'vitest';
import { interruptedNotice, type InterruptedRun } from '../../src/cli/resume';

const run = (lastStep?: string): InterruptedRun => ({
  runId: '20261203T161340-l2-service-reset-3bfa',
  runbook: 'l2-service-reset',
  level: 'L2',
  target: 'doai-orchestrator',
  operator: 'root',
  dryRun: false,
  startedAt: new Date(2026, 11, 3, 16, 13),
  outcome: 'interrupted',
  path: '/nonexistent/journal.jsonl',
  ...(lastStep ? { lastStep } : {}),
});

describe('interruptedNotice', () => {
  it('names the step it was in', () => {
    expect(interruptedNotice([run('stop-services')], 'en', { open: 'Enter' })).toContain('(root, 16:13, during stop-services)');
    expect(interruptedNotice([run('stop-services')], 'ko', { open: 'Enter' })).toContain('(root, 16:13, stop-services 단계)');
  });

  it('says "before its first step" when no step ran, not "during -"', () => {
    const en = interruptedNotice([run()], 'en', { open: 'Enter' })!;
    const ko = interruptedNotice([run()], 'ko', { open: 'Enter' })!;
    expect(en).toContain('(root, 16:13, before its first step)');
    expect(ko).toContain('(root, 16:13, 첫 단계 전)');
    for (const s of [en, ko]) expect(s).not.toMatch(/during -|- 단계/);
  });
});
