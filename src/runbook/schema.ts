// The runbook format (R-RUN-3): YAML validated like the config — strict objects, so a typo is an
// error with its line and column, and every template variable is checked when the file loads.
import { z } from 'zod';
import { checkRef, parseTemplate, refContexts, SHELL_INERT_VARS, type QuotedContext } from './template';
import { PARAM_TYPES, paramDefinitionProblems, paramShellInert } from './params';

export const localized = z.strictObject({ ko: z.string().min(1), en: z.string().min(1) });

const stepId = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a step id of lowercase letters, digits, - and _');
const positive = z.number().positive();
/** An audit message such as SERVICE_RESTARTED or "FAILED - Escalate to L2": one line. */
const auditMessage = z.string().regex(/^[^\r\n]+$/, 'a one-line audit message');

/**
 * Conditions a step can depend on, about the run's target. `host.provider`: the target host has a
 * cloud provider API configured (L3 reboots through it, else asks for a manual reboot).
 */
export const STEP_CONDITIONS = ['host.provider'] as const;
const stepCondition = z.enum(STEP_CONDITIONS);

const stepBase = {
  id: stepId,
  title: localized.optional(),
  /** A failure is recorded (the step shows failed) but the run continues. */
  may_fail: z.boolean().default(false),
  /** emergency.log message written when this step succeeds. */
  audit: auditMessage.optional(),
  /** Run the step only when this holds; otherwise it is recorded as skipped. */
  when: stepCondition.optional(),
  /** Skip the step when this holds. */
  unless: stepCondition.optional(),
  /** Runs only when this earlier step (which must have may_fail) failed: a fallback, e.g. pm2 delete/reinstall after a failed restart. */
  only_if_failed: stepId.optional(),
  /**
   * Safe to run again from the start after an interruption (a check, a poll, a wait): a run
   * interrupted during this step can be resumed from it, the steps done before it not repeated.
   */
  resumable: z.boolean().default(false),
  /**
   * Said in the failure message when the run fails at this step: what that failure means
   * ("nginx was left running: its config test refused the config"). src/runbook/failure-message.ts
   */
  when_failed: localized.optional(),
  /**
   * Said in the failure message when this step succeeded and a later one failed: what it
   * established ("the previous file is kept as …"). Never said for a step that did not run.
   */
  when_later_failed: localized.optional(),
  /**
   * On the approval_gate step: said when the run ends at its approval (refused, timed out, failed,
   * cancelled while asked): what the steps before the gate left ("the verified <db>_restore is
   * kept: …"), in the run's message and in a FAILED or INTERRUPTED line of the audit log.
   */
  when_not_approved: localized.optional(),
  /**
   * Ask the run's approval right before this step instead of before the first: the steps before
   * it must change nothing live (checks, a load beside the live data). At most one step.
   */
  approval_gate: z.boolean().default(false),
  /** This step's stdout goes into the approval plan (a step before the approval_gate). */
  show_in_plan: z.boolean().default(false),
  /** The audit line is `<audit> - <the step's last stdout line>` (a verified summary). */
  audit_detail: z.boolean().default(false),
};

const httpFields = {
  url: z.string().min(1),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  timeout_s: positive.max(600).default(10),
  expect_status: z.number().int().min(100).max(599).default(200),
  /** The body must contain this text. */
  expect_body: z.string().min(1).optional(),
  /**
   * The body must be JSON whose fields have these values (`json: { status: ok }`; a dotted key
   * such as `db.state` reaches into nested objects). Compared by type: `ok` is the string "ok",
   * `true` the boolean, `3` the number.
   */
  json: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .superRefine((m, ctx) => {
      if (Object.keys(m).length === 0) ctx.addIssue({ code: 'custom', message: 'at least one field, e.g. { status: ok }' });
      for (const key of Object.keys(m)) {
        if (!/^[^.\s]+(\.[^.\s]+)*$/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `a field name or dotted path without spaces (found ${JSON.stringify(key)})` });
      }
    })
    .optional(),
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
/** Opens an SSH session and closes it (L3's wait for SSH after a reboot); runs no command. */
export const sshConnectCheckSchema = z.strictObject({ kind: z.literal('ssh-connect'), host: z.string().min(1).optional(), timeout_s: positive.max(600).default(5) });
/** Every service on the host that has a health_url answers its expected status (L3's final check). */
export const hostHealthCheckSchema = z.strictObject({ kind: z.literal('host-health'), host: z.string().min(1).optional(), timeout_s: positive.max(600).default(5) });
export const checkSchema = z.discriminatedUnion('kind', [httpCheckSchema, sshCheckSchema, sshConnectCheckSchema, hostHealthCheckSchema]);

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
/** A file a snapshot step writes: `run`'s stdout goes into <dir>/<name> on the host. */
export const snapshotFileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a file name of letters, digits, . _ -'),
  run: z.string().min(1),
});
export const snapshotStepSchema = z
  .strictObject({
    ...stepBase,
    kind: z.literal('snapshot'),
    host: z.string().min(1).optional(),
    /** Folder on the host (created); seed 000: /var/log/doai/snapshots/<YYYYMMDD_HHMMSS>. */
    dir: z.string().min(1).default('{{host.snapshot_dir}}/{{run.stamp}}'),
    files: z.array(snapshotFileSchema).min(1).max(50),
    /** Per command. */
    timeout_s: positive.max(3600).default(30),
    /** Also copy every file into the local snapshots folder (paths.snapshots_dir/<run id>/). */
    copy_local: z.boolean().default(true),
  })
  .refine((s) => new Set(s.files.map((f) => f.name)).size === s.files.length, { message: 'unique file names', path: ['files'] });
