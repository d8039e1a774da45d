// A run engine whose audit log, journal and locks live in a fresh folder under `parent`, as the
// runbook suites build it: operator `orion`, waits compressed ×1000 unless a clock is given.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/emergency-log';
import { realClock } from '../../src/core/clock';
import { createRunEngine } from '../../src/runbook/engine';
import type { RunEngine, RunEngineDeps } from '../../src/runbook/engine-types';
import { FileLockStore } from '../../src/runbook/locks';

export type EngineInDirDeps = Omit<RunEngineDeps, 'audit' | 'journalDir' | 'locks' | 'operator' | 'clock'> & Partial<Pick<RunEngineDeps, 'operator' | 'clock'>>;

export function engineInDir(parent: string, deps: EngineInDirDeps): { engine: RunEngine; base: string; auditPath: string } {
  const base = mkdtempSync(join(parent, 'run-'));
  const auditPath = join(base, 'emergency.log');
  const engine = createRunEngine({
    operator: 'orion',
    clock: realClock(1000),
    ...deps,
    audit: new AuditLog(auditPath),
    journalDir: join(base, 'journal'),
    locks: new FileLockStore(join(base, 'locks')),
  });
  return { engine, base, auditPath };
}
