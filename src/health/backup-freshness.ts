// Backup freshness against the RPO (seed 002 "복구 목표": RPO 24 h; seed 003: RPO 1 h): for each
// service's configured backup folders, the newest matching file's age read over SSH with one
// command per host, judged against that folder's rpo_h. `check`, the hosts pane, the wall screen
// and the checklist's "backups present" item all read this one fact.
import type { Config } from '../config/schema';
import type { Localized } from '../core/views';
import { shellQuote } from '../ssh/quote';
import type { RemoteShell } from '../ssh/types';
import { ageText } from '../core/backup-age';

export { ageText };

export interface BackupSpec {
  service: string;
  dir: string;
  pattern: string;
  rpoH: number;
}

export type FreshnessVerdict = 'ok' | 'stale' | 'missing' | 'error';

export interface BackupFreshness extends BackupSpec {
  verdict: FreshnessVerdict;
  /** Matching files in the folder. */
  count: number;
  newestName?: string;
  /** Age of the newest file by the host's own clock, seconds. */
  ageS?: number;
  /** Why the folder could not be read (missing, permission, SSH). */
  error?: string;
}

/** The backup folders of every service on this host, from the config. */
export function backupSpecsFor(config: Pick<Config, 'services'>, host: string): BackupSpec[] {
  return config.services.filter((s) => s.host === host).flatMap((s) => (s.backups ?? []).map((b) => ({ service: s.name, dir: b.dir, pattern: b.pattern, rpoH: b.rpo_h })));
}

/**
 * One shell line for all of a host's folders: the host's `date +%s`, then per folder a marker
 * and either "nodir" or "<count> <mtime epoch> <name>" of the newest match (count 0: none).
 */
export function freshnessCommand(specs: readonly BackupSpec[]): string {
  const parts = specs.map(
    (s, i) =>
      `echo '@@ ${i}'; if [ -d ${shellQuote(s.dir)} ]; then find ${shellQuote(s.dir)} -mindepth 1 -maxdepth 1 -name ${shellQuote(s.pattern)} -printf '%T@ %f\\n' 2>/dev/null | sort -rn | awk 'NR==1{f=$0} END{print NR" "f}'; else echo nodir; fi`,
  );
  return ['date +%s', ...parts].join('; ');
}

export function parseFreshness(specs: readonly BackupSpec[], lines: readonly string[]): BackupFreshness[] {
  const hostNow = Number(lines[0]?.trim());
  const bodies = new Map<number, string>();
  let current = -1;
  for (const line of lines.slice(1)) {
    const m = /^@@ (\d+)$/.exec(line.trim());
    if (m) current = Number(m[1]);
    else if (current >= 0 && !bodies.has(current)) bodies.set(current, line.trim());
  }
  return specs.map((spec, i) => {
    const body = bodies.get(i);
    if (body === undefined || !Number.isFinite(hostNow)) return { ...spec, verdict: 'error', count: 0, error: 'the host printed nothing for this folder' };
    if (body === 'nodir') return { ...spec, verdict: 'missing', count: 0, error: `${spec.dir} does not exist` };
    const m = /^(\d+) ?(?:(\d+(?:\.\d+)?) (.+))?$/.exec(body);
    if (!m) return { ...spec, verdict: 'error', count: 0, error: `unexpected output: ${body.slice(0, 80)}` };
    const count = Number(m[1]);
    if (count === 0 || m[2] === undefined) return { ...spec, verdict: 'missing', count: 0 };
    const ageS = Math.max(0, Math.round(hostNow - Number(m[2])));
    return { ...spec, verdict: ageS > spec.rpoH * 3600 ? 'stale' : 'ok', count, newestName: m[3], ageS };
  });
}

/** Reads every folder of the host in one SSH command; a failed read makes each folder an error. */
export async function readFreshness(shell: Pick<RemoteShell, 'exec'>, host: string, specs: readonly BackupSpec[], timeoutMs: number, signal?: AbortSignal): Promise<BackupFreshness[]> {
  if (!specs.length) return [];
  const lines: string[] = [];
  const errors: string[] = [];
  try {
    const res = await shell.exec(host, freshnessCommand(specs), { timeoutMs, signal, onLine: (stream, line) => (stream === 'stdout' ? lines : errors).push(line) });
    if (res.code !== 0) {
      const why = errors[0] ?? (res.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${res.code ?? res.signal ?? 'without a status'}`);
      return specs.map((s) => ({ ...s, verdict: 'error', count: 0, error: why }));
    }
  } catch (err) {
    return specs.map((s) => ({ ...s, verdict: 'error', count: 0, error: (err as Error).message }));
  }
  return parseFreshness(specs, lines);
}

/** One folder's state in words: "refserver: newest x.tar.gz 3 h 5 min old > RPO 1 h". */
export function freshnessText(f: BackupFreshness): Localized {
  const where = `${f.service} ${f.dir}/${f.pattern}`;
  switch (f.verdict) {
    case 'error':
      return { en: `${where}: cannot read (${f.error})`, ko: `${where}: 읽을 수 없음 (${f.error})` };
    case 'missing':
      return f.error
        ? { en: `${where}: no backup folder (RPO ${f.rpoH} h)`, ko: `${where}: 백업 폴더 없음 (RPO ${f.rpoH}시간)` }
        : { en: `${where}: no backup (RPO ${f.rpoH} h)`, ko: `${where}: 백업 없음 (RPO ${f.rpoH}시간)` };
    default: {
      const age = ageText(f.ageS ?? 0);
      const over = f.verdict === 'stale';
      return {
        en: `${where}: newest ${f.newestName} ${age.en} old ${over ? '>' : '≤'} RPO ${f.rpoH} h`,
        ko: `${where}: 최신 ${f.newestName} ${age.ko} 경과 ${over ? '>' : '≤'} RPO ${f.rpoH}시간`,
      };
    }
  }
}

/** The folders that break their RPO (stale, missing or unreadable). */
export function overdue(list: readonly BackupFreshness[] | undefined): BackupFreshness[] {
  return (list ?? []).filter((f) => f.verdict !== 'ok');
}
