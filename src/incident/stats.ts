// Incident statistics (R-INC-4, seed 004's MTTR/MTBF) over a period.
//   MTTR: time from an incident's start to its resolution, over resolved incidents: mean,
//         median and p95 (nearest rank).
//   MTBF: mean time between failures — the average gap from one incident's resolution to the
//         next incident's start (the time things worked), over consecutive incidents.
import type { IncidentView } from '../core/views';

export interface IncidentStats {
  since: Date;
  until: Date;
  count: number;
  resolved: number;
  open: number;
  mttrMin?: { mean: number; median: number; p95: number };
  mtbfMin?: number;
  /** Gaps MTBF was averaged over. */
  intervals: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (!n) return NaN;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function computeStats(incidents: readonly Pick<IncidentView, 'openedAt' | 'resolvedAt' | 'closedAt'>[], since: Date, until: Date): IncidentStats {
  const inPeriod = incidents
    .filter((i) => i.openedAt >= since && i.openedAt <= until)
    .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  const durations = inPeriod
    .filter((i) => i.resolvedAt)
    .map((i) => (i.resolvedAt!.getTime() - i.openedAt.getTime()) / 60_000)
    .sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let k = 1; k < inPeriod.length; k++) {
    const prev = inPeriod[k - 1]!;
    const end = prev.resolvedAt ?? prev.closedAt;
    if (!end) continue;
    gaps.push(Math.max(0, (inPeriod[k]!.openedAt.getTime() - end.getTime()) / 60_000));
  }
  return {
    since,
    until,
    count: inPeriod.length,
    resolved: durations.length,
    open: inPeriod.length - durations.length,
    ...(durations.length
      ? { mttrMin: { mean: round1(durations.reduce((a, b) => a + b, 0) / durations.length), median: round1(median(durations)), p95: round1(percentile(durations, 95)) } }
      : {}),
    ...(gaps.length ? { mtbfMin: round1(gaps.reduce((a, b) => a + b, 0) / gaps.length) } : {}),
    intervals: gaps.length,
  };
}

/** "12 min", "1 h 30 min", "2 d 4 h". */
export function formatMinutes(min: number): string {
  if (min < 60) return `${round1(min)} min`;
  const total = Math.round(min);
  const h = Math.floor(total / 60);
  if (h < 48) return `${h} h${total % 60 ? ` ${total % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** `30d`, `12h`, `90m`, `2w` → ms; undefined when it is not a duration. */
export function parsePeriod(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const ms = unit === 'w' ? 7 * 86_400_000 : unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000;
  return n > 0 ? n * ms : undefined;
}

export function formatStats(s: IncidentStats): string {
  const d = (x: Date) => x.toISOString().slice(0, 10);
  const lines = [`incidents ${d(s.since)} .. ${d(s.until)}: ${s.count} (${s.resolved} resolved, ${s.open} open)`];
  lines.push(s.mttrMin ? `MTTR  mean ${formatMinutes(s.mttrMin.mean)} · median ${formatMinutes(s.mttrMin.median)} · p95 ${formatMinutes(s.mttrMin.p95)}` : 'MTTR  n/a (no resolved incident in the period)');
  lines.push(s.mtbfMin !== undefined ? `MTBF  ${formatMinutes(s.mtbfMin)} (over ${s.intervals} interval${s.intervals === 1 ? '' : 's'})` : 'MTBF  n/a (needs two incidents in the period)');
  return lines.join('\n') + '\n';
}
