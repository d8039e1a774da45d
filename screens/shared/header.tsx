// One header line: product, the demo label (never dropped), operator, config file, clock.
// Lower-priority parts drop first when the terminal is narrow.
import { Box, Text } from 'ink';
import path from 'node:path';
import type { Lang, ServerLinkView } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { displayWidth, truncate } from './text';
import { formatClock } from './format';

export interface HeaderProps {
  lang: Lang;
  operator: string;
  configPath: string;
  now: Date;
  timeScale: number;
  readOnly: boolean;
  /** The console server: `attached to <socket>` (or coming back); absent or standalone says `standalone`. */
  link?: ServerLinkView;
  width: number;
  /** HH:MM instead of HH:MM:SS (SSH sessions, which redraw for the clock only now and then). */
  clockMinutes?: boolean;
}

interface Part {
  text: string;
  /** Used first when the line is too long. */
  short?: string;
  /** Lower stays longer. */
  priority: number;
  tone?: 'demo' | 'name' | 'readOnly' | 'warn';
}

function linkPart(lang: Lang, link: ServerLinkView | undefined): Part {
  switch (link?.state) {
    case 'attached':
      return { text: t(lang, 'header.attached', { socket: link.socket ?? '' }), short: t(lang, 'header.attached', { socket: path.basename(link.socket ?? '') }), priority: 1 };
    case 'reconnecting':
      return { text: t(lang, 'header.reconnecting'), priority: 0, tone: 'warn' };
    case 'lost':
      return { text: t(lang, 'header.lost', { reason: link.reason ?? '' }), priority: 0, tone: 'warn' };
    default:
      return { text: t(lang, 'header.standalone'), priority: 3 };
  }
}

/** Under a shared state backend: who leads (dropped early), or `state store unreachable` (kept). */
function sharedStatePart(lang: Lang, link: ServerLinkView | undefined): Part[] {
  const st = link?.state === 'attached' ? link.sharedState : undefined;
  if (!st) return [];
  if (!st.reachable) return [{ text: t(lang, 'header.stateUnreachable'), priority: 0, tone: 'warn' }];
  const text = st.leading ? t(lang, 'header.leaderHere') : st.leader ? t(lang, 'header.leader', { leader: st.leader }) : t(lang, 'header.noLeader');
  return [{ text, priority: 2 }];
}

export function Header({ lang, operator, configPath, now, timeScale, readOnly, link, width, clockMinutes }: HeaderProps) {
  const parts: Part[] = [
    { text: t(lang, 'app.name'), priority: 0, tone: 'name' },
    ...(timeScale > 1 ? [{ text: ` ${t(lang, 'header.demo', { scale: timeScale })} `, priority: 0, tone: 'demo' as const }] : []),
    ...(readOnly ? [{ text: ` ${t(lang, 'header.readOnly')} `, priority: 0, tone: 'readOnly' as const }] : []),
    { text: t(lang, 'header.operator', { name: operator }), short: operator, priority: 2 },
    { text: path.basename(configPath), priority: 3 },
    linkPart(lang, link),
    ...sharedStatePart(lang, link),
    { text: clockMinutes ? formatClock(now).slice(0, 5) : formatClock(now), priority: 1 },
  ];
  const sep = ' · ';
  const total = (list: Part[]) => list.reduce((w, p, i) => w + displayWidth(p.text) + (i ? sep.length : 0), 0);
  let shown = parts;
  if (total(shown) > width) shown = shown.map((p) => ({ ...p, text: p.short ?? p.text }));
  for (let drop = 3; drop >= 1 && total(shown) > width; drop--) shown = shown.filter((p) => p.priority < drop);
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate">
        {shown.map((p, i) => (
          <Text key={p.text}>
            {i ? <Text dimColor>{sep}</Text> : null}
            {p.tone === 'demo' ? (
              <Text bold color="black" backgroundColor="yellow">
                {truncate(p.text, width)}
              </Text>
            ) : p.tone === 'readOnly' ? (
              <Text bold inverse>
                {p.text}
              </Text>
            ) : p.tone === 'warn' ? (
              <Text bold color="yellow">
                {p.text}
              </Text>
            ) : p.tone === 'name' ? (
              <Text bold>{p.text}</Text>
            ) : (
              p.text
            )}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
