// The runbook format (R-RUN-3): YAML validated like the config — strict objects, so a typo is an
// error with its line and column, and every template variable is checked when the file loads.
import { z } from 'zod';
import { checkRef, parseTemplate } from './template';

export const localized = z.strictObject({ ko: z.string().min(1), en: z.string().min(1) });

const stepId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a step id of lowercase letters, digits, - and _');
const positive = z.number().positive();
/** An audit message such as SERVICE_RESTARTED or "FAILED - Escalate to L2": one line. */
const auditMessage = z.string().regex(/^[^\r\n]+$/, 'a one-line audit message');

const stepBase = {
  id: stepId,
  title: localized.optional(),
  /** A failure is recorded (the step shows failed) but the run continues. */
  may_fail: z.boolean().default(false),
  /** emergency.log message written when this step succeeds. */
  audit: auditMessage.optional(),
};

const httpFields = {
  url: z.string().min(1),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  timeout_s: positive.max(600).default(10),
  expect_status: z.number().int().min(100).max(599).default(200),
  /** The body must contain this text. */
  expect_body: z.string().min(1).optional(),
  /** Slower than this counts as a failure. */
  max_latency_ms: z.number().int().positive().optional(),
};

const sshFields = {
  /** Config host name; defaults to the target's host. */
  host: z.string().min(1).optional(),
  /** A shell line; every {{value}} in it is shell-quoted. */
  run: z.string().min(1),
};

export const httpCheckSchema = z.strictObject({ kind: z.literal('http'), ...httpFields, timeout_s: positive.max(600).default(5) });
export const sshCheckSchema = z.strictObject({ kind: z.literal('ssh'), ...sshFields, timeout_s: positive.max(3600).default(30) });
export const checkSchema = z.discriminatedUnion('kind', [httpCheckSchema, sshCheckSchema]);

export const httpStepSchema = z.strictObject({ ...stepBase, kind: z.literal('http'), ...httpFields });
export const sshStepSchema = z.strictObject({ ...stepBase, kind: z.literal('ssh'), ...sshFields, timeout_s: positive.max(86_400).default(60) });
export const waitStepSchema = z.strictObject({ ...stepBase, kind: z.literal('wait'), seconds: positive.max(86_400) });
export const pollStepSchema = z
  .strictObject({
    ...stepBase,
    kind: z.literal('poll'),
    /** Tries at most this many times... */
    attempts: z.number().int().min(1).max(10_000).optional(),
    interval_s: positive.max(3600),
    /** ...or until this many seconds have passed (clock time), whichever comes first. */
    deadline_s: positive.max(86_400).optional(),
    check: checkSchema,
  })
  .refine((s) => s.attempts !== undefined || s.deadline_s !== undefined, { message: 'attempts or deadline_s (or both)', path: ['attempts'] });
export const confirmStepSchema = z.strictObject({ ...stepBase, kind: z.literal('confirm'), prompt: localized });

/** Add a later kind (provider-reboot, snapshot, notify) here and in step-kinds.ts; the engine loop stays as it is. */
export const stepSchema = z.discriminatedUnion('kind', [httpStepSchema, sshStepSchema, waitStepSchema, pollStepSchema, confirmStepSchema]);

export const STEP_SCHEMAS: Record<string, z.ZodType> = {
  http: httpStepSchema,
  ssh: sshStepSchema,
  wait: waitStepSchema,
  poll: pollStepSchema,
  confirm: confirmStepSchema,
};

export const paramSchema = z.strictObject({
  /** unit: must be a systemd unit name; int: a whole number; string: any text (shell-quoted). */
  type: z.enum(['string', 'int', 'unit']).default('string'),
  default: z.union([z.string(), z.number()]).optional(),
  /** A regular expression the whole value must match. */
  pattern: z.string().optional(),
  description: localized.optional(),
});

export const runbookSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a runbook id of lowercase letters, digits and -'),
    /** L1 | L2 | L3 or another short label. */
    level: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a short level label such as L1'),
    /** Prefix of every emergency.log line of this runbook, e.g. L1_SOFT_RESET. */
    audit_name: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'UPPER_CASE letters, digits and _'),
    title: localized,
    description: localized.optional(),
    approval: z.enum(['auto', 'code', 'two-step']),
    target: z.enum(['service', 'host']),
    params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a parameter name of lowercase letters, digits and _'), paramSchema).default({}),
    steps: z.array(stepSchema).min(1),
    on_success: z.strictObject({ audit: auditMessage.default('SUCCESS'), message: localized.optional() }).default({ audit: 'SUCCESS' }),
    on_failure: z
      .strictObject({ audit: auditMessage.default('FAILED'), escalate_to: z.string().min(1).optional(), message: localized.optional() })
      .default({ audit: 'FAILED' }),
  })
  .superRefine((rb, ctx) => {
    const seen = new Map<string, number>();
    rb.steps.forEach((s, i) => {
      const first = seen.get(s.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `a unique step id ("${s.id}" is also steps[${first}])` });
      else seen.set(s.id, i);
    });
    const params = Object.keys(rb.params);
    for (const [name, p] of Object.entries(rb.params)) {
      if (p.pattern === undefined) continue;
      try {
        new RegExp(p.pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['params', name, 'pattern'], message: `a valid regular expression (${(err as Error).message})` });
      }
    }
    const visit = (value: unknown, path: (string | number)[]) => {
      if (typeof value === 'string') {
        if (!value.includes('{{') && !value.includes('}}')) return;
        let refs: string[];
        try {
          refs = parseTemplate(value)
            .map((p) => p.ref)
            .filter((r): r is string => r !== undefined);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path, message: (err as Error).message, params: { plain: true } });
          return;
        }
        for (const ref of refs) {
          const why = checkRef(ref, rb.target, params);
          if (why) ctx.addIssue({ code: 'custom', path, message: why, params: { plain: true } });
        }
      } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    };
    visit(rb.steps, ['steps']);
    visit(rb.on_success, ['on_success']);
    visit(rb.on_failure, ['on_failure']);
  });

export type Localized = z.infer<typeof localized>;
export type HttpCheck = z.infer<typeof httpCheckSchema>;
export type SshCheck = z.infer<typeof sshCheckSchema>;
export type Check = z.infer<typeof checkSchema>;
export type Step = z.infer<typeof stepSchema>;
export type HttpStep = z.infer<typeof httpStepSchema>;
export type SshStep = z.infer<typeof sshStepSchema>;
export type WaitStep = z.infer<typeof waitStepSchema>;
export type PollStep = z.infer<typeof pollStepSchema>;
export type ConfirmStep = z.infer<typeof confirmStepSchema>;
export type RunbookParam = z.infer<typeof paramSchema>;
/** A validated runbook; `source` is the file it came from (for messages). */
export type Runbook = z.infer<typeof runbookSchema> & { source?: string };
