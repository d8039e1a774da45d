// The gate as `serve` builds it: the operators section of the loaded config, and the local
// socket's kernel-proven uid as a Proof.
import { dirname } from 'node:path';
import type { AuditLog } from '../audit/emergency-log';
import type { LoadedConfig } from '../config/load';
import type { ProvenIdentity } from '../protocol/messages';
import type { ServerLog } from '../server/log';
import { UserError } from '../cli/exit';
import { OperatorDirectory, OperatorsConfigError, type Proof } from './directory';
import { createIntentGate, type IntentGate } from './gate';
import { TotpVerifier } from './totp';

export function proofOf(who: ProvenIdentity): Proof {
  // An SSH session's sender is its key (src/server/ssh-control.ts), never the name it carries.
  if (who.via === 'ssh-key' && who.key) return { kind: 'ssh-key', fingerprint: who.key.fingerprint, keyType: who.key.keyType };
  return { kind: 'os-user', uid: who.uid, user: who.user };
}

export function loadDirectory(loaded: LoadedConfig): OperatorDirectory {
  try {
    return new OperatorDirectory(loaded.config.operators, dirname(loaded.path));
  } catch (err) {
    if (err instanceof OperatorsConfigError) throw new UserError(`${loaded.path}: ${err.message}`, 2);
    throw err;
  }
}

/** The server's approvals also take approvers' one-time passwords (R-ID-3), from its own secrets. */
export function serverTotp(loaded: LoadedConfig, directory: OperatorDirectory): TotpVerifier {
  return new TotpVerifier(loaded.paths.stateDir, () => directory.approvers());
}

/**
 * `approval.approver_role: [L3]`: every step of those levels needs an operator with the approver
 * role, whichever way the approval comes (key, OS user, TOTP, a typed name).
 */
export function approversByRole(loaded: LoadedConfig, directory: OperatorDirectory): (level: string) => readonly string[] | undefined {
  const levels = new Set<string>(loaded.config.approval.approver_role ?? []);
  return (level) => {
    if (!levels.has(level.toUpperCase())) return undefined;
    const names = [...directory.approvers().values()];
    // Nobody has the role: a list nobody matches refuses every approval, said by the flow.
    return names.length ? names : ['(no operator has the approver role)'];
  };
}

export function createServerGate(
  loaded: LoadedConfig,
  audit: AuditLog,
  log: ServerLog,
  now: () => Date,
): IntentGate & { admit(proof: Proof): string | undefined } {
  const gate = createIntentGate({ directory: loadDirectory(loaded), audit, log, now });
  return {
    ...gate,
    admit(proof) {
      if (gate.principal(proof)) return undefined;
      const id = proof.kind === 'os-user' ? `os-user ${proof.user} uid ${proof.uid}` : `ssh-key ${proof.fingerprint}`;
      gate.refuse(`REFUSED attach by unknown ${id} - not a configured operator (unknown identities are refused)`);
      return `${id} is not a configured operator of this server (operators.unknown: refused)`;
    },
  };
}
