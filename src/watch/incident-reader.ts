// The open incident for the wall screen, read from <stateDir>/incidents/*.json (written by the
// consoles' incident store). Only reads: the incident store and its writers stay out of watch
// mode's module graph (tests/unit/watch-readonly.test.ts), so the few fields shown are parsed here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PolledSource } from './polled-source';
import type { IncidentView, Severity } from '../core/views';
import { isSeverity } from '../incident/targets';

export interface OpenIncidentSnapshot {
  /** The newest open incident, if any. */
  incident?: IncidentView;
  /** Other open incidents. */
  more: number;
  problems: string[];
}

export interface IncidentFilesSourceOptions {
  dir: string;
  /** Real ms between polls (the clocks move with the frame tick; the files change rarely). */
  pollMs?: number;
}

function date(v: unknown): Date | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The fields the wall screen shows, or undefined for a file that is not an incident. */
export function parseIncidentHead(text: string): IncidentView | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const openedAt = date(o?.openedAt);
  if (!o || typeof o.id !== 'string' || typeof o.title !== 'string' || !openedAt) return undefined;
  const view: IncidentView = {
    id: o.id,
    title: o.title,
    slug: typeof o.slug === 'string' ? o.slug : o.id,
    severity: isSeverity(o.severity) ? (o.severity as Severity) : 'P2',
    state: o.state === 'closed' ? 'closed' : 'open',
    openedAt,
    openedBy: typeof o.openedBy === 'string' ? o.openedBy : 'unknown',
    runIds: [],
    timeline: [],
  };
  const respondedAt = date(o.respondedAt);
  const resolvedAt = date(o.resolvedAt);
  const closedAt = date(o.closedAt);
  if (respondedAt) view.respondedAt = respondedAt;
  if (resolvedAt) view.resolvedAt = resolvedAt;
  if (closedAt) view.closedAt = closedAt;
  if (typeof o.target === 'string') view.target = o.target;
  if (typeof o.level === 'string') view.level = o.level;
  return view;
}

export class IncidentFilesSource extends PolledSource<OpenIncidentSnapshot> {
  /** Parsed files by name, re-read only when size or mtime changed. */
  private readonly cache = new Map<string, { mtimeMs: number; size: number; view?: IncidentView }>();

  constructor(private readonly opts: IncidentFilesSourceOptions) {
    super({ more: 0, problems: [] }, 0, opts.pollMs ?? 5000);
  }

  poll(): void {
    const problems: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.opts.dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') problems.push(`cannot read ${this.opts.dir} (${code ?? (err as Error).message}) — check its permissions`);
    }
    const seen = new Set<string>();
    for (const name of names) {
      seen.add(name);
      const path = join(this.opts.dir, name);
      try {
        const st = statSync(path);
        const hit = this.cache.get(name);
        if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) continue;
        this.cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, view: parseIncidentHead(readFileSync(path, 'utf8')) });
      } catch {
        // replaced meanwhile (atomic rename): read again next poll
        this.cache.delete(name);
      }
    }
    for (const name of this.cache.keys()) if (!seen.has(name)) this.cache.delete(name);
    const open = [...this.cache.values()]
      .map((c) => c.view)
      .filter((v): v is IncidentView => v !== undefined && v.state === 'open')
      .sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime());
    const next: OpenIncidentSnapshot = { ...(open[0] ? { incident: open[0] } : {}), more: Math.max(0, open.length - 1), problems };
    if (!sameSnapshot(next, this.getSnapshot())) this.set(next);
  }
}

function sameSnapshot(a: OpenIncidentSnapshot, b: OpenIncidentSnapshot): boolean {
  const x = a.incident;
  const y = b.incident;
  const t = (d?: Date) => d?.getTime();
  const sameIncident =
    x === y ||
    (x !== undefined &&
      y !== undefined &&
      x.id === y.id &&
      x.severity === y.severity &&
      x.title === y.title &&
      x.level === y.level &&
      x.target === y.target &&
      t(x.respondedAt) === t(y.respondedAt) &&
      t(x.resolvedAt) === t(y.resolvedAt) &&
      t(x.openedAt) === t(y.openedAt));
  return sameIncident && a.more === b.more && a.problems.join('\n') === b.problems.join('\n');
}
