// R-HLT-1: one row per service, worst first, the selected one marked with ›. Only the rows that
// fit are rendered, so 1,000 services cost the same as 20.
import { Box, Text } from 'ink';
import type { Lang, ServiceHealth, ServiceState } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { compareNames } from '../../src/core/compare-names';
import { fit, displayWidth } from '../shared/text';
import { formatLatency, formatSince, sparkline } from '../shared/format';
import { serviceColumns } from './layout';

const SEVERITY: Record<ServiceState, number> = { DOWN: 0, SUSPECT: 1, SLOW: 2, UNKNOWN: 3, UP: 4 };

export const STATE_COLORS: Record<ServiceState, string> = {
  UP: 'green',
  SLOW: 'yellow',
  SUSPECT: 'yellow',
  DOWN: 'red',
  UNKNOWN: 'gray',
};

/** Worst first: state, then more failures, then name (stable for equal services). */
export function sortWorstFirst(services: readonly ServiceHealth[]): ServiceHealth[] {
  return [...services].sort(
    (a, b) =>
      SEVERITY[a.state] - SEVERITY[b.state] ||
      b.consecutiveFailures - a.consecutiveFailures ||
      compareNames(a.name, b.name),
  );
}

/** First row index of the window that keeps `selected` visible, centred when possible. */
export function windowStart(selected: number, total: number, rows: number): number {
  if (total <= rows) return 0;
  return Math.max(0, Math.min(selected - Math.floor(rows / 2), total - rows));
}

export interface ServicesPaneProps {
  services: ServiceHealth[]; // already sorted
  selected: number;
  rows: number;
  width: number;
  now: Date;
  lang: Lang;
  configPath: string;
}

export function ServicesPane({ services, selected, rows, width, now, lang, configPath }: ServicesPaneProps) {
  const cols = serviceColumns(
    width,
    services.map((s) => s.name),
    { name: displayWidth(t(lang, 'col.service')), fails: displayWidth(t(lang, 'col.fails')) },
    Math.max(0, ...services.map((s) => `${s.consecutiveFailures}/${s.threshold}`.length)),
    { names: services.map((s) => s.host), header: displayWidth(t(lang, 'col.host')) },
  );
  const start = windowStart(selected, services.length, rows);
  const shown = services.slice(start, start + rows);
  const windowed = shown.length < services.length;
  const sep = ' ';

  // Where the window is, e.g. "1-16 of 200", at the end of the header when there is room.
  const count = windowed ? t(lang, 'services.count', { shown: `${start + 1}-${start + shown.length}`, total: services.length }) : '';
  const countFits = count !== '' && cols.error >= displayWidth(t(lang, 'col.error')) + 1 + displayWidth(count);
  const header =
    ' '.repeat(cols.marker) +
    fit(t(lang, 'col.service'), cols.name) +
    sep + fit(t(lang, 'col.state'), cols.state) +
    sep + fit(t(lang, 'col.http'), cols.http) +
    sep + fit(t(lang, 'col.latency'), cols.latency, 'right') +
    (cols.spark ? sep + fit(t(lang, 'col.trend'), cols.spark) : '') +
    sep + fit(t(lang, 'col.fails'), cols.fails, 'right') +
    (cols.since ? sep + fit(t(lang, 'col.since'), cols.since, 'right') : '') +
    (cols.host ? sep + fit(t(lang, 'col.host'), cols.host) : '') +
    (cols.error
      ? sep + (countFits ? fit(t(lang, 'col.error'), cols.error - displayWidth(count)) + count : fit(t(lang, 'col.error'), cols.error))
      : '');

  return (
    <Box flexDirection="column" width={width} height={rows + 1} overflow="hidden">
      <Text bold dimColor wrap="truncate">
        {header}
      </Text>
      {services.length === 0 ? (
        <Text dimColor wrap="truncate">
          {t(lang, 'services.none', { config: configPath })}
        </Text>
      ) : null}
      {shown.map((s, i) => {
        const isSelected = start + i === selected;
        const failing = s.consecutiveFailures > 0;
        const since = s.lastChangeAt ? formatSince(now.getTime() - s.lastChangeAt.getTime()) : '—';
        const error = s.lastError ?? (s.lastProbeAt ? '' : t(lang, s.unmonitored ? 'services.noProbe' : 'services.waiting'));
        return (
          <Text key={s.name} wrap="truncate" bold={isSelected}>
            <Text color="cyan">{fit(isSelected ? '›' : '', cols.marker)}</Text>
            <Text inverse={isSelected}>{fit(s.name, cols.name)}</Text>
            {sep}
            <Text color={STATE_COLORS[s.state]} bold={s.state === 'DOWN'}>
              {fit(s.state, cols.state)}
            </Text>
            {sep}
            <Text color={s.httpStatus !== undefined && s.httpStatus >= 400 ? 'red' : undefined}>
              {fit(s.httpStatus === undefined ? '—' : String(s.httpStatus), cols.http)}
            </Text>
            {sep}
            {fit(formatLatency(s.latencyMs), cols.latency, 'right')}
            {cols.spark ? (
              <>
                {sep}
                <Text color={STATE_COLORS[s.state]}>{fit(sparkline(s.samples, cols.spark), cols.spark)}</Text>
              </>
            ) : null}
            {sep}
            <Text color={failing ? 'red' : undefined}>{fit(`${s.consecutiveFailures}/${s.threshold}`, cols.fails, 'right')}</Text>
            {cols.since ? `${sep}${fit(since, cols.since, 'right')}` : ''}
            {/* Beside the error it reads "on demo-vm: connection refused"; the state stays next to the name. */}
            {cols.host ? <Text dimColor>{`${sep}${fit(s.host, cols.host)}`}</Text> : null}
            {cols.error ? (
              <>
                {sep}
                <Text color={s.lastError ? 'red' : undefined} dimColor={!s.lastError}>
                  {fit(error, cols.error)}
                </Text>
              </>
            ) : null}
          </Text>
        );
      })}
    </Box>
  );
}
