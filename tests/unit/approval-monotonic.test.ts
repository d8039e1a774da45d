// R-APR-7 at the unit level: the L3 wait and code validity are decided on the clock's monotonic
// source; a wall-clock step (FakeClock.stepWall, as NTP or `date -s`) neither shortens nor
// lengthens them, while what is shown (waitUntil, expiresAt) stays wall time. The real-process
// version (libfaketime stepping the console's wall clock) is in tests/integration/approve-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock';
import { CODE_TTL_MS } from '../../src/approval/codes';
import { ApprovalFlow, L3_WAIT_MS, type ApprovalMode } from '../../src/approval/policy';

function flow(mode: ApprovalMode) {
  const clock = new FakeClock();
  const codes = ['a3b2c1', '1f2e3d', 'c0ffee'];
  let i = 0;
  const f = new ApprovalFlow({ mode, clock, random: (n) => Buffer.from(codes[i++ % codes.length]!, 'hex').subarray(0, n) });
  f.start();
  return { clock, f };
}

describe('monotonic waits and expiries', () => {
  it('a +40 s wall step during the L3 wait leaves 29 s to wait; the countdown follows the monotonic clock', async () => {
    const { clock, f } = flow('two-step');
    expect(f.approve('orion', f.getSnapshot().code!).accepted).toBe(true);
    await clock.advance(1000);
    clock.stepWall(40_000);
    await clock.advance(0);
    f.tick();
    expect(f.getSnapshot()).toMatchObject({ phase: 'waiting', waitRemainingS: 29 });
    await clock.advance(L3_WAIT_MS - 1001);
    expect(f.getSnapshot().phase).toBe('waiting');
    await clock.advance(1);
    expect(f.getSnapshot().phase).toBe('step2');
  });

  it('a wall step back does not lengthen the wait', async () => {
    const { clock, f } = flow('two-step');
    expect(f.approve('orion', f.getSnapshot().code!).accepted).toBe(true);
    clock.stepWall(-3_600_000);
    await clock.advance(L3_WAIT_MS);
    expect(f.getSnapshot().phase).toBe('step2');
  });

  it('an L2 code stays valid 5 minutes of monotonic time whatever the wall clock does', async () => {
    const { clock, f } = flow('code');
    const code = f.getSnapshot().code!;
    const shownExpiry = f.getSnapshot().expiresAt!.getTime();
    clock.stepWall(10 * 60_000);
    f.tick();
    expect(f.getSnapshot()).toMatchObject({ codeStatus: 'active', code });
    expect(f.getSnapshot().expiresAt!.getTime()).toBe(shownExpiry);
    await clock.advance(CODE_TTL_MS);
    expect(f.getSnapshot().codeStatus).toBe('void-expired');
  });
});
