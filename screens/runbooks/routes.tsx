// The runbook picker and its parameter form as one piece the App mounts: which of them is shown,
// their view state, the handlers of their commands and the state the registry needs. Every
// change to the fleet goes through RunControl (listChoices, paramDefaults, start).
import { useRef, useState, type ReactNode } from 'react';
import type { RunbooksCommandState, CommandScreen } from '../../src/commands/registry';
import type { ChoicesView, Lang, ParamDefaultsView, RunbookSummary, RunControl, StartResult } from '../../src/core/views';
import { settle } from '../../src/core/settle';
import { t } from '../../src/i18n/catalog';
import type { BarMessage } from '../shared/message-bar';
import type { CommandHandlers } from '../shared/use-commands';
import { fieldChoices, ParamForm, type ParamFormModel } from './param-form';
import { fitsTarget, formFields, listingKey, pickerRows, selectionLabel, TARGET_FIELD, textProblem, type FormField, type Listing, type PickerRow, type PickerSelection } from './picker-model';
import { RunbookPicker, targetKindWords } from './runbook-picker';

export interface RunbookRoutesInput {
  control?: RunControl;
  runbooks: RunbookSummary[];
  lang: Lang;
  width: number;
  height: number;
  /** What the dashboard has selected now; frozen when the picker opens. */
  selection: PickerSelection;
  /** Services (with their hosts) and hosts the target field offers. */
  services: readonly { name: string; host: string }[];
  hosts: readonly string[];
  flash(message: BarMessage | undefined): void;
  /** A run (or dry run) started: the App shows it. */
  onStarted(runId: string): void;
  /** Calls `go` at once, or after a yes when the target is healthy (a dry run never asks). */
  confirmStart?(runbookId: string, target: string, go: () => void): void;
}

interface PickerState {
  selection: PickerSelection;
  all: boolean;
  selected: number;
}

interface FormState {
  runbook: RunbookSummary;
  mode: 'run' | 'dry';
  fields: FormField[];
  focus: number;
  targets: string[];
  values: Record<string, string>;
  /** Text fields the operator typed in: their defaults are no longer filled in. */
  touched: Record<string, boolean>;
  cursors: Record<string, number>;
  listings: Record<string, Listing>;
  errors: Record<string, string>;
  startError?: string;
}

