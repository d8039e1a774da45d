// Who approved, and how we know (R-APR-5, R-APR-6). A name typed into the requester's own form is
// *declared*: the code is on the requester's screen, so it proves only that someone confirmed.
// An approval is *proven* when the identity comes from something the requester cannot fake: the
// owner uid of an approval file written by another OS user (R-APR-4), an SSH key, or the
// approver's own one-time password. The console, `doai-console approve` and the server all word
// approvals and refusals through here, so emergency.log reads the same whichever path was taken.

/** Per-level policy from the config (`approval: { L2, L3 }`). */
export type ApprovalRequirement = 'declared' | 'proven';

export type IdentitySource =
  /** Typed into the form of the console run by `by` (its operator). */
  | { kind: 'declared'; by: string }
  /** The owner uid of an approval file in the shared sticky directory (the kernel's word). */
  | { kind: 'os-user'; uid: number; user: string }
  /** An SSH public key the server authenticated (R-SSH). */
  | { kind: 'ssh-key'; fingerprint: string }
  /** The approver's own one-time password (R-ID-3). */
  | { kind: 'totp' }
  /**
   * The OS user another box's server proved on its socket, carried in a row that server signed
   * with its key, pinned here in `state.peers` (issue 15). `box` is its `state.box_name`.
   */
  | { kind: 'peer-server'; box: string; user: string; uid: number };

/** The defaults of R-APR-6: L2 as seed 000 has it (a typed name and code), L3 proven. */
export const DEFAULT_APPROVAL_POLICY: Readonly<Record<'L2' | 'L3', ApprovalRequirement>> = { L2: 'declared', L3: 'proven' };

export function isProven(source: IdentitySource): boolean {
  return source.kind !== 'declared';
}

/** Whether an approval from this source is enough where the policy asks for `requirement`. */
export function meetsRequirement(source: IdentitySource, requirement: ApprovalRequirement): boolean {
  return requirement === 'declared' || isProven(source);
}

/** What the audit line puts in parentheses: `declared by orion`, `os-user bob uid 1001`, … */
export function describeIdentity(source: IdentitySource): string {
  switch (source.kind) {
    case 'declared':
      return `declared by ${source.by}`;
    case 'os-user':
      return `os-user ${source.user} uid ${source.uid}`;
    case 'ssh-key':
      return `ssh-key ${source.fingerprint}`;
    case 'totp':
      return 'totp';
    case 'peer-server':
      return `proven by ${source.user} on ${source.box}`;
  }
}

/**
 * The policy for a runbook: by its level (L2, L3), else by its approval mode (a one-code runbook
 * follows L2, a two-step one L3), so user runbooks with other level names are never looser.
 */
export function requirementFor(
  level: string,
  mode: 'code' | 'two-step',
  policy: Readonly<Partial<Record<'L2' | 'L3', ApprovalRequirement>>> = {},
): ApprovalRequirement {
  const key: 'L2' | 'L3' = level.toUpperCase() === 'L2' ? 'L2' : level.toUpperCase() === 'L3' ? 'L3' : mode === 'code' ? 'L2' : 'L3';
  return policy[key] ?? DEFAULT_APPROVAL_POLICY[key];
}

/** `STEP1_APPROVED by bob (os-user bob uid 1001)` — seed 000's line with where the name came from. */
export function approvedAuditLine(step: 1 | 2, name: string, source: IdentitySource): string {
  return `STEP${step}_APPROVED by ${name} (${describeIdentity(source)})`;
}

/**
 * A refused attempt (R-APR-5): `STEP2_REJECTED - Same approver: bob (os-user bob uid 1001)`.
 * `why` comes first so seed 000's `STEP2_REJECTED - Same approver` still starts the line.
 */
export function refusedAuditLine(step: 1 | 2, why: string, who?: { name: string; source: IdentitySource }): string {
  return `STEP${step}_REJECTED - ${refusalText(why, who)}`;
}

/** The part after `STEPn_REJECTED - `: also the reason the journal and the timeline record. */
export function refusalText(why: string, who?: { name: string; source: IdentitySource }): string {
  return `${why}${who ? `: ${who.name} (${describeIdentity(who.source)})` : ''}`;
}
