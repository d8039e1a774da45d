// Terminal-width text helpers. Hangul and other wide characters take two columns, so every
// pad and cut goes by display width (string-width, the same measure Ink uses), never by length.
import { isNarrowText, textWidth as stringWidth } from '../../src/core/text-width';

// Made on first use: most frames never need it, and building one is not free.
let segmenter: Intl.Segmenter | undefined;

export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** Cuts `text` to at most `width` columns, ending with … when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (stringWidth(text) <= width) return text;
  // One column per UTF-16 unit: cut by position, no grapheme walk.
  if (isNarrowText(text)) return `${text.slice(0, width - 1)}…`;
  let out = '';
  let used = 0;
  for (const { segment } of (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** Exactly `width` columns: cut, then padded with spaces on the right (or left for numbers). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - stringWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

/**
 * Remote output can carry colour codes, cursor moves or a stray clear-screen: drop escape
 * sequences and control characters so a log line can never repaint the console. Tabs become spaces.
 */
export function sanitizeLine(line: string): string {
  return line
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\t/g, '    ')
    .replace(/[\x00-\x1f\x7f\x9b]/g, '');
}

/** Word-wraps `text` into at most `max` lines of `width` columns (the last one cut with … when more is left). */
export function wrapLines(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<= )/)) {
    if (line && displayWidth(line + word.trimEnd()) > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    // A word longer than a line (a path, a command) is cut where the line ends.
    let rest = word;
    while (displayWidth(line + rest.trimEnd()) > width) {
      let cut = '';
      for (const ch of rest) {
        if (displayWidth(line + cut + ch) > width) break;
        cut += ch;
      }
      lines.push(line + cut);
      line = '';
      rest = rest.slice(cut.length);
    }
    line += rest;
  }
  if (line.trim()) lines.push(line.trimEnd());
  if (lines.length <= max) return lines;
  const kept = lines.slice(0, max);
  kept[max - 1] = truncate(`${kept[max - 1]!} ${lines[max]!}`, width);
  return kept;
}

/**
 * One plan line as the rows an approval screen draws inside `inner` columns: wrapped under itself
 * however many rows it takes, never cut (what is cut is what the approver never saw, R-APR-8).
 * Rows start two columns in; continuation rows sit two more columns right of where the line's own
 * text starts (commands are indented under their step).
 */
export function planLineRows(line: string, inner: number): string[] {
  const lead = /^ */.exec(line)![0].slice(0, 8);
  const rows = wrapLines(line.slice(lead.length), Math.max(10, inner - 4 - lead.length), Number.MAX_SAFE_INTEGER);
  return (rows.length ? rows : ['']).map((r, i) => (i === 0 ? `  ${lead}${r}` : `  ${lead}  ${r}`));
}
