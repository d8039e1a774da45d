// The incident report (R-INC-3), following seed 000's template: summary (started, resolved,
// impact duration, recovery level), the timeline table, root cause, prevention checklist.
// Root cause and prevention not typed in the console stay as marked placeholders (TODO) so a
// half-written report is easy to find with grep.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { IncidentView, Lang } from '../core/views';
import { writeFileAtomic } from '../core/atomic-file';
import { SEVERITY_TARGETS } from './targets';

export const PLACEHOLDER = 'TODO';

const H = {
  ko: {
    summary: '요약',
    started: '발생',
    resolved: '해결',
    impact: '영향 시간',
    level: '복구 레벨',
    severity: '심각도',
    target: '대상',
    id: '인시던트 ID',
    timeline: '타임라인',
    time: '시간',
    event: '이벤트',
    actor: '담당',
    rootCause: '근본 원인',
    prevention: '재발 방지',
    snapshots: '스냅샷',
    ongoing: '진행 중',
    none: '없음',
    minutes: (n: number) => `${n}분`,
    targets: (r: number, s: number) => `대응 목표 ${dur('ko', r)}, 해결 목표 ${dur('ko', s)}`,
    rootPlaceholder: `(분석 내용) <!-- ${PLACEHOLDER}: 근본 원인을 작성하세요 -->`,
    preventionPlaceholder: `- [ ] (조치 항목) <!-- ${PLACEHOLDER}: 재발 방지 조치를 작성하세요 -->`,
  },
  en: {
    summary: 'Summary',
    started: 'Started',
    resolved: 'Resolved',
    impact: 'Impact duration',
    level: 'Recovery level',
    severity: 'Severity',
    target: 'Target',
    id: 'Incident ID',
    timeline: 'Timeline',
    time: 'Time',
    event: 'Event',
    actor: 'Actor',
    rootCause: 'Root cause',
    prevention: 'Prevention',
    snapshots: 'Snapshots',
    ongoing: 'ongoing',
    none: 'none',
    minutes: (n: number) => `${n} min`,
    targets: (r: number, s: number) => `respond within ${dur('en', r)}, resolve within ${dur('en', s)}`,
    rootPlaceholder: `(analysis) <!-- ${PLACEHOLDER}: write the root cause -->`,
    preventionPlaceholder: `- [ ] (action item) <!-- ${PLACEHOLDER}: write the prevention items -->`,
  },
} as const;

function dur(lang: Lang, min: number): string {
  if (min % 60 === 0) return lang === 'ko' ? `${min / 60}시간` : `${min / 60} h`;
  return lang === 'ko' ? `${min}분` : `${min} min`;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** Local YYYY-MM-DD HH:MM, as the seed's template writes it. */
export function formatStamp(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

export function localDate(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
}

function timeOf(d: Date, sameDayAs: Date): string {
  const t = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return localDate(d) === localDate(sameDayAs) ? t : `${localDate(d)} ${t}`;
}

/** A table cell: one line, pipes escaped, so no event text can break the table. */
export function cell(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').trim();
}

export function impactMinutes(i: Pick<IncidentView, 'openedAt' | 'resolvedAt'>): number | undefined {
  if (!i.resolvedAt) return undefined;
  return Math.max(0, Math.round((i.resolvedAt.getTime() - i.openedAt.getTime()) / 60_000));
}

export interface ReportOptions {
  lang: Lang;
  /** Snapshot files or folders to link, absolute. */
  snapshots?: string[];
  /** The report's directory, for relative links. */
  reportDir?: string;
}

export function renderReport(incident: IncidentView, opts: ReportOptions): string {
  const h = H[opts.lang];
  const i = incident;
  const impact = impactMinutes(i);
  const targets = SEVERITY_TARGETS[i.severity];
  const out: string[] = [];
  out.push(`# Incident: ${cell(i.title)}`, '');
  out.push(`## ${h.summary}`);
  out.push(`- ${h.started}: ${formatStamp(i.openedAt)}`);
  out.push(`- ${h.resolved}: ${i.resolvedAt ? formatStamp(i.resolvedAt) : h.ongoing}`);
  out.push(`- ${h.impact}: ${impact === undefined ? h.ongoing : h.minutes(impact)}`);
  out.push(`- ${h.level}: ${i.level ?? h.none}`);
  out.push(`- ${h.severity}: ${i.severity} (${h.targets(targets.respondMin, targets.resolveMin)})`);
  if (i.target) out.push(`- ${h.target}: ${i.target}`);
  out.push(`- ${h.id}: ${i.id}`, '');
  out.push(`## ${h.timeline}`);
  out.push(`| ${h.time} | ${h.event} | ${h.actor} |`);
  out.push('|------|--------|------|');
  for (const e of i.timeline) out.push(`| ${timeOf(e.at, i.openedAt)} | ${cell(e.text[opts.lang])} | ${cell(e.actor ?? '')} |`);
  out.push('');
  out.push(`## ${h.rootCause}`);
  out.push(i.rootCause?.trim() ? i.rootCause.trim() : h.rootPlaceholder, '');
  out.push(`## ${h.prevention}`);
  const items = (i.prevention ?? []).map((s) => s.trim()).filter(Boolean);
  if (items.length) for (const p of items) out.push(`- [ ] ${p}`);
  else out.push(h.preventionPlaceholder);
  if (opts.snapshots?.length) {
    out.push('', `## ${h.snapshots}`);
    for (const s of opts.snapshots) {
      const link = opts.reportDir ? relative(opts.reportDir, s) : s;
      out.push(`- [${cell(s.split('/').pop() ?? s)}](${encodeURI(link)})`);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * L2 snapshots this incident's own runs copied back: each run copies into <snapshotsDir>/<run id>/,
 * so a folder named after one of its runs is its evidence; another target's snapshot taken in the
 * same minutes is not.
 */
export function findSnapshots(snapshotsDir: string | undefined, incident: IncidentView): string[] {
  if (!snapshotsDir || !existsSync(snapshotsDir) || !incident.runIds.length) return [];
  let names: string[];
  try {
    names = readdirSync(snapshotsDir).sort();
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith('.') && incident.runIds.some((r) => n.includes(r))).map((n) => join(snapshotsDir, n));
}

/** `<dir>/YYYY-MM-DD-<slug>.md`; another incident's report of the same day and slug is never overwritten. */
export function reportPathFor(dir: string, incident: IncidentView, taken: (path: string) => boolean = existsSync): string {
  const base = `${localDate(incident.openedAt)}-${incident.slug}`;
  if (incident.reportPath && incident.reportPath.startsWith(dir)) return incident.reportPath;
  for (let n = 1; ; n++) {
    const p = join(dir, `${base}${n === 1 ? '' : `-${n}`}.md`);
    if (!taken(p)) return p;
  }
}

export function writeReport(dir: string, incident: IncidentView, opts: ReportOptions & { snapshotsDir?: string; now: Date }): { path: string; markdown: string } {
  const path = reportPathFor(dir, incident);
  const markdown = renderReport(incident, { ...opts, reportDir: dir, snapshots: opts.snapshots ?? findSnapshots(opts.snapshotsDir, incident) });
  writeFileAtomic(path, markdown, 0o644);
  return { path, markdown };
}
