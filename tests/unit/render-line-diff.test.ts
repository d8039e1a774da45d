// The incremental renderer part of patches/ink+6.8.0.patch: a changed line is rewritten only from
// its first changed cell to its last. What a terminal shows after each frame must be exactly what
// it shows when every changed line is rewritten whole (Ink's own way), cell by cell and style by
// style, for random frames in several colours, wide (Korean) characters, lines that grow and shrink,
// and frames with fewer lines; and an age ticking inside a line must cost a few bytes, not the line.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import stringWidth from 'string-width';

type Cell = { ch: string; style: string };

/**
 * Enough of a VT100 for what Ink's log-update writes: CSI A/B (up/down), G (column), E (next line),
 * K/2K (erase), SGR, CR and LF; wide characters take two cells.
 */
class Screen {
  rows: Cell[][];
  x = 0;
  y = 0;
  sgr = new Map<string, string>();
  constructor(
    readonly width: number,
    height: number,
  ) {
    this.rows = Array.from({ length: height }, () => this.blank());
  }
  private blank(): Cell[] {
    return Array.from({ length: this.width }, () => ({ ch: ' ', style: '' }));
  }
  private style(): string {
    return [...this.sgr.entries()].sort().map(([k, v]) => `${k}=${v}`).join(',');
  }
  private applySgr(params: string): void {
    const codes = params === '' ? [0] : params.split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) this.sgr.clear();
      else if (c === 1 || c === 2) this.sgr.set('weight', String(c));
      else if (c === 22) this.sgr.delete('weight');
      else if (c === 3) this.sgr.set('italic', '1');
      else if (c === 23) this.sgr.delete('italic');
      else if (c === 4) this.sgr.set('underline', '1');
      else if (c === 24) this.sgr.delete('underline');
      else if (c === 7) this.sgr.set('inverse', '1');
      else if (c === 27) this.sgr.delete('inverse');
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) this.sgr.set('fg', String(c));
      else if (c === 39) this.sgr.delete('fg');
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) this.sgr.set('bg', String(c));
      else if (c === 49) this.sgr.delete('bg');
      else if (c === 38 || c === 48) {
        const key = c === 38 ? 'fg' : 'bg';
        if (codes[i + 1] === 5) {
          this.sgr.set(key, `5;${codes[i + 2]}`);
          i += 2;
        } else {
          this.sgr.set(key, `2;${codes[i + 2]};${codes[i + 3]};${codes[i + 4]}`);
          i += 4;
        }
      } else throw new Error(`SGR ${c} not modelled`);
    }
  }
  write(data: string): void {
    let i = 0;
    while (i < data.length) {
      const ch = data[i]!;
      if (ch === '\u001B') {
        const m = /^\u001B\[([0-9;?]*)([A-Za-z])/.exec(data.slice(i));
        if (!m) throw new Error(`escape not modelled: ${JSON.stringify(data.slice(i, i + 10))}`);
        const [all, arg, cmd] = m as unknown as [string, string, string];
        const n = arg === '' ? 1 : Number(arg);
        if (cmd === 'm') this.applySgr(arg);
        else if (cmd === 'A') this.y = Math.max(0, this.y - n);
        else if (cmd === 'B') this.y = Math.min(this.rows.length - 1, this.y + n);
        else if (cmd === 'G') this.x = Math.max(0, n - 1);
        else if (cmd === 'E') {
          this.y = Math.min(this.rows.length - 1, this.y + n);
          this.x = 0;
        } else if (cmd === 'K') {
          const row = this.rows[this.y]!;
          const from = arg === '2' ? 0 : this.x;
          for (let c = from; c < this.width; c++) row[c] = { ch: ' ', style: '' };
        } else if (cmd === 'l' || cmd === 'h') {
          // cursor shown/hidden: nothing on screen
        } else throw new Error(`CSI ${cmd} not modelled`);
        i += all.length;
        continue;
      }
      if (ch === '\n') {
        this.y = Math.min(this.rows.length - 1, this.y + 1);
        this.x = 0;
        i++;
        continue;
      }
      if (ch === '\r') {
        this.x = 0;
        i++;
        continue;
      }
      const cp = data.codePointAt(i)!;
      const glyph = String.fromCodePoint(cp);
      const w = stringWidth(glyph);
      const row = this.rows[this.y]!;
      if (this.x < this.width) row[this.x] = { ch: glyph, style: this.style() };
      if (w === 2 && this.x + 1 < this.width) row[this.x + 1] = { ch: '', style: this.style() };
      this.x += w;
      i += glyph.length;
    }
  }
  dump(): string {
    return this.rows.map((r) => r.map((c) => `${c.ch}\u0001${c.style}`).join('\u0002')).join('\n');
  }
  text(): string {
    return this.rows.map((r) => r.map((c) => c.ch).join('').trimEnd()).join('\n');
  }
}

type Render = ((str: string) => boolean) & { clear(): void };
const logUpdate = async () =>
  (await import(pathToFileURL(resolve(__dirname, '../../node_modules/ink/build/log-update.js')).href)) as {
    default: { create(stream: { write(s: string): void }, o: { incremental: boolean; showCursor: boolean }): Render & { sync(str: string): void } };
    changedSpan(a: string | undefined, b: string): { column: number; text: string; erase: boolean } | undefined;
  };

