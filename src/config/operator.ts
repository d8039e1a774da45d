// Who is at the keyboard: recorded in every run, approval and sign-off.
import { userInfo } from 'node:os';
import type { Prefs } from './prefs';

export function operatorName(prefs?: Pick<Prefs, 'operator'>, env: Record<string, string | undefined> = process.env): string {
  const fromPrefs = prefs?.operator?.trim();
  if (fromPrefs) return fromPrefs;
  const fromEnv = env.DOAI_OPERATOR?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    // no passwd entry (some containers): fall back to what the shell says
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}
