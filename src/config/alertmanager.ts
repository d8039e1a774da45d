// The `alertmanager:` section of the config (R-MON-2): the receiver's bearer token (a secret, from
// an environment variable, never inline), the biggest body accepted, whether a firing alert opens
// an incident, and the mapping from label matchers to the symptoms the level recommendation knows.
import { z } from 'zod';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name');
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name');

export const AM_SYMPTOMS = ['host_unreachable', 'db_failing'] as const;
export type AmSymptom = (typeof AM_SYMPTOMS)[number];

const regex = z.string().max(500).refine(
  (s) => {
    try {
      new RegExp(`^(?:${s})$`);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const amSymptomSchema = z.strictObject({
  /** Labels that must be equal (all of them). */
  match: z.record(labelName, z.string().max(500)).default({}),
  /** Labels that must match the anchored regular expression (all of them). */
  match_re: z.record(labelName, regex).default({}),
  /** host_unreachable → the L3 recommendation for that host; db_failing → L2 on the primary service. */
  symptom: z.enum(AM_SYMPTOMS),
  /** The host or service it is about: a fixed name, or (default) the value of target_label. */
  target: z.string().min(1).max(200).optional(),
  /** Default: `host` for host_unreachable, `service` for db_failing. */
  target_label: labelName.optional(),
});

export const alertmanagerSchema = z.strictObject({
  /** The bearer token Alertmanager sends (http_config.authorization.credentials), from this variable. */
  token_env: envName,
  /** Bodies over this are refused (413) before any alert is applied. */
  max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** A firing alert opens an incident when none is open. */
  open_incidents: z.boolean().default(true),
  symptoms: z.array(amSymptomSchema).max(200).default([]),
});

/** A planned maintenance window (R-MON-3): the service's alerts are muted from `from` to `until`. */
export const maintenanceSchema = z
  .strictObject({
    service: z.string().min(1).max(200),
    from: z.iso.datetime({ offset: true, message: 'an ISO date-time with its offset, e.g. 2026-03-01T02:00:00+09:00' }),
    until: z.iso.datetime({ offset: true, message: 'an ISO date-time with its offset, e.g. 2026-03-01T04:00:00+09:00' }),
    reason: z.string().min(1).max(200),
  })
  .refine((w) => Date.parse(w.until) > Date.parse(w.from), { message: 'until must be after from', path: ['until'] })
  .refine((w) => Date.parse(w.until) - Date.parse(w.from) <= 7 * 24 * 3600_000, { message: 'a window is at most a week', path: ['until'] });

export type AlertmanagerConfig = z.infer<typeof alertmanagerSchema>;
export type AmSymptomRule = z.infer<typeof amSymptomSchema>;
