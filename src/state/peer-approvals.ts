// Proven approvals across boxes (issue 15): the approvals open in this server's runs, so a signed
// approval from another box's server (src/state/peer-keys.ts checked it) approves the step it
// names as the user that server proved, recorded `proven by <user> on <box>`; and the
// `run.approve` intent, by which a console approves a run as the user this server proved (its
// own runs through the server's approvals board, as `approve` attached does; another box's
// carried there signed).
import type { OpenApproval } from '../approval/engine-hook';
import type { Localized } from '../core/views';
import { createHash } from 'node:crypto';
import type { PeerApprover, RemotePending } from './backend';
import type { ApprovalIntents, ServedApproval } from '../protocol/approvals';
import type { ProvenIdentity } from '../protocol/messages';

export interface ApproveAnswer {
  accepted: boolean;
  error?: Localized;
}

function no(en: string, ko: string): ApproveAnswer {
  return { accepted: false, error: { en, ko } };
}

export class OpenApprovals {
  private readonly open = new Map<string, OpenApproval>();

  /** For the approval hook's onFlow: known until the approval is over. */
  track = (entry: OpenApproval): (() => void) => {
    const id = entry.info.runId;
    this.open.set(id, entry);
    return () => {
      if (this.open.get(id) === entry) this.open.delete(id);
    };
  };

  private pending(runId: string, step: 1 | 2): { entry: OpenApproval } | { answer: ApproveAnswer } {
    const entry = this.open.get(runId);
    if (!entry) return { answer: no(`no approval is waiting in run ${runId} on this server`, `이 콘솔 서버의 실행 ${runId}에 대기 중인 승인이 없습니다`) };
    const at = entry.flow.pendingStep;
    if (!at || at.step !== step) {
      const phase = entry.flow.getSnapshot().phase;
      return { answer: no(`the approval moved on (it is at ${phase}, not step ${step})`, `승인이 이미 진행되었습니다 (${phase}, ${step}단계 아님)`) };
    }
    return { entry };
  }

  /** Another box's server proved and signed `by`: the step is approved (or refused) under the same rules as every path. */
  approveFromPeer(runId: string, step: 1 | 2, by: PeerApprover): ApproveAnswer {
    const p = this.pending(runId, step);
    if ('answer' in p) return p.answer;
    const res = p.entry.flow.approveAsProven({ name: by.user, source: { kind: 'peer-server', box: by.box, user: by.user, uid: by.uid } });
    return { accepted: res.accepted, ...(res.error ? { error: res.error } : {}) };
  }
}

/** The `run.approve` intent's arguments, checked. */
export function approveArgs(args: unknown): { runId: string; step: 1 | 2 } {
  const a = (args ?? {}) as { runId?: unknown; step?: unknown };
  if (typeof a.runId !== 'string' || a.runId === '' || a.runId.length > 200) throw new Error('intent needs a "runId"');
  if (a.step !== 1 && a.step !== 2) throw new Error('intent needs "step": 1 or 2 (the step the approver saw pending)');
  return { runId: a.runId, step: a.step };
}

type BoardHandlers = { [N in keyof ApprovalIntents]: (args: ApprovalIntents[N][0], who: ProvenIdentity) => Promise<ApprovalIntents[N][1]> };

/** `run.approve` for a run of this server: the step the approver saw, approved on the server's board (role, self-approval, the flow's rules). */
export async function approveHere(board: BoardHandlers, runId: string, step: 1 | 2, who: ProvenIdentity): Promise<ApproveAnswer> {
  const { pending } = await board['approvals.list']({}, who);
  const entry = pending.find((p) => p.runId === runId);
  if (!entry) return no(`no approval is waiting in run ${runId} on this server`, `이 콘솔 서버의 실행 ${runId}에 대기 중인 승인이 없습니다`);
  if (entry.step !== step || entry.phase === 'waiting') return no(`the approval moved on (it is at ${entry.phase}, not step ${step})`, `승인이 이미 진행되었습니다 (${entry.phase}, ${step}단계 아님)`);
  const out = await board['approvals.approve']({ id: runId }, who);
  return out.ok ? { accepted: true } : no(out.message, out.message);
}

