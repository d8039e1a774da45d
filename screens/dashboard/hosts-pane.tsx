// R-HLT-4: per host, SSH reachability and (read at a slower interval) load, memory and disk as
// small bars; disk over 80 % flagged (seed 002).
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { HostHealth, HostReachability, HostsSnapshot, Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { compareNames } from '../../src/core/compare-names';
import { displayWidth, fit, truncate } from '../shared/text';
import { windowStart } from './services-pane';
import { percentText, ratioBar } from './fleet-layout';
import { PaneTitle } from './alerts-pane';
import { freshnessText, overdue } from '../../src/health/backup-freshness';

const REACH_COLOR: Record<HostReachability, string> = { REACHABLE: 'green', SUSPECT: 'yellow', UNREACHABLE: 'red', UNKNOWN: 'gray' };
const REACH_RANK: Record<HostReachability, number> = { UNREACHABLE: 0, SUSPECT: 1, UNKNOWN: 2, REACHABLE: 3 };
const SHORT: Record<HostReachability, string> = { REACHABLE: 'OK', SUSPECT: 'SUSPECT', UNREACHABLE: 'DOWN', UNKNOWN: '…' };

/** Worst first: unreachable, then a full disk, then by name. */
export function sortHostsWorstFirst(hosts: readonly HostHealth[]): HostHealth[] {
  const diskOver = (h: HostHealth) => (h.metrics?.diskOver.length ? 0 : 1);
  return [...hosts].sort((a, b) => REACH_RANK[a.reachability] - REACH_RANK[b.reachability] || diskOver(a) - diskOver(b) || compareNames(a.name, b.name));
}

export function hostMatches(h: HostHealth, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = `${h.name} ${h.address}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function hostsSummary(snapshot: HostsSnapshot, lang: Lang): { text: string; bad: boolean } {
  const hosts = snapshot.hosts;
  if (hosts.length === 0) return { text: '', bad: false };
  if (hosts.every((h) => h.lastProbeAt === null)) return { text: t(lang, 'hosts.waiting'), bad: false };
  const up = hosts.filter((h) => h.reachability === 'REACHABLE').length;
  const down = hosts.filter((h) => h.reachability === 'UNREACHABLE').length;
  // Not checked yet is not a fault: it neither counts as reachable nor turns the title red.
  const pending = hosts.filter((h) => h.lastProbeAt === null).length;
  const full = hosts.filter((h) => h.metrics?.diskOver.length);
  const parts = [t(lang, 'hosts.summary', { up, total: hosts.length })];
  if (down) parts.push(t(lang, 'hosts.unreachable', { n: down }));
  if (pending) parts.push(t(lang, 'hosts.pending', { n: pending }));
  if (full.length) parts.push(t(lang, 'hosts.diskOver', { pct: percentText(snapshot.diskThreshold), names: full.map((h) => h.name).join(', ') }));
  const late = hosts.filter((h) => overdue(h.backups).length);
  if (late.length) parts.push(t(lang, 'hosts.backupsOverdue', { names: late.map((h) => h.name).join(', ') }));
  return { text: parts.join(' · '), bad: down > 0 || full.length > 0 || late.length > 0 || up + pending < hosts.length };
}

export function hostsWanted(shown: number): number {
  return 2 + Math.max(1, shown);
}

/** "███░░ 62%" in `width` columns (bar shrinks first). */
function meter(ratio: number | undefined, width: number): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return fit('—', width);
  const pct = percentText(ratio);
  const barWidth = Math.max(0, width - pct.length - 1);
  return fit(barWidth >= 3 ? `${ratioBar(ratio, barWidth)} ${pct}` : pct, width, 'right');
}

/** Load as a bar against the CPU count (full = every CPU busy) and the 1-minute figure. */
function loadMeter(load1: number, perCpu: number, width: number): string {
  const text = load1.toFixed(2);
  const barWidth = Math.max(0, width - text.length - 1);
  return fit(barWidth >= 3 ? `${ratioBar(perCpu, barWidth)} ${text}` : text, width, 'right');
}

export interface HostsPaneProps {
  snapshot: HostsSnapshot;
  hosts: HostHealth[];
  filter: string;
  cursor: number;
  height: number;
  width: number;
  focused: boolean;
  lang: Lang;
  configPath: string;
}

export function HostsPane({ snapshot, hosts, filter, cursor, height, width, focused, lang, configPath }: HostsPaneProps) {
  const title = (
    <PaneTitle name={t(lang, 'pane.hosts')} summary={hostsSummary(snapshot, lang)} filter={{ text: filter, shown: hosts.length, total: snapshot.hosts.length }} focused={focused} width={width} lang={lang} />
  );
  if (height <= 1) return title;
  const body: ReactNode[] = [];
  const rows = Math.max(0, height - 2);
  const nameWidth = Math.min(20, Math.max(8, displayWidth(t(lang, 'col.host')), ...hosts.map((h) => displayWidth(h.name))));
  // Bars take what is left after the fixed columns, split between load, memory and disk.
  const fixed = 2 + nameWidth + 1 + 7 + 3;
  const meterWidth = Math.max(4, Math.min(16, Math.floor((width - fixed - 12) / 3)));
  const errWidth = Math.max(0, width - fixed - meterWidth * 3);
  const header =
    '  ' + fit(t(lang, 'col.host'), nameWidth) + ' ' + fit(t(lang, 'col.ssh'), 7) +
    ' ' + fit(t(lang, 'col.load'), meterWidth, 'right') + ' ' + fit(t(lang, 'col.mem'), meterWidth, 'right') + ' ' + fit(t(lang, 'col.disk'), meterWidth, 'right');
  body.push(
    <Text key="h" bold dimColor wrap="truncate">
      {truncate(header, width)}
    </Text>,
  );
  if (snapshot.hosts.length === 0 || hosts.length === 0) {
    body.push(
      <Text key="none" dimColor wrap="truncate">
        {truncate(snapshot.hosts.length === 0 ? t(lang, 'hosts.none', { config: configPath }) : t(lang, 'filter.noMatch', { text: filter }), width)}
      </Text>,
    );
  }
  const start = windowStart(cursor, hosts.length, rows);
  for (const [i, h] of hosts.slice(start, start + rows).entries()) {
    const selected = focused && start + i === cursor;
    const m = h.metrics;
    const load = m && Number.isFinite(m.load1) ? m.load1 / (m.cpus ?? 1) : undefined;
    const mem = m?.memTotalMb && m.memUsedMb !== undefined ? m.memUsedMb / m.memTotalMb : undefined;
    const disk = m?.disk?.usedRatio;
    const diskBad = (m?.diskOver.length ?? 0) > 0;
    const down = h.reachability === 'UNREACHABLE';
    const loadText = m && Number.isFinite(m.load1) ? loadMeter(m.load1, load!, meterWidth) : fit('—', meterWidth, 'right');
    const waiting = h.lastProbeAt === null;
    // Backups over their RPO: the row's fact when nothing worse is said (the first late folder).
    const late = overdue(h.backups)[0];
    const note = waiting ? t(lang, 'hosts.waiting') : h.lastError ?? (h.metricsError ? t(lang, 'hosts.metricsStale', { error: h.metricsError }) : diskBad ? m!.diskOver.map((d) => `${d.mount} ${percentText(d.usedRatio)}`).join(', ') : late ? `⚠ ${freshnessText(late)[lang]}` : '');
    body.push(
      <Text key={h.name} wrap="truncate" bold={selected}>
        <Text color="cyan">{fit(selected ? '›' : '', 2)}</Text>
        <Text inverse={selected}>{fit(h.name, nameWidth)}</Text>
        {' '}
        <Text color={REACH_COLOR[h.reachability]} bold={h.reachability === 'UNREACHABLE'}>
          {fit(SHORT[h.reachability], 7)}
        </Text>
        {' '}
        {down ? (
          // Metrics of a host that does not answer are stale: say why it is down instead.
          <Text color="red">{fit(h.lastError ?? '', Math.max(0, width - fixed))}</Text>
        ) : (
          <>
            <Text color={load !== undefined && load > 1 ? 'yellow' : undefined}>
              {loadText}
            </Text>
            {' '}
            <Text color={mem !== undefined && mem > 0.9 ? 'yellow' : undefined}>
              {meter(mem, meterWidth)}
            </Text>
            {' '}
            <Text color={diskBad ? 'red' : undefined} bold={diskBad}>
              {meter(disk, meterWidth)}
            </Text>
            {diskBad ? <Text color="red">{'⚠'}</Text> : ' '}
            {errWidth > 4 ? <Text color={h.lastError || h.metricsError || diskBad || late ? 'red' : undefined} dimColor={waiting}>{` ${fit(note, errWidth - 2)}`}</Text> : null}
          </>
        )}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden" flexShrink={0}>
      {title}
      {body}
    </Box>
  );
}
