// Checklists as data (R-CHK-1): built-ins in actions/checklists/*.yaml, the operator's own from
// the config's `checklists:` list. Every object is strict, like the config: a typo is an error.
import { z } from 'zod';

const localized = z.strictObject({ ko: z.string().min(1), en: z.string().min(1) });
const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'an id of lower-case letters, digits, . _ -');

/**
 * Facts the console can check itself (R-CHK-3). Each reads the live stores; a fact no store
 * provides yet is shown as unknown, never guessed.
 */
export const AUTO_CHECKS = [
  'health_ok',
  'websocket_accepts',
  'nodes_online_ratio',
  'latency_below',
  'error_rate_below',
  'disk_below',
  'backups_present',
] as const;
export type AutoCheckKind = (typeof AUTO_CHECKS)[number];

export const autoCheckSchema = z.discriminatedUnion('check', [
  z.strictObject({ check: z.literal('health_ok') }),
  z.strictObject({ check: z.literal('websocket_accepts') }),
  /** Share of nodes online, 0.5 = 50 %, 1 = all nodes back. */
  z.strictObject({ check: z.literal('nodes_online_ratio'), min: z.number().min(0).max(1) }),
  z.strictObject({ check: z.literal('latency_below'), max_ms: z.number().positive() }),
  /** Device error rate as a fraction: 0.01 = 1 %. */
  z.strictObject({ check: z.literal('error_rate_below'), max: z.number().min(0).max(1) }),
  /** Disk use in percent (seed 002: below 80 %). */
  z.strictObject({ check: z.literal('disk_below'), max_pct: z.number().min(1).max(100) }),
  /** `ls` of the host's backup_dir over SSH; the newest backup must be younger than max_age_h. */
  z.strictObject({ check: z.literal('backups_present'), max_age_h: z.number().positive().default(24) }),
]);
export type AutoCheck = z.infer<typeof autoCheckSchema>;

export const checklistItemSchema = z.strictObject({
  id,
  text: localized,
  auto: autoCheckSchema.optional(),
});

export const checklistSectionSchema = z.strictObject({
  id,
  title: localized,
  /** Opens this many minutes after the recovery's SUCCESS (R-CHK-4); absent = open at once. */
  opens_after_min: z.number().min(0).optional(),
  items: z.array(checklistItemSchema).min(1),
});

export const checklistSchema = z
  .strictObject({
    id,
    title: localized,
    /** Where it comes from, shown in the picker (e.g. "seed 000"). */
    source: z.string().optional(),
    /** Offered after a successful recovery on the run screen. */
    post_recovery: z.boolean().default(false),
    sections: z.array(checklistSectionSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.sections.forEach((s, si) =>
      s.items.forEach((item, ii) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: ['sections', si, 'items', ii, 'id'], message: `a unique item id ("${item.id}" is used twice)` });
        seen.add(item.id);
      }),
    );
  });

export type ChecklistDefinition = z.infer<typeof checklistSchema> & { source_file?: string };
export type ChecklistSectionDef = z.infer<typeof checklistSectionSchema>;
export type ChecklistItemDef = z.infer<typeof checklistItemSchema>;
