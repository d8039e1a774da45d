// The `?` screen: every command of the screen below it and the global ones, with all their keys,
// generated from the registry. What works now comes first; disabled commands come last and say
// why. On a wide terminal the keys sit in two columns.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { commandsFor, keyLabel, keysShown, type CommandScreen, type Command, type CommandState } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { useCommandsContext } from './use-commands';
import { displayWidth, fit, truncate, wrapLines } from './text';

export type HelpOf = 'dashboard' | 'run' | 'approval' | 'checklists' | 'checklist' | 'incident' | 'runbooks' | 'runbook-form' | 'watch';

/**
 * The commands the help lists for a screen, in the order an operator needs them: the keys of the
 * screen below that work now, then the ones everywhere, then — dimmed, each with why — the keys
 * that do nothing at the moment (on the dashboard: the alert keys until the alerts pane has the
 * focus, `r` with nothing to recommend). Same registry, same texts; only the order changed.
 */
function helpSections(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, lang: 'en' | 'ko') {
  const own = (screen: CommandScreen) => commandsFor(registry, screen, state).filter((c) => c.screen === screen);
  const off = (c: Command<CommandState>) => c.disabledReason?.(state) !== undefined;
  const mine = own(of);
  const global = own('global');
  return [
    { id: of as string, title: t(lang, `help.screen.${of}` as MessageKey), list: mine.filter((c) => !off(c)) },
    { id: 'global', title: t(lang, 'help.screen.global'), list: global.filter((c) => !off(c)) },
    { id: 'not-now', title: t(lang, 'help.notNow'), list: [...mine.filter(off), ...global.filter(off)] },
  ].filter((s) => s.list.length > 0);
}

/** A description wraps onto at most 8 lines (the last cut with … when more is left). */
const MAX_DESC_LINES = 8;
/** The keys column: as wide as the widest key list shown, at most this. */
const MAX_KEYS = 14;
/** Two columns of keys from this width up (each then keeps 68 columns, the 80-column help's own). */
export const HELP_TWO_COLUMNS_MIN = 140;
const COLUMN_GAP = 3;

type HelpRow = { key: string; title?: string; keys?: string; text: string; dim?: boolean; first?: boolean; dangerous?: boolean };

/** The help's columns and each one's width for a terminal width. */
function helpColumns(width: number): { count: 1 | 2; width: number } {
  return width >= HELP_TWO_COLUMNS_MIN ? { count: 2, width: Math.floor((width - COLUMN_GAP) / 2) } : { count: 1, width };
}

/**
 * The help's lines for a column `width` wide: a title per section, then each command's keys and
 * description. A description wider than the column wraps under itself rather than losing its
 * end: at 80 columns "[changes the fleet]" and "(approval needed)" were cut off.
 */
function helpRows(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, lang: 'en' | 'ko', width: number): { rows: HelpRow[]; keysWidth: number; marks: boolean } {
  const sections = helpSections(registry, of, state, lang);
  const labels = new Map(sections.flatMap((s) => s.list).map((c) => [c.id, keysShown(registry, of, c, state).map(keyLabel).join(' / ')]));
  const keysWidth = Math.min(MAX_KEYS, Math.max(1, ...[...labels.values()].map(displayWidth)));
  // A command that changes the fleet is marked with a red ! in front of its keys (the title line
  // says what it means) instead of " [changes the fleet]" after its description, which often took
  // a row of its own.
  const marks = sections.some((sec) => sec.list.some((c) => c.dangerous));
  const indent = 2 + keysWidth + 1;
  const rows: HelpRow[] = [];
  for (const [n, { id, title, list }] of sections.entries()) {
    // The screen's own keys come first under the title bar, which names the screen: no title row.
    if (n > 0 || id !== of) rows.push({ key: `title-${id}`, title, text: '', first: true });
    for (const c of list) {
      const keys = fit(labels.get(c.id) ?? '', keysWidth);
      const reason = c.disabledReason?.(state)?.[lang];
      const text = `${(c.helpText?.(state) ?? c.description)[lang]}${reason ? ` (${reason})` : ''}`;
      const lines = wrapLines(text, Math.max(10, width - indent), MAX_DESC_LINES);
      lines.forEach((l, i) => rows.push({ key: i === 0 ? c.id : `${c.id}-${i}`, ...(i === 0 ? { keys, first: true, dangerous: c.dangerous === true } : {}), text: l, dim: reason !== undefined }));
    }
  }
  return { rows, keysWidth, marks };
}

/**
 * The rows laid out in the help's columns: one column, or on a wide terminal two, the second
 * starting at a command (never inside a wrapped description) so both end about level.
 */
