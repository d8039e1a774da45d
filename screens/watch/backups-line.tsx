// The wall screen's backup line (issue 17 item 9): a service whose newest backup is older than its
// RPO, missing, or unreadable is flagged, from the same fact `check` and the hosts pane use. When
// the wall reads no host (standalone: it never opens SSH) and backups are configured, it says so
// rather than staying silent.
import { Box, Text } from 'ink';
import type { HostsSnapshot, Lang } from '../../src/core/views';
import { ageText } from '../../src/core/backup-age';
import type { BackupFreshness } from '../../src/health/backup-freshness';
import { displayWidth, truncate, wrapLines } from '../shared/text';

export type BackupsView = { kind: 'read'; hosts: HostsSnapshot } | { kind: 'not-read' } | { kind: 'none' };

/** What the line says, or undefined when there is nothing to flag (every folder within its RPO). */
export function backupsLineText(view: BackupsView, lang: Lang): { text: string; tone: 'red' | 'dim' } | undefined {
  if (view.kind === 'none') return undefined;
  if (view.kind === 'not-read') {
    return {
      tone: 'dim',
      text: lang === 'ko' ? '백업/RPO: 이 화면은 호스트를 읽지 않습니다 (콘솔 서버 또는 check 가 읽음)' : 'backups vs RPO: not read by a standalone wall (the server reads them; so does check)',
    };
  }
  // Stale, missing or unreadable: the same judgement as overdue() in backup-freshness.
  const late = view.hosts.hosts.flatMap((h) => (h.backups ?? []).filter((f) => f.verdict !== 'ok'));
  if (late.length === 0) return undefined;
  const first = shortText(late[0]!, lang);
  const more = late.length > 1 ? (lang === 'ko' ? ` · 외 ${late.length - 1}건` : ` · +${late.length - 1} more`) : '';
  return { tone: 'red', text: `${lang === 'ko' ? '⚠ 백업 RPO 초과' : '⚠ backup over RPO'}: ${first}${more}` };
}

/** Rows the line takes at most: on 80 columns a folder's path does not fit beside what is wrong. */
export const BACKUPS_MAX_ROWS = 2;

/**
 * The line as rows at `width`: wrapped (later rows indented two columns) rather than cut, so the
 * folder at its end stays on an 80-column wall; only past `max` rows is its end shortened.
 */
export function backupsLineRows(view: BackupsView, lang: Lang, width: number, max = BACKUPS_MAX_ROWS): string[] {
  const line = backupsLineText(view, lang);
  if (!line || max <= 0) return [];
  if (displayWidth(line.text) <= width || max === 1) return [truncate(line.text, width)];
  return wrapLines(line.text, Math.max(1, width - 2), max).map((r, i) => (i === 0 ? r : `  ${r}`));
}

export function BackupsLine({ view, lang, width, rows = 1 }: { view: BackupsView; lang: Lang; width: number; rows?: number }) {
  const line = backupsLineText(view, lang);
  if (!line) return null;
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {backupsLineRows(view, lang, width, rows).map((r, i) => (
        <Text key={i} wrap="truncate" color={line.tone === 'red' ? 'red' : undefined} dimColor={line.tone === 'dim'} bold={line.tone === 'red'}>
          {r}
        </Text>
      ))}
    </Box>
  );
}

/** The service and what is wrong first (a wall is read from afar, and cut at its width), the folder last. */
function shortText(f: BackupFreshness, lang: Lang): string {
  const ko = lang === 'ko';
  const what =
    f.verdict === 'stale'
      ? ko
        ? `최신 백업 ${ageText(f.ageS ?? 0).ko} 경과 > RPO ${f.rpoH}시간`
        : `newest backup ${ageText(f.ageS ?? 0).en} old > RPO ${f.rpoH} h`
      : f.verdict === 'missing'
        ? ko
          ? `백업${f.error ? ' 폴더' : ''} 없음 (RPO ${f.rpoH}시간)`
          : `no backup${f.error ? ' folder' : ''} (RPO ${f.rpoH} h)`
        : ko
          ? `읽을 수 없음 (${f.error ?? '?'})`
          : `cannot read (${f.error ?? '?'})`;
  return `${f.service}: ${what} — ${f.dir}/${f.pattern}`;
}
