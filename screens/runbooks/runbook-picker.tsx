// The runbook list: every runbook (or those for the selected service/host) with its level,
// approval, title and what it would run on; the selected one's description and parameters
// below. Renders only.
import { Box, Text } from 'ink';
import type { Lang, RunbookSummary } from '../../src/core/views';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { displayWidth, fit, truncate } from '../shared/text';
import { listWindow, type PickerRow } from './picker-model';

export interface RunbookPickerProps {
  rows: PickerRow[];
  selected: number;
  /** The selection the list is scoped to; undefined when it shows every runbook. */
  scopedTo?: string;
  total: number;
  lang: Lang;
  width: number;
  height: number;
}

export function approvalLabel(lang: Lang, approval: RunbookSummary['approval']): string {
  return approval ? t(lang, `runbooks.approval.${approval}` as MessageKey) : '—';
}

/** What a runbook targets in words: "service", "host", or the kinds it fits ("orchestrator service"). */
export function targetKindWords(lang: Lang, runbook: RunbookSummary): string {
  const kind = t(lang, `runbooks.kind.${runbook.targetKind}` as MessageKey);
  return runbook.fits?.length ? `${runbook.fits.join(' | ')} ${kind}` : kind;
}

export function targetLabel(lang: Lang, row: PickerRow): string {
  const kind = t(lang, `runbooks.kind.${row.runbook.targetKind}` as MessageKey);
  return row.target ? `${kind} ${row.target}` : t(lang, 'runbooks.anyTarget', { kind: targetKindWords(lang, row.runbook) });
}

export function RunbookPicker({ rows, selected, scopedTo, total, lang, width, height }: RunbookPickerProps) {
  const title = scopedTo ? t(lang, 'runbooks.titleFor', { target: scopedTo, shown: rows.length, total }) : t(lang, 'runbooks.titleAll', { total });
  // Columns as wide as their content, the target at most ~30 % of the width; the title takes the rest.
  const widest = (texts: string[], lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.max(0, ...texts.map(displayWidth))));
  const w = {
    level: widest([t(lang, 'runbooks.col.level'), ...rows.map((r) => r.runbook.level)], 3, 5),
    id: widest([t(lang, 'runbooks.col.id'), ...rows.map((r) => r.runbook.id)], 8, 20),
    approval: widest([t(lang, 'runbooks.col.approval'), ...rows.map((r) => approvalLabel(lang, r.runbook.approval))], 6, 12),
    target: widest([t(lang, 'runbooks.col.target'), ...rows.map((r) => targetLabel(lang, r))], 8, Math.floor(width * 0.3)),
  };
  const titleWidth = Math.max(8, width - 2 - w.level - w.id - w.approval - w.target - 4);
  const line = (mark: string, level: string, id: string, approval: string, target: string, name: string) =>
    truncate(`${mark} ${fit(level, w.level)} ${fit(id, w.id)} ${fit(approval, w.approval)} ${fit(target, w.target)} ${fit(name, titleWidth)}`, width);
  const current = rows[selected];
  const detail: string[] = [];
  if (current) {
    const params = current.runbook.params ?? [];
    if (current.runbook.description) detail.push(current.runbook.description[lang]);
    detail.push(params.length ? t(lang, 'runbooks.params', { names: params.map((p) => p.name).join(', ') }) : t(lang, 'runbooks.noParams'));
  }
  const listRows = Math.max(1, height - 3 - detail.length);
  const win = listWindow(rows.length, selected, listRows);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${title}`, width)}
      </Text>
      <Text bold dimColor wrap="truncate">
        {line(' ', t(lang, 'runbooks.col.level'), t(lang, 'runbooks.col.id'), t(lang, 'runbooks.col.approval'), t(lang, 'runbooks.col.target'), t(lang, 'runbooks.col.title'))}
      </Text>
      {rows.length === 0 ? (
        <Text wrap="truncate">{total === 0 ? t(lang, 'runbooks.none') : t(lang, 'runbooks.noneFor', { target: scopedTo ?? '' })}</Text>
      ) : (
        rows.slice(win.start, win.end).map((row, i) => {
          const index = win.start + i;
          const on = index === selected;
          return (
            <Text key={row.runbook.id} inverse={on} wrap="truncate">
              {line(on ? '›' : ' ', row.runbook.level, row.runbook.id, approvalLabel(lang, row.runbook.approval), targetLabel(lang, row), row.runbook.title[lang])}
            </Text>
          );
        })
      )}
      <Box flexGrow={1} />
      {detail.map((d, i) => (
        <Text key={`d${i}`} dimColor wrap="truncate">
          {truncate(d, width)}
        </Text>
      ))}
    </Box>
  );
}
