// Incident files: one JSON per incident under <stateDir>/incidents, written atomically
// (src/core/atomic-file.ts) like the markdown reports.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncidentView, Severity, TimelineEntry } from '../core/views';
import { isSeverity } from './targets';

/** What is stored: the view, plus whether an operator chose the severity (then runs never change it). */
export interface IncidentRecord extends IncidentView {
  severityChosen?: boolean;
  /** The target came back UP at this time after a recovery; it resolves once it stays UP for the settle time. */
  recoveredAt?: Date;
  /** Recoveries that failed since the last success: they move the recommendation up a level. */
  failedRuns?: { target: string; level: string }[];
}

type Json = Record<string, unknown>;

const DATE_FIELDS = ['openedAt', 'respondedAt', 'resolvedAt', 'closedAt', 'recoveredAt'] as const;

export function incidentToJson(i: IncidentRecord): string {
  return JSON.stringify(i, null, 2) + '\n';
}

function date(v: unknown): Date | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Parses a stored incident; throws in words when a required field is missing. */
export function incidentFromJson(text: string, file: string): IncidentRecord {
  const o = JSON.parse(text) as Json;
  const id = o.id;
  const openedAt = date(o.openedAt);
  if (typeof id !== 'string' || !openedAt || typeof o.title !== 'string') {
    throw new Error(`${file}: not an incident (needs id, title and openedAt)`);
  }
  const rec: IncidentRecord = {
    id,
    title: o.title,
    slug: typeof o.slug === 'string' ? o.slug : slugify(o.title),
    severity: isSeverity(o.severity) ? (o.severity as Severity) : 'P2',
    state: o.state === 'closed' ? 'closed' : 'open',
    openedAt,
    openedBy: typeof o.openedBy === 'string' ? o.openedBy : 'unknown',
    runIds: Array.isArray(o.runIds) ? o.runIds.filter((x): x is string => typeof x === 'string') : [],
    timeline: Array.isArray(o.timeline)
      ? (o.timeline as Json[]).flatMap((e): TimelineEntry[] => {
          const at = date(e.at);
          const text = e.text as { en?: unknown; ko?: unknown } | undefined;
          if (!at || !text || typeof text.en !== 'string') return [];
          return [{ at, kind: (e.kind as TimelineEntry['kind']) ?? 'note', text: { en: text.en, ko: typeof text.ko === 'string' ? text.ko : text.en }, ...(typeof e.actor === 'string' ? { actor: e.actor } : {}) }];
        })
      : [],
  };
  for (const f of DATE_FIELDS) {
    const d = date(o[f]);
    if (d && f !== 'openedAt') rec[f] = d;
  }
  if (typeof o.target === 'string') rec.target = o.target;
  if (typeof o.level === 'string') rec.level = o.level;
  if (typeof o.rootCause === 'string') rec.rootCause = o.rootCause;
  if (Array.isArray(o.prevention)) rec.prevention = o.prevention.filter((x): x is string => typeof x === 'string');
  if (typeof o.reportPath === 'string') rec.reportPath = o.reportPath;
  if (o.severityChosen === true) rec.severityChosen = true;
  if (Array.isArray(o.failedRuns)) {
    const failed = (o.failedRuns as Json[]).filter((f) => typeof f?.target === 'string' && typeof f?.level === 'string').map((f) => ({ target: f.target as string, level: f.level as string }));
    if (failed.length) rec.failedRuns = failed;
  }
  return rec;
}

export function incidentFile(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

/** One stored incident, or undefined when there is none (or it cannot be read). */
export function readIncident(file: string): IncidentRecord | undefined {
  try {
    return incidentFromJson(readFileSync(file, 'utf8'), file);
  } catch {
    return undefined;
  }
}

export function readIncidents(dir: string): { incidents: IncidentRecord[]; problems: string[] } {
  const incidents: IncidentRecord[] = [];
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { incidents, problems };
    return { incidents, problems: [`cannot read ${dir}: ${(err as Error).message}`] };
  }
  for (const n of names.sort()) {
    const file = join(dir, n);
    try {
      incidents.push(incidentFromJson(readFileSync(file, 'utf8'), file));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { incidents, problems };
}

/** ASCII slug for file names; a title with no ASCII letters (Hangul) becomes "incident". */
export function slugify(title: string): string {
  const s = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return s || 'incident';
}

export function timelineKey(e: TimelineEntry): string {
  return `${e.at.toISOString()}|${e.kind}|${e.text.en}|${e.actor ?? ''}`;
}

/** Two consoles may both have added lines: keep the union, in time order. */
export function mergeTimelines(a: readonly TimelineEntry[], b: readonly TimelineEntry[]): TimelineEntry[] {
  const seen = new Map<string, TimelineEntry>();
  for (const e of [...a, ...b]) if (!seen.has(timelineKey(e))) seen.set(timelineKey(e), e);
  return [...seen.values()].sort((x, y) => x.at.getTime() - y.at.getTime());
}
