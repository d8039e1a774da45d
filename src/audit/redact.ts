// Secrets (API keys, webhook tokens, passphrases) must never reach the audit log, the journal or
// the screen (R-AUD-3). Short values are left alone: masking every "ab" would shred the text.
export const MIN_SECRET_LENGTH = 4;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  for (const s of list) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** Redacts every string inside a plain value (events, journal records); other values are kept. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (!secrets.some((s) => s && s.length >= MIN_SECRET_LENGTH)) return value;
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => walk(v, secrets));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, secrets);
    return out;
  }
  return value;
}
