// R-RUN-6: a failed L1 offers L2 for the same target, a failed L2 offers L3 — whose target is a
// host, so a service run escalates to the box the service runs on.
import type { Config } from '../config/schema';
import type { Runbook } from './schema';

export interface EscalationOffer {
  runbook: string;
  target: string;
}

/**
 * What a failed run offers next, pre-filled: the escalation runbook and its target (the same
 * service, or the service's host for a host-level runbook). Undefined when there is nothing to
 * offer or the target cannot be mapped (the message of the run says why it failed).
 */
export function escalationOffer(
  config: Config,
  runbook: (id: string) => Runbook | undefined,
  run: { escalateTo?: string; target: string },
): EscalationOffer | undefined {
  if (!run.escalateTo) return undefined;
  const next = runbook(run.escalateTo);
  if (!next) return undefined;
  const service = config.services.find((s) => s.name === run.target);
  const host = config.hosts.find((h) => h.name === run.target);
  if (next.target === 'host') {
    if (host) return { runbook: next.id, target: host.name };
    if (service) return { runbook: next.id, target: service.host };
    return undefined;
  }
  return service ? { runbook: next.id, target: service.name } : undefined;
}
