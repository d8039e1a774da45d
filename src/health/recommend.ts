// Which recovery level fits the current symptoms (R-HLT-6, seed 000's symptom table):
//   API latency > 5 s → L1 · a service not answering (DOWN: failure_threshold failures in a row,
//   seed 000's "3회 연속 실패 시 장애 판정"; SUSPECT is not yet a failure and recommends nothing) → L2 ·
//   many nodes offline at once, or the database failing → L2 · host unreachable → L3.
// And the run history: a recovery that failed on this target in the open incident moves the
// recommendation one level up (a failed L1 → L2, a failed L2 → L3 on its host).
// Pure: the fleet store calls it on every change and `status` prints it.
import type { Config } from '../config/schema';
import type { Localized, Recommendation, ServiceHealth, ServiceState } from '../core/views';

export interface Symptoms {
  /** Hosts that do not answer SSH. */
  hostsUnreachable?: string[];
  /** Share of nodes offline right now, 0..1. */
  nodesOfflineRatio?: number;
  /** Databases (or the services that report them) whose connection check fails. */
  dbFailing?: string[];
  /** Recoveries that failed in an open incident: the highest failed level per target (service or host). */
  failedRecoveries?: { target: string; level: 'L1' | 'L2' | 'L3' }[];
}

export type RecommendConfig = Pick<Config, 'nodes' | 'services'>;

const RUNBOOKS = {
  L1: { id: 'l1-soft-reset', ko: 'L1 소프트 리셋', en: 'L1 Soft Reset' },
  L2: { id: 'l2-service-reset', ko: 'L2 서비스 리셋', en: 'L2 Service Reset' },
  L3: { id: 'l3-box-reset', ko: 'L3 박스 리셋', en: 'L3 Box Reset' },
} as const;

const LEVEL_RANK = { L1: 1, L2: 2, L3: 3 } as const;
const STATE_RANK: Record<ServiceState, number> = { DOWN: 3, SUSPECT: 2, SLOW: 1, UP: 0, UNKNOWN: 0 };

interface Candidate {
  rec: Recommendation;
  /** Higher is worse; compared after the level. */
  severity: number;
  order: number;
}

function make(level: keyof typeof RUNBOOKS, target: string, reason: Localized): Recommendation {
  const rb = RUNBOOKS[level];
  return { level, runbook: rb.id, target, reason: { ko: `${reason.ko} → ${rb.ko}`, en: `${reason.en} → ${rb.en}` } };
}

