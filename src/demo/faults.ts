// The faults a demo fleet can be put into (R-UI-3). Shared by the in-process fleet, its control
// endpoint and `doai-console demo fault` in another process, so the list lives in one place.

export const FAULT_NAMES = ['slow', 'crash', 'crash-loop', 'box-down', 'nodes-offline', 'error-spike', 'clear'] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export function isFaultName(value: string): value is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(value);
}

/** What each fault does and which runbook it calls for, for help texts and error messages. */
export const FAULT_DESCRIPTIONS: Record<FaultName, string> = {
  slow: '/health answers after 6 s (over the 5 s slow threshold) until the orchestrator restarts → L1',
  crash: 'the orchestrator unit dies: DOWN after 3 failures → L2 recommended (seed 000); a restart (L1, key 1) fixes it',
  'crash-loop': 'the orchestrator dies ~1 s after every start while the Python/tmp caches exist → L1 fails, L2 fixes',
  'box-down': 'the VM hangs: SSH and HTTP stop answering until a provider reboot → L3',
  'nodes-offline': 'a third of the nodes stop heartbeating until caddy is restarted → L2',
  'error-spike': '20 % of nodes report an error rate over 10 % (device alert)',
  clear: 'remove every fault and bring everything up',
};

export function unknownFaultMessage(name: string): string {
  return `unknown fault '${name}': use one of ${FAULT_NAMES.join(', ')}`;
}
