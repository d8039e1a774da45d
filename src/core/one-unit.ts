// Characters that are one terminal column each and one grapheme each: a string of only these is
// as many columns as UTF-16 units, and Intl.Segmenter would split it into its units. Box lines,
// sparklines, arrows, "·", "…", Latin-1: what a console frame is made of. None joins a neighbour
// into one grapheme (no combining marks, joiners, variation selectors, regional indicators, CR/LF).
// tests/unit/text-width.test.ts and tests/unit/one-unit.test.ts check every one against
// string-width and Intl.Segmenter.
export const ONE_UNIT_CLASS = '\\x20-\\x7E\\u00A0-\\u00AC\\u00AE-\\u00FF\\u2010-\\u2027\\u2030-\\u205E\\u2190-\\u21FF\\u2200-\\u22FF\\u2500-\\u25FC\\u26A0\\u2713-\\u2717';

/** Only one-unit characters. */
export const ONE_UNIT_TEXT = new RegExp(`^[${ONE_UNIT_CLASS}]*$`);

/** One-unit characters and ESC (which starts an escape sequence and is a grapheme of its own). */
const ONE_UNIT_OR_ESC = new RegExp(`^[${ONE_UNIT_CLASS}\\x1b]*$`);

/** Text whose only escapes are colours and styles (SGR: ESC [ digits : ; m), with no C1 control. */
const ONLY_SGR = /^(?:[^\x1b\x80-\x9f]|\x1b\[[0-9:;]*m)*$/;

/**
 * True when Ink's sanitizeAnsi would return `text` unchanged without looking further: it keeps
 * text and SGR sequences and drops other escapes. The build makes sanitizeAnsi answer such text at
 * once instead of tokenizing it character by character (scripts/ink-fast-paths.mjs).
 */
export function isOnlySgr(text: string): boolean {
  return ONLY_SGR.test(text);
}

let segmenter: Intl.Segmenter | undefined;

/**
 * The graphemes of `text` with their index, as Intl.Segmenter gives them; without creating a
 * segmenter (ICU's first one takes 10–30 ms) when every character is one unit or ESC.
 * The build points @alcalzone/ansi-tokenize (Ink's output) here (scripts/ink-fast-paths.mjs).
 */
export function graphemesOf(text: string): Iterable<{ segment: string; index: number }> {
  if (ONE_UNIT_OR_ESC.test(text)) {
    const out = new Array<{ segment: string; index: number }>(text.length);
    for (let index = 0; index < text.length; index++) out[index] = { segment: text[index]!, index };
    return out;
  }
  return (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text);
}
