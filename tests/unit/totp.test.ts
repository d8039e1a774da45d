// One-time passwords for approvers (R-ID-3): enrolment writes an owner-only secret; a code is
// good for ±1 step and once only; 5 wrong codes lock that approver for 5 minutes (and only
// them); a secrets file others can read is refused. Codes computed with otpauth from the secret.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { enrol, TotpVerifier, TOTP_FILE } from '../../src/operators/totp';
import { TOTP_USED_FILE } from '../../src/operators/totp-used';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'doai-totp-'));
  dirs.push(dir);
  const bob = OTPAuth.URI.parse(enrol(dir, 'bob').uri) as OTPAuth.TOTP;
  const carol = OTPAuth.URI.parse(enrol(dir, 'carol').uri) as OTPAuth.TOTP;
  let now = Date.UTC(2026, 11, 3, 8, 0, 0);
  const v = new TotpVerifier(dir, () => new Map([['bob', 'bob'], ['carol', 'carol']]), () => now);
  return { dir, bob, carol, v, at: (ms: number) => (now = ms), now: () => now };
}

describe('TOTP approvals', () => {
  it('enrols owner-only; refuses a second enrolment without replace', () => {
    const s = setup();
    expect(statSync(join(s.dir, TOTP_FILE)).mode & 0o777).toBe(0o600);
    expect(() => enrol(s.dir, 'bob')).toThrow('bob is enrolled already — give --replace');
    expect(s.v.enrolled('BOB ')).toBe('bob');
    expect(s.v.enrolled('dave')).toBeUndefined();
  });

  it('accepts the current code and ±1 step, each step once; not 2 steps off', () => {
    const s = setup();
    const t = s.now();
    expect(s.v.check('bob', s.bob.generate({ timestamp: t - 30_000 }))).toEqual({ ok: true, name: 'bob' });
    // The same code again (or an older one) is refused: single use.
    expect(s.v.check('bob', s.bob.generate({ timestamp: t - 30_000 }))).toMatchObject({ ok: false, why: 'reused' });
    expect(s.v.check('bob', s.bob.generate({ timestamp: t }))).toEqual({ ok: true, name: 'bob' });
    expect(s.v.check('bob', s.bob.generate({ timestamp: t + 30_000 }))).toEqual({ ok: true, name: 'bob' });
    expect(s.v.check('carol', s.carol.generate({ timestamp: t + 60_000 }))).toMatchObject({ ok: false, why: 'wrong' });
    expect(s.v.check('carol', s.bob.generate({ timestamp: t }))).toMatchObject({ ok: false });
    expect(s.v.check('carol', '12345')).toMatchObject({ ok: false, why: 'format' });
  });

  it('5 wrong codes lock that approver for 5 minutes, then the right code works again; others are not locked', () => {
    const s = setup();
    const right = s.bob.generate({ timestamp: s.now() });
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 4; i++) expect(s.v.check('bob', wrong)).toMatchObject({ ok: false, why: 'wrong', failures: i });
    expect(s.v.check('bob', wrong)).toMatchObject({ ok: false, why: 'wrong', message: 'wrong one-time password for bob: 5 wrong codes, locked for 5 min' });
    expect(s.v.check('bob', right)).toMatchObject({ ok: false, why: 'locked' });
    expect(s.v.check('carol', s.carol.generate({ timestamp: s.now() }))).toEqual({ ok: true, name: 'carol' });
    s.at(s.now() + 5 * 60_000);
    expect(s.v.check('bob', s.bob.generate({ timestamp: s.now() }))).toEqual({ ok: true, name: 'bob' });
  });

  it('refuses a secrets file others can read, and never lists its secrets in the message', () => {
    const s = setup();
    const file = join(s.dir, TOTP_FILE);
    chmodSync(file, 0o644);
    expect(() => s.v.check('bob', '123456')).toThrow(/readable by others \(mode 644\) — refusing them/);
    const secret = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { secret: string }>).bob!.secret;
    try {
      s.v.check('bob', '123456');
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });

  it('a used code and a lock survive a new verifier (a restart): the record is owner-only and pruned past the window', () => {
    const s = setup();
    const t = s.now();
    const code = s.bob.generate({ timestamp: t });
    expect(s.v.check('bob', code)).toEqual({ ok: true, name: 'bob' });
    const file = join(s.dir, TOTP_USED_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const restarted = new TotpVerifier(s.dir, () => new Map([['bob', 'bob'], ['carol', 'carol']]), s.now);
    expect(restarted.check('bob', code)).toMatchObject({ ok: false, why: 'reused' });
    // Carol locks herself out; a restart keeps the lock.
    const wrong = String((Number(s.carol.generate({ timestamp: t })) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) restarted.check('carol', wrong);
    const again = new TotpVerifier(s.dir, () => new Map([['bob', 'bob'], ['carol', 'carol']]), s.now);
    expect(again.check('carol', s.carol.generate({ timestamp: t }))).toMatchObject({ ok: false, why: 'locked' });
    // Six minutes on: the lock ran out and bob's step can no longer validate — both leave the file.
    s.at(t + 6 * 60_000);
    expect(again.check('carol', s.carol.generate({ timestamp: s.now() }))).toEqual({ ok: true, name: 'carol' });
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { used: Record<string, number>; failures: Record<string, unknown> };
    expect(Object.keys(rec.used)).toEqual(['carol']);
    expect(rec.failures).toEqual({});
  });

  it('a damaged or open record refuses every code, said with its path; nothing is half-written', () => {
    const s = setup();
    const file = join(s.dir, TOTP_USED_FILE);
    writeFileSync(file, '{"used": {"bob": ', { mode: 0o600 });
    expect(() => s.v.check('bob', s.bob.generate({ timestamp: s.now() }))).toThrow(`the record of used one-time passwords ${file} is damaged`);
    expect(readFileSync(file, 'utf8')).toBe('{"used": {"bob": ');
    writeFileSync(file, '{"used": {}, "failures": {}}');
    chmodSync(file, 0o666);
    expect(() => s.v.check('bob', s.bob.generate({ timestamp: s.now() }))).toThrow(/is open to others \(mode 666\) — refusing it/);
  });
});
