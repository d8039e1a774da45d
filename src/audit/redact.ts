// Secrets (API keys, webhook tokens, passphrases) must never reach the audit log, the journal or
// the screen (R-AUD-3). Short values are left alone: masking every "ab" would shred the text.
export const MIN_SECRET_LENGTH = 4;

// A URL's path segment or query value this long is a token on its own (Slack's last segment,
// Discord's token, `?token=…`); shorter ones are words like "services" or "hooks".
const MIN_TOKEN_PART = 8;

const formsCache = new Map<string, string[]>();

/**
 * Every form in which a secret can show up in text: as read (an env var may carry a leading space
 * or a trailing CR/LF), as used (trimmed), the token parts of a URL on their own (its path, its
 * last segment, each query value) and the URL-encoded form of each.
 */
export function secretForms(raw: string): string[] {
  const cached = formsCache.get(raw);
  if (cached) return cached;
  const used = raw.trim();
  const forms = new Set([raw, used]);
  try {
    const u = new URL(used);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      const segments = u.pathname.split('/').filter(Boolean);
      if (u.pathname.length > 1) forms.add(u.pathname).add(u.pathname.slice(1));
      if (u.search.length > 1) forms.add(u.search.slice(1));
      for (const seg of segments) if (seg.length >= MIN_TOKEN_PART * 2 || seg === segments.at(-1)) forms.add(seg);
      for (const [, value] of u.searchParams) forms.add(value);
      if (u.password) forms.add(u.password);
    }
  } catch {
    // Not a URL: the raw and trimmed values are all there is.
  }
  for (const f of [...forms]) {
    forms.add(encodeURIComponent(f));
    try {
      forms.add(decodeURIComponent(f));
    } catch {
      // not percent-encoded
    }
  }
  const out = [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH && (f === raw || f === used || f.length >= MIN_TOKEN_PART));
  if (formsCache.size > 256) formsCache.clear();
  formsCache.set(raw, out);
  return out;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH).flatMap(secretForms))].sort((a, b) => b.length - a.length);
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
