// R-HLT-5: alerts, firing first, with since when, what was done about them and whether the
// notification went out (a failed webhook shows here, it never crashes anything).
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { AlertsSnapshot, AlertView, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { displayWidth, fit, truncate } from '../shared/text';
import { formatSince } from '../shared/format';
import { windowStart } from './services-pane';
import { alertName } from '../../src/core/alert-name';

export interface PaneTitleProps {
  name: string;
  /** What the pane sums up to; `bad` shows it red. */
  summary: { text: string; bad: boolean };
  /** The filter typed for this pane (empty: none) and how many of how many items it leaves. */
  filter: { text: string; shown: number; total: number };
  focused: boolean;
  width: number;
  lang: Lang;
}

/**
 * A pane's first line: its name (inverse when focused, so Tab's effect is visible), the summary
 * and the active filter. It is the whole pane when the pane is collapsed.
 */
export function PaneTitle({ name, summary, filter, focused, width, lang }: PaneTitleProps) {
  const head = `${focused ? '▸' : ' '} ${name} `;
  const filterPart = filter.text ? ` ${t(lang, 'filter.active', filter)}` : '';
  const room = Math.max(0, width - displayWidth(head) - displayWidth(filterPart));
  return (
    <Text wrap="truncate">
      <Text bold inverse={focused} color={focused ? 'cyan' : undefined}>
        {truncate(head, width)}
      </Text>
      <Text color={summary.bad ? 'red' : 'green'}>{fit(` ${summary.text}`, room)}</Text>
      {filterPart && room >= 0 ? <Text color="yellow">{truncate(filterPart, Math.max(0, width - displayWidth(head)))}</Text> : null}
    </Text>
  );
}

export function alertsSummary(snapshot: AlertsSnapshot, lang: Lang): { text: string; bad: boolean } {
  const firing = snapshot.alerts.filter((a) => a.state === 'firing');
  if (firing.length === 0) return { text: snapshot.problems.length ? t(lang, 'alerts.problem', { text: snapshot.problems[0]! }) : t(lang, 'alerts.noneYet'), bad: snapshot.problems.length > 0 };
  const first = firing[0]!;
  return { text: `${t(lang, 'alerts.summary', { n: firing.length })} · ${alertName(first)} ${first.subject}`, bad: true };
}

export function alertMatches(a: AlertView, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = `${alertName(a)} ${a.subject} ${a.kind} ${a.message}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function alertsWanted(snapshot: AlertsSnapshot, shown: number, filtered: boolean): number {
  // Nothing to list: the title line already says "No alerts".
  if (shown === 0 && !filtered && snapshot.problems.length === 0) return 1;
  return 1 + snapshot.problems.length + Math.max(1, shown);
}

/** The latest thing that happened to an alert, in words: a failed notification first. */
function latestDetail(a: AlertView, lang: Lang): { text: string; bad: boolean } {
  const failed = a.notifications.filter((n) => !n.ok);
  const lastNotice = a.notifications[a.notifications.length - 1];
  if (lastNotice && !lastNotice.ok) return { text: t(lang, 'alerts.notifyFailed', { detail: failed.map((n) => `${n.webhook}: ${n.error ?? '?'}`).join('; ') }), bad: true };
  const action = a.actions[a.actions.length - 1];
  return { text: action ?? '', bad: false };
}

export interface AlertsPaneProps {
  snapshot: AlertsSnapshot;
  alerts: AlertView[];
  filter: string;
  cursor: number;
  height: number;
  width: number;
  focused: boolean;
  now: Date;
  lang: Lang;
}

export function AlertsPane({ snapshot, alerts, filter, cursor, height, width, focused, now, lang }: AlertsPaneProps) {
  const title = (
    <PaneTitle name={t(lang, 'pane.alerts')} summary={alertsSummary(snapshot, lang)} filter={{ text: filter, shown: alerts.length, total: snapshot.alerts.length }} focused={focused} width={width} lang={lang} />
  );
  if (height <= 1) return title;
  const body: ReactNode[] = [];
  const space = height - 1;
  const problems = snapshot.problems.slice(0, Math.max(0, space - 1));
  for (const [i, p] of problems.entries()) {
    body.push(
      <Text key={`p${i}`} color="red" wrap="truncate">
        {truncate(t(lang, 'alerts.problem', { text: p }), width)}
      </Text>,
    );
  }
  const rows = Math.max(0, space - problems.length);
  // With nothing to list the title already says "No alerts" (a taller pane on a wall screen would
  // otherwise say it twice); under a filter or a problem line, say it in the body.
  if (alerts.length === 0 && rows > 0 && (filter || problems.length > 0)) {
    body.push(
      <Text key="none" dimColor wrap="truncate">
        {truncate(filter ? t(lang, 'filter.noMatch', { text: filter }) : t(lang, 'alerts.noneYet'), width)}
      </Text>,
    );
  }
  const start = windowStart(cursor, alerts.length, rows);
  const subjectWidth = Math.min(22, Math.max(8, ...alerts.slice(0, 50).map((a) => displayWidth(a.subject))));
  const ruleWidth = Math.min(20, Math.max(8, ...alerts.slice(0, 50).map((a) => displayWidth(alertName(a)))));
  for (const [i, a] of alerts.slice(start, start + rows).entries()) {
    const selected = focused && start + i === cursor;
    const firing = a.state === 'firing';
    const when = firing
      ? t(lang, 'alerts.since', { t: formatSince(now.getTime() - a.since.getTime()) })
      : t(lang, 'alerts.for', { t: formatSince((a.resolvedAt ?? now).getTime() - a.since.getTime()) });
    const detail = latestDetail(a, lang);
    const fixed = 2 + 9 + 1 + ruleWidth + 1 + subjectWidth + 1 + 14 + 1;
    const rest = Math.max(0, width - fixed);
    // The message says what is wrong; the detail what was done — both when there is room.
    const tail = detail.text ? `${a.message} — ${detail.text}` : a.message;
    body.push(
      <Text key={`${a.key}@${a.since.getTime()}`} wrap="truncate" dimColor={!firing} bold={selected}>
        <Text color="cyan">{fit(selected ? '›' : '', 2)}</Text>
        <Text color={firing ? 'red' : 'green'} bold={firing}>
          {fit(firing ? (a.acknowledged ? (lang === 'ko' ? '확인됨' : 'ACKED') : a.muted ? (lang === 'ko' ? '무음' : 'MUTED') : t(lang, 'alerts.firing')) : t(lang, 'alerts.resolved'), 9)}
        </Text>
        {' '}
        <Text inverse={selected}>{fit(alertName(a), ruleWidth)}</Text>
        {' '}
        {fit(a.subject, subjectWidth)}
        {' '}
        {fit(when, 14)}
        {' '}
        <Text color={detail.bad ? 'red' : undefined}>{fit(detail.bad ? `${detail.text} — ${a.message}` : tail, rest)}</Text>
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden" flexShrink={0}>
      {title}
      {body}
    </Box>
  );
}
