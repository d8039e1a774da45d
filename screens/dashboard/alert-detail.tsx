// Enter on an alert (issue 12 item 15): everything about it on one screen — rule, target, since,
// the whole message (wrapped, never cut), what was done about it and every notification sent with
// its result. View only; Esc or q goes back to the dashboard.
import { Box, Text } from 'ink';
import type { AlertView, Lang } from '../../src/core/views';
import { alertName } from '../../src/core/alert-name';
import { displayWidth, sanitizeLine, truncate } from '../shared/text';
import { formatSince } from '../shared/format';

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** Splits text into lines of at most `width` columns (at spaces where it can). */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(10, width);
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      let rest = word;
      while (displayWidth(rest) > w) {
        if (line) out.push(line), (line = '');
        let cut = '';
        for (const ch of rest) {
          if (displayWidth(cut + ch) > w) break;
          cut += ch;
        }
        out.push(cut);
        rest = rest.slice(cut.length);
      }
      if (!line) line = rest;
      else if (displayWidth(`${line} ${rest}`) <= w) line = `${line} ${rest}`;
      else out.push(line), (line = rest);
    }
    out.push(line);
  }
  return out;
}

export function alertDetailLines(a: AlertView, now: Date, lang: Lang, width: number): { text: string; color?: string; bold?: boolean }[] {
  const ko = lang === 'ko';
  const L: { text: string; color?: string; bold?: boolean }[] = [];
  const state = a.state === 'firing' ? 'FIRING' : 'RESOLVED';
  L.push({ text: `${state}  ${alertName(a)} · ${a.subject}`, color: a.state === 'firing' ? 'red' : 'green', bold: true });
  L.push({ text: `${ko ? '규칙' : 'rule'}: ${a.rule} (${a.kind})${a.source ? ` · ${ko ? '출처' : 'source'}: ${a.source}` : ''}` });
  L.push({ text: `${ko ? '대상' : 'target'}: ${a.subject}` });
  L.push({ text: `${ko ? '시작' : 'since'}: ${iso(a.since)} (${formatSince(now.getTime() - a.since.getTime())}${ko ? ' 전' : ' ago'})${a.resolvedAt ? ` · ${ko ? '해제' : 'resolved'}: ${iso(a.resolvedAt)}` : ''}` });
  if (a.acknowledged) L.push({ text: `${ko ? '확인' : 'acknowledged'}: ${a.acknowledged.by} ${iso(a.acknowledged.at)}` });
  if (a.muted) L.push({ text: `${a.muted.what === 'silence' ? (ko ? '무음' : 'silenced') : ko ? '점검' : 'maintenance'} ${a.muted.id} ${ko ? '까지' : 'until'} ${iso(a.muted.until)}`, color: 'yellow' });
  L.push({ text: ko ? '내용:' : 'message:', bold: true });
  for (const l of wrapText(sanitizeLine(a.message), width - 2)) L.push({ text: `  ${l}` });
  L.push({ text: ko ? `조치 (${a.actions.length}):` : `actions (${a.actions.length}):`, bold: true });
  if (a.actions.length === 0) L.push({ text: ko ? '  없음' : '  none' });
  for (const act of a.actions) for (const [i, l] of wrapText(sanitizeLine(act), width - 4).entries()) L.push({ text: `${i ? '    ' : '  - '}${l}` });
  L.push({ text: ko ? `알림 (${a.notifications.length}):` : `notifications (${a.notifications.length}):`, bold: true });
  if (a.notifications.length === 0) L.push({ text: ko ? '  보낸 알림 없음' : '  none sent' });
  for (const n of a.notifications) {
    const tries = n.attempts === 1 ? (ko ? '1회 시도' : '1 try') : ko ? `${n.attempts}회 시도` : `${n.attempts} tries`;
    const result = n.ok ? (ko ? '전송됨' : 'sent') : `${ko ? '실패' : 'FAILED'}: ${n.error ?? '?'}`;
    for (const [i, l] of wrapText(`${iso(n.at)} ${n.webhook}: ${result} (${tries})`, width - 4).entries()) L.push({ text: `${i ? '    ' : '  - '}${l}`, ...(n.ok ? {} : { color: 'red' }) });
  }
  return L;
}

export function AlertDetail({ alert, now, lang, width, height, top }: { alert: AlertView; now: Date; lang: Lang; width: number; height: number; top: number }) {
  const lines = alertDetailLines(alert, now, lang, width);
  const room = Math.max(1, height - 1);
  const start = Math.max(0, Math.min(top, lines.length - room));
  const shown = lines.slice(start, start + room);
  const below = lines.length - start - shown.length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate" {...(l.color ? { color: l.color } : {})} bold={l.bold === true}>
          {truncate(l.text, width)}
        </Text>
      ))}
      {below > 0 || start > 0 ? <Text dimColor wrap="truncate">{truncate(lang === 'ko' ? `위 ${start}줄 · 아래 ${below}줄` : `${start} above · ${below} below`, width)}</Text> : null}
    </Box>
  );
}
