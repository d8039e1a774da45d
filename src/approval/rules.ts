// The approver rules every path shares (R-APR-3..6): the console's form (ApprovalFlow), the
// request files of `doai-console approve` (requests.ts) and the form's own hints. One place says
// who may approve, so a name, a uid or a list is never compared two different ways.
import { normalizeName, sameName } from '../core/names';
import { isProven, meetsRequirement, type ApprovalRequirement, type IdentitySource } from './identity';

export { normalizeName, sameName } from '../core/names';

/** Why an approval attempt is refused; the consumer words it for its reader. */
export type ApprovalRefusal =
  | { code: 'empty-name' }
  /** "auto" is how L1's automatic approval is recorded. */
  | { code: 'reserved-name' }
  /** The policy for this level wants a proven identity; a typed name is only declared. */
  | { code: 'proven-required'; requirement: ApprovalRequirement }
  /** The requester approving their own request (by name, OS user or uid). */
  | { code: 'self-approval' }
  /** Step 2 by the step-1 approver. */
  | { code: 'same-approver'; first: string }
  /** Not in the config's `approvers` list. */
  | { code: 'not-allowed' };

export type ApprovalRefusalCode = ApprovalRefusal['code'];

/** An approval refused by a rule; `refusal` says which (no message matching). */
export class ApprovalRuleError extends Error {
  constructor(
    readonly refusal: ApprovalRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalRuleError';
  }
}

export interface ApproverCandidate {
  /** The name to record: typed (declared) or the OS user's (proven). */
  name: string;
  source: IdentitySource;
}

export interface ApprovalParties {
  step: 1 | 2;
  requirement: ApprovalRequirement;
  /** The requester: the console's operator name, its OS user name, its uid. */
  requester: { names: readonly string[]; uid?: number };
  /** Who approved step 1 (step 2 must be someone else). */
  step1?: { name: string; uid?: number };
  /** Config `approvers`; empty means anyone but the requester. */
  approvers: readonly string[];
}

function uidOf(source: IdentitySource): number | undefined {
  return source.kind === 'os-user' ? source.uid : undefined;
}

/** The audit line's reason for a refusal that is an attempt worth recording (R-APR-5). */
export function refusalReason(refusal: Pick<ApprovalRefusal, 'code'>): string | undefined {
  switch (refusal.code) {
    case 'empty-name':
    case 'reserved-name':
      return undefined;
    case 'proven-required':
      return 'Declared approval refused (policy: proven)';
    case 'self-approval':
      return 'Self-approval';
    case 'same-approver':
      return 'Same approver';
    case 'not-allowed':
      return 'Approver not allowed';
  }
}

/**
 * Judges one approval attempt; undefined when it may count. Order matters only for which reason
 * is given: a malformed name, then the level's policy, then self, same approver, the list.
 */
export function judgeApprover(candidate: ApproverCandidate, parties: ApprovalParties): ApprovalRefusal | undefined {
  const key = normalizeName(candidate.name);
  if (key === '') return { code: 'empty-name' };
  if (key === 'auto' && !isProven(candidate.source)) return { code: 'reserved-name' };
  if (!meetsRequirement(candidate.source, parties.requirement)) return { code: 'proven-required', requirement: parties.requirement };
  const uid = uidOf(candidate.source);
  const { requester } = parties;
  const selfByUid = uid !== undefined && requester.uid !== undefined && uid === requester.uid;
  // A declared name is only a word: the operator's own name (or OS user name) is refused. A
  // proven identity is judged by its uid; its name is the passwd entry of that uid.
  // An SSH key's or a TOTP approver's name is the operator's name from the config (the server
  // proved it), so there the name IS the identity: equal to the requester's, it is self-approval.
  // Another box's uid means nothing here: an approver proven by a peer server is judged by name too.
  const byConfigName = candidate.source.kind === 'ssh-key' || candidate.source.kind === 'totp' || candidate.source.kind === 'peer-server';
  const selfByName = (!isProven(candidate.source) || byConfigName) && requester.names.some((n) => sameName(n, candidate.name));
  if (selfByUid || selfByName) return { code: 'self-approval' };
  const first = parties.step1;
  if (parties.step === 2 && first) {
    const sameUid = uid !== undefined && first.uid !== undefined && uid === first.uid;
    if (sameUid || sameName(first.name, candidate.name)) return { code: 'same-approver', first: first.name };
  }
  const allowed = parties.approvers.map(normalizeName).filter((n) => n !== '');
  if (allowed.length > 0 && !allowed.includes(key)) return { code: 'not-allowed' };
  return undefined;
}
