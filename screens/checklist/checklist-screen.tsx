// One checklist: sections (time-gated ones with their countdown), items with their live auto
// check and sign-off, and the selected item's detail (check result, notes). Renders only.
import { Box, Text } from 'ink';
import type { ChecklistInstanceView, ChecklistItemView, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { fit, truncate } from '../shared/text';
import { formatClock, formatSince } from '../shared/format';

export interface ChecklistScreenProps {
  instance: ChecklistInstanceView | undefined;
  cursor: number;
  now: Date;
  lang: Lang;
  width: number;
  height: number;
}

/** Items in screen order (the cursor indexes this list). */
export function checklistItems(instance: ChecklistInstanceView | undefined): ChecklistItemView[] {
  return instance ? instance.sections.flatMap((s) => s.items) : [];
}

/** Where an operator resumes: the first item not signed in a section that is open now. */
export function resumeCursor(instance: ChecklistInstanceView | undefined, now: Date): number {
  if (!instance) return 0;
  let i = 0;
  for (const s of instance.sections) {
    const open = !s.opensAt || s.opensAt <= now;
    for (const item of s.items) {
      if (open && !item.signed) return i;
      i++;
    }
  }
  return 0;
}

const hhmm = (d: Date) => formatClock(d).slice(0, 5);

function AutoBadge({ item, lang, width }: { item: ChecklistItemView; lang: Lang; width: number }) {
  if (!item.auto) return <Text>{fit('', width)}</Text>;
  const { status } = item.auto;
  const color = status === 'pass' ? 'green' : status === 'fail' ? 'red' : 'yellow';
  return (
    <Text color={color} bold>
      {fit(t(lang, status === 'pass' ? 'checklist.pass' : status === 'fail' ? 'checklist.fail' : 'checklist.unknown'), width)}
    </Text>
  );
}

type Row = { key: string; kind: 'section'; text: string; locked: boolean } | { key: string; kind: 'item'; item: ChecklistItemView; index: number; locked: boolean };

export function ChecklistScreen({ instance, cursor, now, lang, width, height }: ChecklistScreenProps) {
  if (!instance) {
    return (
      <Box width={width} height={height}>
        <Text>{t(lang, 'checklist.gone')}</Text>
      </Box>
    );
  }
  const rows: Row[] = [];
  let index = 0;
  for (const s of instance.sections) {
    const locked = s.opensAt !== undefined && s.opensAt > now;
    const gate = locked ? ` — ${t(lang, 'checklist.opensIn', { time: formatSince(s.opensAt!.getTime() - now.getTime()), at: hhmm(s.opensAt!) })}` : '';
    rows.push({ key: `s-${s.id}`, kind: 'section', text: `${s.title[lang]}${gate}`, locked });
    for (const item of s.items) rows.push({ key: `i-${item.id}`, kind: 'item', item, index: index++, locked });
  }
  const items = checklistItems(instance);
  const current = items[Math.min(cursor, items.length - 1)];
  const detailRows = 2;
  const listRows = Math.max(1, height - 2 - detailRows);
  const cursorRow = rows.findIndex((r) => r.kind === 'item' && r.index === cursor);
  const start = Math.max(0, Math.min(cursorRow - Math.floor(listRows / 2), rows.length - listRows));
  const shown = rows.slice(start, start + listRows);
  const signedWidth = 12;
  const badgeWidth = 9;
  const textWidth = Math.max(8, width - 6 - badgeWidth - signedWidth - 2);

  const progress = instance.complete ? t(lang, 'checklist.complete') : t(lang, 'checklist.progress', { signed: instance.signed, total: instance.total });
  const head = [instance.title[lang], instance.target, progress].filter(Boolean).join(' · ');
  const lastNote = current?.notes[current.notes.length - 1];
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${head}`, width)}
      </Text>
      <Text> </Text>
      {shown.map((r) =>
        r.kind === 'section' ? (
          <Text key={r.key} bold color={r.locked ? 'gray' : 'cyan'} wrap="truncate">
            {truncate(r.text, width)}
          </Text>
        ) : (
          <Text key={r.key} wrap="truncate" dimColor={r.locked} inverse={r.index === cursor}>
            {r.index === cursor ? '›' : ' '}
            {r.item.signed ? (r.item.signed.override ? <Text color="yellow">[!]</Text> : <Text color="green">[x]</Text>) : r.locked ? '[-]' : '[ ]'}{' '}
            {fit(r.item.text[lang], textWidth)}{' '}
            <AutoBadge item={r.item} lang={lang} width={badgeWidth} />
            {r.item.signed ? fit(`${r.item.signed.operator} ${hhmm(r.item.signed.at)}`, signedWidth) : ''}
          </Text>
        ),
      )}
      <Box flexGrow={1} />
      <Text wrap="truncate" color={current?.auto?.status === 'fail' ? 'red' : undefined}>
        {current?.auto ? truncate(`  ${current.auto.detail[lang]}`, width) : ' '}
        {current && current.undone > 0 ? <Text dimColor>{`  (${t(lang, 'checklist.undone', { n: current.undone })})`}</Text> : null}
      </Text>
      <Text wrap="truncate" dimColor>
        {lastNote ? truncate(`  ${t(lang, 'checklist.note', { text: lastNote.text, operator: lastNote.operator, at: hhmm(lastNote.at) })}`, width) : ' '}
      </Text>
    </Box>
  );
}
