// Operator preferences that outlive a session (R-CFG-5): name, language, theme, pane layout.
// Stored with `conf` in the user's config dir (~/.config/doai-console/config.json), owner-only.
import Conf from 'conf';
import { z } from 'zod';

export const prefsSchema = z.object({
  operator: z.string().trim().min(1).max(64).optional(),
  lang: z.enum(['ko', 'en']).optional(),
  theme: z.enum(['auto', 'dark', 'light', 'mono']).optional(),
  layout: z.enum(['auto', 'wide', 'stacked']).optional(),
});

export type Prefs = z.infer<typeof prefsSchema>;

export interface PrefsStore {
  /** The stored preferences; a value that no longer validates (hand-edited file) is left out. */
  get(): Prefs;
  /** Validates and stores the given fields; `undefined` removes a field. Throws on invalid values. */
  set(partial: Partial<Prefs>): void;
  /** Where the preferences file lives. */
  readonly path: string;
}

const keys = Object.keys(prefsSchema.shape) as (keyof Prefs)[];

export function loadPrefs(opts: { cwd?: string } = {}): PrefsStore {
  const conf = new Conf<Record<string, unknown>>({
    projectName: 'doai-console',
    projectSuffix: '',
    configFileMode: 0o600,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return {
    path: conf.path,
    get() {
      const out: Prefs = {};
      for (const key of keys) {
        const parsed = prefsSchema.shape[key].safeParse(conf.get(key));
        if (parsed.success && parsed.data !== undefined) (out as Record<string, unknown>)[key] = parsed.data;
      }
      return out;
    },
    set(partial) {
      const parsed = prefsSchema.strict().safeParse(partial);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`invalid preference ${issue.path.join('.') || ''}: ${issue.message} — allowed: lang ko|en, theme auto|dark|light|mono, layout auto|wide|stacked`);
      }
      for (const key of Object.keys(partial) as (keyof Prefs)[]) {
        const value = parsed.data[key];
        if (value === undefined) conf.delete(key);
        else conf.set(key, value);
      }
    },
  };
}
