// An SSH channel as the terminal Ink draws on: stdin with raw mode (the client's pty is raw; the
// server has no line discipline of its own), stdout that turns "\n" into "\r\n", knows the
// client's size (pty-req, window-change) and says 'resize' at most every RESIZE_MS however fast
// the window changes (a resize storm costs one redraw per interval, not fifty a second).
//
// Backpressure: frames go into the channel; what the client has not taken (its window closed, or
// it stopped reading) waits in the channel. Past maxBufferedBytes, or stalled longer than
// stallMs, the session is dropped: one slow client costs only itself.
import { PassThrough, Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';

export const RESIZE_MS = 100;
/** Keys waiting for the screen to take the packet before them; past this they go in together. */
export const MAX_QUEUED_KEY_BYTES = 64 * 1024;

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Sizes a client may claim are kept in a range Ink and the screens can draw. */
export function clampSize(cols: number, rows: number): TerminalSize {
  const c = Number.isFinite(cols) && cols > 0 ? Math.floor(cols) : 80;
  const r = Number.isFinite(rows) && rows > 0 ? Math.floor(rows) : 24;
  return { cols: Math.min(Math.max(c, 1), 1000), rows: Math.min(Math.max(r, 1), 500) };
}

export type TerminalIn = PassThrough & { isTTY: true; setRawMode(mode: boolean): TerminalIn; isRaw: boolean; ref(): TerminalIn; unref(): TerminalIn };
export type TerminalOut = Writable & { isTTY: true; columns: number; rows: number; getColorDepth(): number; hasColors(): boolean };

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

export class ChannelTerminal {
  readonly stdin: TerminalIn;
  readonly stdout: TerminalOut;
  private size: TerminalSize;
  private pendingSize?: TerminalSize;
  private resizeTimer?: NodeJS.Timeout;
  private lastResizeAt = 0;
  stalledSince?: number;
  closed = false;

  constructor(
    private readonly channel: ServerChannel,
    size: TerminalSize,
    private readonly opts: { noColor: boolean; maxBufferedBytes: number; onOverflow(reason: string): void },
  ) {
    this.size = clampSize(size.cols, size.rows);
    const stdin = new PassThrough() as unknown as TerminalIn;
    stdin.isTTY = true;
    stdin.isRaw = true;
    stdin.setRawMode = () => stdin;
    stdin.ref = () => stdin;
    stdin.unref = () => stdin;
    this.stdin = stdin;
    const out = new Writable({
      decodeStrings: false,
      write: (chunk: string | Buffer, _enc, cb) => {
        this.send(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        cb();
      },
    }) as unknown as TerminalOut;
    out.isTTY = true;
    out.columns = this.size.cols;
    out.rows = this.size.rows;
    out.getColorDepth = () => (opts.noColor ? 1 : 8);
    out.hasColors = () => !opts.noColor;
    this.stdout = out;
    channel.on('drain', () => {
      this.stalledSince = undefined;
    });
  }

  get columns(): number {
    return this.size.cols;
  }

  get rows(): number {
    return this.size.rows;
  }

  /** Bytes written to the channel that the client has not taken yet. */
  get buffered(): number {
    return this.channel.writableLength;
  }

  /** Since when the client has left output waiting (its window spent), or undefined. */
  stalled(): number | undefined {
    if (this.stalledSince !== undefined && this.channel.writableLength === 0) this.stalledSince = undefined;
    return this.stalledSince;
  }

  /** Takes keys before the screen does (an approval panel); true when it took this one. */
  intercept?: (data: Buffer) => boolean;

  /** Hears every key from the client (the session's frame pacing, src/server/ssh-frames.ts). */
  onKey?: () => void;

  /** Keys from the client. */
  input(data: Buffer): void {
    if (this.closed) return;
    this.onKey?.();
    if (this.intercept?.(data)) return;
    this.keys.push(data);
    this.keyBytes += data.length;
    this.pump();
  }

  // Each SSH data packet reaches the screen as its own read, as each read of a local terminal
  // does: Ink takes everything buffered in one read, and a chunk of mixed keys is a paste that
  // fires nothing (screens/shared/use-commands.tsx). So while the screen has not taken the last
  // packet (a busy event loop), the next ones wait here, bounded: past MAX_QUEUED_KEY_BYTES they
  // go in together.
  private readonly keys: Buffer[] = [];
  private keyBytes = 0;
  private pumpScheduled = false;

  private pump = (): void => {
    this.pumpScheduled = false;
    if (this.closed) return;
    if (this.stdin.readableLength === 0 || this.keyBytes > MAX_QUEUED_KEY_BYTES) {
      const next = this.keyBytes > MAX_QUEUED_KEY_BYTES ? Buffer.concat(this.keys.splice(0)) : this.keys.shift();
      if (next) {
        this.keyBytes -= next.length;
        this.stdin.write(next);
      }
    }
    if (this.keys.length > 0 && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(this.pump);
    }
  };

  /** Anything for the client: frames, messages (newlines made \r\n). */
  send(text: string): void {
    if (this.closed) return;
    let out = text.replace(/\r?\n/g, '\r\n');
    if (this.opts.noColor) out = out.replace(SGR, (m) => (/^\x1b\[(0|22|23|24|27|1|2|3|4|7)?m$/.test(m) ? m : ''));
    const ok = this.channel.write(out);
    // Anything left in the channel means the client's window is spent: it has stopped taking.
    if ((!ok || this.channel.writableLength > 0) && this.stalledSince === undefined) this.stalledSince = Date.now();
    if (this.channel.writableLength > this.opts.maxBufferedBytes) this.opts.onOverflow(`${Math.round(this.channel.writableLength / 1024)} KB waiting unsent`);
  }

  /** window-change: applied at most every RESIZE_MS; the latest size wins. */
  resize(cols: number, rows: number): void {
    this.pendingSize = clampSize(cols, rows);
    if (this.resizeTimer) return;
    const wait = Math.max(0, this.lastResizeAt + RESIZE_MS - Date.now());
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = undefined;
      this.lastResizeAt = Date.now();
      const next = this.pendingSize!;
      this.pendingSize = undefined;
      if (this.closed || (next.cols === this.size.cols && next.rows === this.size.rows)) return;
      this.size = next;
      this.stdout.columns = next.cols;
      this.stdout.rows = next.rows;
      this.stdout.emit('resize');
    }, wait);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.resizeTimer);
    this.stdin.end();
  }
}
