// Auto-evaluated checklist items (R-CHK-3): each check reads live facts from the stores. A fact no
// store provides (yet) is "unknown" — the item says so instead of passing or failing on a guess.
import type { Localized, ServiceHealth } from '../core/views';
import type { AutoCheck } from './schema';
import { freshnessText, overdue, type BackupFreshness } from '../health/backup-freshness';

export type AutoStatus = 'pass' | 'fail' | 'unknown';

export interface AutoResult {
  status: AutoStatus;
  detail: Localized;
}

export interface BackupFact {
  dir: string;
  /** Entries in the backup directory. */
  count: number;
  /** Newest time read from the entries' names (seed 000's YYYYMMDD_HHMMSS directories). */
  newestAt?: Date;
  newestName?: string;
  error?: string;
  checkedAt: Date;
}

/** What the console knows right now. Only `services` is always there (the fleet store). */
export interface LiveFacts {
  services: ServiceHealth[];
  /** WebSocket handshake results by service name (a WebSocket monitor provides them). */
  websocket?: Record<string, { ok: boolean; error?: string; at: Date }>;
  /** Node counts and the device error rate (a nodes monitor provides them). */
  nodes?: { online: number; total: number; errorRate?: number };
  /** Disk use per host, percent (a host monitor provides it). */
  hosts?: Record<string, { diskPct?: number }>;
  /** `ls` of each host's backup directory. */
  backups?: Record<string, BackupFact>;
  /** The services' configured backup folders against their RPO (the hosts monitor reads them). */
  freshness?: BackupFreshness[];
}

/** What a checklist instance is about: the services and hosts its checks look at. */
export interface CheckScope {
  services: string[];
  hosts: string[];
}

const L = (en: string, ko: string): Localized => ({ en, ko });
const unknown = (en: string, ko: string): AutoResult => ({ status: 'unknown', detail: L(en, ko) });

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}

function inScope(facts: LiveFacts, scope: CheckScope): ServiceHealth[] {
  return facts.services.filter((s) => scope.services.includes(s.name));
}

