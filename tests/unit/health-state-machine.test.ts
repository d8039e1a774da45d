import { describe, expect, it } from 'vitest';
import { nextServiceState, type ServiceStateValue } from '../../src/health/state-machine';

const opts = { threshold: 3, slowMs: 5000 };
const fail = { ok: false, latencyMs: 10, error: 'connection refused' };
const fast = { ok: true, latencyMs: 40 };
const slow = { ok: true, latencyMs: 6200 };

function run(start: ServiceStateValue, probes: { ok: boolean; latencyMs: number }[], o = opts): ServiceStateValue[] {
  const out: ServiceStateValue[] = [];
  let cur = start;
  for (const p of probes) {
    cur = nextServiceState(cur, p, o);
    out.push(cur);
  }
  return out;
}

describe('nextServiceState (R-HLT-2)', () => {
  it('UP → SUSPECT → SUSPECT → DOWN on the 3rd consecutive failure, and stays DOWN', () => {
    expect(run({ state: 'UP', consecutiveFailures: 0 }, [fail, fail, fail, fail])).toEqual([
      { state: 'SUSPECT', consecutiveFailures: 1 },
      { state: 'SUSPECT', consecutiveFailures: 2 },
      { state: 'DOWN', consecutiveFailures: 3 },
      { state: 'DOWN', consecutiveFailures: 4 },
    ]);
  });

  it('a success returns to UP and resets the count', () => {
    expect(run({ state: 'UP', consecutiveFailures: 0 }, [fail, fail, fast, fail])).toEqual([
      { state: 'SUSPECT', consecutiveFailures: 1 },
      { state: 'SUSPECT', consecutiveFailures: 2 },
      { state: 'UP', consecutiveFailures: 0 },
      { state: 'SUSPECT', consecutiveFailures: 1 },
    ]);
    expect(nextServiceState({ state: 'DOWN', consecutiveFailures: 7 }, fast, opts)).toEqual({ state: 'UP', consecutiveFailures: 0 });
  });

  it('a success slower than the threshold is SLOW; exactly at the threshold is still UP', () => {
    expect(nextServiceState({ state: 'UP', consecutiveFailures: 0 }, slow, opts).state).toBe('SLOW');
    expect(nextServiceState({ state: 'UP', consecutiveFailures: 0 }, { ok: true, latencyMs: 5000 }, opts).state).toBe('UP');
    expect(nextServiceState({ state: 'SLOW', consecutiveFailures: 0 }, fast, opts).state).toBe('UP');
    expect(nextServiceState({ state: 'DOWN', consecutiveFailures: 3 }, slow, opts)).toEqual({ state: 'SLOW', consecutiveFailures: 0 });
  });

  it('a failure moves SLOW and UNKNOWN to SUSPECT', () => {
    expect(nextServiceState({ state: 'SLOW', consecutiveFailures: 0 }, fail, opts)).toEqual({ state: 'SUSPECT', consecutiveFailures: 1 });
    expect(nextServiceState({ state: 'UNKNOWN', consecutiveFailures: 0 }, fail, opts)).toEqual({ state: 'SUSPECT', consecutiveFailures: 1 });
  });

  it('threshold 1 goes straight to DOWN', () => {
    expect(nextServiceState({ state: 'UP', consecutiveFailures: 0 }, fail, { threshold: 1, slowMs: 5000 })).toEqual({ state: 'DOWN', consecutiveFailures: 1 });
  });

  it('recovery after DOWN goes through UP before failures count again from one', () => {
    const states = run({ state: 'UNKNOWN', consecutiveFailures: 0 }, [fast, fail, fail, fail, slow, fast, fail]).map((s) => s.state);
    expect(states).toEqual(['UP', 'SUSPECT', 'SUSPECT', 'DOWN', 'SLOW', 'UP', 'SUSPECT']);
  });
});
