// An append-only JSON-lines file that stays bounded: when it passes maxBytes it becomes file.1
// (file.1 becomes file.2 ... up to `keep` old files, the oldest dropped). Appends are chained, so
// lines stay in order; a failed write is reported once through onError, never thrown.
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RotatingLogOptions {
  maxBytes?: number;
  keep?: number;
  onError?(err: NodeJS.ErrnoException): void;
}

export const DEFAULT_LOG_BYTES = 5 * 1024 * 1024;

export class RotatingLog {
  private chain: Promise<void> = Promise.resolve();
  private size: number | undefined;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(
    readonly file: string,
    private readonly opts: RotatingLogOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOG_BYTES;
    this.keep = Math.max(1, opts.keep ?? 3);
  }

  append(line: string): Promise<void> {
    const text = line.endsWith('\n') ? line : line + '\n';
    this.chain = this.chain.then(() => this.write(text)).catch((err: NodeJS.ErrnoException) => this.opts.onError?.(err));
    return this.chain;
  }

  /** Resolves when every append so far is on disk (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  private async write(text: string): Promise<void> {
    if (this.size === undefined) {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      this.size = await stat(this.file).then(
        (s) => s.size,
        () => 0,
      );
    }
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    await appendFile(this.file, text, { mode: 0o600 });
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
    }
    await rename(this.file, `${this.file}.1`);
    this.size = 0;
  }
}
