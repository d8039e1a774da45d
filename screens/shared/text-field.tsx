// The console's one-line text field (approval forms, prompts, runbook parameters, the `/` filter).
// It reads no input itself: the one input hook (use-commands.tsx) splits each chunk into keys and
// hands the field keys, one per render, to the focused field registered here. So three Backspaces
// in one read delete three characters, and typing after moving back into a field goes at its end.
import { Text } from 'ink';
import { useLayoutEffect, useRef, useState } from 'react';
import { applyEdit } from './text-edit';
import { useCommandsContext, type FieldEdit } from './use-commands';

/**
 * Registers the focused field and keeps its cursor; returns the cursor (in code points). A field
 * that gains focus puts its cursor at the end of its text.
 */
export function useTextField(focus: boolean, value: string, onChange: (value: string) => void): number {
  const { field } = useCommandsContext();
  const length = [...value].length;
  const [cursor, setCursor] = useState(length);
  const [wasFocused, setWasFocused] = useState(focus);
  let shown = Math.min(cursor, length);
  if (focus !== wasFocused) {
    setWasFocused(focus);
    if (focus) {
      setCursor(length);
      shown = length;
    }
  }
  const latest = useRef({ value, cursor: shown, onChange });
  latest.current = { value, cursor: shown, onChange };

  useLayoutEffect(() => {
    if (!focus || !field) return;
    const edit = (e: FieldEdit) => {
      const { value: before, cursor: at, onChange: change } = latest.current;
      const next = applyEdit({ value: before, cursor: at }, 'text' in e ? { text: e.text } : { name: e.name });
      latest.current = { ...latest.current, value: next.value, cursor: next.cursor };
      setCursor(next.cursor);
      if (next.value !== before) change(next.value);
    };
    field.current = edit;
    return () => {
      if (field.current === edit) field.current = undefined;
    };
  }, [focus, field]);

  return shown;
}

export interface TextFieldProps {
  value: string;
  onChange(value: string): void;
  /** Only the focused field takes keys and shows a cursor (default: focused). */
  focus?: boolean;
  /** Shown dim while the field is empty. */
  placeholder?: string;
  /** Shows this character for each one typed (a passphrase): the text itself is never drawn. */
  mask?: string;
}

export function TextField({ value, onChange, focus = true, placeholder = '', mask }: TextFieldProps) {
  const cursor = useTextField(focus, value, onChange);
  const shownValue = mask ? mask.repeat([...value].length) : value;
  if (!focus) return value ? <Text>{shownValue}</Text> : <Text dimColor>{placeholder}</Text>;
  const chars = [...shownValue];
  return (
    <Text>
      {chars.slice(0, cursor).join('')}
      <Text inverse>{chars[cursor] ?? ' '}</Text>
      {chars.slice(cursor + 1).join('')}
    </Text>
  );
}