function formatAge(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} d`;
}

export function evaluateAuto(check: AutoCheck, facts: LiveFacts, scope: CheckScope, now: Date): AutoResult {
  switch (check.check) {
    case 'health_ok': {
      const list = inScope(facts, scope);
      if (!list.length) return unknown('no service with a health check in scope', '범위에 헬스 체크 서비스 없음');
      const bad = list.filter((s) => s.state === 'DOWN' || s.state === 'SUSPECT' || (s.httpStatus !== undefined && s.httpStatus >= 400));
      if (bad.length) {
        const s = bad[0]!;
        const why = s.lastError ?? (s.httpStatus ? `HTTP ${s.httpStatus}` : s.state);
        return { status: 'fail', detail: L(`${s.name} ${s.state}: ${why}`, `${s.name} ${s.state}: ${why}`) };
      }
      const waiting = list.filter((s) => s.state === 'UNKNOWN' || s.httpStatus === undefined);
      if (waiting.length) return unknown(`${waiting[0]!.name}: no probe result yet`, `${waiting[0]!.name}: 아직 점검 결과 없음`);
      const text = list.map((s) => `${s.name} HTTP ${s.httpStatus}`).join(', ');
      return { status: 'pass', detail: L(text, text) };
    }
    case 'latency_below': {
      const list = inScope(facts, scope);
      const measured = list.filter((s) => s.latencyMs !== undefined && s.state !== 'DOWN');
      const down = list.find((s) => s.state === 'DOWN');
      if (down) return { status: 'fail', detail: L(`${down.name} not answering`, `${down.name} 응답 없음`) };
      if (!measured.length) return unknown('no latency measured yet', '아직 측정된 지연 없음');
      const worst = measured.reduce((a, b) => ((b.latencyMs ?? 0) > (a.latencyMs ?? 0) ? b : a));
      const ms = Math.round(worst.latencyMs!);
      const ok = ms < check.max_ms;
      const text = `${worst.name} ${ms} ms ${ok ? '<' : '≥'} ${check.max_ms} ms`;
      return { status: ok ? 'pass' : 'fail', detail: L(text, text) };
    }
    case 'websocket_accepts': {
      if (!facts.websocket) return unknown('no WebSocket check running in this console', '이 콘솔에서 WebSocket 점검 없음');
      const results = scope.services.map((n) => [n, facts.websocket![n]] as const).filter(([, r]) => r !== undefined);
      if (!results.length) return unknown('no WebSocket URL for the services in scope', '범위의 서비스에 WebSocket URL 없음');
      const bad = results.find(([, r]) => !r!.ok);
      if (bad) return { status: 'fail', detail: L(`${bad[0]}: ${bad[1]!.error ?? 'refused'}`, `${bad[0]}: ${bad[1]!.error ?? '거부됨'}`) };
      const text = results.map(([n]) => n).join(', ');
      return { status: 'pass', detail: L(`${text}: handshake ok`, `${text}: 연결 수락`) };
    }
    case 'nodes_online_ratio': {
      const n = facts.nodes;
      if (!n) return unknown('no node source in this console', '이 콘솔에 노드 정보 없음');
      if (n.total === 0) return unknown('the node source lists no nodes', '노드 목록이 비어 있음');
      const ratio = n.online / n.total;
      const ok = ratio >= check.min;
      const text = `${n.online}/${n.total} online (${pct(ratio)}) ${ok ? '≥' : '<'} ${pct(check.min)}`;
      return { status: ok ? 'pass' : 'fail', detail: L(text, text.replace('online', '온라인')) };
    }
    case 'error_rate_below': {
      const rate = facts.nodes?.errorRate;
      if (rate === undefined) return unknown('no error rate from the node source', '노드 정보에 에러율 없음');
      const ok = rate < check.max;
      const text = `${pct(rate)} ${ok ? '<' : '≥'} ${pct(check.max)}`;
      return { status: ok ? 'pass' : 'fail', detail: L(`error rate ${text}`, `에러율 ${text}`) };
    }
    case 'disk_below': {
      if (!facts.hosts) return unknown('no host metrics in this console', '이 콘솔에 호스트 지표 없음');
      const known = scope.hosts.map((h) => [h, facts.hosts![h]?.diskPct] as const).filter(([, d]) => d !== undefined) as [string, number][];
      if (!known.length) return unknown('disk use not read yet', '디스크 사용량 아직 모름');
      const worst = known.reduce((a, b) => (b[1] > a[1] ? b : a));
      const ok = worst[1] < check.max_pct;
      const text = `${worst[0]} disk ${Math.round(worst[1])} % ${ok ? '<' : '≥'} ${check.max_pct} %`;
      return { status: ok ? 'pass' : 'fail', detail: L(text, text.replace('disk', '디스크')) };
    }
    case 'backups_present': {
      // Services with backup folders and an RPO in the config: the same fact as check and the
      // hosts pane. Without any, the host's backup_dir and the item's max_age_h, as before.
      const folders = (facts.freshness ?? []).filter((f) => scope.services.includes(f.service));
      if (folders.length) {
        const late = overdue(folders);
        const shown = freshnessText(late[0] ?? folders[0]!);
        const more = late.length > 1 ? ` (+${late.length - 1})` : '';
        return { status: late.length ? 'fail' : 'pass', detail: L(shown.en + more, shown.ko + more) };
      }
      const results = scope.hosts.map((h) => [h, facts.backups?.[h]] as const);
      const checked = results.filter(([, b]) => b !== undefined) as [string, BackupFact][];
      if (!checked.length) return unknown('backups not checked yet (SSH ls)', '백업 아직 확인 안 됨 (SSH ls)');
      const maxMs = check.max_age_h * 3_600_000;
      for (const [host, b] of checked) {
        if (b.error) return { status: 'fail', detail: L(`${host}:${b.dir}: ${b.error}`, `${host}:${b.dir}: ${b.error}`) };
        if (b.count === 0) return { status: 'fail', detail: L(`${host}:${b.dir} is empty`, `${host}:${b.dir} 비어 있음`) };
        if (!b.newestAt) return unknown(`${host}:${b.dir}: ${b.count} entries, age unknown (names carry no date)`, `${host}:${b.dir}: ${b.count}개, 날짜 알 수 없음`);
        const age = now.getTime() - b.newestAt.getTime();
        if (age > maxMs) {
          return { status: 'fail', detail: L(`${host}: newest backup ${b.newestName} is ${formatAge(age)} old > ${check.max_age_h} h`, `${host}: 최신 백업 ${b.newestName} ${formatAge(age)} 경과 > ${check.max_age_h}시간`) };
        }
      }
      const [host, b] = checked[0]!;
      const age = formatAge(now.getTime() - b.newestAt!.getTime());
      return { status: 'pass', detail: L(`${host}: ${b.newestName} (${age} old)`, `${host}: ${b.newestName} (${age} 경과)`) };
    }
  }
}

/**
 * A backup's time from its name: `20260104_153000`, `2026-01-04T15:30:00`, `backup_2026-01-04`…
 * Read as local time, like the `date +%Y%m%d_%H%M%S` that named it on the host.
 */
export function timeFromName(name: string): Date | undefined {
  const m = /(20\d{2})-?(\d{2})-?(\d{2})(?:[_T-]?(\d{2}):?(\d{2}):?(\d{2})?)?/.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59) return undefined;
  return new Date(y!, mo! - 1, d!, h, mi, s);
}
