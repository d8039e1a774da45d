// Alert transitions for the timeline from <stateDir>/alerts.jsonl, when the alert monitor writes
// one. Read tolerantly: a line we cannot understand is skipped, never fatal for a report.
import { readFileSync } from 'node:fs';

export interface AlertLine {
  at: Date;
  rule: string;
  subject?: string;
  state: string;
  message?: string;
}

function pick(o: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

export function readAlertLines(path: string): AlertLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: AlertLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!o || typeof o !== 'object') continue;
    const alert = (typeof o.alert === 'object' && o.alert ? o.alert : {}) as Record<string, unknown>;
    const atRaw = pick(o, 'at', 'time', 'ts', 'timestamp');
    const at = typeof atRaw === 'string' || typeof atRaw === 'number' ? new Date(atRaw) : undefined;
    const rule = pick(o, 'rule', 'name') ?? pick(alert, 'rule', 'name');
    // The alert monitor's lines say what happened in `type`; action and notification lines are not transitions.
    const type = typeof o.type === 'string' && o.type.startsWith('alert.') ? o.type.slice('alert.'.length) : undefined;
    if (type !== undefined && type !== 'fired' && type !== 'resolved') continue;
    const state = type ?? pick(o, 'state', 'status') ?? pick(alert, 'state');
    if (!at || Number.isNaN(at.getTime()) || typeof rule !== 'string' || typeof state !== 'string') continue;
    const subject = pick(o, 'subject', 'service', 'target') ?? pick(alert, 'subject');
    const message = pick(o, 'message', 'detail') ?? pick(alert, 'message');
    out.push({
      at,
      rule,
      state: state.replace(/^alert\./, ''),
      ...(typeof subject === 'string' ? { subject } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    });
  }
  return out;
}
