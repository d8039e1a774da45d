// Which role each intent needs (R-ID-2). The server checks this for every intent, whichever
// screen or transport sent it: hiding a key in a screen is never the protection.
//
// Fail closed: an intent not named here needs `operator`, so a new intent added elsewhere is
// never open to viewers by accident.
import type { Principal } from './directory';
import { describePrincipal } from './directory';
import type { Role } from './schema';

/** Reading only: anyone who may connect at all. */
// Reading a run's output, events or a form's defaults changes nothing (run.choices runs a command: operator).
const VIEWER_INTENTS = new Set(['status', 'fleet.probe', 'run.output', 'run.tail', 'run.events', 'run.defaults', 'approvals.list']);
/** Approving someone else's run (the approver's key press, TOTP is checked in the flow). */
const APPROVER_INTENTS = new Set(['approvals.approve', 'approve', 'run.approve']);

/** What the console groups intents as, for messages: start, cancel, approve, sign, isolate, acknowledge… */
export function roleFor(intent: string): Role {
  if (VIEWER_INTENTS.has(intent)) return 'viewer';
  if (APPROVER_INTENTS.has(intent)) return 'approver';
  return 'operator';
}

export type Decision = { ok: true } | { ok: false; reason: string; audit: string };

/** Whether `who` may send `intent`; a refusal carries the message and the audit line. */
export function authorize(who: Principal, intent: string): Decision {
  const need = roleFor(intent);
  if (who.roles.has(need)) return { ok: true };
  const has = [...who.roles].filter((r) => r !== 'viewer' || who.roles.size === 1).join('+') || 'viewer';
  const whom = who.known ? `${who.name} has role ${has}` : `${who.name} is not a configured operator (unknown identities are ${has})`;
  return {
    ok: false,
    reason: `refused: ${intent} needs the ${need} role; ${whom}`,
    audit: `REFUSED ${intent} by ${describePrincipal(who)} - role ${has}, needs ${need}`,
  };
}
