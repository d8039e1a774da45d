// The boxed approval forms of seed 000: L2 "SERVICE RESET CONFIRMATION" (code + approver) and L3
// "BOX RESET - TWO-STEP VERIFICATION" (step 1, the enforced wait, step 2, reason, summary, yes).
// Every row is one terminal line, so the plan (what will run, on which host) gets exactly the rows
// that are left and the box never pushes the footer off an 80 × 24 screen.
import { planInLang } from '../../src/core/plan-lang';
import { Box, Text } from 'ink';
import { useEffect, type ReactNode } from 'react';
import type { Lang, Localized, RunView } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { formatClock } from '../shared/format';
import { TextField } from '../shared/text-field';
import { displayWidth, fit, planLineRows, sanitizeLine, truncate, wrapLines } from '../shared/text';
import { formatMinSec, isCodePhase, modeOf, phaseOf, secondsLeft, wrappedPlanWindow, type FieldId } from './approval-model';
import type { ApprovalFormModel } from './use-approval-form';

export interface ApprovalFormKeys {
  submit?: string;
  cancel?: string;
  reissue?: string;
}

export interface ApprovalFormProps {
  run: RunView;
  /** Absent in a console that cannot answer (read-only): the form is shown without fields. */
  form?: ApprovalFormModel;
  keys: ApprovalFormKeys;
  now: Date;
  lang: Lang;
  width: number;
  height: number;
}

type Row = { key: string; node: ReactNode };

const FIELD_LABELS: Record<'code' | 'two-step', Record<FieldId, Parameters<typeof t>[1]>> = {
  code: { code: 'approval.field.code', name: 'approval.field.approver', reason: 'approval.field.reason', word: 'approval.field.yes' },
  'two-step': { code: 'approval.field.code6', name: 'approval.field.name', reason: 'approval.field.reason', word: 'approval.field.yes' },
};

const BLANK = '______';