/** Reboots the host through its provider's API (Vultr v2); the key comes from the environment. */
export const providerRebootStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('provider-reboot'),
  host: z.string().min(1).optional(),
  timeout_s: positive.max(300).default(30),
});

/** Add a later kind (provider-reboot, snapshot, notify) here and in step-kinds.ts; the engine loop stays as it is. */
export const stepSchema = z.discriminatedUnion('kind', [
  httpStepSchema,
  sshStepSchema,
  waitStepSchema,
  pollStepSchema,
  confirmStepSchema,
  snapshotStepSchema,
  providerRebootStepSchema,
]);

export const STEP_SCHEMAS: Record<string, z.ZodType> = {
  http: httpStepSchema,
  ssh: sshStepSchema,
  wait: waitStepSchema,
  poll: pollStepSchema,
  confirm: confirmStepSchema,
  snapshot: snapshotStepSchema,
  'provider-reboot': providerRebootStepSchema,
};

export const paramSchema = z.strictObject({
  /** What the value is; each type has its own check (src/runbook/params.ts). Every value is shell-quoted. */
  type: z.enum(PARAM_TYPES).default('string'),
  /** May use {{service.*}}, {{host.*}} and earlier {{params.*}}. */
  default: z.union([z.string(), z.number()]).optional(),
  /** A regular expression the whole value must match. */
  pattern: z.string().optional(),
  description: localized.optional(),
  /** The value must be one of these. */
  choices: z.array(z.string().min(1)).min(1).optional(),
  /** The value is picked from the lines this command prints on the target (over SSH), never typed blind. */
  choices_from: z
    .strictObject({
      run: z.string().min(1),
      host: z.string().min(1).optional(),
      timeout_s: positive.max(600).default(20),
      /** line: the whole line is the value; first-word: the first word (e.g. a commit hash before its subject). */
      value: z.enum(['line', 'first-word']).default('line'),
      /** first: without a value, take the first line listed (e.g. the newest backup of `ls -t`). */
      default: z.enum(['none', 'first']).default('none'),
    })
    .optional(),
});

const needCommand = z.string().regex(/^[A-Za-z0-9._+-]+( [A-Za-z0-9._+-]+)*$/, 'a command name, or a command and its plain arguments (letters, digits, . _ + -)');
/**
 * A need that holds only for some services (a runbook that acts per kind, like api-restart in
 * docker or as a local process): `{ need: "docker compose version", when_kind: compose }` is
 * tested on services whose kind includes compose, `unless_kind: compose` on the others.
 */
