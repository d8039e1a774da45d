// The server's role check on every intent (R-ID-2), with the refusal audited (emergency.log and
// the server log) before the console is told. Transports (the local socket, SSH sessions) hand it
// the identity they proved; the gate never reads a name from the request.
import type { AuditLog } from '../audit/emergency-log';
import type { ServerLog } from '../server/log';
import { OperatorDirectory, describePrincipal, type Principal, type Proof } from './directory';
import { authorize } from './roles';

export class RoleRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleRefusedError';
  }
}

export interface IntentGate {
  readonly directory: OperatorDirectory;
  /** The operator behind a proof, or undefined when the config refuses unknown identities. */
  principal(proof: Proof): Principal | undefined;
  /** Throws RoleRefusedError (audited) when `proof`'s operator may not send `intent`. */
  check(intent: string, proof: Proof): Principal;
  /** Records a refusal decided elsewhere (an SSH key refused at login, a start refused in a session). */
  refuse(message: string): void;
}

export function createIntentGate(opts: { directory: OperatorDirectory; audit: AuditLog; log: ServerLog; now: () => Date }): IntentGate {
  const { directory, audit, log } = opts;
  const refuse = (message: string) => {
    log('warn', message);
    try {
      audit.append('ACCESS', message, opts.now());
    } catch (err) {
      log('error', `audit line not written (${(err as Error).message}): ACCESS: ${message}`);
    }
  };
  return {
    directory,
    principal: (proof) => directory.resolve(proof),
    check(intent, proof) {
      const who = directory.resolve(proof);
      if (!who) {
        const id = proof.kind === 'os-user' ? `os-user ${proof.user} uid ${proof.uid}` : `ssh-key ${proof.fingerprint}`;
        refuse(`REFUSED ${intent} by unknown ${id} - not a configured operator (unknown identities are refused)`);
        throw new RoleRefusedError(`refused: ${id} is not a configured operator`);
      }
      const d = authorize(who, intent);
      if (!d.ok) {
        refuse(d.audit);
        throw new RoleRefusedError(d.reason);
      }
      return who;
    },
    refuse,
  };
}

export { describePrincipal };
