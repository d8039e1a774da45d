import { describe, expect, it, vi } from 'vitest';

// Wrap (not replace) timingSafeEqual so the test can see that verification goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, default: actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

import { timingSafeEqual } from 'node:crypto';
import { FakeClock } from '../../src/core/clock';
import {
  CODE_TTL_MS,
  CodeGate,
  codeFailureMessage,
  constantTimeEqual,
  issueCode,
} from '../../src/approval/codes';

const fixed = (hex: string) => () => Buffer.from(hex, 'hex');

describe('issueCode', () => {
  it('makes 6 uppercase hex characters valid for 5 minutes from clock.now()', () => {
    const clock = new FakeClock();
    const code = issueCode({ clock });
    expect(code.value).toMatch(/^[0-9A-F]{6}$/);
    expect(code.issuedAt.getTime()).toBe(clock.now().getTime());
    expect(code.expiresAt.getTime() - code.issuedAt.getTime()).toBe(5 * 60_000);
    expect(code.maxTries).toBe(3);
  });

  it('uses the random bytes it is given (3 bytes → 6 hex digits, uppercased)', () => {
    const code = issueCode({ clock: new FakeClock(), random: fixed('a3b2c1') });
    expect(code.value).toBe('A3B2C1');
  });

  it('draws from a CSPRNG: many draws are well-formed and almost all distinct', () => {
    const clock = new FakeClock();
    const seen = new Set<string>();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const v = issueCode({ clock }).value;
      expect(v).toMatch(/^[0-9A-F]{6}$/);
      seen.add(v);
    }
    // 2000 draws from 16.7 M values: the expected number of collisions is ~0.12.
    expect(seen.size).toBeGreaterThanOrEqual(n - 3);
  });
});

describe('CodeGate.verify', () => {
  function gateAt(clock: FakeClock, hex = 'a3b2c1') {
    return new CodeGate(issueCode({ clock, random: fixed(hex) }));
  }

  it('accepts the right code, trimmed and in lowercase', () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    expect(gate.verify('  a3b2c1 \n', clock.now())).toEqual({ ok: true });
  });

  it('counts wrong codes down 2, 1, then the code is void and refuses even the right code', () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    expect(gate.verify('000000', clock.now())).toEqual({ ok: false, reason: 'wrong', triesLeft: 2 });
    expect(gate.verify('111111', clock.now())).toEqual({ ok: false, reason: 'wrong', triesLeft: 1 });
    expect(gate.verify('222222', clock.now())).toEqual({ ok: false, reason: 'wrong', triesLeft: 0 });
    expect(gate.status).toBe('void-tries');
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: false, reason: 'void', triesLeft: 0 });
  });

  it('a malformed entry says so and costs no try', () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    expect(gate.verify('A3B2C', clock.now())).toEqual({ ok: false, reason: 'format', triesLeft: 3 });
    expect(gate.verify('A3B2C1X', clock.now())).toMatchObject({ reason: 'format', triesLeft: 3 });
    expect(gate.verify('GGGGGG', clock.now())).toMatchObject({ reason: 'format', triesLeft: 3 });
    expect(gate.verify('', clock.now())).toMatchObject({ reason: 'format' });
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: true });
  });

  it('expires at exactly 5 minutes; after that even the right code is refused', async () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    await clock.advance(CODE_TTL_MS - 1);
    // Probe without consuming: a malformed entry at 4:59.999 is judged on format, not expiry.
    expect(gate.verify('x', clock.now())).toMatchObject({ reason: 'format' });
    await clock.advance(1);
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: false, reason: 'expired', triesLeft: 0 });
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: false, reason: 'void', triesLeft: 0 });
    expect(gate.status).toBe('void-expired');
  });

  it('the right code just before expiry is accepted', async () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    await clock.advance(CODE_TTL_MS - 1);
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: true });
  });

  it('is one-time: a used code cannot be used twice', () => {
    const clock = new FakeClock();
    const gate = gateAt(clock);
    expect(gate.verify('A3B2C1', clock.now()).ok).toBe(true);
    expect(gate.verify('A3B2C1', clock.now())).toEqual({ ok: false, reason: 'void', triesLeft: 0 });
    expect(gate.status).toBe('used');
  });

  it('compares through crypto.timingSafeEqual', () => {
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    const clock = new FakeClock();
    const gate = gateAt(clock);
    gate.verify('000000', clock.now());
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0]!;
    expect((a as Buffer).length).toBe((b as Buffer).length);
  });
});

describe('constantTimeEqual', () => {
  it('handles a length mismatch without throwing, via equal-length buffers', () => {
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    expect(() => constantTimeEqual('A3B2C1', 'A3B2C')).not.toThrow();
    expect(constantTimeEqual('A3B2C1', 'A3B2C')).toBe(false);
    expect(constantTimeEqual('', 'A3B2C1')).toBe(false);
    expect(constantTimeEqual('A3B2C1', 'A3B2C1')).toBe(true);
    expect(constantTimeEqual('A3B2C1', 'A3B2C2')).toBe(false);
    expect(spy).toHaveBeenCalled();
  });
});

describe('codeFailureMessage', () => {
  it('says in words (en and ko) what happened and what to do', () => {
    const wrong = codeFailureMessage({ reason: 'wrong', triesLeft: 2 });
    expect(wrong.en).toMatch(/wrong code.*2 tries left/i);
    expect(wrong.ko).toMatch(/2회/);
    expect(codeFailureMessage({ reason: 'wrong', triesLeft: 0 }).en).toMatch(/void.*new code/i);
    expect(codeFailureMessage({ reason: 'expired', triesLeft: 0 }).en).toMatch(/expired.*new code/i);
    expect(codeFailureMessage({ reason: 'void', triesLeft: 0 }, 'used').en).toMatch(/already used/i);
    expect(codeFailureMessage({ reason: 'void', triesLeft: 0 }, 'void-tries').ko).toMatch(/새 코드/);
    expect(codeFailureMessage({ reason: 'format', triesLeft: 3 }).en).toMatch(/6 characters/);
  });
});