const needByKind = z
  .strictObject({
    need: needCommand,
    when_kind: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a service kind').optional(),
    unless_kind: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a service kind').optional(),
  })
  .refine((n) => (n.when_kind === undefined) !== (n.unless_kind === undefined), { message: 'exactly one of when_kind or unless_kind' });

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
    /**
     * The kinds of service this runbook is written for (service targets): `orchestrator`, `pm2`,
     * or `sqlite+compose` for a service that must be both. Absent: any service. The console
     * offers, recommends and starts it only on services of a listed kind (src/runbook/fit.ts).
     */
    fits: z.array(z.string().regex(/^[a-z][a-z0-9-]*(\+[a-z][a-z0-9-]*)*$/, 'a service kind, or kinds joined by + (sqlite+compose)')).min(1).optional(),
    /**
     * The checklist that follows a successful run (`l` on its run screen, for its target): seed
     * 003's restores name `restore-after`; absent, the post_recovery checklist (seed 000's).
     */
    checklist: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a checklist id').optional(),
    /**
     * Commands the steps need on the host (issue 12 item 23), which `check` verifies per host and
     * target: a command name (`psql`: found on the SSH session's PATH) or a short test command
     * (`docker compose version`: exits 0). Letters, digits and . _ + - only, words separated by spaces.
     */
    needs: z.array(z.union([needCommand, needByKind])).max(30).default([]),
    params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a parameter name of lowercase letters, digits and _'), paramSchema).default({}),
    steps: z.array(stepSchema).min(1),
    on_success: z.strictObject({ audit: auditMessage.default('SUCCESS'), message: localized.optional() }).default({ audit: 'SUCCESS' }),
    on_failure: z
      .strictObject({ audit: auditMessage.default('FAILED'), escalate_to: z.string().min(1).optional(), message: localized.optional() })
      .default({ audit: 'FAILED' }),
  })
  .superRefine((rb, ctx) => {
    if (rb.fits && rb.target !== 'service') ctx.addIssue({ code: 'custom', path: ['fits'], message: 'fits: only with target: service (it names kinds of service)' });
    if (rb.target !== 'service' && rb.needs.some((n) => typeof n !== 'string')) ctx.addIssue({ code: 'custom', path: ['needs'], message: 'when_kind / unless_kind: only with target: service (they name kinds of service)' });
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
    // A value is quoted for the shell only where it stands bare (R-RUN-8): refuse placeholders
    // that a `run:` line wraps in quotes, backticks or $(…), unless no valid value has a shell
    // metacharacter. refIndex lets the loader point at the placeholder's own column.
    const inert = (ref: string) => {
      const [root, name] = ref.split('.');
      const param = root === 'params' && name ? rb.params[name] : undefined;
      return param ? paramShellInert(param) : SHELL_INERT_VARS.has(ref);
    };
    const checkShellContexts = (text: string, path: (string | number)[]) => {
      let contexts: ReturnType<typeof refContexts>;
      try {
        contexts = refContexts(text);
      } catch {
        return; // a malformed template is reported on its own
      }
      contexts.forEach(({ ref, context }, refIndex) => {
        if (context && !inert(ref)) ctx.addIssue({ code: 'custom', path, message: quotedRefMessage(ref, context), params: { plain: true, refIndex } });
      });
    };
    // A `command span` in a message is given to paste into a shell; each value in it is quoted
    // when the message is shown (renderText), so it must stand bare there, even a path's.
    const checkCommandSpans = (text: string, path: (string | number)[]) => {
      const spans = text.split('`');
      for (let i = 1; i < spans.length - (spans.length % 2 === 0 ? 1 : 0); i += 2) {
        let contexts: ReturnType<typeof refContexts>;
        try {
          contexts = refContexts(spans[i]!);
        } catch {
          return;
        }
        for (const { ref, context } of contexts) {
          if (context) ctx.addIssue({ code: 'custom', path, message: `{{${ref}}} is inside ${context} in the command \`${spans[i]}\`: the value is quoted for you there; write it bare`, params: { plain: true } });
        }
      }
    };
    for (const [name, p] of Object.entries(rb.params)) if (p.choices_from) checkShellContexts(p.choices_from.run, ['params', name, 'choices_from', 'run']);
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
        if (path[path.length - 1] === 'run') checkShellContexts(value, path);
        else if ((path[path.length - 1] === 'en' || path[path.length - 1] === 'ko') && value.includes('`')) checkCommandSpans(value, path);
      } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    };
    visit(rb.steps, ['steps']);
    const gates = rb.steps.filter((s) => s.approval_gate).length;
    if (gates > 1) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'approval_gate: at most one step' });
    rb.steps.forEach((s, i) => {
      if (s.when_not_approved && !s.approval_gate) ctx.addIssue({ code: 'custom', path: ['steps', i, 'when_not_approved'], message: 'on the step with approval_gate: true only (the approval is asked there)' });
    });
    rb.steps.forEach((s, i) => {
      if (s.only_if_failed === undefined) return;
      const j = rb.steps.findIndex((o) => o.id === s.only_if_failed);
      if (j < 0 || j >= i) ctx.addIssue({ code: 'custom', path: ['steps', i, 'only_if_failed'], message: `the id of an earlier step (earlier: ${rb.steps.slice(0, i).map((o) => o.id).join(', ') || 'none'})` });
      else if (!rb.steps[j].may_fail) ctx.addIssue({ code: 'custom', path: ['steps', i, 'only_if_failed'], message: `a step with may_fail: true (a failure of "${rb.steps[j].id}" ends the run, so this step could never run)` });
    });
    for (const p of paramDefinitionProblems(rb, (ref, earlier) => checkRef(ref, rb.target, earlier))) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, params: { plain: true } });
    visit(rb.on_success, ['on_success']);
    visit(rb.on_failure, ['on_failure']);
  });

function quotedRefMessage(ref: string, context: QuotedContext): string {
  const why =
    context === 'double quotes' || context === 'single quotes'
      ? `inside ${context} the quotes it is given are literal, so $(…) or \`…\` in the value would run`
      : `inside ${context} the command is parsed again, so the value would not stay one quoted word`;
  const how = context === 'double quotes' || context === 'single quotes' ? ` (close the quotes before it: "text: "{{${ref}}})` : '';
  return `{{${ref}}} is inside ${context}: ${why}; use it bare: it is quoted for you${how}, or give the parameter a type that cannot carry shell characters (int, name, path, file, commit, database, service, host)`;
}

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
export type SnapshotStep = z.infer<typeof snapshotStepSchema>;
export type ProviderRebootStep = z.infer<typeof providerRebootStepSchema>;
export type SshConnectCheck = z.infer<typeof sshConnectCheckSchema>;
export type HostHealthCheck = z.infer<typeof hostHealthCheckSchema>;
export type StepCondition = z.infer<typeof stepCondition>;
export type RunbookParam = z.infer<typeof paramSchema>;
/** A validated runbook; `source` is the file it came from (for messages). */
export type Runbook = z.infer<typeof runbookSchema> & { source?: string };
