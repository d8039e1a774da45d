// --ssh-keepalive / --ssh-keepalive-count: defaults, 0 turns keepalives off, anything else out of
// range is refused in words naming the flag.
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEEPALIVE, parseKeepalive } from '../../src/server/ssh-keepalive';

describe('parseKeepalive', () => {
  it('defaults to every 15 s, 3 unanswered; takes 0 (off) and fractions', () => {
    expect(parseKeepalive(undefined, undefined)).toEqual(DEFAULT_KEEPALIVE);
    expect(DEFAULT_KEEPALIVE).toEqual({ seconds: 15, count: 3 });
    expect(parseKeepalive('0', undefined)).toEqual({ seconds: 0, count: 3 });
    expect(parseKeepalive('0.5', '10')).toEqual({ seconds: 0.5, count: 10 });
  });

  it('refuses what is not a sensible interval or count', () => {
    expect(() => parseKeepalive('abc', undefined)).toThrow('--ssh-keepalive "abc": expected seconds from 0.1 to 3600, or 0 (no keepalives)');
    expect(() => parseKeepalive('-1', undefined)).toThrow('--ssh-keepalive "-1"');
    expect(() => parseKeepalive('0.01', undefined)).toThrow('--ssh-keepalive "0.01"');
    expect(() => parseKeepalive('7200', undefined)).toThrow('--ssh-keepalive "7200"');
    expect(() => parseKeepalive(undefined, '0')).toThrow('--ssh-keepalive-count "0": expected a whole number from 1 to 100');
    expect(() => parseKeepalive(undefined, '2.5')).toThrow('--ssh-keepalive-count "2.5"');
    expect(() => parseKeepalive(undefined, 'x')).toThrow('--ssh-keepalive-count "x"');
  });
});
