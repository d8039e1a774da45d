// The runbook picker and its parameter form as plain data: which runbooks apply to what is
// selected, the form's fields, and what a value is worth before start() sees it. No React here,
// so the rules can be read (and tested) apart from the drawing.
import type { ChoicesView, RunbookParamView, RunbookSummary } from '../../src/core/views';
import { validateParamValue } from '../../src/runbook/params';
import type { RunbookParam } from '../../src/runbook/schema';

/** What the dashboard has selected: a service (and its host), or a host in the hosts pane. */
export interface PickerSelection {
  service?: string;
  host?: string;
}

export interface PickerRow {
  runbook: RunbookSummary;
  /** The target it would run on, when the selection says (a host runbook takes the service's host). */
  target?: string;
}

/** The target a runbook gets from the selection, if it can be told and the runbook fits it. */
export function targetFor(runbook: RunbookSummary, selection: PickerSelection): string | undefined {
  const target = runbook.targetKind === 'host' ? selection.host : selection.service;
  return target !== undefined && fitsTarget(runbook, target) ? target : undefined;
}

/** The runbook fits this target (its kind of service); a summary without the list fits any. */
export function fitsTarget(runbook: RunbookSummary, target: string): boolean {
  return runbook.targets === undefined || runbook.targets.includes(target);
}

/**
 * The picker's rows. Scoped to a selection, only runbooks that fit what it names are listed:
 * a service brings the runbooks of its kind and its host's; a host (hosts pane) only host runbooks.
 */
export function pickerRows(runbooks: readonly RunbookSummary[], selection: PickerSelection, all: boolean): PickerRow[] {
  const scoped = !all && (selection.service !== undefined || selection.host !== undefined);
  const rows: PickerRow[] = [];
  for (const runbook of runbooks) {
    const target = targetFor(runbook, selection);
    if (scoped && target === undefined) continue;
    rows.push({ runbook, ...(target !== undefined ? { target } : {}) });
  }
  return rows;
}

/** What the picker is scoped to, in words ("doai-orchestrator", "demo-vm"). */
export function selectionLabel(selection: PickerSelection): string | undefined {
  return selection.service ?? selection.host;
}

export const TARGET_FIELD = '__target';

export type FieldKind = 'text' | 'list' | 'listed';

export interface FormField {
  /** TARGET_FIELD or the parameter's name. */
  id: string;
  kind: FieldKind;
  param?: RunbookParamView;
}

/** The target first, then every parameter in declaration order (a default may use earlier ones). */
export function formFields(runbook: RunbookSummary): FormField[] {
  return [
    { id: TARGET_FIELD, kind: 'list' },
    ...(runbook.params ?? []).map((param): FormField => ({ id: param.name, kind: param.listed ? 'listed' : param.choices?.length ? 'list' : 'text', param })),
  ];
}

/** Why a typed value would be refused: the same check start() makes (type, pattern, fixed choices). */
export function textProblem(param: RunbookParamView, value: string): string | undefined {
  const spec = { type: param.type, ...(param.pattern !== undefined ? { pattern: param.pattern } : {}), ...(param.choices ? { choices: param.choices } : {}) } as RunbookParam;
  return validateParamValue(param.name, spec, value);
}

/** A listing of one parameter's choices, keyed by what it was listed for (target and earlier values). */
export type Listing =
  | { status: 'loading'; key: string; host: string }
  | { status: 'done'; key: string; result: ChoicesView };

/** A listing is only good for the target and earlier values it was made with. */
export function listingKey(target: string, earlier: Record<string, string>): string {
  return JSON.stringify([target, earlier]);
}

/** The window of a list of `total` rows that keeps `cursor` visible in `rows` lines. */
export function listWindow(total: number, cursor: number, rows: number): { start: number; end: number } {
  if (total <= rows) return { start: 0, end: total };
  const start = Math.max(0, Math.min(cursor - Math.floor(rows / 2), total - rows));
  return { start, end: start + rows };
}
