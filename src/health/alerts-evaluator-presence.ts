// While this process evaluates the alert rules, <stateDir>/alert-evaluators/<host>-<pid>.json says
// so (read by src/watch/evaluators-reader.ts for the wall screen). Removed on stop; a process that
// was killed leaves a file whose pid is gone, which the reader ignores.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { selfIdentity } from '../core/process-identity';
import { EVALUATORS_DIR, type EvaluatorRecord } from '../watch/evaluators-reader';

export function registerAlertEvaluator(stateDir: string, kind: 'console' | 'server', operator: string, now: Date): () => void {
  const dir = join(stateDir, EVALUATORS_DIR);
  const file = join(dir, `${hostname()}-${process.pid}.json`);
  const record: EvaluatorRecord = { ...selfIdentity(), kind, operator, since: now.toISOString() };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o644 });
  } catch {
    // Not fatal: the wall screen then says alerts are not evaluated, which errs on the safe side.
    return () => {};
  }
  return () => rmSync(file, { force: true });
}
