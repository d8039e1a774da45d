// The `/` filter (R-HLT-8): one line where the operator types a name or label. While it is open
// the console is on the 'filter' command screen, whose only keys are Enter and Esc, so typed
// letters (q, r, 1…) reach this field and never start a command; the one input hook hands them
// to the text field here (screens/shared/text-field.tsx), every key of a chunk in order.
import { Text } from 'ink';
import type { Lang } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { truncate } from '../shared/text';
import { TextField } from '../shared/text-field';

export interface FilterBarProps {
  pane: string;
  value: string;
  onChange(value: string): void;
  lang: Lang;
  width: number;
}

/** Printable text only: a pasted escape sequence or control character never reaches the filter. */
export function printable(input: string): string {
  return input.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x1f\x7f]/g, '');
}

export function FilterBar({ pane, value, onChange, lang, width }: FilterBarProps) {
  const room = Math.max(0, width - 3);
  return (
    <Text wrap="truncate">
      <Text color="yellow" bold>
        {'/ '}
      </Text>
      <TextField value={value} onChange={(v) => onChange(printable(v))} />
      {value ? null : <Text dimColor>{truncate(` ${t(lang, 'filter.hint', { pane })}`, Math.max(0, room - 1))}</Text>}
    </Text>
  );
}

/** Case-insensitive: every word of the filter appears in one of the texts. */
export function matchesFilter(texts: readonly string[], filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = texts.join(' ').toLowerCase();
  return words.every((w) => hay.includes(w));
}
