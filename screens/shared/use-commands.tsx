// The one input hook of the console: a key press is matched against the registry for the screen
// shown, a disabled command only flashes its reason, an enabled one calls its handler.
import { createContext, useCallback, useContext, useRef } from 'react';
import { useInput } from 'ink';
import type { Lang } from '../../src/core/views';
import { keyName, matchCommand, type Command, type CommandScreen, type CommandState } from '../../src/commands/registry';

export interface CommandsContextValue {
  registry: readonly Command[];
  lang: Lang;
  /** Shows a short message (a disabled command's reason); undefined clears it. */
  flash(message: string | undefined): void;
}

export const CommandsContext = createContext<CommandsContextValue | null>(null);

export function useCommandsContext(): CommandsContextValue {
  const value = useContext(CommandsContext);
  if (!value) throw new Error('useCommands needs a CommandsContext provider (the App sets one up)');
  return value;
}

/** Handlers by command id; the pressed key name is passed for commands with several keys. */
export type CommandHandlers = Partial<Record<string, (key: string) => void>>;

export function useCommands(screen: CommandScreen, handlers: CommandHandlers, state: CommandState, isActive = true): void {
  const { registry, lang, flash } = useCommandsContext();
  // Handlers and state change every render; keep the subscription stable and read the latest.
  // The screen too: a key that arrives right after a screen change must see the new screen
  // without waiting for the input subscription to be renewed.
  const latest = useRef({ screen, handlers, state });
  latest.current = { screen, handlers, state };

  const onInput = useCallback(
    (input: string, key: Parameters<typeof keyName>[1]) => {
      const name = keyName(input, key);
      const { screen: current, handlers: h, state: s } = latest.current;
      const command = matchCommand(registry, current, name, s);
      if (!command || name === undefined) return;
      const reason = command.disabledReason?.(s);
      if (reason) {
        flash(reason[lang]);
        return;
      }
      flash(undefined);
      h[command.id]?.(name);
    },
    [registry, lang, flash],
  );

  useInput(onInput, { isActive });
}
