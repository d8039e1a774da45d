// The `?` screen: every command of the screen below it and the global ones, with all their keys,
// generated from the registry. Disabled commands say why.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { commandsFor, keyLabel, keysShown, type CommandScreen, type Command, type CommandState } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { useCommandsContext } from './use-commands';
import { fit, truncate } from './text';

export type HelpOf = 'dashboard' | 'run' | 'approval' | 'checklists' | 'checklist' | 'incident' | 'runbooks' | 'runbook-form' | 'watch';

/** The commands the help lists for a screen, in order: the screen's own, then the global ones. */
function helpSections(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState) {
  return ([of, 'global'] as CommandScreen[])
    .map((screen) => ({ screen, list: commandsFor(registry, screen, state).filter((c) => c.screen === screen) }))
    .filter((s) => s.list.length > 0);
}

/** How far the help can scroll down: its rows (titles and commands) past the lines it has. */
export function helpMaxTop(registry: readonly Command<CommandState>[], of: HelpOf, state: CommandState, height: number): number {
  const rows = helpSections(registry, of, state).reduce((n, s) => n + 1 + s.list.length, 0);
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
  const rows: { key: string; node: ReactNode }[] = [];
  for (const { screen, list } of helpSections(registry, of, state)) {
    if (!list.length) continue;
    rows.push({
      key: `title-${screen}`,
      node: (
        <Text bold wrap="truncate">
          {t(lang, `help.screen.${screen}` as MessageKey)}
        </Text>
      ),
    });
    for (const c of list) {
      const keys = fit(keysShown(registry, of, c, state).map(keyLabel).join(' / '), 14);
      const reason = c.disabledReason?.(state)?.[lang];
      const text = `${(c.helpText?.(state) ?? c.description)[lang]}${c.dangerous ? ` [${t(lang, 'help.dangerous')}]` : ''}${reason ? ` (${reason})` : ''}`;
      rows.push({
        key: c.id,
        node: (
          <Text wrap="truncate" dimColor={reason !== undefined}>
            {'  '}
            <Text color="cyan" bold>
              {keys}
            </Text>{' '}
            {truncate(text, Math.max(0, width - 17))}
          </Text>
        ),
      });
    }
  }
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