function secondsText(ms: number, unit: 'ko' | 'en'): string {
  const s = ms / 1000;
  const text = Number.isInteger(s) ? String(s) : s.toFixed(1);
  return unit === 'ko' ? `${text}초` : `${text} s`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

const notAnswering = (s: ServiceHealth) => s.state === 'DOWN' || s.state === 'SUSPECT';
const troubled = (s: ServiceHealth) => s.state !== 'UP' && s.state !== 'UNKNOWN';

export function recommend(services: ServiceHealth[], extra: Symptoms = {}, config: RecommendConfig): Recommendation | undefined {
  const candidates: Candidate[] = [];
  const unreachable = new Set(extra.hostsUnreachable ?? []);
  const slowMsOf = new Map((config.services ?? []).map((s) => [s.name, s.slow_ms]));
  const order = new Map(services.map((s, i) => [s.name, i]));

  // L3: a host that does not answer SSH. Its services are down with it; restarting them cannot work.
  [...unreachable].forEach((host, i) => {
    const affected = services.filter((s) => s.host === host && notAnswering(s)).map((s) => s.name);
    const also = affected.length ? { ko: `, 서비스 ${affected.length}개 무응답`, en: `, ${affected.length} service${affected.length > 1 ? 's' : ''} down` } : { ko: '', en: '' };
    candidates.push({
      rec: make('L3', host, { ko: `${host} 호스트 접속 불가 (SSH${also.ko})`, en: `${host} unreachable (SSH${also.en})` }),
      severity: affected.length,
      order: i,
    });
  });

  const reachable = services.filter((s) => !unreachable.has(s.host));

  // L2: several services on one host down at once points at the stack, not one unit.
  const downByHost = new Map<string, ServiceHealth[]>();
  for (const s of reachable) if (s.state === 'DOWN') downByHost.set(s.host, [...(downByHost.get(s.host) ?? []), s]);
  for (const [host, down] of downByHost) {
    if (down.length < 2) continue;
    const names = down.map((s) => s.name).join(', ');
    candidates.push({
      rec: make('L2', down[0].name, { ko: `${host}의 서비스 ${down.length}개 무응답 (${names})`, en: `${down.length} services on ${host} down (${names})` }),
      severity: 10 + down.length,
      order: order.get(down[0].name) ?? 0,
    });
  }

  // L2 for fleet-wide symptoms targets the primary service (the first one declared: the orchestrator).
  const dbFailing = extra.dbFailing ?? [];
  const primary = (reachable.find((s) => !dbFailing.includes(s.name)) ?? reachable[0])?.name ?? (config.services ?? [])[0]?.name;
  const massRatio = config.nodes?.mass_offline_ratio ?? 0.3;
  if (primary && extra.nodesOfflineRatio !== undefined && extra.nodesOfflineRatio >= massRatio && extra.nodesOfflineRatio > 0) {
    const r = extra.nodesOfflineRatio;
    candidates.push({
      rec: make('L2', primary, { ko: `노드 ${percent(r)} 동시 오프라인 (기준 ${percent(massRatio)})`, en: `${percent(r)} of nodes offline at once (≥ ${percent(massRatio)})` }),
      severity: 5,
      order: 0,
    });
  }
  if (primary && dbFailing.length) {
    const names = dbFailing.join(', ');
    candidates.push({
      rec: make('L2', primary, { ko: `데이터베이스 연결 실패 (${names})`, en: `database connection failing (${names})` }),
      severity: 4,
      order: 0,
    });
  }

  // A service not answering → L2 (seed 000's table); answering slowly → L1.
  for (const s of reachable) {
    if (s.state === 'DOWN') {
      const err = s.lastError ? `: ${s.lastError}` : '';
      candidates.push({
        rec: make('L2', s.name, {
          ko: `${s.name} 무응답 (${s.consecutiveFailures}/${s.threshold}회 실패${err})`,
          en: `${s.name} not answering (${s.consecutiveFailures}/${s.threshold} failures${err})`,
        }),
        severity: STATE_RANK[s.state],
        order: order.get(s.name) ?? 0,
      });
    } else if (s.state === 'SLOW') {
      const slowMs = slowMsOf.get(s.name) ?? 5000;
      const lat = s.latencyMs ?? 0;
      candidates.push({
        rec: make('L1', s.name, {
          ko: `${s.name} 응답 지연 (${secondsText(lat, 'ko')} > ${secondsText(slowMs, 'ko')})`,
          en: `${s.name} slow (${secondsText(lat, 'en')} > ${secondsText(slowMs, 'en')})`,
        }),
        severity: STATE_RANK.SLOW,
        order: order.get(s.name) ?? 0,
      });
    }
  }

  // The run history: a level that already failed on this target in this incident is not offered
  // again while the target is still not UP; the next level is.
  for (const f of extra.failedRecoveries ?? []) {
    const onTarget = services.filter((s) => (s.name === f.target || s.host === f.target) && troubled(s));
    if (!onTarget.length || f.level === 'L3') continue;
    const svc = onTarget[0];
    const failed = RUNBOOKS[f.level];
    const why = { ko: `${f.target}에서 ${failed.ko} 실패 (이번 인시던트)`, en: `${failed.en} failed on ${f.target} in this incident` };
    candidates.push({
      rec: f.level === 'L1' ? make('L2', svc.name, why) : make('L3', svc.host, why),
      severity: 100,
      order: order.get(svc.name) ?? 0,
    });
  }

  candidates.sort((a, b) => LEVEL_RANK[b.rec.level] - LEVEL_RANK[a.rec.level] || b.severity - a.severity || a.order - b.order);
  return candidates[0]?.rec;
}

/** How much of the fleet has been looked at: a verdict needs facts, and UNKNOWN is not a fact. */
export interface ProbeCoverage {
  total: number;
  /** Services with a health_url that have answered (or failed) at least once. */
  probed: number;
  /** Services with a health_url whose first probe has not come back yet. */
  pending: number;
  /** Services without a health_url: never probed. */
  unmonitored: number;
  up: number;
}

export function probeCoverage(services: readonly ServiceHealth[]): ProbeCoverage {
  let pending = 0;
  let unmonitored = 0;
  let up = 0;
  for (const s of services) {
    if (s.state === 'UP') up++;
    else if (s.state === 'UNKNOWN') {
      if (s.unmonitored) unmonitored++;
      else pending++;
    }
  }
  return { total: services.length, probed: services.length - pending - unmonitored, pending, unmonitored, up };
}

/**
 * What the dashboard's recommendation box says (R-HLT-6). A recommendation is made from facts as
 * soon as any exist; without one, "healthy" only when every monitored service has answered, so a
 * console that has just started says it is waiting instead of "All services healthy".
 */
export type FleetVerdict =
  | { kind: 'recommend'; recommendation: Recommendation; coverage: ProbeCoverage }
  | { kind: 'waiting'; coverage: ProbeCoverage }
  | { kind: 'healthy'; coverage: ProbeCoverage }
  /** Some probed service is not UP yet no runbook fits (not reached by recommend(); a guard for other producers). */
  | { kind: 'notUp'; coverage: ProbeCoverage }
  | { kind: 'unmonitored'; coverage: ProbeCoverage }
  /** A service failed a probe but not failure_threshold in a row: not yet a failure (seed 000), nothing recommended. */
  | { kind: 'suspect'; coverage: ProbeCoverage; service: ServiceHealth }
  | { kind: 'empty'; coverage: ProbeCoverage };

export function fleetVerdict(services: readonly ServiceHealth[], recommendation: Recommendation | undefined): FleetVerdict {
  const coverage = probeCoverage(services);
  if (recommendation) return { kind: 'recommend', recommendation, coverage };
  if (coverage.total === 0) return { kind: 'empty', coverage };
  // Only SUSPECT services are in trouble: say they are being watched (a DOWN one with no runbook is notUp).
  const suspect = services.find((s) => s.state === 'SUSPECT');
  if (suspect && services.every((s) => s.state === 'UP' || s.state === 'UNKNOWN' || s.state === 'SUSPECT')) return { kind: 'suspect', coverage, service: suspect };
  if (coverage.pending > 0) return { kind: 'waiting', coverage };
  if (coverage.probed === 0) return { kind: 'unmonitored', coverage };
  if (coverage.up < coverage.probed) return { kind: 'notUp', coverage };
  return { kind: 'healthy', coverage };
}
