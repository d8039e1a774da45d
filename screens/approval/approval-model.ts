// What the approval form shows and sends, derived from the run's approval prompt alone (pure, no
// React). The rules live in src/approval/policy.ts behind RunControl.answerApproval: the form only
// collects what an operator types and shows what the flow says, so no key can skip a phase.
import type { ApprovalAnswer, Localized, RunPrompt } from '../../src/core/views';
import { sameName } from '../../src/core/names';

export type ApprovalPrompt = Extract<RunPrompt, { kind: 'approval' }>;
export type FormPhase = NonNullable<ApprovalPrompt['phase']>;
export type FormMode = NonNullable<ApprovalPrompt['mode']>;
export type FieldId = 'code' | 'name' | 'reason' | 'word';

const CODE_PHASES: ReadonlySet<FormPhase> = new Set(['code', 'step1', 'step2']);

/** L2 asks for a code; L3 for two steps. An engine that leaves `mode` out is read by level. */
export function modeOf(prompt: ApprovalPrompt, level: string): FormMode {
  return prompt.mode ?? (level === 'L3' ? 'two-step' : 'code');
}

/** Where the flow stands; inferred when the engine does not say (older prompt shape). */
export function phaseOf(prompt: ApprovalPrompt, level: string): FormPhase {
  if (prompt.phase) return prompt.phase;
  if (prompt.waitUntil) return 'waiting';
  if (modeOf(prompt, level) === 'two-step') return prompt.step === 2 ? 'step2' : 'step1';
  return 'code';
}

/** The text fields of a phase, in Tab order: the seed's L2 box asks code then approver, L3 name then code. */
export function fieldsFor(phase: FormPhase): FieldId[] {
  switch (phase) {
    case 'code':
      return ['code', 'name'];
    case 'step1':
    case 'step2':
      return ['name', 'code'];
    case 'reason':
      return ['reason'];
    case 'confirm-yes':
      return ['word'];
    default:
      return [];
  }
}

export function isCodePhase(phase: FormPhase): boolean {
  return CODE_PHASES.has(phase);
}

/** Under a `proven` policy a code phase has no fields: a typed name would not count (R-APR-6). */
export function formFields(prompt: ApprovalPrompt, phase: FormPhase): FieldId[] {
  // With TOTP approvers enrolled, a name and their authenticator's code do count (R-ID-3).
  return prompt.requirement === 'proven' && isCodePhase(phase) && !prompt.totp ? [] : fieldsFor(phase);
}

/**
 * The code cannot be used: the flow withdrew it (3 wrong tries, expiry, used) or its time is up
 * on this screen's clock before the flow's own timer caught up. Only a new code helps then.
 */
export function isCodeVoid(prompt: ApprovalPrompt, phase: FormPhase, now: Date): boolean {
  if (!isCodePhase(phase) || prompt.requirement === 'proven') return false;
  if (!prompt.code) return true;
  return prompt.expiresAt !== undefined && now.getTime() >= prompt.expiresAt.getTime();
}

/** Whole seconds until `until`, never negative (a countdown that shows 0 only when it is over). */
export function secondsLeft(until: Date, now: Date): number {
  return Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 1000));
}

/** "4:12": minutes and seconds left of a code's validity. */
export function formatMinSec(totalSeconds: number): string {
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

export type FormValues = Partial<Record<FieldId, string>>;

/** The answer the form sends from the last field (or from the summary, which has none). */
export function answerFor(phase: FormPhase, values: FormValues): ApprovalAnswer | undefined {
  switch (phase) {
    case 'code':
    case 'step1':
    case 'step2':
      return { kind: 'approve', name: values.name ?? '', code: values.code ?? '' };
    case 'reason':
      return { kind: 'reason', reason: values.reason ?? '' };
    case 'summary':
      return { kind: 'continue' };
    case 'confirm-yes':
      return { kind: 'confirm', word: values.word ?? '' };
    default:
      return undefined;
  }
}

/** Approver names compared as the flow does: case, spaces and invisible characters do not count. */
export function sameApprover(a: string, b: string): boolean {
  return sameName(a, b);
}

/** Form view state (what is typed, which field has focus), reset whenever the flow moves on. */
export interface FormState {
  /** Run, phase and step the values belong to. */
  key: string;
  values: FormValues;
  focus: number;
  /** The flow's answer to the last refused input, in words. */
  error?: Localized;
}

export function formKey(runId: string, phase: FormPhase, step: 1 | 2): string {
  return `${runId}|${phase}|${step}`;
}

export function freshForm(key: string): FormState {
  return { key, values: {}, focus: 0 };
}

/** After a refused code: keep the name, clear the code and put the cursor back on it. */
export function afterRefusal(state: FormState, fields: FieldId[], error: Localized, answer: ApprovalAnswer): FormState {
  if (answer.kind === 'approve') {
    const codeAt = fields.indexOf('code');
    return { ...state, values: { ...state.values, code: '' }, focus: codeAt === -1 ? state.focus : codeAt, error };
  }
  return { ...state, error };
}

/**
 * Which plan lines fit in `room` rows starting at `top`: a title row, the lines, and, when the
 * plan does not fit whole, one row saying what is below. `window` is how many lines show at once
 * (0 when there is no room for the plan at all).
 */
export function planWindow(length: number, room: number, top: number): { start: number; end: number; window: number } {
  if (length === 0 || room < 2) return { start: 0, end: 0, window: 0 };
  const window = length <= room - 1 ? length : Math.max(1, room - 2);
  const start = Math.max(0, Math.min(top, length - window));
  return { start, end: start + window, window };
}


/**
 * planWindow for plan lines that wrap: `rows[i]` is how many terminal rows line i takes. From
 * `top`, the lines that fit whole in the rows left (a title row and a "more" row aside). A line
 * taller than all the rows there are is shown cut and still counts (a tiny terminal must not make
 * a plan unapprovable); every other line counts as shown only when all of its rows were drawn.
 */
export function wrappedPlanWindow(rows: readonly number[], room: number, top: number): { start: number; end: number; window: number; cutLast: number } {
  const length = rows.length;
  if (length === 0 || room < 2) return { start: 0, end: 0, window: 0, cutLast: 0 };
  const total = rows.reduce((a, b) => a + b, 0);
  if (total <= room - 1) return { start: 0, end: length, window: length, cutLast: 0 };
  const avail = Math.max(1, room - 2);
  const start = Math.max(0, Math.min(top, length - 1));
  let used = 0;
  let end = start;
  while (end < length && used + rows[end]! <= avail) used += rows[end++]!;
  // Not even the first line fits: show what fits of it.
  if (end === start) return { start, end: start + 1, window: 1, cutLast: avail };
  return { start, end, window: end - start, cutLast: 0 };
}
