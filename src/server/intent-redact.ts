// What the server's intent history may keep of an intent's arguments. One-time approval codes,
// passphrases, TOTP codes and the like are secrets: the history says that one was given, never
// what it was (R-SEC: secrets never on screen or in logs). Bounded: depth and width are capped.

const SECRET_KEY = /^(code|otp|totp|totpcode|passphrase|password|passwd|secret|token|pin|key)$/i;
const GIVEN = '[given]';
const MAX_DEPTH = 6;
const MAX_KEYS = 64;

/** A copy of `args` with every secret-named field replaced by "[given]" (or "[empty]" if blank). */
export function redactIntentArgs(args: unknown, depth = 0): unknown {
  if (args === null || typeof args !== 'object') return args;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(args)) return args.slice(0, MAX_KEYS).map((v) => redactIntentArgs(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args as Record<string, unknown>).slice(0, MAX_KEYS)) {
    if (SECRET_KEY.test(k.replace(/[-_]/g, ''))) out[k] = v === '' || v === undefined || v === null ? '[empty]' : GIVEN;
    else out[k] = redactIntentArgs(v, depth + 1);
  }
  return out;
}

/** The outcome of an intent as the history records it: "ok", or the refusal the handler answered. */
export function intentOutcome(value: unknown): string {
  const v = value as { ok?: unknown; error?: unknown; message?: unknown } | null;
  if (v && typeof v === 'object' && v.ok === false) return `refused: ${String(v.error ?? v.message ?? 'no reason given').slice(0, 200)}`;
  return 'ok';
}
