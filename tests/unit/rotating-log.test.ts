// History files stay bounded (R-SRV-5): past maxBytes the file becomes .1, older ones shift, the
// oldest beyond `keep` is dropped; lines keep their order.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLog } from '../../src/core/rotating-log';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('RotatingLog', () => {
  it('rotates at the size bound and keeps only `keep` old files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'doai-rotlog-'));
    const log = new RotatingLog(join(dir, 'h', 'x.jsonl'), { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 40; i++) void log.append(JSON.stringify({ i, pad: 'abcdefghij' }));
    await log.settled();
    expect(readdirSync(join(dir, 'h')).sort()).toEqual(['x.jsonl', 'x.jsonl.1', 'x.jsonl.2']);
    const read = (f: string) => readFileSync(join(dir, 'h', f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    const all = [...read('x.jsonl.2'), ...read('x.jsonl.1'), ...read('x.jsonl')];
    expect(all[all.length - 1]).toBe(39);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    for (const f of ['x.jsonl', 'x.jsonl.1', 'x.jsonl.2']) expect(readFileSync(join(dir, 'h', f)).length).toBeLessThanOrEqual(100);
  });
});
