// The checklist list: instances in progress first (resume where you left off), then every
// checklist that can be started. Renders only; the selection index spans both groups.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { ChecklistInstanceView, ChecklistsSnapshot, ChecklistSummary, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { fit, truncate } from '../shared/text';
import { formatSince } from '../shared/format';

export type PickerEntry = { kind: 'instance'; instance: ChecklistInstanceView } | { kind: 'definition'; definition: ChecklistSummary };

/** In-progress instances (most recent first), then the definitions. */
export function pickerEntries(snapshot: ChecklistsSnapshot, incidentId?: string): PickerEntry[] {
  const inProgress = snapshot.instances.filter((i) => !i.complete && (!incidentId || !i.incidentId || i.incidentId === incidentId));
  return [
    ...inProgress.map((instance): PickerEntry => ({ kind: 'instance', instance })),
    ...snapshot.definitions.map((definition): PickerEntry => ({ kind: 'definition', definition })),
  ];
}

export function ChecklistPicker({ entries, selected, now, lang, width, height }: { entries: PickerEntry[]; selected: number; now: Date; lang: Lang; width: number; height: number }) {
  const rows: { key: string; node: ReactNode }[] = [];
  const firstDef = entries.findIndex((e) => e.kind === 'definition');
  entries.forEach((e, i) => {
    if (i === 0 && e.kind === 'instance') rows.push({ key: 'h-progress', node: <Text bold color="cyan">{t(lang, 'checklists.inProgress')}</Text> });
    if (i === firstDef) rows.push({ key: 'h-start', node: <Text bold color="cyan">{t(lang, 'checklists.start')}</Text> });
    const mark = i === selected ? '›' : ' ';
    const text =
      e.kind === 'instance'
        ? `${e.instance.title[lang]}${e.instance.target ? ` · ${e.instance.target}` : ''} · ${t(lang, 'checklists.progress', { signed: e.instance.signed, total: e.instance.total })} · ${formatSince(now.getTime() - e.instance.lastActivityAt.getTime())}`
        : `${e.definition.title[lang]} · ${t(lang, 'checklists.items', { n: e.definition.items })}${e.definition.source ? ` · ${e.definition.source}` : ''}`;
    rows.push({
      key: e.kind === 'instance' ? e.instance.instanceId : `d-${e.definition.id}`,
      node: (
        <Text inverse={i === selected} wrap="truncate">
          {truncate(`${mark} ${text}`, width)}
        </Text>
      ),
    });
  });
  const listRows = Math.max(1, height - 2);
  const selRow = rows.findIndex((r) => r.key === (entries[selected]?.kind === 'instance' ? (entries[selected] as { instance: ChecklistInstanceView }).instance.instanceId : `d-${(entries[selected] as { definition?: ChecklistSummary } | undefined)?.definition?.id}`));
  const start = Math.max(0, Math.min(selRow - Math.floor(listRows / 2), rows.length - listRows));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${t(lang, 'checklists.title')}`, width)}
      </Text>
      <Text> </Text>
      {entries.length === 0 ? <Text>{t(lang, 'checklists.none')}</Text> : rows.slice(start, start + listRows).map((r) => <Box key={r.key}>{r.node}</Box>)}
    </Box>
  );
}
