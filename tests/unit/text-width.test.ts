// The fast path of the console's width measure (src/core/text-width.ts) must give string-width's
// answer for every character it takes, alone and beside others; anything else goes to string-width.
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { isNarrowText, textWidth } from '../../src/core/text-width';
import { truncate, fit } from '../../screens/shared/text';

const narrow: string[] = [];
for (let cp = 0; cp <= 0xffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const ch = String.fromCharCode(cp);
  if (isNarrowText(ch)) narrow.push(ch);
}

describe('textWidth', () => {
  it('takes the characters a frame is made of', () => {
    for (const ch of ' a~·×–—…›←↑→↓−≤⊘─│┌┐└┘━▁▂▃▄▅▆▇█░▲▶▸●⚠✓✖✗') expect(isNarrowText(ch), `U+${ch.codePointAt(0)!.toString(16)}`).toBe(true);
    expect(narrow.length).toBeGreaterThan(800);
  });

  it('agrees with string-width on every character of the fast path, alone and between others', () => {
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const wrong: string[] = [];
    for (const ch of narrow) {
      const hex = `U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
      if (stringWidth(ch) !== 1 || textWidth(ch) !== 1) wrong.push(`${hex} alone: string-width ${stringWidth(ch)}`);
      // Never joins a neighbour into one grapheme (a combining mark or joiner would).
      if ([...seg.segment(`a${ch}${ch}a`)].length !== 4) wrong.push(`${hex} joins a neighbour`);
      if (stringWidth(`x${ch}y`) !== 3) wrong.push(`${hex} between letters: ${stringWidth(`x${ch}y`)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('hands everything else to string-width', () => {
    for (const s of ['한국어', '日本', '👍', '▶️', '⚡', '◽', 'e\u0301', 'a\u200db', '\u001b[31mred\u001b[39m', 'ｗ', '\u00ad', '']) {
      expect(textWidth(s), JSON.stringify(s)).toBe(stringWidth(s));
    }
    expect(isNarrowText('a\u001b[31m')).toBe(false);
    // Colours (as Ink writes them) take no columns; other escapes go to string-width.
    for (const s of ['\u001b[31m─│\u001b[39m', '\u001b[1;38;5;196m· ok…\u001b[0m', '\u001b[7m› svc\u001b[27m', '\u001b[31m한\u001b[39m', '\u001b]8;;http://x\u0007link\u001b]8;;\u0007', '\u001b[2K─'])
      expect(textWidth(s), JSON.stringify(s)).toBe(stringWidth(s));
    expect(textWidth('·×', { ambiguousIsNarrow: false })).toBe(stringWidth('·×', { ambiguousIsNarrow: false }));
  });

  it('truncate and fit cut narrow text by position and wide text by grapheme, to the same widths', () => {
    expect(truncate('svc-0001 ▁▂▃▄▅▆▇█ 12ms', 10)).toBe('svc-0001 …');
    expect(stringWidth(truncate('svc-0001 ▁▂▃▄▅▆▇█ 12ms', 10))).toBe(10);
    expect(truncate('서비스 상태 확인', 7)).toBe('서비스…');
    expect(stringWidth(fit('서비스', 9))).toBe(9);
    expect(fit('a→b', 5)).toBe('a→b  ');
    expect(fit('a→b', 5, 'right')).toBe('  a→b');
  });
});