/** Another box's waiting approval as `approve` lists it here (its id is the run id). */
export function servedRemote(r: RemotePending, now: Date): ServedApproval {
  const v = r.view;
  const p = v.prompt?.kind === 'approval' ? v.prompt : undefined;
  const plan = [...(p?.plan ?? [])];
  const waiting = p?.phase === 'waiting';
  const waitS = waiting && p?.waitUntil ? Math.max(0, Math.ceil((new Date(p.waitUntil).getTime() - now.getTime()) / 1000)) : undefined;
  return {
    id: r.runId,
    runId: r.runId,
    runbook: v.runbook,
    title: v.title.en,
    level: v.level,
    target: v.target,
    requester: `${v.operator}@${r.box}`,
    step: p?.step ?? 1,
    steps: p?.mode === 'two-step' ? 2 : 1,
    phase: p?.phase ?? 'code',
    requirement: p?.requirement ?? 'declared',
    plan,
    planDigest: createHash('sha256').update(plan.join('\n')).digest('hex'),
    ageS: Math.max(0, Math.round((now.getTime() - new Date(v.startedAt).getTime()) / 1000)),
    ...(p?.step1 ? { step1: { name: p.step1.name, ...(p.step1.identity ? { identity: p.step1.identity } : {}) } } : {}),
    ...(waitS !== undefined ? { waitRemainingS: waitS } : {}),
  };
}

/**
 * `approvals.list` and `approvals.approve` that also cover the other boxes' runs: listed with the
 * box in the requester, approved as the user this server proved, in a row it signs for the box
 * that runs it (which judges it under its rules and records `proven by <user> on <box>`).
 */
export function withRemoteApprovals(
  local: BoardHandlers,
  remote: () => RemotePending[],
  forward: (runId: string, step: 1 | 2, who: ProvenIdentity) => Promise<unknown> | undefined,
  now: () => Date,
): BoardHandlers {
  const remoteServed = () => remote().map((r) => servedRemote(r, now()));
  return {
    'approvals.list': async (args, who) => {
      const mine = await local['approvals.list'](args, who);
      return { pending: [...mine.pending, ...remoteServed()] };
    },
    'approvals.approve': async (args, who) => {
      const id = typeof (args as { id?: unknown } | null)?.id === 'string' ? (args as { id: string }).id.trim() : '';
      const mine = await local['approvals.list']({}, who);
      const entry = mine.pending.some((p) => p.id === id || p.runId === id) ? undefined : remoteServed().find((p) => p.runId === id);
      if (!entry) return local['approvals.approve'](args, who);
      const all = () => [...mine.pending, ...remoteServed()];
      if (entry.phase === 'waiting') {
        return { ok: false, why: 'waiting', message: `step 2 of ${entry.id} opens in ${entry.waitRemainingS ?? '?'} s (the enforced wait after step 1) — approve it then`, approval: entry, pending: all() };
      }
      try {
        const answer = (await forward(entry.runId, entry.step, who)) as ApproveAnswer | undefined;
        if (!answer) return { ok: false, why: 'over', message: `run ${entry.runId} is no longer running on another box`, pending: all() };
        if (!answer.accepted) return { ok: false, why: 'refused', message: answer.error?.en ?? 'refused', approval: entry, pending: all() };
      } catch (err) {
        return { ok: false, why: 'refused', message: err instanceof Error ? err.message : String(err), approval: entry, pending: all() };
      }
      return { ok: true, approval: entry, message: `step ${entry.step} approved by ${who.user}, carried signed to ${entry.requester.split('@').slice(1).join('@')}`, audit: `os-user ${who.user} uid ${who.uid}, proven by this server` };
    },
  };
}