/** The frame drawn on a blank terminal: what the screen must show after the renderer wrote it. */
function fresh(frame: string): Screen {
  const screen = new Screen(60, 14);
  frame.split('\n').forEach((line, i) => {
    screen.y = i;
    screen.x = 0;
    screen.sgr.clear();
    screen.write(line);
  });
  return screen;
}

const chalk = new Chalk({ level: 1 });
const paint = [chalk.red, chalk.green.bold, chalk.dim, chalk.inverse, chalk.cyan.underline, (s: string) => s, chalk.bgYellow.black];
const words = ['caddy', 'UP', 'DOWN', 'SUSPECT', '4s', '59s', '1m', '200', '42ms', '서버', '노드', '█▃▁', '—', 'x'];

function randomLine(seed: () => number): string {
  let s = '';
  const n = 1 + Math.floor(seed() * 8);
  for (let i = 0; i < n; i++) s += paint[Math.floor(seed() * paint.length)]!(words[Math.floor(seed() * words.length)]!) + (seed() < 0.5 ? ' ' : '  ');
  return s.trimEnd();
}

function mulberry(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('incremental render: a changed line is rewritten from its first to its last changed cell', () => {
  it('the terminal shows exactly what whole-line rewrites show, for 400 random frames', async () => {
    const { default: lu } = await logUpdate();
    const rand = mulberry(7);
    const patched = new Screen(60, 14);
    const render = lu.create({ write: (s) => patched.write(s) }, { incremental: true, showCursor: true });
    let lines = Array.from({ length: 10 }, () => randomLine(rand));
    for (let frame = 0; frame < 400; frame++) {
      // Most frames change a cell or two in a line or two; some change the line count.
      lines = lines.map((l) => {
        const r = rand();
        if (r < 0.15) return randomLine(rand);
        if (r < 0.3) return l.replace(/\d+s/, `${Math.floor(rand() * 90)}s`);
        if (r < 0.35) return l + paint[0]!(' x');
        return l;
      });
      if (rand() < 0.05) lines = lines.slice(0, Math.max(1, lines.length - 1 - Math.floor(rand() * 3)));
      if (rand() < 0.05 && lines.length < 12) lines = [...lines, randomLine(rand)];
      const str = lines.join('\n');
      render(str);
      const expected = fresh(str);
      expect(patched.text(), `frame ${frame}`).toBe(expected.text());
      expect(patched.dump(), `frame ${frame}`).toBe(expected.dump());
    }
  });

  it('after the screen was cleared and sync() said what was on it (a resize), every row is written whole', async () => {
    const { default: lu } = await logUpdate();
    const screen = new Screen(60, 14);
    const render = lu.create({ write: (s) => screen.write(s) }, { incremental: true, showCursor: true });
    const before = [`doai-console · operator root · ${chalk.dim('13:23:11')}`, 'caddy UP 4s', 'db-proxy UP 4s'].join('\n');
    render(before);
    // What full-screen.tsx does on 'resize': clear the terminal, then Ink's clear() + sync(lastOutput).
    screen.rows = new Screen(60, 14).rows;
    screen.x = 0;
    screen.y = 0;
    render.clear();
    render.sync(before);
    const after = [`doai-console · operator root · ${chalk.dim('13:23:12')}`, 'caddy UP 5s', 'db-proxy UP 4s'].join('\n');
    render(after);
    expect(screen.text()).toBe(fresh(after).text());
    expect(screen.dump()).toBe(fresh(after).dump());
  });

  it('an age ticking inside a line sends the changed cells, not the line', async () => {
    const { default: lu, changedSpan } = await logUpdate();
    const row = (age: string) => `${chalk.cyan('› ')}${chalk.inverse('doai-orchestrator')} ${chalk.green('UP     ')} 200     42ms ${chalk.green('▁▅█▃▁▂▃▅▆')}  0/3 ${age.padStart(6)} demo-vm connection refused`;
    const span = changedSpan(row('4s'), row('5s'))!;
    expect(span.text).toBe('5');
    expect(span.erase).toBe(false);
    expect(changedSpan(row('9s'), row('10s'))!.text).toBe('10');
    // A line that shrinks is erased after its end.
    expect(changedSpan('abc def', 'abc')).toEqual({ column: 3, text: '', erase: true });
    expect(changedSpan('abcdefgh 12345', 'abcdefgh 9')).toEqual({ column: 9, text: '9', erase: true });
    // Korean is two columns a character: the column counts cells, not characters.
    expect(changedSpan('서버 상태 4s', '서버 상태 5s')!.column).toBe(10);
    let bytes = 0;
    const render = lu.create({ write: (s) => (bytes += Buffer.byteLength(s)) }, { incremental: true, showCursor: true });
    render([row('4s'), row('4s'), 'footer'].join('\n'));
    const first = bytes;
    render([row('5s'), row('5s'), 'footer'].join('\n'));
    expect(bytes - first).toBeLessThan(40);
    expect(first).toBeGreaterThan(200);
  });
});
