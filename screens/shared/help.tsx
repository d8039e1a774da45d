// The `?` screen: every command of the screen below it and the global ones, with all their keys,
// generated from the registry. Disabled commands say why.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { commandsFor, keyLabel, keysShown, type CommandScreen, type Command, type CommandState } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { useCommandsContext } from './use-commands';
import { fit, truncate, wrapLines } from './text';

export type HelpOf = 'dashboard' | 'run' | 'approval' | 'checklists' | 'checklist' | 'incident' | 'runbooks' | 'runbook-form' | 'watch';

/** The commands the help lists for a screen, in order: the screen's own, then the global ones. */
function helpSections(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState) {
  return ([of, 'global'] as CommandScreen[])
    .map((screen) => ({ screen, list: commandsFor(registry, screen, state).filter((c) => c.screen === screen) }))
    .filter((s) => s.list.length > 0);
}

/** A description wraps onto at most 8 lines (the last cut with … when more is left). */
const DESC_INDENT = 17; // "  " + 14 columns of keys + " "
const MAX_DESC_LINES = 8;

type HelpRow = { key: string; title?: string; keys?: string; text: string; dim?: boolean };

/**
 * The help's lines: a title per section, then each command's keys and description. A description
 * wider than the terminal wraps under itself rather than losing its end: at 80
 * columns "[changes the fleet]" and "(approval needed)" were cut off.
 */
function helpRows(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, lang: 'en' | 'ko', width: number): HelpRow[] {
  const rows: HelpRow[] = [];
  for (const { screen, list } of helpSections(registry, of, state)) {
    rows.push({ key: `title-${screen}`, title: t(lang, `help.screen.${screen}` as MessageKey), text: '' });
    for (const c of list) {
      const keys = fit(keysShown(registry, of, c, state).map(keyLabel).join(' / '), 14);
      const reason = c.disabledReason?.(state)?.[lang];
      const text = `${(c.helpText?.(state) ?? c.description)[lang]}${c.dangerous ? ` [${t(lang, 'help.dangerous')}]` : ''}${reason ? ` (${reason})` : ''}`;
      const lines = wrapLines(text, Math.max(10, width - DESC_INDENT), MAX_DESC_LINES);
      lines.forEach((l, i) => rows.push({ key: i === 0 ? c.id : `${c.id}-${i}`, ...(i === 0 ? { keys } : {}), text: l, dim: reason !== undefined }));
    }
  }
  return rows;
}

/** How far the help can scroll down: its lines (titles and commands) past the lines it has. */
export function helpMaxTop(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, height: number, width = 80, lang: 'en' | 'ko' = 'en'): number {
  const rows = helpRows(registry, of, state, lang, width).length;
  return Math.max(0, rows - helpLines(height, rows));
}

/** Lines for rows under the title: all of them when they fit, else one less for the "more" line. */
function helpLines(height: number, rows: number): number {
  const room = Math.max(0, height - 1);
  return rows <= room ? room : Math.max(1, room - 1);
}

/**
 * `top` is the first row shown: when the keys do not fit (80 × 24 with many dashboard keys), the
 * help scrolls (↑↓ PgUp PgDn) and its last line says how many rows are above and below.
 */
export function HelpScreen({ of, state, width, height, top = 0 }: { of: HelpOf; state: CommandState; width: number; height: number; top?: number }) {
  const { registry, lang } = useCommandsContext();
  const rows: { key: string; node: ReactNode }[] = helpRows(registry, of, state, lang, width).map((r) => ({
    key: r.key,
    node:
      r.title !== undefined ? (
        <Text bold wrap="truncate">
          {r.title}
        </Text>
      ) : (
        <Text wrap="truncate" dimColor={r.dim}>
          {'  '}
          <Text color="cyan" bold>
            {r.keys ?? ' '.repeat(14)}
          </Text>{' '}
          {truncate(r.text, Math.max(0, width - DESC_INDENT))}
        </Text>
      ),
  }));
  const lines = helpLines(height, rows.length);
  const more = rows.length > lines;
  const from = more ? Math.max(0, Math.min(top, rows.length - lines)) : 0;
  const shown = rows.slice(from, from + lines);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${t(lang, 'help.title')}`, width)}
      </Text>
      {shown.map((r) => (
        <Box key={r.key}>{r.node}</Box>
      ))}
      {more ? (
        <Text dimColor wrap="truncate">
          {fit(` ${t(lang, 'help.more', { above: String(from), below: String(rows.length - from - lines) })}`, width)}
        </Text>
      ) : null}
    </Box>
  );
}
