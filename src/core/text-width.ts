// Terminal width of a string, as string-width measures it, with a fast path for the characters a
// console frame is made of. string-width answers printable ASCII at once but sends everything else
// through Intl.Segmenter, an emoji regex and the East Asian Width table: a frame with box lines,
// sparklines, arrows, "·" and "…" in most rows paid that per string (~30 ms of the first frame, and
// on every key press). These ranges are one column per UTF-16 unit and never join a neighbour
// into one grapheme; tests/unit/text-width.test.ts checks every one of them against string-width.
// The bundle points Ink's own string-width imports here too (scripts/build.mjs).
import stringWidth from 'string-width';
import { ONE_UNIT_TEXT } from './one-unit';

const NARROW = ONE_UNIT_TEXT;

export interface TextWidthOptions {
  ambiguousIsNarrow?: boolean;
  countAnsiEscapeCodes?: boolean;
}

/** True when every character of `text` is one column wide on its own and in any neighbourhood. */
export function isNarrowText(text: string): boolean {
  return NARROW.test(text);
}

// Colours and styles (SGR), which Ink's writes carry: they take no columns.
const SGR = /\x1b\[[0-9;]*m/g;

export function textWidth(text: string, options?: TextWidthOptions): number {
  if (typeof text === 'string' && (options?.ambiguousIsNarrow ?? true) && !options?.countAnsiEscapeCodes) {
    if (NARROW.test(text)) return text.length;
    if (text.includes('\x1b')) {
      const plain = text.replace(SGR, '');
      if (NARROW.test(plain)) return plain.length;
    }
  }
  return stringWidth(text, options);
}

export default textWidth;
