// Remote output arrives in arbitrary chunks; steps and screens want whole lines. A chunk may end
// mid-line or mid-UTF-8-character, so both are held until the next chunk or the end.
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const part of parts) this.onLine(stripCr(part));
  }

  /** Emits the last line if the output did not end with a newline. Safe to call twice. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.onLine(stripCr(rest));
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
