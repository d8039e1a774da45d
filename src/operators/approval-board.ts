// Approvals waiting in the server, for the approvers connected to it (R-SSH-2, R-APR-6): each
// open approval with the exact plan the requester's run will execute (R-APR-8: the same lines
// the flow was opened with), who asked, the target and the step. An approver's key press
// approves through the run's own ApprovalFlow, so the 30 s wait, different approvers and the
// approver list hold here as on every other path; the identity is the session's proven key (or,
// for `doai-console approve` on the socket, the uid the kernel gave), and self-approval is
// refused by identity (the run's starter as the server proved it).
import { BatchedStore } from '../core/store';
import type { PendingApprovalView } from '../core/views';
import { describeIdentity } from '../approval/identity';
import type { OpenApproval } from '../approval/engine-hook';
import type { Principal } from './directory';
import type { IntentGate } from './gate';
import { authorize } from './roles';

/** An approval the board lists (the same view `doai-console approve` gets, src/core/views.ts). */
export type PendingApproval = PendingApprovalView;

export interface BoardSnapshot {
  pending: PendingApproval[];
}

export type BoardAnswer = { ok: true; message: string } | { ok: false; message: string };

export class ApprovalBoard extends BatchedStore<BoardSnapshot> {
  private readonly open = new Map<string, { entry: OpenApproval; unsubscribe: () => void }>();
  private readonly starters = new Map<string, Principal>();

  constructor(private readonly gate: IntentGate) {
    super({ pending: [] }, 50);
  }

  /** The server proved who started this run (an SSH session's key): self-approval is judged by it. */
  noteStarter(runId: string, who: Principal): void {
    this.starters.set(runId, who);
    // A bounded memory of starters: runs long over are forgotten.
    if (this.starters.size > 1000) this.starters.delete(this.starters.keys().next().value as string);
    if (this.open.has(runId)) this.publish();
  }

  /** For createApprovalHook's onFlow: lists the approval until it is over. */
  track = (entry: OpenApproval): (() => void) => {
    const id = entry.info.runId;
    const unsubscribe = entry.flow.subscribe(() => this.publish());
    this.open.set(id, { entry, unsubscribe });
    this.publish();
    return () => {
      this.open.get(id)?.unsubscribe();
      this.open.delete(id);
      this.publish();
    };
  };

  private publish(): void {
    const pending: PendingApproval[] = [];
    for (const [runId, { entry }] of this.open) {
      const snap = entry.flow.getSnapshot();
      if (snap.done || snap.mode === 'auto') continue;
      const at = entry.flow.pendingStep;
      if (!at) continue;
      const { info } = entry;
      pending.push({
        runId,
        runbook: info.runbook.id,
        title: info.runbook.title.en,
        level: info.level,
        target: info.target,
        ...(info.host ? { host: info.host } : {}),
        requester: this.starters.get(runId)?.name ?? info.operator,
        step: at.step,
        steps: snap.mode === 'two-step' ? 2 : 1,
        phase: snap.phase,
        requirement: snap.requirement,
        plan: entry.plan,
        ...(at.step1 ? { step1: { name: at.step1.name, ...(at.step1.source ? { identity: describeIdentity(at.step1.source) } : {}) } } : {}),
        ...(snap.waitRemainingS !== undefined && snap.phase === 'waiting' ? { waitRemainingS: snap.waitRemainingS } : {}),
      });
    }
    this.set({ pending });
  }

  /** `who` approves the step `step` of run `runId` with their key (role checked, refusals audited). */
  approve(runId: string, step: 1 | 2, who: Principal): BoardAnswer {
    const may = authorize(who, 'approvals.approve');
    if (!may.ok) {
      this.gate.refuse(may.audit);
      return { ok: false, message: may.reason };
    }
    const open = this.open.get(runId);
    if (!open) return { ok: false, message: 'this approval is over' };
    const { flow } = open.entry;
    const at = flow.pendingStep;
    if (!at || at.step !== step) return { ok: false, message: `the approval moved on (it is at ${flow.getSnapshot().phase})` };
    // The key an SSH session proved, or the uid the kernel gave for a console on the socket.
    const source = who.proof.kind === 'ssh-key' ? { kind: 'ssh-key' as const, fingerprint: who.proof.fingerprint } : { kind: 'os-user' as const, uid: who.proof.uid, user: who.proof.user };
    const starter = this.starters.get(runId);
    const sameUid = starter?.proof.kind === 'os-user' && who.proof.kind === 'os-user' && starter.proof.uid === who.proof.uid;
    if (starter && (sameUid || starter.name.toLowerCase() === who.name.toLowerCase())) {
      // By identity: the key's operator started this run.
      flow.recordRefusal(step, 'Self-approval', { name: who.name, source });
      return { ok: false, message: 'refused: you started this run — another approver must approve it' };
    }
    const res = flow.approveAsProven({ name: who.name, source });
    this.publish();
    if (!res.accepted) return { ok: false, message: `refused: ${res.error?.en ?? 'not accepted'}` };
    return { ok: true, message: `step ${step} approved by ${who.name}` };
  }
}
