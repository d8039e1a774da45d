// An SSH channel as Ink's terminal (src/server/ssh-terminal.ts): newlines reach the client's raw
// pty as \r\n, NO_COLOR (sent by the client) strips colours but keeps bold, absurd sizes are
// clamped, and a resize storm becomes one 'resize' per interval with the latest size.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { ServerChannel } from 'ssh2';
import { ChannelTerminal, RESIZE_MS, clampSize } from '../../src/server/ssh-terminal';

function fakeChannel() {
  const ch = new EventEmitter() as EventEmitter & { written: string[]; writableLength: number; write(s: string): boolean };
  ch.written = [];
  ch.writableLength = 0;
  ch.write = (s: string) => {
    ch.written.push(s);
    return true;
  };
  return ch;
}

describe('ChannelTerminal', () => {
  it('turns \\n into \\r\\n and strips colours under NO_COLOR, keeping bold', () => {
    const ch = fakeChannel();
    const t = new ChannelTerminal(ch as unknown as ServerChannel, { cols: 80, rows: 24 }, { noColor: true, maxBufferedBytes: 1e6, onOverflow: () => undefined });
    t.stdout.write('\x1b[31mred\x1b[39m\n\x1b[1mbold\x1b[22m\r\nend');
    expect(ch.written.join('')).toBe('red\r\n\x1b[1mbold\x1b[22m\r\nend');
    expect(t.stdout.columns).toBe(80);
    expect(t.stdout.isTTY).toBe(true);
  });

  it('clamps sizes a client may claim', () => {
    expect(clampSize(0, -3)).toEqual({ cols: 80, rows: 24 });
    expect(clampSize(5, 5)).toEqual({ cols: 5, rows: 5 });
    expect(clampSize(1e9, 1e9)).toEqual({ cols: 1000, rows: 500 });
  });

  it('coalesces 50 resizes into one resize event per interval, with the last size', async () => {
    const ch = fakeChannel();
    const t = new ChannelTerminal(ch as unknown as ServerChannel, { cols: 80, rows: 24 }, { noColor: false, maxBufferedBytes: 1e6, onOverflow: () => undefined });
    let events = 0;
    t.stdout.on('resize', () => events++);
    for (let i = 0; i < 50; i++) t.resize(100 + i, 30 + i);
    await new Promise((r) => setTimeout(r, RESIZE_MS * 3));
    expect(events).toBe(1);
    expect([t.stdout.columns, t.stdout.rows]).toEqual([149, 79]);
  });

  it('says overflow once more than the bound waits unsent', () => {
    const ch = fakeChannel();
    const why: string[] = [];
    const t = new ChannelTerminal(ch as unknown as ServerChannel, { cols: 80, rows: 24 }, { noColor: false, maxBufferedBytes: 1024, onOverflow: (w) => why.push(w) });
    ch.writableLength = 4096;
    t.send('x');
    expect(why).toEqual(['4 KB waiting unsent']);
    expect(t.stalled()).toBeTypeOf('number');
    ch.writableLength = 0;
    expect(t.stalled()).toBeUndefined();
  });
});

describe('ChannelTerminal keys', () => {
  it('hands each packet to the screen as its own read, even when the screen is slow to read', async () => {
    const ch = fakeChannel();
    const t = new ChannelTerminal(ch as unknown as ServerChannel, { cols: 80, rows: 24 }, { noColor: false, maxBufferedBytes: 1e6, onOverflow: () => undefined });
    const reads: string[] = [];
    // Ink's way: on 'readable', read everything there is.
    t.stdin.on('readable', () => {
      let chunk: Buffer | null;
      while ((chunk = t.stdin.read() as Buffer | null) !== null) reads.push(chunk.toString());
    });
    // Three packets in one turn of the event loop (a busy server): "1", "?", "q".
    t.input(Buffer.from('1'));
    t.input(Buffer.from('?'));
    t.input(Buffer.from('q'));
    for (let i = 0; i < 20 && reads.length < 3; i++) await new Promise((r) => setImmediate(r));
    expect(reads).toEqual(['1', '?', 'q']);
    t.close();
  });
});
