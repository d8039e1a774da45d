// Glue for R-APR-4: the current step of an approval flow is approved by another OS user through
// an approval request instead of a typed code. Headless `run` and the console both use it, so
// the flow's rules (wait, different approver, approver list) apply on this path too.
import type { Clock } from '../core/clock';
import { CODE_TTL_MS } from './codes';
import type { ApprovalRequirement } from './identity';
import type { ApprovalFlow, InputResult } from './policy';
import { cancelRequest, createRequest, waitForApproval, type ApprovalGrant, type ApprovalRequest, type RefusedAttempt } from './requests';

/** The flow moved on in the console (a typed code, a cancel) while a request was out. */
export class FlowMovedError extends Error {
  constructor(phase: string, requestId: string) {
    super(`the approval moved on in the console (${phase}); request ${requestId} withdrawn`);
    this.name = 'FlowMovedError';
  }
}

export interface SessionApprovalOptions {
  flow: ApprovalFlow;
  dir: string;
  runbook: string;
  level: string;
  target: string;
  /** The operator name of this console. */
  requester: string;
  summary: string;
  clock: Clock;
  signal?: AbortSignal;
  pollMs?: number;
  /** How long the request stays open; the code lifetime (5 min) by default. */
  ttlMs?: number;
  approvers?: readonly string[];
  /** The level's policy, written into the request for the approver's listing. */
  requires?: ApprovalRequirement;
  /** What will run, on which host: the approver reads it from the request. */
  plan?: readonly string[];
  /** The request is out: tell the operator what the approver must run. */
  onRequest?: (request: ApprovalRequest) => void;
  onRejected?: (reason: string) => void;
  /** Another OS user tried and was refused by `doai-console approve` (for the audit log). */
  onRefused?: (attempt: RefusedAttempt) => void;
}

export interface SessionApprovalResult {
  request: ApprovalRequest;
  grant: ApprovalGrant;
  /** What the flow made of it (it may still refuse, e.g. the same person as step 1). */
  result: InputResult;
}

/**
 * Requests approval of the flow's current step from another session and feeds the answer to
 * the flow. For L3 step 2 it first sits out the enforced wait, so the request for step 2 only
 * exists once the wait is over and cannot be approved early. The request is always withdrawn.
 */
export async function approveFromOtherSession(opts: SessionApprovalOptions): Promise<SessionApprovalResult> {
  const { flow, clock } = opts;
  let snap = flow.getSnapshot();
  // The flow measures the wait on the monotonic clock (R-APR-7); sleep what it says is left, not
  // what the wall clock says, and look again (a wall-clock step changes neither).
  while (snap.phase === 'waiting') {
    await clock.sleep(Math.max(50, (snap.waitRemainingS ?? 1) * 1000), opts.signal);
    flow.tick();
    snap = flow.getSnapshot();
  }
  if (snap.phase !== 'code' && snap.phase !== 'step1' && snap.phase !== 'step2') {
    throw new Error(`approval is at "${snap.phase}", not waiting for an approver`);
  }
  const step = flow.currentStep;
  const first = flow.firstApprover;
  const request = createRequest(opts.dir, {
    runbook: opts.runbook,
    level: opts.level,
    target: opts.target,
    requester: opts.requester,
    step,
    summary: opts.summary,
    expiresAt: new Date(clock.now().getTime() + (opts.ttlMs ?? CODE_TTL_MS)),
    step1Approver: step === 2 && first ? { uid: first.uid, name: first.name } : undefined,
    steps: flow.mode === 'two-step' ? 2 : 1,
    requires: opts.requires,
    approvers: opts.approvers,
    plan: opts.plan,
    clock,
  });
  // If the step is answered in the console meanwhile (a typed code, a cancel), stop waiting.
  const moved = new AbortController();
  const onOuterAbort = () => moved.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const unsubscribe = flow.subscribe(() => {
    const now = flow.getSnapshot();
    if (now.done || flow.currentStep !== step) moved.abort(new FlowMovedError(now.phase, request.id));
  });
  try {
    opts.onRequest?.(request);
    const grant = await waitForApproval(opts.dir, request, {
      step,
      signal: moved.signal,
      pollMs: opts.pollMs,
      clock,
      approvers: opts.approvers,
      onRejected: opts.onRejected,
      onRefused: opts.onRefused,
    });
    const result = flow.approveFromSession({ name: grant.approverName, uid: grant.approverUid });
    return { request, grant, result };
  } finally {
    unsubscribe();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    cancelRequest(opts.dir, request.id);
  }
}
