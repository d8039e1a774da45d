// The parameter form of one runbook: the target, then each parameter — typed ones as text
// fields, fixed choices and lists the target prints as lists — with every problem in words
// under its field. One terminal line per row, so the focused list gets exactly the rows left
// and the form never pushes the footer off an 80 × 24 screen.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Lang, RunbookSummary } from '../../src/core/views';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { displayWidth, fit, sanitizeLine, truncate, wrapLines } from '../shared/text';
export { wrapLines };
import { TextField } from '../shared/text-field';
import { approvalLabel, targetKindWords } from './runbook-picker';
import { listWindow, TARGET_FIELD, type FormField, type Listing } from './picker-model';

export interface ParamFormModel {
  runbook: RunbookSummary;
  mode: 'run' | 'dry';
  fields: FormField[];
  focus: number;
  /** Choices of the target field (services or hosts of the config). */
  targets: string[];
  /** Text field values. */
  values: Record<string, string>;
  /** Cursor of each list field (the target's too). */
  cursors: Record<string, number>;
  /** Listings of the listed parameters, as last asked for. */
  listings: Record<string, Listing | undefined>;
  /** Problems shown under fields. */
  errors: Record<string, string>;
  /** Why start() refused, in its words. */
  startError?: string;
  /** The host a listing runs on, for "loading choices from <host>…". */
  listingHost?: string;
  onChange(field: string, value: string): void;
}

type Row = { key: string; node: ReactNode; focus?: boolean };

export function fieldLabel(lang: Lang, runbook: RunbookSummary, field: FormField): string {
  if (field.id === TARGET_FIELD) return t(lang, 'runform.target', { kind: t(lang, `runbooks.kind.${runbook.targetKind}` as MessageKey) });
  return field.id;
}

/** The choices a list field offers: the target's list, fixed choices, or what the target listed. */
export function fieldChoices(form: Pick<ParamFormModel, 'targets' | 'listings'>, field: FormField): { value: string; label: string }[] {
  if (field.id === TARGET_FIELD) return form.targets.map((v) => ({ value: v, label: v }));
  if (field.kind === 'list') return (field.param?.choices ?? []).map((v) => ({ value: v, label: v }));
  const listing = form.listings[field.id];
  return listing?.status === 'done' && listing.result.ok ? listing.result.choices : [];
}

