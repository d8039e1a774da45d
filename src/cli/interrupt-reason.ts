import type { RunView } from '../core/views';

/** "SIGHUP during step "verify" (Verify: /health 6 × 5 s)": the audit line says where it stopped. */
export function interruptReason(sig: string, run: RunView): string {
  const step = run.steps.find((s) => s.state === 'running');
  return step ? `${sig} during step "${step.id}" (${step.title.en})` : run.prompt ? `${sig} while waiting for ${run.prompt.kind}` : sig;
}
