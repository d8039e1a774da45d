// The bundle loads Ink's layout engine (yoga, wasm shipped as base64) without Node's fetch: on
// Node 20 a call to the global fetch loads Node's internal undici (~15 ms of the first frame) only
// to decode a data: URL, and its base64 is decoded natively (scripts/build.mjs, yoga-no-fetch).
// Checked on the built bundle.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const chunks = resolve(__dirname, '../../dist/chunks');

describe('yoga in the bundle', () => {
  it('loads and lays out without touching fetch or Node\'s internal undici', () => {
    const file = readdirSync(chunks).find((f) => f.endsWith('.js') && readFileSync(join(chunks, f), 'utf8').includes('yoga-wasm-base64-esm.js'));
    expect(file, 'the chunk with yoga').toBeDefined();
    const script = `
      let fetched = 0;
      const real = globalThis.fetch;
      globalThis.fetch = (...a) => { fetched++; return real(...a); };
      let decoded = 0;
      const realAtob = globalThis.atob;
      globalThis.atob = (s) => { decoded++; return realAtob(s); };
      const m = await import(${JSON.stringify(pathToFileURL(join(chunks, file!)).href)});
      const undici = process.moduleLoadList.filter((x) => /undici/.test(x));
      console.log(JSON.stringify({ fetched, decoded, undici, exports: Object.keys(m).length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(out.exports).toBeGreaterThan(0);
    expect(out.fetched).toBe(0);
    // The wasm is decoded by Buffer, not atob and a character loop.
    expect(out.decoded).toBe(0);
    expect(out.undici).toEqual([]);
  });
});
