// Text-field editing without React: how one key changes a field's text and cursor, and how one
// chunk of terminal input splits into keys. A held Backspace, type-ahead or a slow SSH link hands
// Ink several keys in one read ("\x7f\x7f\x7froot\r"); Ink passes such a chunk as one input, so
// the console splits it here and every key acts, in order (issue 12 item 2).

/** A field's text and where the cursor is, counted in code points (Hangul is one each). */
export interface FieldText {
  value: string;
  cursor: number;
}

/** The subset of ink's Key this module reads or sets. */
export interface ChunkKey {
  return?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  home?: boolean;
  end?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  escape?: boolean;
}

export interface ChunkEvent<K extends ChunkKey> {
  input: string;
  key: K;
}

const NAMED: (keyof ChunkKey)[] = ['return', 'tab', 'backspace', 'delete', 'leftArrow', 'rightArrow', 'home', 'end', 'upArrow', 'downArrow', 'pageUp', 'pageDown', 'escape'];

/**
 * Splits one chunk into single keys: Backspace (DEL or BS), Tab, Enter (CR, LF or CRLF) each on
 * their own, printable text between them kept as one run (a paste stays one piece of text),
 * other control characters dropped. A chunk Ink already parsed as one named key is returned as is.
 */
export function splitChunk<K extends ChunkKey>(input: string, key: K): ChunkEvent<K>[] {
  if (NAMED.some((n) => key[n]) || key.ctrl || key.meta || input.includes('\u001B')) return [{ input, key }];
  const blank = Object.fromEntries(Object.keys(key).map((k) => [k, false])) as unknown as K;
  const out: ChunkEvent<K>[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ input: text, key: blank });
    text = '';
  };
  const named = (flag: keyof ChunkKey, input = '') => {
    flush();
    out.push({ input, key: { ...blank, [flag]: true } });
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '\u007F' || c === '\b') named('backspace');
    else if (c === '\t') named('tab');
    else if (c === '\r' || c === '\n') {
      named('return', '\r');
      if (c === '\r' && input[i + 1] === '\n') i++;
    } else if (/\p{Cc}/u.test(c)) continue;
    else text += c;
  }
  flush();
  return out.length > 0 ? out : [{ input, key }];
}

/** Named edits a field understands, as the registry's key names. */
export type EditName = 'backspace' | 'delete' | 'left' | 'right' | 'home' | 'end';

/**
 * One key applied to a field: `text` is inserted at the cursor (control characters dropped),
 * a named edit moves the cursor or deletes before it (Ink reports the Backspace key as `delete`
 * on most terminals, so both delete before the cursor, as in ink-text-input).
 */
export function applyEdit(field: FieldText, edit: { text: string } | { name: EditName }): FieldText {
  const chars = [...field.value];
  const at = Math.max(0, Math.min(chars.length, field.cursor));
  if ('text' in edit) {
    const typed = [...edit.text.replace(/\p{Cc}/gu, '')];
    chars.splice(at, 0, ...typed);
    return { value: chars.join(''), cursor: at + typed.length };
  }
  switch (edit.name) {
    case 'backspace':
    case 'delete':
      if (at === 0) return { value: field.value, cursor: 0 };
      chars.splice(at - 1, 1);
      return { value: chars.join(''), cursor: at - 1 };
    case 'left':
      return { value: field.value, cursor: Math.max(0, at - 1) };
    case 'right':
      return { value: field.value, cursor: Math.min(chars.length, at + 1) };
    case 'home':
      return { value: field.value, cursor: 0 };
    case 'end':
      return { value: field.value, cursor: chars.length };
  }
}
