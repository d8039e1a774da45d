// `doai-console approve` attached to the server (R-APR-4, R-APR-8, R-SRV-2): the approvals waiting
// in the server's runs, and approving one. Who approves is the uid the socket proved; the
// arguments name only which approval.
import type { PendingApprovalView } from '../core/views';

/** One approval waiting in a server's run, as `approve` lists it: the approvers' view plus what the wire adds. */
export interface ServedApproval extends PendingApprovalView {
  /** What `approve <id>` takes: the request id the requester's form shows, else the run id. */
  id: string;
  /** The approval request id on the requester's form (when the server has an approvals folder). */
  requestId?: string;
  requesterUid?: number;
  /** SHA-256 (hex) of the plan. */
  planDigest: string;
  /** Seconds since this step was first asked for. */
  ageS: number;
}

export type ApproveOutcome =
  /** `audit`: how the approval was recorded (`nobody (os-user nobody uid 65534)`). */
  | { ok: true; approval: ServedApproval; message: string; audit: string }
  | {
      ok: false;
      /** unknown: no such id (exit 2); the others are refusals (exit 1). */
      why: 'unknown' | 'expired' | 'over' | 'waiting' | 'refused';
      message: string;
      /** The plan that was shown for the refused approval, when there is one. */
      approval?: ServedApproval;
      pending: ServedApproval[];
    };

export interface ApprovalIntents {
  'approvals.list': [Record<string, never>, { pending: ServedApproval[] }];
  'approvals.approve': [{ id: string }, ApproveOutcome];
}
