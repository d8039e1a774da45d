// Seed 002's escalation timeline with the config's contacts, the band the incident clock is in
// highlighted (R-INC-5).
import { Box, Text } from 'ink';
import type { IncidentContact, IncidentView, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { currentBand, escalationBands } from '../../src/incident/targets';
import { fit, truncate } from '../shared/text';
import { formatSince } from '../shared/format';
import { incidentClocks } from './incident-screen';

export function EscalationMatrix({ incident, contacts, rtoMin, now, lang, width, height }: { incident: IncidentView | undefined; contacts: IncidentContact[]; rtoMin: number; now: Date; lang: Lang; width: number; height: number }) {
  const ms = incident ? incidentClocks(incident, rtoMin, now).resolve.ms : 0;
  const bands = escalationBands(contacts);
  const current = incident ? currentBand(ms) : -1;
  const lines: { key: string; text: string; current: boolean; bold?: boolean }[] = [];
  bands.forEach((b, i) => {
    const here = i === current;
    lines.push({ key: `b${i}`, text: `${here ? '▶' : ' '} ${fit(b.label[lang], 12)} ${b.action[lang]}`, current: here, bold: true });
    if (!b.contacts.length) lines.push({ key: `b${i}-none`, text: `    ${t(lang, 'escalation.noContacts')}`, current: here });
    for (const c of b.contacts) lines.push({ key: `b${i}-${c.name}`, text: `    ${c.name} — ${c.role}${c.reach ? ` · ${c.reach}` : ''}`, current: here });
  });
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${t(lang, 'escalation.title', { time: formatSince(ms) })}`, width)}
      </Text>
      <Text> </Text>
      {lines.slice(0, Math.max(0, height - 2)).map((l) => (
        <Text key={l.key} wrap="truncate" inverse={l.current && l.bold} color={l.current ? 'yellow' : undefined} bold={l.bold} dimColor={!l.current && !l.bold}>
          {truncate(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
