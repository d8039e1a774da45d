// R-HLT-3: online / offline / total with a percent-online bar, offline nodes stalest first with
// how long since their heartbeat, per-device error rates. Windowed: 10,000 nodes render as the
// dozen rows that fit.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Lang, NodeSourceStatus, NodesSnapshot, NodeView, WebSocketSnapshot } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { displayWidth, fit, truncate } from '../shared/text';
import { formatLatency } from '../shared/format';
import { windowStart } from './services-pane';
import { percentText, ratioBar } from './fleet-layout';
import { PaneTitle } from './alerts-pane';
import { styledPieces, type Piece } from '../shared/styled-line';

/** "45s", "12m", "3h05m", "2d04h": how long ago, coarse enough to read at a glance. */
export function agoShort(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function nodeState(n: NodeView): 'ONLINE' | 'OFFLINE' | 'ISOLATED' {
  return n.isolated ? 'ISOLATED' : n.online ? 'ONLINE' : 'OFFLINE';
}

const STATE_COLOR = { ONLINE: 'green', OFFLINE: 'red', ISOLATED: 'magenta' } as const;

/** A source failing now, with how old its last list is (the dashboard and the wall screen). */
export function sourceWarning(s: NodeSourceStatus, now: Date, lang: Lang): string | undefined {
  if (s.error === undefined) return undefined;
  return s.lastOkAt
    ? t(lang, 'nodes.sourceError', { source: s.name, error: s.error, ago: agoShort(now.getTime() - s.lastOkAt.getTime()) })
    : t(lang, 'nodes.sourceErrorNoList', { source: s.name, error: s.error });
}

/** Lines above the column header: failing sources, entries left out. */
function problemLines(snapshot: NodesSnapshot, now: Date, lang: Lang): string[] {
  const out: string[] = [];
  for (const s of snapshot.sources) {
    const warning = sourceWarning(s, now, lang);
    if (warning) out.push(warning);
    else if (s.skipped) out.push(t(lang, 'nodes.skipped', { source: s.name, n: s.skipped }));
  }
  return out;
}

/** The one-line summary: shown as the title, and alone when the pane is collapsed. */
export function nodesSummary(snapshot: NodesSnapshot, websocket: WebSocketSnapshot | undefined, lang: Lang, barWidth: number): { text: string; bad: boolean } {
  const parts: string[] = [];
  let bad = false;
  if (snapshot.sources.length === 0) return { text: '', bad: false };
  // No list from any source yet (none answered, or only with errors, which the problem lines
  // show): "0/0 online 0 %" would read as a fleet that is all offline.
  if (!snapshot.sources.some((s) => s.lastOkAt !== null)) parts.push(t(lang, 'nodes.waiting'));
  else {
    const ratio = snapshot.onlineRatio ?? (snapshot.total ? snapshot.online / snapshot.total : 0);
    parts.push(`${t(lang, 'nodes.summary', { online: snapshot.online, total: snapshot.total })} ${percentText(ratio)}${barWidth > 0 ? ` ${ratioBar(ratio, barWidth)}` : ''}`);
    if (snapshot.offline > 0) {
      parts.push(t(lang, 'nodes.offline', { n: snapshot.offline }));
      bad = true;
    }
    if (snapshot.errorRateHigh > 0) {
      parts.push(t(lang, 'nodes.errHigh', { n: snapshot.errorRateHigh, pct: percentText(snapshot.errorRateThreshold) }));
      bad = true;
    }
    const pending = snapshot.sources.filter((s) => s.lastFetchAt === null).length;
    if (pending) parts.push(t(lang, 'nodes.pendingSources', { n: pending, total: snapshot.sources.length }));
  }
  if (snapshot.sources.some((s) => s.error !== undefined)) bad = true;
  for (const c of websocket?.checks ?? []) {
    if (c.ok === null) parts.push(t(lang, 'ws.waiting', { service: c.service }));
    else if (c.ok) parts.push(t(lang, 'ws.ok', { service: c.service, ms: formatLatency(c.latencyMs) }));
    else {
      parts.push(t(lang, 'ws.fail', { service: c.service, error: c.error ?? '' }));
      bad = true;
    }
  }
  return { text: parts.join(' · '), bad };
}

const GRID_GAP = '  ';
const GRID_MIN_WIDTH = 88;
/** Marker, id, state, heartbeat and error rate, with the spaces between them. */
const nodeCellWidth = (idWidth: number) => 2 + idWidth + 1 + 8 + 1 + 12 + 1 + 6;

/**
 * How the node list uses the pane's width: one column with a labels column, or, when the list is
 * longer than the pane and the pane is wide (a wall screen), as many columns side by side as fit,
 * each keeping its labels only if there is room for them.
 */
export function nodeGrid(width: number, rows: number, count: number, idWidth: number): { columns: number; cell: number; labels: number } {
  const base = nodeCellWidth(idWidth);
  const single = { columns: 1, cell: width, labels: Math.max(0, width - base - 1) };
  // Only wider than a standard terminal: at 80 columns the labels (the rack) matter more.
  if (rows <= 0 || count <= rows || width < GRID_MIN_WIDTH) return single;
  const fitting = Math.floor((width + GRID_GAP.length) / (base + GRID_GAP.length));
  const columns = Math.max(1, Math.min(fitting, Math.ceil(count / rows)));
  if (columns === 1) return single;
  const cell = Math.floor((width - GRID_GAP.length * (columns - 1)) / columns);
  const labels = cell - base - 1;
  return { columns, cell, labels: labels >= 6 ? labels : 0 };
}

/** Rows the pane would like: title, problem lines, column header and one row per node. */
export function nodesWanted(snapshot: NodesSnapshot, shown: number, now: Date, lang: Lang): number {
  if (snapshot.sources.length === 0) return 2;
  return 1 + problemLines(snapshot, now, lang).length + 1 + Math.max(1, shown);
}

export interface NodesPaneProps {
  snapshot: NodesSnapshot;
  /** Filtered, worst first. */
  nodes: NodeView[];
  websocket?: WebSocketSnapshot;
  filter: string;
  cursor: number;
  height: number;
  width: number;
  focused: boolean;
  now: Date;
  lang: Lang;
  configPath: string;
}

export function NodesPane({ snapshot, nodes, websocket, filter, cursor, height, width, focused, now, lang, configPath }: NodesPaneProps) {
  const summary = nodesSummary(snapshot, websocket, lang, Math.min(20, Math.max(0, Math.floor(width / 8))));
  const title = <PaneTitle name={t(lang, 'pane.nodes')} summary={summary} filter={{ text: filter, shown: nodes.length, total: snapshot.total }} focused={focused} width={width} lang={lang} />;
  if (height <= 1) return title;

  const body: ReactNode[] = [];
  const space = height - 1;
  if (snapshot.sources.length === 0) {
    body.push(
      <Text key="none" dimColor wrap="truncate">
        {truncate(t(lang, 'nodes.none', { config: configPath }), width)}
      </Text>,
    );
  } else {
    const problems = problemLines(snapshot, now, lang).slice(0, Math.max(0, space - 2));
    for (const [i, p] of problems.entries()) {
      body.push(
        <Text key={`p${i}`} color="red" wrap="truncate">
          {truncate(`⚠ ${p}`, width)}
        </Text>,
      );
    }
    const rows = Math.max(0, space - problems.length - 1);
    const idWidth = Math.min(24, Math.max(displayWidth(t(lang, 'col.node')), 8, ...nodes.slice(0, 200).map((n) => displayWidth(n.id))));
    const grid = nodeGrid(width, rows, nodes.length, idWidth);
    const cols = { marker: 2, id: idWidth, state: 8, heartbeat: 12, err: 6 };
    const labelsWidth = grid.labels;
    const header =
      ' '.repeat(cols.marker) +
      fit(t(lang, 'col.node'), cols.id) +
      ' ' + fit(t(lang, 'col.state'), cols.state) +
      ' ' + fit(t(lang, 'col.heartbeat'), cols.heartbeat, 'right') +
      ' ' + fit(t(lang, 'col.errRate'), cols.err, 'right') +
      (labelsWidth >= 6 ? ' ' + fit(t(lang, 'col.labels'), labelsWidth) : '');
    if (rows > 0) {
      const cell = fit(header, grid.cell);
      body.push(
        <Text key="h" bold dimColor wrap="truncate">
          {truncate(Array.from({ length: grid.columns }, () => cell).join(GRID_GAP), width)}
        </Text>,
      );
    }
    if (nodes.length === 0 && rows > 0) {
      body.push(
        <Text key="empty" dimColor wrap="truncate">
          {truncate(filter ? t(lang, 'filter.noMatch', { text: filter }) : t(lang, 'nodes.waiting'), width)}
        </Text>,
      );
    }
    // A wide pane shows the list in several columns, filled top to bottom then left to right, so
    // the cursor moves down a column and on to the top of the next.
    const start = windowStart(cursor, nodes.length, rows * grid.columns);
    const shown = rows > 0 ? nodes.slice(start, start + rows * grid.columns) : [];
    // A cell is a list of pieces; a row joins its cells' pieces into one line (styled-line.tsx).
    const cellOf = (n: NodeView, index: number): Piece[] => {
      const selected = focused && start + index === cursor;
      const state = nodeState(n);
      const hb = n.lastHeartbeat ? t(lang, 'nodes.ago', { t: agoShort(now.getTime() - n.lastHeartbeat.getTime()) }) : t(lang, 'nodes.never');
      const high = n.errorRate !== undefined && n.errorRate > snapshot.errorRateThreshold;
      const bold = selected;
      return [
        { text: fit(selected ? '›' : '', cols.marker), color: 'cyan', bold },
        { text: fit(n.id, cols.id), inverse: selected, bold },
        { text: ' ' },
        { text: fit(state, cols.state), color: STATE_COLOR[state], bold: bold || state !== 'ONLINE' },
        { text: ' ' },
        { text: fit(hb, cols.heartbeat, 'right'), color: n.online ? undefined : 'red', bold },
        { text: ' ' },
        { text: fit(n.errorRate === undefined ? '—' : `${(n.errorRate * 100).toFixed(1)}%`, cols.err, 'right'), color: high ? 'red' : undefined, dimColor: n.errorRate === undefined, bold },
        ...(labelsWidth >= 6 ? [{ text: ` ${fit(n.labels.join(' '), labelsWidth)}`, dimColor: true, bold }] : []),
      ];
    };
    const lines = Math.min(rows, shown.length);
    for (let r = 0; r < lines; r++) {
      const pieces: Piece[] = [];
      for (let c = 0; c < grid.columns; c++) {
        const i = c * rows + r;
        const n = shown[i];
        if (!n) break;
        if (c > 0) pieces.push({ text: GRID_GAP });
        pieces.push(...cellOf(n, i));
        // Cells without labels are narrower than their column: pad so the next column lines up.
        const used = nodeCellWidth(cols.id) + (labelsWidth >= 6 ? 1 + labelsWidth : 0);
        if (c < grid.columns - 1 && used < grid.cell) pieces.push({ text: ' '.repeat(grid.cell - used) });
      }
      body.push(
        <Text key={`r${r}`} wrap="truncate">
          {styledPieces(pieces)}
        </Text>,
      );
    }
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden" flexShrink={0}>
      {title}
      {body}
    </Box>
  );
}
