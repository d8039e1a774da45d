// The footer is generated from the registry: every key of the current screen, disabled ones dim,
// cut to the width with help and quit kept to the end.
import { Text } from 'ink';
import { Fragment } from 'react';
import { fitFooter, footerItems, FOOTER_ELLIPSIS, FOOTER_SEPARATOR, type CommandScreen, type CommandState } from '../../src/commands/registry';
import { useCommandsContext } from './use-commands';
import { displayWidth } from './text';

export function Footer({ screen, state, width }: { screen: CommandScreen; state: CommandState; width: number }) {
  const { registry, lang } = useCommandsContext();
  const { items, truncated } = fitFooter(footerItems(registry, screen, state, lang), width, displayWidth);
  // The ellipsis marks where entries were dropped: before the global ones.
  const firstGlobal = items.findIndex((it) => it.global);
  const cutAt = truncated ? (firstGlobal === -1 ? items.length : firstGlobal) : -1;
  return (
    <Text wrap="truncate">
      {items.map((it, i) => (
        <Fragment key={`${it.keys}-${it.label}`}>
          {i > 0 ? <Text dimColor>{FOOTER_SEPARATOR}</Text> : null}
          {i === cutAt ? (
            <Text dimColor>
              {FOOTER_ELLIPSIS}
              {FOOTER_SEPARATOR}
            </Text>
          ) : null}
          <Text dimColor={it.disabled}>
            <Text bold={!it.disabled} color={it.disabled ? undefined : 'cyan'}>
              {it.keys}
            </Text>{' '}
            {it.label}
          </Text>
        </Fragment>
      ))}
      {cutAt === items.length ? (
        <Text dimColor>
          {items.length ? FOOTER_SEPARATOR : ''}
          {FOOTER_ELLIPSIS}
        </Text>
      ) : null}
    </Text>
  );
}
