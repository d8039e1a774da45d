// The `?` screen: every command of the screen below it and the global ones, with all their keys,
// generated from the registry. Disabled commands say why.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { commandsFor, keyLabel, keysShown, type CommandScreen, type CommandState } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import { useCommandsContext } from './use-commands';
import { fit, truncate } from './text';

export function HelpScreen({ of, state, width, height }: { of: 'dashboard' | 'run' | 'approval' | 'checklists' | 'checklist' | 'incident' | 'runbooks' | 'runbook-form'; state: CommandState; width: number; height: number }) {
  const { registry, lang } = useCommandsContext();
  const rows: { key: string; node: ReactNode }[] = [];
  for (const screen of [of, 'global'] as CommandScreen[]) {
    const list = commandsFor(registry, screen, state).filter((c) => c.screen === screen);
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
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(` ${t(lang, 'help.title')}`, width)}
      </Text>
      {rows.slice(0, Math.max(0, height - 1)).map((r) => (
        <Box key={r.key}>{r.node}</Box>
      ))}
    </Box>
  );
}
