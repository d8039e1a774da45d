// View state and key handlers of the approval form: what is typed where, which field has focus,
// and what the flow said about the last answer. The App spreads `handlers` into its one input
// hook; every answer goes through RunControl.answerApproval, which alone decides.
import { settle } from '../../src/core/settle';
import { useRef, useState } from 'react';
import type { ApprovalAnswer, Lang, Localized, RunControl, RunView } from '../../src/core/views';
import type { ApprovalCommandState } from '../../src/commands/registry';
import { localized, t } from '../../src/i18n/catalog';
import type { CommandHandlers } from '../shared/use-commands';
import {
  afterRefusal,
  answerFor,
  formFields,
  formKey,
  freshForm,
  isCodePhase,
  isCodeVoid,
  modeOf,
  phaseOf,
  sameApprover,
  type ApprovalPrompt,
  type FieldId,
  type FormMode,
  type FormPhase,
  type FormState,
  type FormValues,
} from './approval-model';

export interface ApprovalFormModel {
  prompt: ApprovalPrompt;
  phase: FormPhase;
  mode: FormMode;
  fields: FieldId[];
  focus: number;
  values: FormValues;
  /** The flow's refusal of the last answer (wrong code, empty reason …). */
  error?: Localized;
  codeVoid: boolean;
  /** Fields take keys now: an operator console, no overlay open, a usable code. */
  interactive: boolean;
  onChange(field: FieldId, value: string): void;
  /** First plan line shown (the plan scrolls with PgUp/PgDn and the arrows). */
  planTop: number;
  /** The form tells which plan lines it drew (`end` exclusive) and how many fit at once. */
  /** Plan lines [start, end) were drawn whole; `window`: how many lines fit at once. */
  onPlanShown(start: number, end: number, window: number): void;
}

export interface ApprovalFormHandle {
  /** The run shown waits for approval and this console may answer: keys go to screen 'approval'. */
  active: boolean;
  /** A field has focus: printable keys are typed, not commands. */
  captureText: boolean;
  commandState?: ApprovalCommandState;
  handlers: CommandHandlers;
  model?: ApprovalFormModel;
  /** What the flow said when it ended the approval (same approver, not `yes`), for the verdict. */
  noticeFor(runId: string): Localized | undefined;
}

export interface ApprovalFormOptions {
  /** The run on the run screen (undefined on other screens). */
  run: RunView | undefined;
  control: RunControl | undefined;
  /** Read-only console, or a run another console owns: the form is shown, nothing is answered. */
  readOnly: boolean;
  /** An overlay (yes/no, help) has the keyboard: fields give up focus so `y`/`n` reach it. */
  suspended: boolean;
  lang: Lang;
  now: Date;
  /** Asks a yes/no question (the App's confirm overlay). */
  ask(question: string, onYes: () => void): void;
}

interface PlanView {
  runId: string;
  /** First plan line shown. */
  top: number;
  /** Plan lines [0, seen) have all been on screen at some point. */
  seen: number;
  /** Plan lines that fit at once (from the last frame). */
  window: number;
}

const wrap = (i: number, n: number) => (n === 0 ? 0 : ((i % n) + n) % n);

/** What a field keeps of typed text: no control characters; codes in upper case. */
function clean(field: FieldId, text: string): string {
  const plain = text.replace(/\p{Cc}/gu, '');
  return field === 'code' ? plain.toUpperCase() : plain;
}

