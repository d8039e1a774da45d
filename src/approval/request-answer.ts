// Answering a request: `doai-console approve <id>` as ANOTHER OS user writes its approval, or a
// `refused-` file the requester records (R-APR-4, R-APR-5). Part of requests.ts (trust model there).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { realClock, type Clock } from '../core/clock';
import { judgeApprover, type ApprovalRefusal } from './rules';
import { type ApprovalGrant, type ApprovalRecordFile, type ApprovalRequest, ApprovalRequestError, type ApprovalRequestErrorCode, ID_PATTERN, REFUSAL_CODES, currentUid, listNames, ownedApprovalFiles, readRequest, refusalSchema, userNameForUid, writeExclusive } from './request-files';
import { describePending, listRequests, plain } from './request-listing';

export interface ApproveOptions {
  /** A display name to record; checks use the OS user of this process. */
  approverName?: string;
  /** The step being approved; must be the step the request asks for. */
  step?: 1 | 2;
  /** Config `approvers` of the approver's own config (the request carries the requester's). */
  approvers?: readonly string[];
  clock?: Clock;
  /** Files this approver ignores (e.g. an approval file in its name another user put there). */
  onWarning?: (message: string) => void;
}

export interface ApprovedRequest extends ApprovalGrant {
  /** The request as read for this approval: the plan printed to the approver is from these bytes. */
  request: ApprovalRequest;
}

const APPROVER_REFUSAL: Record<(typeof REFUSAL_CODES)[number], ApprovalRequestErrorCode> = {
  'self-approval': 'self-approval',
  'same-approver': 'same-approver',
  'not-allowed': 'not-allowed',
  'proven-required': 'not-allowed',
};

function approverRefusalMessage(refusal: ApprovalRefusal, me: string, list: 'request' | 'own'): string {
  switch (refusal.code) {
    case 'self-approval':
      return `self-approval refused: you (${me}) made this request — another person must approve it from their own account`;
    case 'same-approver':
      return `you (${me}) approved step 1 of this request; step 2 needs a different person`;
    case 'not-allowed':
      return list === 'request'
        ? `you (${me}) are not in the approvers list of the requesting console's config — ask a listed approver; nothing was approved`
        : `you (${me}) are not in the approvers list of the config — ask a listed approver; nothing was approved`;
    default:
      return `you (${me}) cannot approve this request (${refusal.code})`;
  }
}

/**
 * Leaves a record of a refused attempt for the requester to audit (R-APR-5). Best effort: a
 * refusal is said to the approver whether or not the record could be written.
 */
function recordRefusal(dir: string, request: ApprovalRequest, step: 1 | 2, uid: number, me: string, refusal: (typeof REFUSAL_CODES)[number], now: Date): void {
  const record: z.infer<typeof refusalSchema> = {
    version: 1,
    requestId: request.id,
    step,
    approverUid: uid,
    approverUser: me,
    refusal,
    pid: process.pid,
    at: now.toISOString(),
  };
  try {
    writeExclusive(dir, `${request.id}.refused-${step}.${uid}.${randomBytes(4).toString('hex')}.json`, JSON.stringify(record, null, 2) + '\n');
  } catch {
    // The directory may be gone with the request; the refusal still stands.
  }
}

/**
 * Approves a pending request as the OS user running this process (`doai-console approve`).
 * Throws ApprovalRequestError with a message for the operator when it must refuse; a refusal by
 * rule is left as a `refused-` file the requester records in its audit log.
 */
export function approveRequest(dir: string, id: string, opts: ApproveOptions = {}): ApprovedRequest {
  const uid = currentUid();
  const me = userNameForUid(uid);
  const now = (opts.clock ?? realClock()).now();
  const pendingNow = () => describePending(listRequests(dir, now));
  const wanted = id.trim().toLowerCase();
  if (!ID_PATTERN.test(wanted)) {
    throw new ApprovalRequestError('bad-id', `"${id}" is not a request id (8 hex characters); pending: ${pendingNow()}`);
  }
  const read = readRequest(dir, wanted);
  if (!read.ok) {
    if (read.missing) throw new ApprovalRequestError('not-found', `no pending request ${wanted}; pending: ${pendingNow()}`);
    throw new ApprovalRequestError('forged', `request ${wanted} cannot be trusted: it ${read.reason} — ask the requester to start again`);
  }
  const { request, digest } = read.value;
  const expiresAt = new Date(request.expires);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new ApprovalRequestError(
      'expired',
      `request ${wanted} expired at ${expiresAt.toISOString()} — ask ${plain(request.requester)} to request approval again`,
    );
  }
  const step = opts.step ?? request.step;
  if (step !== request.step) {
    throw new ApprovalRequestError('wrong-step', `request ${wanted} asks for step ${request.step} approval, not step ${step}`);
  }
  // The requester's list travels in the request (so it is checked here, before anything is
  // written); the approver's own config list, if any, is checked too.
  const candidate = { name: me, source: { kind: 'os-user' as const, uid, user: me } };
  const parties = { step, requirement: request.requires, requester: { names: [], uid: request.requesterUid }, step1: request.step1Approver };
  for (const [list, approvers] of [['request', request.approvers], ['own', opts.approvers ?? []]] as const) {
    const refusal = judgeApprover(candidate, { ...parties, approvers });
    if (!refusal) continue;
    const code = refusal.code as (typeof REFUSAL_CODES)[number];
    if ((REFUSAL_CODES as readonly string[]).includes(code)) recordRefusal(dir, request, step, uid, me, code, now);
    throw new ApprovalRequestError(APPROVER_REFUSAL[code] ?? 'not-allowed', approverRefusalMessage(refusal, me, list));
  }
  const names = listNames(dir);
  const mine = ownedApprovalFiles(dir, names, wanted, step, {
    uid,
    onForeign: (name, owner) =>
      opts.onWarning?.(`ignored ${name}: it carries your uid but was written by ${userNameForUid(owner)} (uid ${owner}); it does not count as your answer`),
  });
  if (mine.length > 0) throw new ApprovalRequestError('already-approved', `you (${me}) already approved step ${step} of request ${wanted}`);
  const record: ApprovalRecordFile = {
    version: 1,
    requestId: wanted,
    step,
    requestDigest: digest,
    approverUid: uid,
    approverUser: me,
    ...(opts.approverName?.trim() ? { declaredName: opts.approverName.trim() } : {}),
    pid: process.pid,
    at: now.toISOString(),
  };
  // A random part in the name: nobody can take the name before the approver writes it.
  const file = writeExclusive(dir, `${wanted}.approval-${step}.${uid}.${randomBytes(4).toString('hex')}.json`, JSON.stringify(record, null, 2) + '\n');
  return { approverUid: uid, approverName: me, declaredName: record.declaredName, at: now, file: file.path, request };
}
