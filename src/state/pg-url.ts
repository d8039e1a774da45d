// The PostgreSQL connection URL is a secret (like a webhook URL): it comes from the environment
// variable `state.url_env` names and is never printed. Messages say where we tried to connect —
// user, host, port, database — without the password, and any text we show is scrubbed of it.
import { parse } from 'pg-connection-string';

export interface PgTarget {
  /** The URL as read from the environment (secret). */
  url: string;
  /** `postgres://user@host:port/db`: no password, safe for messages and logs. */
  shown: string;
  /** The password, if the URL has one (for scrubbing messages). */
  password?: string;
}

export type PgUrlResolution = { ok: true; target: PgTarget } | { ok: false; error: string };

/** Reads and checks the URL; errors say what to do and never contain the value. */
export function resolvePgUrl(urlEnv: string, env: NodeJS.ProcessEnv = process.env): PgUrlResolution {
  const url = env[urlEnv]?.trim();
  if (!url) {
    return {
      ok: false,
      error: `state.backend is postgres but the environment variable ${urlEnv} is not set — export it with the connection URL (postgres://user:password@host:5432/database) before starting doai-console`,
    };
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    return { ok: false, error: `the value of ${urlEnv} is not a postgres:// URL — check it (it is not shown here because it may hold a password)` };
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url);
  } catch {
    return { ok: false, error: `the value of ${urlEnv} is not a URL that can be parsed — check it (it is not shown here because it may hold a password)` };
  }
  const password = typeof parsed.password === 'string' && parsed.password ? parsed.password : undefined;
  const host = parsed.host ?? 'localhost';
  const hostShown = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host;
  const shown = `postgres://${parsed.user ? `${encodeURIComponent(parsed.user)}@` : ''}${hostShown}:${parsed.port ?? 5432}/${parsed.database ?? ''}`;
  return { ok: true, target: { url, shown, ...(password ? { password } : {}) } };
}

/** Removes the URL and its password (as written and URL-encoded) from any text. */
export function scrubPg(text: string, target: Pick<PgTarget, 'url' | 'password'>): string {
  let out = text.split(target.url).join('postgres://…');
  const p = target.password;
  if (p) for (const form of new Set([p, encodeURIComponent(p)])) out = out.split(form).join('***');
  return out;
}
