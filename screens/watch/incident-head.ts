// The wall screen's incident title (R-UI-2), fitted to the wall's width. A wall is read from afar
// for three things: which incident, since when, how severe. The severity is the coloured badge in
// front; the text says the incident and its start, without repeating what the title already says
// (an incident a runbook opened is titled "<target>: <runbook>"), and wraps under itself rather
// than losing its end (on 80 columns "since 06:30" was cut). Only a title too long for every row
// the layout gives is shortened, and then the title, never the time.
import type { Lang } from '../../src/core/views';
import type { OpenIncidentSnapshot } from '../../src/watch/incident-reader';
import { t } from '../../src/i18n/catalog';
import { formatClock } from '../shared/format';
import { displayWidth, truncate, wrapLines } from '../shared/text';

/** Rows the head may take at most (the clocks come under it). */
export const INCIDENT_HEAD_MAX_ROWS = 3;

/** Columns the severity badge takes in front of the first row (` P1 ` and a space); later rows are indented as much. */
export function incidentBadgeWidth(severity: string): number {
  return displayWidth(` ${severity} `) + 1;
}

const hhmm = (d: Date) => formatClock(d).slice(0, 5);

function mentions(title: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_-])${escaped}($|[^\\p{L}\\p{N}_-])`, 'u').test(title);
}

/** The incident named once: its title, then its target and level only where the title does not say them. */
export function incidentWhat(i: { title: string; target?: string; level?: string }): string {
  const extra = [i.target, i.level].filter((w): w is string => !!w && !mentions(i.title, w));
  return extra.length ? `${i.title} — ${extra.join(' ')}` : i.title;
}

/**
 * The head's rows for a `width`-column wall, at most `maxRows` (each row without the badge and its
 * indent: `width - incidentBadgeWidth` columns). Empty when there is no open incident.
 */
export function incidentHeadLines(snap: OpenIncidentSnapshot, width: number, lang: Lang, maxRows = INCIDENT_HEAD_MAX_ROWS): string[] {
  const i = snap.incident;
  if (!i || maxRows <= 0) return [];
  const room = Math.max(1, width - incidentBadgeWidth(i.severity));
  const at = hhmm(i.openedAt);
  const more = snap.more > 0 ? ` · ${t(lang, 'watch.incident.more', { n: snap.more })}` : '';
  const what = incidentWhat(i);
  const full = t(lang, 'watch.incident', { what, at }) + more;
  const lines = wrapLines(full, room, Number.MAX_SAFE_INTEGER);
  if (lines.length <= maxRows) return lines;
  // Longer than every row it may take: shorten the title, keep the time and the count whole.
  const frame = displayWidth(t(lang, 'watch.incident', { what: '', at }) + more);
  const short = truncate(what, Math.max(1, room * maxRows - frame - maxRows));
  const cut = wrapLines(t(lang, 'watch.incident', { what: short, at }) + more, room, Number.MAX_SAFE_INTEGER);
  return cut.length <= maxRows ? cut : wrapLines(t(lang, 'watch.incident', { what: truncate(what, Math.max(1, room - frame)), at }) + more, room, maxRows);
}
