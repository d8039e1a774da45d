// Which processes evaluate the alert rules right now. A console (or a server) that runs the alert
// engine leaves <stateDir>/alert-evaluators/<host>-<pid>.json while it does (written by
// src/health/alerts-evaluator-presence.ts); the wall screen, which never evaluates alerts, reads
// them so "No alerts firing" is only said when something is looking.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { holderAlive, type ProcessIdentity } from '../core/process-identity';

export const EVALUATORS_DIR = 'alert-evaluators';

export interface EvaluatorRecord extends ProcessIdentity {
  /** 'console' (an interactive console) or 'server'. */
  kind: string;
  operator: string;
  since: string;
}

/** Evaluators whose process still runs (another machine's cannot be checked and counts). */
export function liveEvaluators(stateDir: string): EvaluatorRecord[] {
  const dir = join(stateDir, EVALUATORS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: EvaluatorRecord[] = [];
  for (const n of names) {
    try {
      const v = JSON.parse(readFileSync(join(dir, n), 'utf8')) as Partial<EvaluatorRecord>;
      if (typeof v.pid !== 'number') continue;
      const who: ProcessIdentity = {
        pid: v.pid,
        hostname: typeof v.hostname === 'string' ? v.hostname : '',
        ...(typeof v.bootId === 'string' ? { bootId: v.bootId } : {}),
        ...(typeof v.startTime === 'string' ? { startTime: v.startTime } : {}),
      };
      // A killed console's file, or its pid now used by another program: not an evaluator.
      if (!holderAlive(who)) continue;
      out.push({ ...who, kind: String(v.kind ?? 'console'), operator: String(v.operator ?? '?'), since: String(v.since ?? '') });
    } catch {
      // being written, or debris of a crashed console: not an evaluator
    }
  }
  return out;
}
