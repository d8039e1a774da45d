// Dry runs of built-in runbooks (R-RUN-5) for the runbook suites: an engine in a fresh folder
// whose shell and HTTP probe note any use and fail (a dry run must use neither), on a fixed clock
// (2026-01-04 15:30 KST), and one dry run's plan lines, audit lines and step outcomes.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Config } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import type { RunEngine } from '../../src/runbook/engine';
import type { RunEvent } from '../../src/runbook/events';
import type { Runbook } from '../../src/runbook/schema';
import { engineInDir } from './engine-in-dir';

export interface DryRunSetup {
  config: Config;
  runbooks: Map<string, Runbook>;
}

/** `executed` lists every shell command, probe and HTTP check the engine tried (each one failed). */
export function dryRunEngine(parent: string, setup: DryRunSetup): { engine: RunEngine; events: RunEvent[]; auditPath: string; executed: string[] } {
  const executed: string[] = [];
  const { engine, auditPath } = engineInDir(parent, {
    ...setup,
    shell: {
      exec: async (host, command) => {
        executed.push(`${host}: ${command}`);
        throw new Error('a dry run must not run anything');
      },
      probe: async () => {
        executed.push('probe');
        return { ok: false, error: 'no' };
      },
      close: () => {},
    },
    clock: new FakeClock(new Date('2026-01-04T15:30:00+09:00')),
    httpProbe: async () => {
      executed.push('http');
      throw new Error('a dry run must not probe');
    },
  });
  const events: RunEvent[] = [];
  engine.on((ev) => events.push(ev));
  return { engine, events, auditPath, executed };
}

export interface DryRun {
  /** What the run printed: one `[dry-run] …` line per step (and `only if` lines before conditional ones). */
  lines: string[];
  audit: string[];
  /** `<step id>:<outcome>` per finished step. */
  outcomes: string[];
}

/** Dry-runs `id` on `target`: it must succeed and run nothing. */
export async function dryRun(parent: string, setup: DryRunSetup, id: string, target: string, params: Record<string, string> = {}): Promise<DryRun> {
  const { engine, events, auditPath, executed } = dryRunEngine(parent, setup);
  const res = engine.start(id, target, { dryRun: true, params });
  if (!res.ok) throw new Error(`${id}: ${res.error}`);
  expect(await engine.waitFor(res.runId), id).toBe('success');
  expect(executed, id).toEqual([]);
  return {
    lines: events.filter((ev) => ev.type === 'step.output').map((ev) => (ev as { line: string }).line),
    audit: readFileSync(auditPath, 'utf8').trim().split('\n'),
    outcomes: events.filter((ev) => ev.type === 'step.finished').map((ev) => `${(ev as { stepId: string }).stepId}:${(ev as { outcome: string }).outcome}`),
  };
}
