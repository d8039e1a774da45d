// Seed 004's severities with their response and resolution targets, seed 002's escalation
// timeline, and the colour a clock takes as it nears and passes its target.
import type { IncidentContact, Localized, Severity } from '../core/views';

export const SEVERITIES: readonly Severity[] = ['P0', 'P1', 'P2', 'P3'];

/** Minutes (seed 004 §1.1): respond within / resolve within. */
export const SEVERITY_TARGETS: Record<Severity, { respondMin: number; resolveMin: number; name: Localized }> = {
  P0: { respondMin: 15, resolveMin: 120, name: { en: 'Critical', ko: '치명적' } },
  P1: { respondMin: 30, resolveMin: 240, name: { en: 'High', ko: '높음' } },
  P2: { respondMin: 120, resolveMin: 1440, name: { en: 'Medium', ko: '보통' } },
  P3: { respondMin: 1440, resolveMin: 4320, name: { en: 'Low', ko: '낮음' } },
};

/** A recovery level's default severity: a box reset means the whole service is down. */
export function severityForLevel(level: string | undefined): Severity {
  if (level === 'L3') return 'P0';
  if (level === 'L2') return 'P1';
  return 'P2';
}

export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}

export interface EscalationBand {
  fromMin: number;
  /** Exclusive; undefined for the last band (2 h+). */
  toMin?: number;
  label: Localized;
  action: Localized;
  contacts: IncidentContact[];
}

/** Seed 002 "에스컬레이션 절차". */
const BANDS: Omit<EscalationBand, 'contacts'>[] = [
  { fromMin: 0, toMin: 30, label: { en: '0–30 min', ko: '0-30분' }, action: { en: 'DevOps engineer works it alone', ko: 'DevOps 엔지니어 자체 해결 시도' } },
  { fromMin: 30, toMin: 60, label: { en: '30 min–1 h', ko: '30분-1시간' }, action: { en: 'Bring in the backend developer', ko: 'Backend 개발자 협의' } },
  { fromMin: 60, toMin: 120, label: { en: '1–2 h', ko: '1-2시간' }, action: { en: 'Ask the IT team for support', ko: 'IT 팀 지원 요청' } },
  { fromMin: 120, label: { en: '2 h+', ko: '2시간+' }, action: { en: 'Report to the CTO, consider outside support', ko: 'CTO 보고 및 외부 지원 검토' } },
];

/** The bands with the config's contacts placed by their `from_min`. */
export function escalationBands(contacts: readonly IncidentContact[]): EscalationBand[] {
  return BANDS.map((b) => ({
    ...b,
    contacts: contacts.filter((c) => c.fromMin >= b.fromMin && (b.toMin === undefined || c.fromMin < b.toMin)),
  }));
}

export function currentBand(elapsedMs: number): number {
  const min = elapsedMs / 60_000;
  const i = BANDS.findIndex((b) => min >= b.fromMin && (b.toMin === undefined || min < b.toMin));
  return i === -1 ? 0 : i;
}

export type ClockTone = 'ok' | 'near' | 'over' | 'met';

/**
 * A clock against its target: still running and under 75 % → ok; 75–100 % → near; past → over;
 * stopped (responded / resolved) within target → met, or over if it stopped late.
 */
export function clockTone(elapsedMs: number, targetMin: number, stopped: boolean): ClockTone {
  const ratio = elapsedMs / (targetMin * 60_000);
  if (ratio >= 1) return 'over';
  if (stopped) return 'met';
  return ratio >= 0.75 ? 'near' : 'ok';
}