export function ParamForm({ form, lang, width, height }: { form: ParamFormModel; lang: Lang; width: number; height: number }) {
  const { runbook, fields, focus } = form;
  const inner = Math.max(20, width);
  const labelWidth = Math.min(24, Math.max(...fields.map((f) => displayWidth(fieldLabel(lang, runbook, f)))) + 1);
  const valueWidth = Math.max(8, inner - labelWidth - 3);
  const dim = (key: string, text: string, color?: string): Row => ({
    key,
    node: (
      <Text wrap="truncate" dimColor={color === undefined} color={color}>
        {truncate(text, inner)}
      </Text>
    ),
  });
  const wrapped = (key: string, text: string, color: string, max = 2): Row[] => wrapLines(text, inner - 4, max).map((l, i) => dim(`${key}-${i}`, `    ${l}`, color));

  const title =
    form.mode === 'dry'
      ? t(lang, 'runform.titleDry', { level: runbook.level, title: runbook.title[lang] })
      : t(lang, 'runform.titleRun', { level: runbook.level, title: runbook.title[lang], approval: approvalLabel(lang, runbook.approval) });
  const head: Row[] = [
    { key: 'title', node: <Text bold inverse wrap="truncate">{fit(` ${title} · ${runbook.id}`, inner)}</Text> },
    ...(runbook.description ? [dim('desc', runbook.description[lang])] : []),
  ];

  // Rows of every field except the focused one's list, which gets what is left.
  const before: Row[] = [];
  const after: Row[] = [];
  let focusHead: Row[] = [];
  let focusTail: Row[] = [];
  let listChoices: { value: string; label: string }[] = [];
  let listField: FormField | undefined;
  fields.forEach((field, index) => {
    const focused = index === focus;
    const into = index < focus ? before : after;
    const label = fit(`${fieldLabel(lang, runbook, field)}:`, labelWidth);
    const choices = field.kind === 'text' ? [] : fieldChoices(form, field);
    const cursor = form.cursors[field.id] ?? 0;
    const picked = choices[Math.min(cursor, choices.length - 1)];
    const listing = field.kind === 'listed' ? form.listings[field.id] : undefined;
    let value: ReactNode;
    if (field.kind === 'text') {
      value = focused ? (
        <TextField value={form.values[field.id] ?? ''} onChange={(v) => form.onChange(field.id, v)} />
      ) : (
        <Text dimColor={!form.values[field.id]}>{truncate(form.values[field.id] || '—', valueWidth)}</Text>
      );
    } else if (field.kind === 'listed' && form.mode === 'dry') {
      value = <Text dimColor>{truncate(t(lang, 'runform.listedDry', { host: form.listingHost ?? '?' }), valueWidth)}</Text>;
    } else if (field.kind === 'listed' && listing?.status !== 'done') {
      value = <Text dimColor>{truncate(listing ? t(lang, 'runform.loading', { host: listing.host }) : t(lang, 'runform.notListed'), valueWidth)}</Text>;
    } else {
      value = <Text bold={focused}>{truncate(picked ? sanitizeLine(picked.label) : '—', valueWidth)}</Text>;
    }
    const row: Row = {
      key: `f-${field.id}`,
      focus: focused,
      node: (
        <Box height={1} overflow="hidden" width={inner}>
          <Text color={focused ? 'cyan' : undefined} bold={focused}>
            {focused ? '›' : ' '} {label}{' '}
          </Text>
          {value}
        </Box>
      ),
    };
    const extra: Row[] = [];
    if (focused && field.param?.description) extra.push(dim(`fd-${field.id}`, `    ${field.param.description[lang]}`));
    if (focused && field.id === TARGET_FIELD && choices.length === 0) {
      extra.push(dim('no-targets', `    ${t(lang, 'runform.noTargets', { kind: targetKindWords(lang, runbook) })}`, 'red'));
    }
    if (focused && listing && form.mode === 'run') {
      if (listing.status === 'loading') extra.push(dim(`ls-${field.id}`, `    ${t(lang, 'runform.loading', { host: listing.host })}`, 'yellow'));
      else if (!listing.result.ok) extra.push(...wrapped(`le-${field.id}`, t(lang, 'runform.listError', { error: listing.result.error }), 'red', 4));
      else if (listing.result.choices.length === 0) extra.push(...wrapped(`l0-${field.id}`, t(lang, 'runform.listEmpty', { host: listing.result.host, command: listing.result.command }), 'red'));
      else {
        extra.push(dim(`lf-${field.id}`, `    ${t(lang, 'runform.listedFrom', { n: listing.result.choices.length, host: listing.result.host, command: listing.result.command })}`));
        if (listing.result.rejected.length) {
          extra.push(dim(`lr-${field.id}`, `    ${t(lang, 'runform.rejected', { n: listing.result.rejected.length, lines: listing.result.rejected.slice(0, 3).map(sanitizeLine).join(', ') })}`, 'yellow'));
        }
      }
    }
    const error = form.errors[field.id];
    const errorRows = error ? wrapped(`fe-${field.id}`, `✗ ${error}`, 'red') : [];
    if (focused) {
      focusHead = [row, ...extra];
      focusTail = errorRows;
      if (field.kind !== 'text' && choices.length > 1) {
        listChoices = choices;
        listField = field;
      }
    } else into.push(row, ...errorRows);
  });

  const foot: Row[] = [];
  if (form.startError) foot.push(...wrapped('start-error', t(lang, 'runform.startFailed', { error: form.startError }), 'red', 3));
  foot.push(dim('hint', form.mode === 'dry' ? t(lang, 'runform.hintDry') : t(lang, 'runform.hintRun', { target: form.targets[form.cursors[TARGET_FIELD] ?? 0] ?? '—' })));

  const fixed = head.length + before.length + focusHead.length + focusTail.length + after.length + foot.length;
  const listRoom = Math.max(listChoices.length ? 2 : 0, height - fixed);
  const listRows: Row[] = [];
  if (listField && listChoices.length) {
    const cursor = Math.min(form.cursors[listField.id] ?? 0, listChoices.length - 1);
    const shown = Math.max(1, Math.min(listChoices.length, listRoom));
    const win = listWindow(listChoices.length, cursor, shown);
    for (let i = win.start; i < win.end; i++) {
      const on = i === cursor;
      listRows.push({
        key: `c-${listField.id}-${i}`,
        node: (
          <Text inverse={on} wrap="truncate">
            {truncate(`    ${on ? '›' : ' '} ${sanitizeLine(listChoices[i]!.label)}`, inner)}
          </Text>
        ),
      });
    }
  }
  const all = [...head, ...before, ...focusHead, ...listRows, ...focusTail, ...after];
  // Too many fields for the screen: keep the focused one in view, the footer rows always.
  const room = Math.max(1, height - foot.length);
  let body = all;
  if (all.length > room) {
    const at = all.findIndex((r) => r.focus);
    const start = Math.max(0, Math.min(at - head.length, all.length - room));
    body = [...head.slice(0, 1), ...all.slice(Math.max(1, start + 1), Math.max(1, start + 1) + room - 1)];
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {body.map((r) => (
        <Box key={r.key} height={1} overflow="hidden">
          {r.node}
        </Box>
      ))}
      <Box flexGrow={1} />
      {foot.map((r) => (
        <Box key={r.key} height={1} overflow="hidden">
          {r.node}
        </Box>
      ))}
    </Box>
  );
}