export function ApprovalForm({ run, form, keys, now, lang, width, height }: ApprovalFormProps) {
  const prompt = form?.prompt ?? (run.prompt?.kind === 'approval' ? run.prompt : undefined);
  if (!prompt) return null;
  const mode = form?.mode ?? modeOf(prompt, run.level);
  const phase = form?.phase ?? phaseOf(prompt, run.level);
  const inner = Math.max(10, width - 4); // border and padding
  const labels = FIELD_LABELS[mode];
  // Labels of the open fields line up; other phases' labels do not widen them.
  const labelWidth = Math.min(24, Math.max(0, ...(form?.fields ?? []).map((id) => displayWidth(t(lang, labels[id])))) + 1);
  const line = (key: string, text: string, props: { color?: string; bold?: boolean; dim?: boolean } = {}): Row => ({
    key,
    node: (
      <Text wrap="truncate" color={props.color} bold={props.bold} dimColor={props.dim}>
        {truncate(text, inner)}
      </Text>
    ),
  });

  // What to do next (a command to copy, how a proven approval is given, a refusal) wraps onto up to
  // `max` rows rather than losing its end: `--approvals-dir <path>` does not fit 80 columns.
  const wrapped = (key: string, text: string, props: { color?: string; bold?: boolean; dim?: boolean } = {}, max = 3): Row[] =>
    wrapLines(text, inner, max).map((l, i) => line(i === 0 ? key : `${key}-${i}`, l, props));

  const field = (id: FieldId, indent = ''): Row => {
    const index = form?.fields.indexOf(id) ?? -1;
    const focused = form !== undefined && form.interactive && index === form.focus;
    const value = form?.values[id] ?? '';
    const label = fit(`${indent}${t(lang, labels[id])}:`, labelWidth + indent.length);
    return {
      key: `field-${id}`,
      node: (
        <Box height={1} overflow="hidden" width={inner}>
          <Text color={focused ? 'cyan' : undefined} bold={focused}>
            {focused ? '›' : ' '}
            {label}{' '}
          </Text>
          {form?.interactive ? (
            <TextField value={value} focus={focused} placeholder={BLANK} onChange={(v) => form.onChange(id, v)} />
          ) : (
            <Text dimColor>{value || BLANK}</Text>
          )}
        </Box>
      ),
    };
  };

  // head, then the plan (read before approving), then the fields.
  const head: Row[] = [];
  const rows: Row[] = [];
  const rule = (key: string) => line(key, '━'.repeat(inner), { dim: true });

  // The code to read out, or why there is none.
  const codeRows = (): Row[] => {
    if (!isCodePhase(phase)) return [];
    if (prompt.requirement === 'proven') {
      // R-APR-6: no code, no fields; say exactly how a proven approval is given.
      return [
        ...wrapped('proven-how', prompt.requestId ? t(lang, 'approval.provenHow', { id: `${prompt.requestId}${prompt.requestFlags ?? ''}` }) : t(lang, 'approval.provenNoId'), { color: 'cyan', bold: true }),
        ...(prompt.sshApprovals ? wrapped('ssh-how', t(lang, 'approval.sshHow'), { color: 'cyan' }, 2) : []),
        ...(prompt.totp ? wrapped('totp-how', t(lang, 'approval.totpHow'), { color: 'cyan' }, 2) : []),
      ];
    }
    if (form?.codeVoid || !prompt.code) {
      const out: Row[] = [];
      if (prompt.code) out.push(line('code-expired', t(lang, 'approval.codeExpired', { code: prompt.code }), { color: 'yellow' }));
      out.push(line('code-void', t(lang, 'approval.codeVoid', { key: keys.reissue ?? 'r' }), { color: 'yellow', bold: true }));
      return out;
    }
    const left = prompt.expiresAt ? formatMinSec(secondsLeft(prompt.expiresAt, now)) : '—';
    const n = prompt.triesLeft;
    const tries = n === 1 ? t(lang, 'approval.triesOne') : t(lang, 'approval.tries', { n: n ?? '?' });
    return [line('code', t(lang, 'approval.code', { code: prompt.code, left, tries }), { color: 'cyan', bold: true })];
  };

  // Which policy this level is under (R-APR-6), and the demo's own choice, on every form.
  const policyRow = (): Row =>
    prompt.requirement === 'proven'
      ? line('policy', t(lang, 'approval.mode.proven', { level: run.level }), { color: 'green', bold: true })
      : prompt.demoDeclared
        ? line('policy', t(lang, 'approval.demoDeclared', { level: run.level }), { color: 'magenta', bold: true })
        : line('policy', t(lang, 'approval.mode.declared', { level: run.level }), { dim: true });
  // The seed's headers and impact lines belong to L2 and L3; any other runbook's form is named after
  // it (a SQLite restore is not a "SERVICE RESET").
  const seedL2 = run.runbook === 'l2-service-reset';
  const seedL3 = run.runbook === 'l3-box-reset';
  const named = { runbook: run.title[lang].toUpperCase(), target: run.target };
  if (mode === 'code') {
    head.push(line('title', seedL2 ? t(lang, 'approval.l2.title', { target: run.target }) : t(lang, 'approval.other.title', named), { color: 'yellow', bold: true }));
    if (seedL2) {
      head.push(line('impact', t(lang, 'approval.l2.impact')));
      head.push(line('recovery', t(lang, 'approval.l2.recovery')));
    }
    rows.push(...codeRows());
    if (form?.fields.includes('code')) rows.push(field('code'), field('name'));
  } else {
    head.push(line('title', seedL3 ? t(lang, 'approval.l3.title', { target: run.target }) : t(lang, 'approval.other.twoStep', named), { color: 'red', bold: true }));
    if (seedL3) head.push(line('warning', t(lang, 'approval.l3.warning'), { color: 'yellow' }));
    rows.push(rule('rule1'));
    rows.push(...stepRows(1));
    rows.push(...stepRows(2));
    rows.push(rule('rule2'));
    if (phase === 'reason' && form) rows.push(field('reason'));
    else rows.push(line('reason', `${t(lang, 'approval.field.reason')}: ${prompt.reason ? sanitizeLine(prompt.reason) : '—'}`, { dim: !prompt.reason }));
    if (phase === 'summary' || phase === 'confirm-yes') rows.push(...summaryRows());
    if (phase === 'summary' && form) rows.push(line('summary-hint', t(lang, 'approval.summaryHint', { key: keys.submit ?? 'Enter' }), { color: 'cyan' }));
    if (phase === 'confirm-yes' && form) {
      rows.push(field('word'));
      rows.push(line('yes-hint', t(lang, 'approval.yesHint'), { color: 'yellow' }));
    }
  }

  if (prompt.requirement) head.push(policyRow());

  function stepRows(step: 1 | 2): Row[] {
    const head = t(lang, step === 1 ? 'approval.step1' : 'approval.step2');
    const record = step === 1 ? prompt!.step1 : prompt!.step2;
    if (record) {
      const identity = record.identity ? ` · ${sanitizeLine(record.identity)}` : '';
      return [line(`step${step}`, `${head} — ${t(lang, 'approval.approved', { name: sanitizeLine(record.name), time: formatClock(record.at) })}${identity}`, { color: 'green' })];
    }
    const open = (step === 1 && phase === 'step1') || (step === 2 && phase === 'step2');
    if (open) return [line(`step${step}`, head, { bold: true }), ...codeRows(), ...(form?.fields.includes('name') ? [field('name', '  '), field('code', '  ')] : [])];
    if (step === 2 && phase === 'waiting') {
      const s = prompt!.waitUntil ? secondsLeft(prompt!.waitUntil, now) : 0;
      return [
        line('step2', head, { dim: true }),
        line('wait', s > 0 ? `  ${t(lang, 'approval.wait', { s })}` : `  ${t(lang, 'approval.waitOpening')}`, { color: 'yellow', bold: true }),
      ];
    }
    return [line(`step${step}`, `${head} — ${t(lang, 'approval.later')}`, { dim: true })];
  }

  function summaryRows(): Row[] {
    const lines: string[] = prompt!.summary?.length
      ? prompt!.summary.map((l: Localized) => sanitizeLine(l[lang]))
      : [
          t(lang, 'approval.summaryStep1', { name: prompt!.step1?.name ?? '—' }),
          t(lang, 'approval.summaryStep2', { name: prompt!.step2?.name ?? '—' }),
          t(lang, 'approval.summaryReason', { reason: prompt!.reason ?? '—' }),
        ];
    const boxWidth = inner;
    const bar = '─'.repeat(Math.max(0, boxWidth - 2));
    return [
      line('summary-top', `┌${bar}┐`, { dim: true }),
      line('summary-title', `│${fit(` ${t(lang, 'approval.summary')}`, boxWidth - 2)}│`, { bold: true }),
      ...lines.map((l, i) => line(`summary-${i}`, `│${fit(`  ${l}`, boxWidth - 2)}│`)),
      line('summary-bottom', `└${bar}┘`, { dim: true }),
    ];
  }

  // What the flow said: the form's own last refusal first, else the prompt's.
  const error = form?.error ?? prompt.error;
  const tail: Row[] = [];
  if (error) tail.push(...wrapped('error', `✗ ${error[lang]}`, { color: 'red', bold: true }));
  if (!form) tail.push(line('read-only', prompt.message?.[lang] ?? t(lang, 'approval.readOnly'), { dim: true }));
  else if (form.interactive && form.fields.length > 1)
    tail.push(line('keys', t(lang, 'approval.keysHint', { submit: keys.submit ?? 'Enter', cancel: keys.cancel ?? 'Esc' }), { dim: true }));
  // Under a proven policy a code phase already says the command (codeRows, 'approval.provenHow'):
  // saying it again as the "or …" line cost two to four rows of the plan on 80 × 24.
  const commandShown = prompt.requirement === 'proven' && isCodePhase(phase);
  if (prompt.requestId && !commandShown) tail.push(...wrapped('remote', t(lang, 'approval.remote', { id: `${prompt.requestId}${prompt.requestFlags ?? ''}` }), { dim: true }));
  else if (prompt.requestError) tail.push(...wrapped('remote', prompt.requestError[lang], { color: 'yellow' }));

  // The plan takes the rows that are left; it is what the approver agrees to, so it scrolls when it
  // does not fit, and the form reports what was drawn: the answer waits until all of it was seen.
  const plan = planInLang(prompt.plan ?? [], run.steps, lang).map(sanitizeLine);
  const room = Math.max(0, height - 2 - head.length - rows.length - tail.length);
  // Each plan line wraps whole (planLineRows); one taller than the plan's room is shown cut and
  // does not count as read, so the answer waits until the window is tall enough to show it.
  const wrappedPlan = plan.map((p) => planLineRows(p, inner));
  const view = wrappedPlanWindow(wrappedPlan.map((w) => w.length), room, form?.planTop ?? 0);
  const planRows: Row[] = [];
  if (view.window > 0) {
    const scrolls = view.window < plan.length;
    const title = t(lang, 'approval.plan') + (scrolls ? ` ${t(lang, 'approval.planLines', { from: view.start + 1, to: view.end, n: plan.length })}` : '');
    planRows.push(line('plan-title', title, { dim: true }));
    wrappedPlan.slice(view.start, view.end).forEach((rows, i) =>
      (view.cutLast ? rows.slice(0, view.cutLast) : rows).forEach((r, j) => planRows.push(line(j === 0 ? `plan-${view.start + i}` : `plan-${view.start + i}-${j}`, r))),
    );
    if (view.cutLast) {
      planRows.push(line('plan-more', `  ${t(lang, 'approval.planTooTall', { line: view.start + 1, rows: wrappedPlan[view.start]!.length })}`, { color: 'yellow' }));
    } else if (scrolls) {
      const below = plan.length - view.end;
      planRows.push(below > 0 ? line('plan-more', `  ${t(lang, 'approval.planBelow', { n: below })}`, { color: 'yellow' }) : line('plan-more', `  ${t(lang, 'approval.planEnd')}`, { dim: true }));
    }
  }
  const onPlanShown = form?.onPlanShown;
  useEffect(() => {
    // A line shown cut was not read: only the lines drawn whole count.
    if (onPlanShown && plan.length > 0) onPlanShown(view.start, view.cutLast ? view.start : view.end, view.window);
  });

  const all = [...head, ...planRows, ...rows, ...tail].slice(0, Math.max(0, height - 2));
  return (
    <Box
      borderStyle="round"
      borderColor={mode === 'code' ? 'yellow' : 'red'}
      paddingX={1}
      width={width}
      flexDirection="column"
      flexShrink={0}
      overflow="hidden"
    >
      {all.map((r) => (
        <Box key={r.key} height={1} overflow="hidden">
          {r.node}
        </Box>
      ))}
    </Box>
  );
}