export function useApprovalForm(opts: ApprovalFormOptions): ApprovalFormHandle {
  const { run, control, readOnly, suspended, lang, now, ask } = opts;
  const [, setState] = useState<FormState>(() => freshForm(''));
  // The ref holds the latest values even between a keystroke and the next render, so Enter right
  // after typing submits what was typed.
  const ref = useRef<FormState>(freshForm(''));
  const [notice, setNotice] = useState<{ runId: string; text: Localized } | undefined>();
  // How far the plan has been read, per run (across phases): nothing is approved unseen.
  const [plan, setPlan] = useState<PlanView>({ runId: '', top: 0, seen: 0, window: 0 });

  const prompt = run?.prompt?.kind === 'approval' ? run.prompt : undefined;
  const noticeFor = (runId: string) => (notice?.runId === runId ? notice.text : undefined);
  if (!run || !prompt) return { active: false, captureText: false, handlers: {}, noticeFor };

  const runId = run.runId;
  const mode = modeOf(prompt, run.level);
  const phase = phaseOf(prompt, run.level);
  const fields = formFields(prompt, phase);
  const key = formKey(runId, phase, prompt.step);
  if (ref.current.key !== key) ref.current = freshForm(key);
  const current = ref.current;
  const update = (fn: (s: FormState) => FormState) => {
    const base = ref.current.key === key ? ref.current : freshForm(key);
    ref.current = fn(base);
    setState(ref.current);
  };

  const planLength = prompt.plan?.length ?? 0;
  const planView: PlanView = plan.runId === runId ? plan : { runId, top: 0, seen: 0, window: 0 };
  const planUnread = Math.max(0, planLength - planView.seen);
  const atAnswer = fields.length === 0 || current.focus >= fields.length - 1;
  const scrollPlan = (delta: number) =>
    setPlan((p) => {
      const v = p.runId === runId ? p : { runId, top: 0, seen: 0, window: 0 };
      const top = Math.max(0, Math.min(Math.max(0, planLength - v.window), v.top + delta));
      return top === v.top ? p : { ...v, top };
    });
  const onPlanShown = (start: number, end: number, window: number) =>
    setPlan((p) => {
      const v = p.runId === runId ? p : { runId, top: 0, seen: 0, window: 0 };
      // `seen` is a prefix: it grows only by lines drawn right after it (a line that was never drawn
      // whole, too tall for the window, keeps everything from it on unread).
      const seen = start <= v.seen ? Math.max(v.seen, end) : v.seen;
      return seen === v.seen && window === v.window ? p : { ...v, seen, window };
    });

  const codeVoid = isCodeVoid(prompt, phase, now);
  const waiting = phase === 'waiting';
  const active = !readOnly;
  const interactive = active && !suspended && fields.length > 0 && !codeVoid;

  const send = (answer: ApprovalAnswer) => {
    if (!control?.answerApproval) {
      update((s) => ({ ...s, error: localized('approval.noEngine') }));
      return;
    }
    const answerApproval = control.answerApproval.bind(control);
    settle<{ accepted: boolean; error?: Localized }>(
      () => answerApproval(runId, answer),
      (result) => applyAnswer(answer, result),
      (err) => ({ accepted: false, error: { en: err.message, ko: err.message } }),
    );
  };

  const applyAnswer = (answer: ApprovalAnswer, result: { accepted: boolean; error?: Localized }) => {
    if (result.accepted) {
      setNotice(undefined);
      const codeAt = fields.indexOf('code');
      update((s) =>
        answer.kind === 'reissue'
          ? { ...s, values: { ...s.values, code: '' }, focus: codeAt === -1 ? 0 : codeAt, error: undefined }
          : { ...s, values: {}, focus: 0, error: undefined },
      );
      return;
    }
    let error = result.error ?? { en: 'Refused', ko: '거부됨' };
    const step1 = prompt.step1?.name;
    if (answer.kind === 'approve' && phase === 'step2' && step1 !== undefined && sameApprover(answer.name, step1)) {
      // The seed's own words for this refusal (its audit line), then the flow's explanation.
      const head = t(lang, 'approval.sameApprover');
      error = { en: `${head} — ${error.en}`, ko: `${head} — ${error.ko}` };
    }
    const shown = error;
    update((s) => afterRefusal(s, fields, shown, answer));
    setNotice({ runId, text: shown });
  };

  /** Enter: from an earlier field to the next one, from the last field (or none) the answer. */
  const submit = () => {
    const focus = ref.current.key === key ? ref.current.focus : 0;
    if (fields.length > 0 && focus < fields.length - 1) {
      update((s) => ({ ...s, focus: s.focus + 1 }));
      return;
    }
    // A code phase without fields (a proven-only policy) has nothing to send.
    const answer = fields.length === 0 && isCodePhase(phase) ? undefined : answerFor(phase, ref.current.key === key ? ref.current.values : {});
    // The registry refuses Enter here already; this keeps an unseen plan unapproved whatever calls.
    if (answer && planUnread > 0) {
      update((s) => ({ ...s, error: localized('reason.planUnread', { n: planUnread }) }));
      return;
    }
    if (answer) send(answer);
  };

  /**
   * What a field holds now. Keys typed faster than the terminal is read (a laggy SSH link,
   * type-ahead, a paste: "111111\tkim\r") reach the form one key at a time, Tab and Enter as
   * commands (screens/shared/use-commands.tsx splits the chunk), so a field only ever gets text.
   */
  const onChange = (field: FieldId, value: string) => update((s) => ({ ...s, values: { ...s.values, [field]: clean(field, value) } }));

  const page = Math.max(1, planView.window - 1);
  const handlers: CommandHandlers = {
    'approval.plan.down': (k) => scrollPlan(k === 'down' ? 1 : page),
    'approval.plan.up': (k) => scrollPlan(k === 'up' ? -1 : -page),
    'approval.prev': () => update((s) => ({ ...s, focus: wrap(s.focus - 1, fields.length) })),
    'approval.next': () => update((s) => ({ ...s, focus: wrap(s.focus + 1, fields.length) })),
    'approval.submit': submit,
    'approval.reissue': () => send({ kind: 'reissue' }),
    'approval.cancel': () =>
      ask(t(lang, 'approval.cancelConfirm', { runbook: run.title[lang], target: run.target }), () => {
        if (control?.answerApproval) send({ kind: 'cancel' });
        else if (control) {
          const cancel = control.cancel.bind(control);
          settle<void>(() => cancel(runId), () => undefined, (err) => update((st) => ({ ...st, error: { en: err.message, ko: err.message } })));
        }
      }),
  };

  return {
    active,
    captureText: interactive,
    commandState: { fields: interactive ? fields.length : 0, codeVoid, waiting, planUnread, atAnswer, planScrolls: planUnread > 0 || planView.window < planLength },
    handlers,
    model: {
      prompt,
      phase,
      mode,
      fields,
      focus: current.focus,
      values: current.values,
      error: current.error,
      codeVoid,
      interactive,
      onChange,
      planTop: planView.top,
      onPlanShown,
    },
    noticeFor,
  };
}
