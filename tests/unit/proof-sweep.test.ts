// The sweep of proof files left by consoles killed mid-handshake (src/server/proof-sweep.ts), on a
// real folder: only regular files named like a proof and older than the bound go; a fresh proof
// (a live handshake's), other names, folders and symbolic links (and what they point to) stay.
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProofSweeper, sweepProofs, sweepProofsLogged } from '../../src/server/proof-sweep';
import { waitUntil } from '../helpers/wait-until';

let base: string;
let dir: string;
const nonce = () => randomBytes(16).toString('hex');
const TEN_MIN_AGO = (Date.now() - 10 * 60_000) / 1000;

function proof(name = nonce(), old = true): string {
  const path = join(dir, name);
  writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
  if (old) utimesSync(path, TEN_MIN_AGO, TEN_MIN_AGO);
  return path;
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'doai-proof-sweep-'));
  dir = join(base, 'auth');
  mkdirSync(dir, { mode: 0o1733 });
});

afterEach(() => rmSync(base, { recursive: true, force: true, maxRetries: 10 }));

describe('sweepProofs', () => {
  it('removes a stale proof file and nothing else', () => {
    const stale = proof();
    const fresh = proof(nonce(), false);
    const otherName = proof('notes.txt');
    const upper = proof(nonce().toUpperCase());
    const longer = proof(nonce() + '0');
    const folder = join(dir, nonce());
    mkdirSync(folder);
    utimesSync(folder, TEN_MIN_AGO, TEN_MIN_AGO);
    const outside = join(base, 'outside.txt');
    writeFileSync(outside, 'keep me');
    utimesSync(outside, TEN_MIN_AGO, TEN_MIN_AGO);
    const link = join(dir, nonce());
    symlinkSync(outside, link);
    lutimesSync(link, TEN_MIN_AGO, TEN_MIN_AGO);

    const r = sweepProofs(dir);
    expect(r).toEqual({ removed: [process.getuid!()], failed: [] });
    expect(existsSync(stale)).toBe(false);
    for (const kept of [fresh, otherName, upper, longer, folder, link, outside]) expect(existsSync(kept), kept).toBe(true);
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
  });

  it('keeps what is within the bound, removes it past it', () => {
    const path = proof(nonce(), false);
    expect(sweepProofs(dir, Date.now(), 60_000).removed).toEqual([]);
    expect(existsSync(path)).toBe(true);
    expect(sweepProofs(dir, Date.now() + 61_000, 60_000).removed).toHaveLength(1);
    expect(existsSync(path)).toBe(false);
  });

  it('a missing folder is nothing to sweep', () => {
    expect(sweepProofs(join(base, 'none'))).toEqual({ removed: [], failed: [] });
  });

  it('says in the log how many and whose, never a name; says nothing when nothing went', () => {
    const names = [proof(), proof()].map((p) => p.slice(dir.length + 1));
    const lines: string[] = [];
    sweepProofsLogged(dir, (level, message) => lines.push(`${level} ${message}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^info removed 2 stale proof files \\(older than 60 s, left by consoles that stopped mid-handshake\\) from ${dir}: \\S+ \\(uid ${process.getuid!()}\\) ×2$`));
    for (const n of names) expect(lines[0]).not.toContain(n);
    sweepProofsLogged(dir, (level, message) => lines.push(`${level} ${message}`));
    expect(lines).toHaveLength(1);
  });
});

describe('startProofSweeper', () => {
  it('sweeps at once, then again on its interval, until stopped', async () => {
    const first = proof();
    const lines: string[] = [];
    const sweeper = startProofSweeper(dir, (_l, m) => lines.push(m), { everyMs: 20 });
    try {
      expect(existsSync(first)).toBe(false);
      expect(lines).toHaveLength(1);
      const later = proof();
      await waitUntil('the second sweep', () => !existsSync(later), 5000, 10);
      expect(lines).toHaveLength(2);
    } finally {
      sweeper.stop();
    }
    const after = proof();
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(after)).toBe(true);
  });
});