function helpLayout(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, lang: 'en' | 'ko', width: number) {
  const cols = helpColumns(width);
  const { rows, keysWidth, marks } = helpRows(registry, of, state, lang, cols.width);
  if (cols.count === 1) return { columns: [rows], columnWidth: cols.width, keysWidth, marks, lines: rows.length };
  let split = rows.length;
  let best = rows.length;
  for (let i = 1; i < rows.length; i++) {
    if (!rows[i]!.first) continue;
    // A section title ending the left column would sit away from its keys: start it on the right.
    const cut = rows[i - 1]!.title !== undefined ? i - 1 : i;
    const tall = Math.max(cut, rows.length - cut);
    if (tall < best) {
      best = tall;
      split = cut;
    }
  }
  const columns = [rows.slice(0, split), rows.slice(split)];
  return { columns, columnWidth: cols.width, keysWidth, marks, lines: Math.max(...columns.map((c) => c.length)) };
}

/** How far the help can scroll down: its lines (titles and commands) past the lines it has. */
export function helpMaxTop(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, height: number, width = 80, lang: 'en' | 'ko' = 'en'): number {
  const layout = helpLayout(registry, of, state, lang, width);
  return Math.max(0, layout.lines - helpWindow(layout.lines, height, width, helpTitle(of, layout.marks, lang), lang).lines);
}

/** The title bar: the screen the keys are for, and what "!" means when a key has it. */
function helpTitle(of: HelpOf, marks: boolean, lang: 'en' | 'ko'): string {
  return ` ${t(lang, 'help.title')} — ${t(lang, `help.screen.${of}` as MessageKey)}${marks ? `   ! ${t(lang, 'help.dangerous')}` : ''}`;
}

/**
 * Lines for rows under the title: all of them when they fit. Else the help scrolls and says how
 * many rows are above and below: at the right of the title bar when that fits (the footer names
 * the scroll keys, so the short form is enough there), on a line of its own otherwise. Judged at
 * the widest the counts can be, so the window does not change size while scrolling.
 */
function helpWindow(rows: number, height: number, width: number, title: string, lang: 'en' | 'ko'): { lines: number; inTitle: 'full' | 'short' | false } {
  const room = Math.max(0, height - 1);
  if (rows <= room) return { lines: room, inTitle: false };
  const widest = { above: String(rows), below: String(rows) };
  const fits = (text: string) => displayWidth(title) + 3 + displayWidth(text) <= width;
  if (fits(t(lang, 'help.more', widest))) return { lines: Math.max(1, room), inTitle: 'full' };
  if (fits(t(lang, 'help.moreShort', widest))) return { lines: Math.max(1, room), inTitle: 'short' };
  return { lines: Math.max(1, room - 1), inTitle: false };
}

/**
 * `top` is the first row shown: when the keys do not fit (80 × 24 with many dashboard keys), the
 * help scrolls (↑↓ PgUp PgDn) and its last line says how many rows are above and below.
 */
export function HelpScreen({ of, state, width, height, top = 0 }: { of: HelpOf; state: CommandState; width: number; height: number; top?: number }) {
  const { registry, lang } = useCommandsContext();
  const layout = helpLayout(registry, of, state, lang, width);
  const w = layout.columnWidth;
  const render = (r: HelpRow): ReactNode =>
    r.title !== undefined ? (
      <Text bold wrap="truncate">
        {r.title}
      </Text>
    ) : (
      <Text wrap="truncate" dimColor={r.dim}>
        {r.dangerous ? <Text color="red" bold>{'! '}</Text> : '  '}
        <Text color="cyan" bold>
          {r.keys ?? ' '.repeat(layout.keysWidth)}
        </Text>{' '}
        {truncate(r.text, Math.max(0, w - 3 - layout.keysWidth))}
      </Text>
    );
  const title = helpTitle(of, layout.marks, lang);
  const win = helpWindow(layout.lines, height, width, title, lang);
  const lines = win.lines;
  const more = layout.lines > lines;
  const from = more ? Math.max(0, Math.min(top, layout.lines - lines)) : 0;
  const counts = { above: String(from), below: String(layout.lines - from - lines) };
  const inTitle = more && win.inTitle ? t(lang, win.inTitle === 'full' ? 'help.more' : 'help.moreShort', counts) : '';
  const column = (rows: HelpRow[], i: number) => (
    <Box key={`col${i}`} flexDirection="column" width={w} flexShrink={0} overflow="hidden">
      {rows.slice(from, from + lines).map((r) => (
        <Box key={r.key} height={1}>
          {render(r)}
        </Box>
      ))}
    </Box>
  );
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {inTitle ? fit(title, width - displayWidth(inTitle) - 1) + inTitle + ' ' : fit(title, width)}
      </Text>
      <Box flexDirection="row" width={width} height={Math.min(lines, layout.lines)} overflow="hidden">
        {layout.columns.flatMap((rows, i) => (i === 0 ? [column(rows, i)] : [<Box key={`gap${i}`} width={COLUMN_GAP} flexShrink={0} />, column(rows, i)]))}
      </Box>
      {more && !inTitle ? (
        <Text dimColor wrap="truncate">
          {fit(` ${t(lang, 'help.more', counts)}`, width)}
        </Text>
      ) : null}
    </Box>
  );
}
