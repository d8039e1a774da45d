// Built-in runbooks and checklists validated at build time (scripts/build.mjs), keyed by a hash of
// their text. A cold YAML parser and zod over the ~40 KB of actions/ were more than half of the
// console's CPU before its first frame; a file whose text differs from the one built (edited
// in place, or the operator's own) has no entry and is parsed and validated as before.
import { createHash } from 'node:crypto';

// Replaced at bundle time by a JSON string: { "<kind>:<sha256 of text>": "<validated JSON>" }.
declare const __DOAI_PREVALIDATED__: string | undefined;

export type PrevalidatedKind = 'runbook' | 'checklist';

let table: Record<string, string> | undefined | null = null;

export function prevalidatedKey(kind: PrevalidatedKind, text: string): string {
  return `${kind}:${createHash('sha256').update(text).digest('hex')}`;
}

/** The validated data for this exact text, a fresh copy each call; undefined when not built in. */
export function prevalidated(kind: PrevalidatedKind, text: string): unknown {
  if (table === null) table = typeof __DOAI_PREVALIDATED__ === 'string' ? (JSON.parse(__DOAI_PREVALIDATED__) as Record<string, string>) : undefined;
  const json = table?.[prevalidatedKey(kind, text)];
  return json === undefined ? undefined : JSON.parse(json);
}
