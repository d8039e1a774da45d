// The build's shortcuts in Ink's drawing path (scripts/ink-fast-paths.mjs) and the dashboard's
// name order give the same answers as what they skip: graphemes of one-unit text as
// Intl.Segmenter splits it, SGR-only text as Ink's sanitizeAnsi returns it, names in
// localeCompare's order. Each is checked against the real thing on every one-unit character and
// on seeded random strings mixing them with colours, other escapes, C1 controls, Korean, emoji
// and combining marks.
import { describe, expect, it } from 'vitest';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { graphemesOf, isOnlySgr, ONE_UNIT_TEXT } from '../../src/core/one-unit';
import { compareNames } from '../../src/core/compare-names';
import { prng } from '../helpers/prng';

const inkSanitize = pathToFileURL(fileURLToPath(new URL('../../node_modules/ink/build/sanitize-ansi.js', import.meta.url))).href;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const real = (s: string) => [...segmenter.segment(s)].map(({ segment, index }) => [segment, index]);
const ours = (s: string) => [...graphemesOf(s)].map(({ segment, index }) => [segment, index]);

/** Every UTF-16 unit that is a one-unit character. */
const oneUnitChars: string[] = [];
for (let c = 0; c < 0x10000; c++) if (ONE_UNIT_TEXT.test(String.fromCharCode(c))) oneUnitChars.push(String.fromCharCode(c));

const PIECES = [
  () => '\x1b[31m',
  () => '\x1b[1;38;5;208m',
  () => '\x1b[38:2:1:2:3m',
  () => '\x1b[0m',
  () => '\x1b[2J',
  () => '\x1b[?25l',
  () => '\x1b]8;;http://x\x07link\x1b]8;;\x07',
  () => '\x1b',
  () => '\x9b31m',
  () => '\x85',
  () => '한국어',
  () => '✅',
  () => 'e\u0301',
  () => '👍🏽',
  () => '\r\n',
];

function randomText(r: () => number, exotic: number): string {
  let s = '';
  const n = Math.floor(r() * 40);
  for (let i = 0; i < n; i++) {
    if (r() < exotic) s += PIECES[Math.floor(r() * PIECES.length)]!();
    else s += oneUnitChars[Math.floor(r() * oneUnitChars.length)]!;
  }
  return s;
}

describe('graphemes of one-unit text (Ink output grid)', () => {
  it('each one-unit character, and each pair of them, is split as Intl.Segmenter splits it', () => {
    expect(oneUnitChars.length).toBeGreaterThan(700);
    for (const c of oneUnitChars) expect(ours(c)).toEqual(real(c));
    const r = prng(1);
    for (let i = 0; i < 20_000; i++) {
      const pair = oneUnitChars[Math.floor(r() * oneUnitChars.length)]! + oneUnitChars[Math.floor(r() * oneUnitChars.length)]!;
      expect(ours(pair)).toEqual(real(pair));
    }
  });

  it('random strings with colours, escapes, Korean, emoji and combining marks are split as Intl.Segmenter splits them', () => {
    const r = prng(2);
    for (let i = 0; i < 5000; i++) {
      const s = randomText(r, i % 2 ? 0.05 : 0.3);
      expect(ours(s), JSON.stringify(s)).toEqual(real(s));
    }
  });
});

describe("SGR-only text (Ink's sanitizeAnsi)", () => {
  it('text that isOnlySgr accepts is what sanitizeAnsi returns for it; what it refuses goes to sanitizeAnsi', async () => {
    const { default: sanitizeAnsi } = (await import(inkSanitize)) as { default: (s: string) => string };
    const r = prng(3);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const s = randomText(r, i % 2 ? 0.05 : 0.3);
      if (isOnlySgr(s)) {
        accepted++;
        expect(sanitizeAnsi(s), JSON.stringify(s)).toBe(s);
      } else refused++;
    }
    // Both sides are exercised: SGR-only strings, and ones with other escapes or C1 controls.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
    for (const s of ['\x1b[2J', 'a\x1b[?25lb', '\x1b]8;;u\x07x', '\x9b31m', 'a\x85b', '\x1b', '\x1b[31']) expect(isOnlySgr(s)).toBe(false);
    for (const s of ['plain', '\x1b[31mred\x1b[39m', '한국어 \x1b[1mbold\x1b[22m', '\x1b[38:2:1:2:3m']) expect(isOnlySgr(s)).toBe(true);
  });
});

describe('names in localeCompare order', () => {
  it('agrees with localeCompare on plain names and on names with capitals, underscores, other scripts', () => {
    const r = prng(4);
    const plain = 'abcxyz0129.-';
    const other = ['A', 'Z', '_', ' ', 'é', '한', 'B-', '~'];
    const name = (mixed: boolean) => {
      let s = '';
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) s += mixed && r() < 0.3 ? other[Math.floor(r() * other.length)] : plain[Math.floor(r() * plain.length)];
      return s;
    };
    for (let i = 0; i < 20_000; i++) {
      const a = name(i % 3 === 0);
      const b = r() < 0.1 ? a : name(i % 5 === 0);
      expect(Math.sign(compareNames(a, b)), `${a} vs ${b}`).toBe(Math.sign(a.localeCompare(b)));
    }
    const services = ['svc-10', 'svc-9', 'api.v2', 'api-v2', 'api', 'db-1', 'Web', 'web_b'];
    expect([...services].sort(compareNames)).toEqual([...services].sort((a, b) => a.localeCompare(b)));
  });
});
