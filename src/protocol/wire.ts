// Framing on the console socket: one JSON document per line (newline-delimited JSON). Dates travel
// as {"$date": ms} and come back as Date objects, so the snapshot types of src/core/views.ts are
// the wire types unchanged. A frame longer than MAX_FRAME_BYTES or one that is not a JSON object
// is a protocol error: the reader stops and the connection is closed (by whoever reads it).

/** Largest frame either side accepts. A 10,000-node snapshot is ~1.5 MB. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(message: unknown): string {
  return (
    JSON.stringify(message, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return raw instanceof Date ? { $date: raw.getTime() } : value;
    }) + '\n'
  );
}

function revive(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.$date === 'number' && Object.keys(o).length === 1) return new Date(o.$date);
  }
  return value;
}

export function decodeFrame(line: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line, revive);
  } catch (err) {
    throw new FrameError(`malformed frame (${(err as Error).message.slice(0, 80)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { t?: unknown }).t !== 'string') {
    throw new FrameError('malformed frame (not an object with a "t" field)');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Splits a byte stream into frames. push() returns the complete frames so far and throws
 * FrameError on an oversized or malformed one; after an error the reader must be dropped.
 */
export class FrameReader {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxBytes) throw this.oversized();
      const line = this.size ? Buffer.concat([...this.parts, piece]).toString('utf8') : piece.toString('utf8');
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.trim() === '') continue;
      out.push(decodeFrame(line));
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      if (this.size + rest.length > this.maxBytes) throw this.oversized();
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return out;
  }

  private oversized(): FrameError {
    return new FrameError(`frame larger than ${Math.round(this.maxBytes / 1024 / 1024)} MB`);
  }
}
