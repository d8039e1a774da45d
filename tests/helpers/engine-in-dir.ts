// A run engine whose audit log, journal and locks live in a fresh folder under `parent`, as the
// runbook suites build it: operator `orion`, waits compressed ×1000 unless a clock is given, locks
// in files there unless a lock store is given.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/emergency-log';
import { realClock } from '../../src/core/clock';
import { createRunEngine } from '../../src/runbook/engine';
import type { RunEngine, RunEngineDeps } from '../../src/runbook/engine-types';
import type { RunEvent } from '../../src/runbook/events';
import { parseRunbook } from '../../src/runbook/loader';
import { FileLockStore } from '../../src/runbook/locks';
import type { Runbook } from '../../src/runbook/schema';
import type { RemoteShell } from '../../src/ssh/types';

export type EngineInDirDeps = Omit<RunEngineDeps, 'audit' | 'journalDir' | 'locks' | 'operator' | 'clock'> & Partial<Pick<RunEngineDeps, 'operator' | 'clock' | 'locks'>>;

export function engineInDir(parent: string, deps: EngineInDirDeps): { engine: RunEngine; base: string; auditPath: string } {
  const base = mkdtempSync(join(parent, 'run-'));
  const auditPath = join(base, 'emergency.log');
  const engine = createRunEngine({
    operator: 'orion',
    clock: realClock(1000),
    ...deps,
    audit: new AuditLog(auditPath),
    journalDir: join(base, 'journal'),
    locks: deps.locks ?? new FileLockStore(join(base, 'locks')),
  });
  return { engine, base, auditPath };
}

/** engineInDir, with every event it emits kept in `events`. */
export function engineWithEvents(parent: string, deps: EngineInDirDeps): { e: RunEngine; events: RunEvent[]; auditPath: string } {
  const { engine, auditPath } = engineInDir(parent, deps);
  const events: RunEvent[] = [];
  engine.on((ev) => events.push(ev));
  return { e: engine, events, auditPath };
}

/** For runbooks with no ssh step: any ssh use fails loudly. */
export const noShell: RemoteShell = { exec: () => Promise.reject(new Error('no ssh in this test')), probe: async () => ({ ok: false, error: 'no ssh' }), close: () => {} };

/** A runbook a test writes inline; its problems thrown when it does not parse. */
export function runbookFrom(yaml: string, file: string): Runbook {
  const parsed = parseRunbook(yaml, file);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.runbook;
}