export interface RunbookRoutes {
  screen?: CommandScreen;
  body?: ReactNode;
  handlers: CommandHandlers;
  state: RunbooksCommandState;
  /** A text field has focus: printable keys are typed, not commands. */
  captureText: boolean;
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export function useRunbookRoutes(input: RunbookRoutesInput): RunbookRoutes {
  const { control, lang, width, height, flash } = input;
  const [picker, setPicker] = useState<PickerState | null>(null);
  const [form, setForm] = useState<FormState | null>(null);
  // Keys can arrive faster than renders: every change reads and writes these, then renders.
  const pickerRef = useRef(picker);
  const formRef = useRef(form);
  pickerRef.current = picker;
  formRef.current = form;
  // Async listings land after the render that asked; they read the latest input through this.
  const inputRef = useRef(input);
  inputRef.current = input;

  const updatePicker = (next: PickerState | null) => {
    pickerRef.current = next;
    setPicker(next);
  };
  const updateForm = (next: FormState | null) => {
    formRef.current = next;
    setForm(next);
  };

  const rowsOf = (p: PickerState) => pickerRows(inputRef.current.runbooks, p.selection, p.all);

  const hostOf = (runbook: RunbookSummary, target: string | undefined): string | undefined => {
    if (target === undefined) return undefined;
    return runbook.targetKind === 'host' ? target : inputRef.current.services.find((s) => s.name === target)?.host;
  };
  const targetOf = (f: FormState): string | undefined => f.targets[f.cursors[TARGET_FIELD] ?? 0];

  /** Values of the fields before `index` (what a default or a listing may use). */
  const earlierValues = (f: FormState, index: number): Record<string, string> => {
    const out: Record<string, string> = {};
    f.fields.slice(0, index).forEach((field) => {
      if (field.id === TARGET_FIELD) return;
      const value = valueOf(f, field);
      if (value !== undefined && value !== '') out[field.id] = value;
    });
    return out;
  };

  const currentListing = (f: FormState, field: FormField): Listing | undefined => {
    const target = targetOf(f);
    const listing = f.listings[field.id];
    if (!listing || target === undefined) return undefined;
    return listing.key === listingKey(target, earlierValues(f, f.fields.indexOf(field))) ? listing : undefined;
  };

  function valueOf(f: FormState, field: FormField): string | undefined {
    if (field.kind === 'text') return f.values[field.id] ?? '';
    if (field.kind === 'listed' && f.mode === 'dry') return undefined;
    const choices = fieldChoices({ targets: f.targets, listings: field.kind === 'listed' ? { [field.id]: currentListing(f, field) } : {} }, field);
    return choices[clamp(f.cursors[field.id] ?? 0, 0, Math.max(0, choices.length - 1))]?.value;
  }

  /** Fills the defaults of the fields the operator has not touched, for the chosen target. */
  const withDefaults = (f: FormState): FormState => {
    const target = targetOf(f);
    if (target === undefined || !control?.paramDefaults) return f;
    const given: Record<string, string> = {};
    for (const field of f.fields) if (field.kind === 'text' && f.touched[field.id]) given[field.id] = f.values[field.id] ?? '';
    const runbookId = f.runbook.id;
    const answer = control.paramDefaults(runbookId, target, given);
    if (answer instanceof Promise) {
      // From a server: filled in when it answers, if the form still shows that runbook and target.
      answer.then(
        (res) => {
          const now = formRef.current;
          if (now && now.runbook.id === runbookId && targetOf(now) === target) updateForm(applyDefaults(now, res));
        },
        () => undefined,
      );
      return f;
    }
    return applyDefaults(f, answer);
  };

  const applyDefaults = (f: FormState, res: ParamDefaultsView): FormState => {
    if (!res.ok) return f;
    const values = { ...f.values };
    const cursors = { ...f.cursors };
    for (const field of f.fields) {
      const d = res.values[field.id];
      if (field.kind === 'text' && !f.touched[field.id]) values[field.id] = d ?? '';
      if (field.kind === 'list' && field.id !== TARGET_FIELD && d !== undefined && !f.touched[field.id]) {
        const at = field.param?.choices?.indexOf(d) ?? -1;
        if (at >= 0) cursors[field.id] = at;
      }
    }
    return { ...f, values, cursors };
  };

  /** Lists the focused field's choices on the target unless a current listing is there. */
  const ensureListing = (f: FormState): FormState => {
    const field = f.fields[f.focus];
    const target = targetOf(f);
    if (!field || field.kind !== 'listed' || f.mode === 'dry' || target === undefined || currentListing(f, field)) return f;
    const given = earlierValues(f, f.focus);
    const key = listingKey(target, given);
    const runbookId = f.runbook.id;
    // A listing may use the values above it: a bad one is fixed first, never sent to the host.
    const bad = f.fields.slice(0, f.focus).find((x) => x.kind === 'text' && problemOf(f, x) !== undefined);
    if (bad) {
      const error = t(lang, 'runform.fixFirst', { field: bad.id, error: problemOf(f, bad)! });
      return { ...f, listings: { ...f.listings, [field.id]: { status: 'done', key, result: { ok: false, error } } } };
    }
    const settle = (result: ChoicesView) => {
      const now = formRef.current;
      if (!now || now.runbook.id !== runbookId || now.listings[field.id]?.key !== key) return;
      updateForm({
        ...now,
        listings: { ...now.listings, [field.id]: { status: 'done', key, result } },
        cursors: { ...now.cursors, [field.id]: 0 },
        errors: omit(now.errors, field.id),
      });
    };
    const list = control?.listChoices;
    if (!list) {
      return { ...f, listings: { ...f.listings, [field.id]: { status: 'done', key, result: { ok: false, error: 'this console cannot list choices on a target' } } } };
    }
    const next: FormState = { ...f, listings: { ...f.listings, [field.id]: { status: 'loading', key, host: hostOf(f.runbook, target) ?? target } } };
    // The caller stores `next` before any answer can land (a promise settles later, never now).
    let pending: Promise<ChoicesView>;
    try {
      pending = list.call(control, runbookId, target, field.id, given);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(settle, (err: unknown) => settle({ ok: false, error: err instanceof Error ? err.message : String(err) }));
    return next;
  };

  const problemOf = (f: FormState, field: FormField): string | undefined => {
    if (field.id === TARGET_FIELD) {
      return f.targets.length ? undefined : t(lang, 'runform.noTargets', { kind: targetKindWords(lang, f.runbook) });
    }
    if (field.kind === 'text' && field.param) return textProblem(field.param, f.values[field.id] ?? '');
    if (field.kind === 'listed' && f.mode === 'run') {
      const listing = currentListing(f, field);
      if (listing?.status === 'done' && !listing.result.ok) return listing.result.error;
      if (listing?.status !== 'done' || valueOf(f, field) === undefined) return t(lang, 'runform.pick');
    }
    return undefined;
  };

  const focusField = (f: FormState, index: number): FormState => {
    const to = clamp(index, 0, f.fields.length - 1);
    // Leaving a text field says at once what is wrong with it.
    const leaving = f.fields[f.focus];
    let errors = f.errors;
    if (leaving && leaving.kind === 'text' && to !== f.focus) {
      const why = problemOf(f, leaving);
      errors = why ? { ...errors, [leaving.id]: why } : omit(errors, leaving.id);
    }
    return ensureListing({ ...f, focus: to, errors });
  };

  const openForm = (row: PickerRow, mode: 'run' | 'dry', startError?: string) => {
    const { services, hosts } = inputRef.current;
    // Only targets the runbook fits are offered (start() refuses the others, saying why).
    const targets = (row.runbook.targetKind === 'host' ? [...hosts] : services.map((s) => s.name)).filter((name) => fitsTarget(row.runbook, name));
    if (row.target !== undefined && !targets.includes(row.target)) targets.unshift(row.target);
    const fields = formFields(row.runbook);
    const at = row.target !== undefined ? targets.indexOf(row.target) : 0;
    let f: FormState = {
      runbook: row.runbook,
      mode,
      fields,
      focus: 0,
      targets,
      values: {},
      touched: {},
      cursors: { [TARGET_FIELD]: Math.max(0, at) },
      listings: {},
      errors: {},
      ...(startError ? { startError } : {}),
    };
    f = withDefaults(f);
    // A known target is already right: start on the first parameter.
    f = focusField(f, row.target !== undefined && fields.length > 1 ? 1 : 0);
    updateForm(f);
  };

  /** Starts the run; a refusal goes to `onRefused` (at once, or when the server answers). */
  const start = (runbookId: string, target: string, dryRun: boolean, params: Record<string, string> | undefined, onRefused: (error: string) => void): void => {
    if (!control) return onRefused(t(lang, 'reason.readOnly'));
    settle<StartResult>(
      () => control.start(runbookId, target, { dryRun, ...(params ? { params } : {}) }),
      (result) => {
        if (!result.ok) return onRefused(result.error);
        updateForm(null);
        updatePicker(null);
        inputRef.current.onStarted(result.runId);
      },
      (err) => ({ ok: false, error: err.message }),
    );
  };

  const submit = () => {
    const f = formRef.current;
    if (!f) return;
    const field = f.fields[f.focus];
    if (!field) return;
    const last = f.focus === f.fields.length - 1;
    const why = problemOf(f, field);
    if (why && !last) return updateForm({ ...f, errors: { ...f.errors, [field.id]: why } });
    const cleared = { ...f, errors: omit(f.errors, field.id) };
    if (!last) return updateForm(focusField(cleared, f.focus + 1));
    // The last field: every value checked before anything starts; the first bad one gets the focus.
    const bad = f.fields.findIndex((x) => problemOf(f, x) !== undefined);
    if (bad !== -1) {
      const badField = f.fields[bad]!;
      const moved = focusField({ ...cleared, focus: bad }, bad);
      return updateForm({ ...moved, errors: { ...moved.errors, [badField.id]: problemOf(f, badField)! } });
    }
    const target = targetOf(f)!;
    const params: Record<string, string> = {};
    for (const x of f.fields) {
      if (x.id === TARGET_FIELD) continue;
      const value = valueOf(f, x);
      if (value !== undefined) params[x.id] = value;
    }
    const go = () => {
      start(f.runbook.id, target, f.mode === 'dry', params, (error) => {
        updateForm({ ...cleared, startError: error });
        flash({ tone: 'error', text: t(lang, 'runform.startFailed', { error }) });
      });
    };
    const confirm = inputRef.current.confirmStart;
    if (f.mode === 'dry' || !confirm) go();
    else confirm(f.runbook.id, target, go);
  };

  /** Up/down: in a list, the previous/next choice; in a text field, the previous/next field. */
  const move = (delta: number) => {
    const f = formRef.current;
    if (!f) return;
    const field = f.fields[f.focus];
    if (!field) return;
    if (field.kind === 'text' || (field.kind === 'listed' && f.mode === 'dry')) return updateForm(focusField(f, f.focus + delta));
    const count = field.kind === 'listed' ? fieldChoices({ targets: f.targets, listings: { [field.id]: currentListing(f, field) } }, field).length : fieldChoices(f, field).length;
    if (count <= 1) return updateForm(focusField(f, f.focus + delta));
    const cursor = clamp((f.cursors[field.id] ?? 0) + delta, 0, count - 1);
    const touched = field.id === TARGET_FIELD ? f.touched : { ...f.touched, [field.id]: true };
    let next: FormState = { ...f, cursors: { ...f.cursors, [field.id]: cursor }, touched, errors: omit(f.errors, field.id), startError: undefined };
    // Another target: its defaults, and listings made for the old one no longer count.
    if (field.id === TARGET_FIELD) next = withDefaults(next);
    updateForm(next);
  };

  const onChange = (id: string, value: string) => {
    const f = formRef.current;
    if (!f) return;
    const field = f.fields.find((x) => x.id === id);
    let next: FormState = { ...f, values: { ...f.values, [id]: value }, touched: { ...f.touched, [id]: true }, startError: undefined };
    // A shown error follows the typing, so it goes away as soon as the value is right.
    if (field && f.errors[id] !== undefined) {
      const why = problemOf(next, field);
      next = { ...next, errors: why ? { ...next.errors, [id]: why } : omit(next.errors, id) };
    }
    updateForm(next);
  };

  const pickerMove = (delta: number) => {
    const p = pickerRef.current;
    if (!p) return;
    updatePicker({ ...p, selected: clamp(p.selected + delta, 0, Math.max(0, rowsOf(p).length - 1)) });
  };

  const handlers: CommandHandlers = {
    'runbooks.show': () => updatePicker({ selection: { ...inputRef.current.selection }, all: false, selected: 0 }),
    'runbooks.up': () => pickerMove(-1),
    'runbooks.down': () => pickerMove(1),
    'runbooks.back': () => updatePicker(null),
    'runbooks.scope': () => {
      const p = pickerRef.current;
      if (p) updatePicker({ ...p, all: !p.all, selected: 0 });
    },
    'runbooks.choose': () => {
      const p = pickerRef.current;
      const row = p ? rowsOf(p)[p.selected] : undefined;
      if (row) openForm(row, 'run');
    },
    'runbooks.dryrun': () => {
      const p = pickerRef.current;
      const row = p ? rowsOf(p)[p.selected] : undefined;
      if (!row) return;
      // Straight to the plan when every value can be filled; otherwise the form asks for them.
      const fillable = (row.runbook.params ?? []).every((x) => x.default !== undefined || x.listed || (x.choices?.length ?? 0) > 0);
      if (row.target === undefined || !fillable) return openForm(row, 'dry');
      start(row.runbook.id, row.target, true, undefined, (error) => openForm(row, 'dry', error));
    },

    'runform.up': () => move(-1),
    'runform.down': () => move(1),
    'runform.next': () => {
      const f = formRef.current;
      if (f) updateForm(focusField(f, f.focus + 1));
    },
    'runform.prev': () => {
      const f = formRef.current;
      if (f) updateForm(focusField(f, f.focus - 1));
    },
    'runform.submit': submit,
    'runform.reload': () => {
      const f = formRef.current;
      const field = f?.fields[f.focus];
      if (!f || !field || field.kind !== 'listed') return;
      updateForm(ensureListing({ ...f, listings: omit(f.listings, field.id) }));
    },
    'runform.back': () => updateForm(null),
  };

  const focused = form?.fields[form.focus];
  const focusedListing = form && focused?.kind === 'listed' ? currentListing(form, focused) : undefined;
  const state: RunbooksCommandState = {
    canScope: picker ? selectionLabel(picker.selection) !== undefined : false,
    ...(focused ? { field: focused.kind } : {}),
    loading: form?.mode === 'run' && focusedListing?.status === 'loading',
  };

  let screen: CommandScreen | undefined;
  let body: ReactNode;
  if (form) {
    screen = 'runbook-form';
    const listings: Record<string, Listing | undefined> = {};
    for (const field of form.fields) if (field.kind === 'listed') listings[field.id] = currentListing(form, field);
    const model: ParamFormModel = {
      runbook: form.runbook,
      mode: form.mode,
      fields: form.fields,
      focus: form.focus,
      targets: form.targets,
      values: form.values,
      cursors: form.cursors,
      listings,
      errors: form.errors,
      ...(form.startError ? { startError: form.startError } : {}),
      listingHost: hostOf(form.runbook, targetOf(form)),
      onChange,
    };
    body = <ParamForm form={model} lang={lang} width={width} height={height} />;
  } else if (picker) {
    screen = 'runbooks';
    const rows = rowsOf(picker);
    body = (
      <RunbookPicker
        rows={rows}
        selected={clamp(picker.selected, 0, Math.max(0, rows.length - 1))}
        scopedTo={picker.all ? undefined : selectionLabel(picker.selection)}
        total={input.runbooks.length}
        lang={lang}
        width={width}
        height={height}
      />
    );
  }
  return { screen, body, handlers, state, captureText: screen === 'runbook-form' && focused?.kind === 'text' };
}

function omit<V>(record: Record<string, V>, key: string): Record<string, V> {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}
