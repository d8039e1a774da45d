// One-time approval codes (R-APR-2): 6 uppercase hex characters from a CSPRNG, valid 5 minutes,
// 3 tries. Seed 000 generated them with `openssl rand -hex 3` but only checked the length; here a
// code is compared in constant time, is void after 3 wrong tries or on expiry, and is one-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { Localized } from '../core/views';

export const CODE_TTL_MS = 5 * 60_000;
export const CODE_MAX_TRIES = 3;
export const CODE_PATTERN = /^[0-9A-F]{6}$/;

/** Source of random bytes; crypto.randomBytes in real use. Tests may inject a fixed sequence. */
export type RandomBytes = (size: number) => Uint8Array;

export interface ApprovalCode {
  /** 6 uppercase hex characters. */
  readonly value: string;
  readonly issuedAt: Date;
  /** Wall time, for the screen. */
  readonly expiresAt: Date;
  /** When the code expires on the clock's monotonic source: what expiry is decided on (R-APR-7). */
  readonly expiresAtMono?: number;
  readonly maxTries: number;
}

export function issueCode(opts: { clock: Clock; random?: RandomBytes; ttlMs?: number }): ApprovalCode {
  const random = opts.random ?? randomBytes;
  const bytes = random(3);
  if (bytes.length < 3) throw new Error('random source returned fewer than 3 bytes');
  const value = Buffer.from(bytes.subarray(0, 3)).toString('hex').toUpperCase();
  const issuedAt = opts.clock.now();
  const ttl = opts.ttlMs ?? CODE_TTL_MS;
  return {
    value,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + ttl),
    expiresAtMono: opts.clock.monotonic() + ttl,
    maxTries: CODE_MAX_TRIES,
  };
}

/** Trims and uppercases what the operator typed (codes are read aloud; case does not matter). */
export function normalizeCodeInput(input: string): string {
  return input.trim().toUpperCase();
}

/**
 * Constant-time string equality. Both sides are hashed first so the buffers handed to
 * timingSafeEqual always have equal length: a length mismatch neither throws nor leaks timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  const same = timingSafeEqual(da, db);
  return same && a.length === b.length;
}

export type CodeFailure = 'wrong' | 'expired' | 'void' | 'format';
export type VerifyResult = { ok: true } | { ok: false; reason: CodeFailure; triesLeft: number };

/** Why a code is no longer usable; the message for reason 'void' says which. */
export type CodeStatus = 'active' | 'used' | 'void-tries' | 'void-expired';

/**
 * Holds one issued code and its tries. A code that was used, expired, or got 3 wrong tries stays
 * void: every later verify fails, even with the right code, until a new gate (a new code) exists.
 */
export class CodeGate {
  private tries: number;
  private state: CodeStatus = 'active';

  constructor(readonly code: ApprovalCode) {
    this.tries = code.maxTries;
  }

  get triesLeft(): number {
    return this.state === 'active' ? this.tries : 0;
  }

  get status(): CodeStatus {
    return this.state;
  }

  /**
   * Marks the code void once its time is up (callers may check without an input). Decided on the
   * monotonic time when both the code and the caller have it, so a wall-clock step does not.
   */
  expireIfDue(now: Date, mono?: number): boolean {
    const due = mono !== undefined && this.code.expiresAtMono !== undefined ? mono >= this.code.expiresAtMono : now.getTime() >= this.code.expiresAt.getTime();
    if (this.state === 'active' && due) {
      this.state = 'void-expired';
      return true;
    }
    return false;
  }

  verify(input: string, now: Date, mono?: number): VerifyResult {
    if (this.state !== 'active') return { ok: false, reason: 'void', triesLeft: 0 };
    if (this.expireIfDue(now, mono)) return { ok: false, reason: 'expired', triesLeft: 0 };
    const typed = normalizeCodeInput(input);
    // A malformed entry cannot be the code, so it reveals nothing and costs no try.
    if (!CODE_PATTERN.test(typed)) return { ok: false, reason: 'format', triesLeft: this.tries };
    if (constantTimeEqual(typed, this.code.value)) {
      this.state = 'used';
      return { ok: true };
    }
    this.tries -= 1;
    if (this.tries <= 0) {
      this.tries = 0;
      this.state = 'void-tries';
    }
    return { ok: false, reason: 'wrong', triesLeft: this.tries };
  }
}

/** The operator-facing message for a failed verify, in words (en + ko). */
export function codeFailureMessage(
  result: { reason: CodeFailure; triesLeft: number },
  status?: CodeStatus,
): Localized {
  switch (result.reason) {
    case 'format':
      return {
        en: 'The code is 6 characters, 0-9 and A-F — check what the approver read out and type it again',
        ko: '코드는 0-9, A-F 6자리입니다 — 승인자가 불러준 코드를 확인하고 다시 입력하세요',
      };
    case 'wrong':
      return result.triesLeft > 0
        ? {
            en: `Wrong code — ${result.triesLeft} ${result.triesLeft === 1 ? 'try' : 'tries'} left`,
            ko: `코드가 틀렸습니다 — 남은 시도 ${result.triesLeft}회`,
          }
        : {
            en: 'Wrong code — no tries left; this code is now void. Issue a new code',
            ko: '코드가 틀렸습니다 — 시도 횟수를 모두 사용해 코드가 무효가 되었습니다. 새 코드를 발급하세요',
          };
    case 'expired':
      return {
        en: 'The code expired (valid 5 minutes) and is now void. Issue a new code',
        ko: '코드 유효시간(5분)이 지나 무효가 되었습니다. 새 코드를 발급하세요',
      };
    case 'void':
      if (status === 'used')
        return {
          en: 'This code was already used (codes are one-time). Issue a new code',
          ko: '이미 사용된 코드입니다(일회용). 새 코드를 발급하세요',
        };
      if (status === 'void-expired')
        return {
          en: 'This code expired and is void. Issue a new code',
          ko: '만료되어 무효가 된 코드입니다. 새 코드를 발급하세요',
        };
      return {
        en: 'This code is void after 3 wrong tries. Issue a new code',
        ko: '3회 틀려 무효가 된 코드입니다. 새 코드를 발급하세요',
      };
  }
}
