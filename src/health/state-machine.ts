// Per-service health state (R-HLT-2): one failure is a blip (SUSPECT), the threshold-th failure in
// a row is an outage (DOWN); any success clears the count. Pure, so the fleet store, `status` and
// tests share exactly one definition.
import type { ServiceState } from '../core/views';

export interface ServiceStateValue {
  state: ServiceState;
  consecutiveFailures: number;
}

export interface ProbeOutcome {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface StateMachineOptions {
  /** Consecutive failures that make a service DOWN (seed 000: 3). Values below 1 count as 1. */
  threshold: number;
  /** A successful probe slower than this is SLOW (seed 000: 5 s). */
  slowMs: number;
}

export function nextServiceState(prev: ServiceStateValue, probe: ProbeOutcome, opts: StateMachineOptions): ServiceStateValue {
  if (probe.ok) return { state: probe.latencyMs > opts.slowMs ? 'SLOW' : 'UP', consecutiveFailures: 0 };
  const consecutiveFailures = prev.consecutiveFailures + 1;
  const threshold = Math.max(1, Math.floor(opts.threshold));
  return { state: consecutiveFailures >= threshold ? 'DOWN' : 'SUSPECT', consecutiveFailures };
}
