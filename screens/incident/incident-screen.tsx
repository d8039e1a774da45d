// The incident: severity, clocks against seed 004's response/resolution targets and the RTO
// (colour turns as a target nears and passes), the escalation band, and the timeline.
import { Box, Text } from 'ink';
import type { IncidentView, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { clockTone, currentBand, escalationBands, SEVERITY_TARGETS, type ClockTone } from '../../src/incident/targets';
import { fit, truncate } from '../shared/text';
import { formatClock, formatSince } from '../shared/format';

const TONE_COLOR: Record<ClockTone, string> = { ok: 'green', near: 'yellow', over: 'red', met: 'green' };
const SEVERITY_COLOR: Record<string, string> = { P0: 'red', P1: 'yellow', P2: 'cyan', P3: 'gray' };

export function targetText(min: number): string {
  return min % 60 === 0 ? `${min / 60}h` : `${min}m`;
}

export interface IncidentScreenProps {
  incident: IncidentView | undefined;
  rtoMin: number;
  /** Lines scrolled up from the latest timeline entry. */
  scroll: number;
  readOnly: boolean;
  now: Date;
  lang: Lang;
  width: number;
  height: number;
}

/** The clocks: elapsed from the impact's start; response stops when someone acted; resolution at the recovery's success. */
/**
 * Elapsed time and the respond, resolve and RTO clocks against their targets, each coloured (and
 * bold once near or over) as its target nears and passes: the incident screen's and the wall
 * screen's line, inside the caller's <Text>.
 */
export function IncidentClockParts({ clocks: c, lang }: { clocks: ReturnType<typeof incidentClocks>; lang: Lang }) {
  const clock = (label: string, tone: ClockTone) => <Text color={TONE_COLOR[tone]} bold={tone === 'near' || tone === 'over'}>{label}</Text>;
  return (
    <>
      {t(lang, 'incident.elapsed', { time: formatSince(c.elapsedMs) })}
      {'  '}
      {clock(t(lang, 'incident.respond', { target: targetText(c.respond.targetMin), time: formatSince(c.respond.ms) }), c.respond.tone)}
      {'  '}
      {clock(t(lang, 'incident.resolve', { target: targetText(c.resolve.targetMin), time: formatSince(c.resolve.ms) }), c.resolve.tone)}
      {'  '}
      {clock(t(lang, 'incident.rto', { target: targetText(c.rto.targetMin), time: formatSince(c.rto.ms) }), c.rto.tone)}
    </>
  );
}

export function incidentClocks(i: IncidentView, rtoMin: number, now: Date) {
  const start = i.openedAt.getTime();
  const end = (i.resolvedAt ?? i.closedAt ?? now).getTime();
  const respondEnd = (i.respondedAt ?? now).getTime();
  const targets = SEVERITY_TARGETS[i.severity];
  return {
    elapsedMs: now.getTime() - start,
    respond: { ms: respondEnd - start, targetMin: targets.respondMin, tone: clockTone(respondEnd - start, targets.respondMin, i.respondedAt !== undefined) },
    resolve: { ms: end - start, targetMin: targets.resolveMin, tone: clockTone(end - start, targets.resolveMin, i.resolvedAt !== undefined) },
    rto: { ms: end - start, targetMin: rtoMin, tone: clockTone(end - start, rtoMin, i.resolvedAt !== undefined) },
  };
}

export function IncidentScreen({ incident: i, rtoMin, scroll, readOnly, now, lang, width, height }: IncidentScreenProps) {
  if (!i) {
    return (
      <Box width={width} height={height}>
        <Text wrap="wrap">{t(lang, readOnly ? 'incident.noneReadOnly' : 'incident.none')}</Text>
      </Box>
    );
  }
  const c = incidentClocks(i, rtoMin, now);
  const band = escalationBands([])[currentBand(c.resolve.ms)]!;
  const state = t(lang, i.state === 'open' ? 'incident.open' : 'incident.closed');
  const head = ` ${i.severity} ${state} · ${i.title} · ${i.id}`;
  const headerRows = 6 + (i.reportPath ? 1 : 0);
  const timelineRows = Math.max(1, height - headerRows);
  const endAt = Math.max(0, i.timeline.length - scroll);
  const shown = i.timeline.slice(Math.max(0, endAt - timelineRows), endAt);
  const actorWidth = 10;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold color="black" backgroundColor={SEVERITY_COLOR[i.severity]}>
          {` ${i.severity} `}
        </Text>
        <Text bold inverse>
          {fit(head.slice(i.severity.length + 1), Math.max(0, width - i.severity.length - 2))}
        </Text>
      </Text>
      <Text wrap="truncate" dimColor>
        {truncate(t(lang, 'incident.meta', { target: i.target ?? '—', level: i.level ?? '—', at: formatClock(i.openedAt), operator: i.openedBy }), width)}
      </Text>
      <Text wrap="truncate">
        <IncidentClockParts clocks={c} lang={lang} />
      </Text>
      <Text wrap="truncate" color={currentBand(c.resolve.ms) >= 2 ? 'yellow' : undefined}>
        {truncate(t(lang, 'incident.band', { band: band.label[lang], action: band.action[lang] }), width)}
      </Text>
      {i.reportPath ? <Text wrap="truncate" dimColor>{truncate(t(lang, 'incident.report', { path: i.reportPath }), width)}</Text> : null}
      <Text> </Text>
      <Text bold wrap="truncate">
        {t(lang, 'incident.timeline', { n: i.timeline.length })}
      </Text>
      {shown.map((e, k) => (
        <Text key={`${e.at.getTime()}-${k}`} wrap="truncate" color={e.kind === 'transition' || e.kind === 'alert' ? 'yellow' : e.kind === 'signoff' ? 'green' : undefined}>
          {formatClock(e.at)} {fit(e.text[lang], Math.max(10, width - 10 - actorWidth - 1))} <Text dimColor>{fit(e.actor ?? '', actorWidth)}</Text>
        </Text>
      ))}
    </Box>
  );
}
