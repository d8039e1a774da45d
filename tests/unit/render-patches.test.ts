// patches/@alcalzone+ansi-tokenize+0.2.5.patch and the output part of patches/ink+6.8.0.patch (issue 8). Ink turns every frame into styled
// characters and back; the patch shares one styles array between characters of one style and skips
// the per-character code diff when nothing changes. The strings it builds must be byte for byte the
// ones the unpatched code builds (kept here as the reference), for any mix of styles.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import {
  ansiCodesToString,
  diffAnsiCodes,
  reduceAnsiCodesIncremental,
  styledCharsFromTokens,
  styledCharsToString,
  tokenize,
} from '@alcalzone/ansi-tokenize';

type Chars = ReturnType<typeof styledCharsFromTokens>;

// The package's own code before the patch.
function referenceFromTokens(tokens: ReturnType<typeof tokenize>): Chars {
  let codes: Chars[number]['styles'] = [];
  const ret: Chars = [];
  for (const token of tokens) {
    if (token.type === 'ansi') codes = reduceAnsiCodesIncremental(codes, [token]);
    else if (token.type === 'char') ret.push({ ...token, styles: [...codes] });
  }
  return ret;
}
function referenceToString(chars: Chars): string {
  let ret = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    ret += ansiCodesToString(i === 0 ? char.styles : diffAnsiCodes(chars[i - 1]!.styles, char.styles));
    ret += char.value;
    if (i === chars.length - 1) ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
  }
  return ret;
}

// A small deterministic generator: the same cases on every run.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe('ansi-tokenize patch', () => {
  it('builds the same strings as the unpatched code for random mixes of colours and styles', () => {
    const chalk = new Chalk({ level: 3 });
    const rand = rng(42);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const styles = [
      (s: string) => chalk.red(s),
      (s: string) => chalk.bold(s),
      (s: string) => chalk.dim(s),
      (s: string) => chalk.bold.dim(s),
      (s: string) => chalk.inverse(s),
      (s: string) => chalk.bgBlue.white(s),
      (s: string) => chalk.hex('#ff8800')(s),
      (s: string) => chalk.underline.green(s),
      (s: string) => s,
      (s: string) => `\u001b[0m${s}`,
    ];
    const words = ['svc-0001', ' ', 'UP', '▁▂▃', '한글', '·', '…', 'DOWN 3/3', '→ L1'];
    for (let n = 0; n < 500; n++) {
      let line = '';
      for (let k = 1 + Math.floor(rand() * 8); k > 0; k--) {
        const inner = pick(words);
        line += pick(styles)(rand() < 0.3 ? pick(styles)(inner) + pick(words) : inner);
      }
      const patched = styledCharsFromTokens(tokenize(line));
      const reference = referenceFromTokens(tokenize(line));
      expect(patched.map((c) => c.value)).toEqual(reference.map((c) => c.value));
      expect(patched.map((c) => c.styles)).toEqual(reference.map((c) => c.styles));
      expect(styledCharsToString(patched)).toBe(referenceToString(reference));
      // Ink also mixes characters of several writes (and plain cells) in one row.
      const mixed = [...patched.slice(0, 3), { type: 'char' as const, value: ' ', fullWidth: false, styles: [] }, ...reference.slice(3)];
      expect(styledCharsToString(mixed)).toBe(referenceToString(mixed));
    }
  });

  it('shares one styles array between characters of the same style', () => {
    const chars = styledCharsFromTokens(tokenize(new Chalk({ level: 3 }).red('abc') + 'de'));
    expect(chars[0]!.styles).toBe(chars[2]!.styles);
    expect(chars[3]!.styles).toBe(chars[4]!.styles);
    expect(chars[2]!.styles).not.toBe(chars[3]!.styles);
  });
});

describe('ink output patch: a line wholly inside its clip is not sliced', () => {
  it('slicing a line to its own width changes nothing Ink draws from it', async () => {
    const { default: sliceAnsi } = await import('slice-ansi');
    const { default: stringWidth } = await import('string-width');
    const chalk = new Chalk({ level: 3 });
    const rand = rng(7);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    // Not bold and dim together: slice-ansi drops one of the two (both end with code 22), which
    // the unsliced line keeps, as written; checked on its own below.
    const styles = [(s: string) => chalk.red(s), (s: string) => chalk.bold(s), (s: string) => chalk.dim(s), (s: string) => chalk.inverse(s), (s: string) => chalk.bgBlue.white(s), (s: string) => s];
    const words = ['svc-0001', ' ', 'UP', '▁▂▃', '한글', '·', '…', '👍', 'e\u0301'];
    const drawn = (line: string) => styledCharsToString(styledCharsFromTokens(tokenize(line)));
    for (let n = 0; n < 300; n++) {
      let line = '';
      for (let k = 1 + Math.floor(rand() * 6); k > 0; k--) line += pick(styles)(pick(words));
      expect(drawn(sliceAnsi(line, 0, stringWidth(line)))).toBe(drawn(line));
    }
    const both = chalk.bold.dim('x');
    expect(drawn(both)).toBe('\u001b[1m\u001b[2mx\u001b[22m');
    expect(drawn(sliceAnsi(both, 0, 1))).toBe('\u001b[2mx\u001b[22m');
  });
});

describe('ink output patch, on Ink itself', () => {
  // Ink's Output class is internal (not in its exports map): loaded by file path.
  const outputModule = () => import(pathToFileURL(resolve(__dirname, '../../node_modules/ink/build/output.js')).href);

  it('frames share their line and width caches', async () => {
    const { default: Output } = await outputModule();
    const a = new Output({ width: 20, height: 2 });
    const b = new Output({ width: 20, height: 2 });
    expect(a.caches).toBe(b.caches);
    a.write(0, 0, 'svc-01 UP', { transformers: [] });
    a.get();
    expect(b.caches.styledChars.has('svc-01 UP')).toBe(true);
  });

  it('a line inside its clip is drawn as written (bold and dim both kept)', async () => {
    const { default: Output } = await outputModule();
    const out = new Output({ width: 20, height: 1 });
    out.clip({ x1: 0, x2: 20, y1: 0, y2: 1 });
    out.write(0, 0, new Chalk({ level: 3 }).bold.dim('x'), { transformers: [] });
    out.unclip();
    expect(out.get().output).toBe('\u001b[1m\u001b[2mx\u001b[22m');
  });
});
