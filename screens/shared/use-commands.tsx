// The one input hook of the console: a key press is matched against the registry for the screen
// shown, a disabled command only flashes its reason, an enabled one calls its handler.
import { createContext, useCallback, useContext, useEffect, useLayoutEffect, useRef, useState, type MutableRefObject } from 'react';
import { useInput } from 'ink';
import type { Lang } from '../../src/core/views';
import { keyName, matchCommand, type Command, type CommandScreen, type CommandState } from '../../src/commands/registry';
import { splitChunk, type EditName } from './text-edit';

/** What the focused text field does with one key: insert text, or a named edit. */
export type FieldEdit = { text: string } | { name: EditName };
export type FieldEditor = (edit: FieldEdit) => void;

export interface CommandsContextValue {
  registry: readonly Command[];
  lang: Lang;
  /** Shows a short message (a disabled command's reason); undefined clears it. */
  flash(message: string | undefined): void;
  /**
   * The focused text field (screens/shared/text-field.tsx registers itself here). Field keys go
   * to it from this hook, one key per render, so a chunk of keys edits in order and a key after
   * a Tab lands in the field the Tab moved to.
   */
  field?: MutableRefObject<FieldEditor | undefined>;
}

export const CommandsContext = createContext<CommandsContextValue | null>(null);

export function useCommandsContext(): CommandsContextValue {
  const value = useContext(CommandsContext);
  if (!value) throw new Error('useCommands needs a CommandsContext provider (the App sets one up)');
  return value;
}

/** Handlers by command id; the pressed key name is passed for commands with several keys. */
export type CommandHandlers = Partial<Record<string, (key: string) => void>>;

/** Keys a focused text field edits with; they never reach commands while it has focus. */
const FIELD_EDIT_KEYS: ReadonlySet<string> = new Set<EditName>(['left', 'right', 'backspace', 'delete', 'home', 'end']);

/**
 * True when a focused text field takes this key for itself: printable characters (so `q`, `r`,
 * `c` type letters instead of quitting or cancelling), pasted text and the editing keys. Named
 * keys (Enter, Esc, Tab, arrows up/down) and Ctrl combinations (Ctrl-C) stay commands.
 */
export function isFieldKey(input: string, key: Parameters<typeof keyName>[1]): boolean {
  const name = keyName(input, key);
  if (name === undefined) return input.length > 0;
  if (FIELD_EDIT_KEYS.has(name)) return true;
  return !key.ctrl && [...name].length === 1;
}

type KeyFlags = Parameters<typeof keyName>[1];

/**
 * The keys in one chunk of input that is a single key repeated ("jjj", "qq"): a held key, or two
 * quick presses that a slow SSH link or a busy process delivers in one read. Ink passes such a
 * chunk as one input. Anything else of several characters is pasted text and stays unsplit, so a
 * paste never fires commands (a pasted "r…y" must not start and confirm a runbook).
 */
export function repeatedKeys(input: string, key: KeyFlags): string[] | undefined {
  if (key.ctrl || key.meta || input.includes('\u001B')) return undefined;
  const chars = [...input];
  if (chars.length < 2 || chars.some((c) => c !== chars[0])) return undefined;
  return chars;
}

/**
 * Esc and the next key in one read ("\u001Bq": Esc then q typed quickly, or over a slow link)
 * reach Ink as Alt+q. The console binds nothing to Alt, so it is what was typed: Esc, then the key
 * (Esc backs out of the run screen, q then quits the dashboard).
 */
export function escapeThenKey(input: string, key: KeyFlags): { input: string; key: KeyFlags }[] | undefined {
  if (!key.meta || key.escape || key.ctrl || [...input].length !== 1) return undefined;
  return [
    { input: '', key: { escape: true } },
    { input, key: { ...key, meta: false } },
  ];
}

/**
 * `captureText`: a text field has focus (e.g. the approval form's code field); printable keys and
 * the editing keys belong to it (passed to the field registered in the context) and must not fire
 * single-letter commands.
 */
export function useCommands(screen: CommandScreen, handlers: CommandHandlers, state: CommandState, isActive = true, captureText = false): void {
  const { registry, lang, flash, field } = useCommandsContext();
  // Handlers and state change every render; keep the subscription stable and read the latest.
  // The screen too: a key that arrives right after a screen change must see the new screen
  // without waiting for the input subscription to be renewed.
  const latest = useRef({ screen, handlers, state, captureText });
  latest.current = { screen, handlers, state, captureText };

  const dispatch = useCallback(
    (input: string, key: KeyFlags) => {
      const name = keyName(input, key);
      if (latest.current.captureText && isFieldKey(input, key)) {
        field?.current?.(name !== undefined && FIELD_EDIT_KEYS.has(name) ? { name: name as EditName } : { text: input });
        return;
      }
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
    [registry, lang, flash, field],
  );

  // The rest of a chunk, one key per render: each key must see the screen and state
  // the one before it left (the first `q` closes help, the second quits). `turn` forces the
  // render even when a key changed nothing, and the effect after it takes the next key.
  const queue = useRef<{ input: string; key: KeyFlags }[]>([]);
  const [turn, setTurn] = useState(0);
  // Whether a render has been committed since the last key acted. Two reads can arrive before
  // React renders (text then Enter over SSH, a paste then Enter): the second must wait for the
  // render of the first, or Enter submits the field as it was before the text.
  const committed = useRef(true);
  useLayoutEffect(() => {
    committed.current = true;
  });
  useEffect(() => {
    const next = queue.current.shift();
    if (next) {
      committed.current = false;
      dispatch(next.input, next.key);
    }
    if (queue.current.length > 0) setTurn((n) => n + 1);
  }, [turn, dispatch]);

  const onInput = useCallback(
    (input: string, key: KeyFlags) => {
      // In a text field every key of a chunk acts (three Backspaces, then "root", then Enter);
      // elsewhere only a repeated key splits, and mixed text is a paste that fires nothing.
      const escaped = escapeThenKey(input, key);
      const keys = latest.current.captureText ? undefined : repeatedKeys(input, key);
      const events = escaped
        ? escaped
        : latest.current.captureText
          ? splitChunk(input, key)
          : keys
            ? keys.map((k) => ({ input: k, key }))
            : [{ input, key }];
      // Keys still queued go first: input is handled in the order it was typed.
      if (queue.current.length === 0 && committed.current) {
        const first = events.shift()!;
        committed.current = false;
        dispatch(first.input, first.key);
      }
      queue.current.push(...events);
      if (queue.current.length > 0) setTurn((n) => n + 1);
    },
    [dispatch],
  );

  useInput(onInput, { isActive });
}
