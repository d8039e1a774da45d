// The console socket's framing: dates survive the trip, frames split across chunks are joined,
// and a malformed or oversized frame is an error (the connection is then closed by its reader).
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, encodeFrame } from '../../src/protocol/wire';
import { versionMismatch } from '../../src/protocol/version';

describe('wire frames', () => {
  it('round-trips snapshots with dates, across chunk boundaries', () => {
    const at = new Date('2026-12-02T10:00:00.123Z');
    const text = encodeFrame({ t: 'snapshot', topic: 'fleet', seq: 1, data: { updatedAt: at, services: [{ lastProbeAt: at, lastChangeAt: null }] } });
    const bytes = Buffer.from(text + encodeFrame({ t: 'bye', reason: 'x' }));
    const r = new FrameReader();
    const frames = [...r.push(bytes.subarray(0, 7)), ...r.push(bytes.subarray(7, 40)), ...r.push(bytes.subarray(40))];
    expect(frames).toHaveLength(2);
    const data = frames[0].data as { updatedAt: Date; services: { lastProbeAt: Date; lastChangeAt: null }[] };
    expect(data.updatedAt).toBeInstanceOf(Date);
    expect(data.updatedAt.getTime()).toBe(at.getTime());
    expect(data.services[0].lastProbeAt.getTime()).toBe(at.getTime());
    expect(data.services[0].lastChangeAt).toBeNull();
  });

  it('refuses a malformed frame and one that is not a typed object', () => {
    expect(() => new FrameReader().push(Buffer.from('{nope\n'))).toThrow(FrameError);
    expect(() => new FrameReader().push(Buffer.from('[1,2]\n'))).toThrow(/not an object with a "t" field/);
  });

  it('refuses a frame over the limit before it ends (no newline needed)', () => {
    const r = new FrameReader(1024);
    r.push(Buffer.alloc(1000, 0x61));
    expect(() => r.push(Buffer.alloc(100, 0x61))).toThrow(/frame larger than/);
  });

  it('two builds refuse each other in words; the same build talks', () => {
    const a = { protocol: 1, version: '0.1.0', build: 'aaa' };
    expect(versionMismatch(a, { ...a })).toBeUndefined();
    expect(versionMismatch(a, { protocol: 1, version: '0.1.1', build: 'bbb' })).toBe(
      'server is version 0.1.0 (build aaa, protocol 1), this console 0.1.1 (build bbb, protocol 1): install the same doai-console build on both sides (restart the server after an upgrade)',
    );
  });
});
