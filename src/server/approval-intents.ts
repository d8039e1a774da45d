// `doai-console approve` attached to the server (R-APR-4, R-APR-8, R-SRV-2). The server's runs
// ask for approval through the ApprovalBoard (src/operators/approval-board.ts), the same board an
// approver's SSH session approves on: a console on the socket lists what waits there and approves
// one as the uid the kernel proved for its connection (never a name it sends). The board does the
// rest as for an SSH key: role check, self-approval by the starter's identity, then the run's own
// ApprovalFlow (different approvers, the L3 wait, the approvers list), audited either way.
//
// `approve <id>` takes what the requester sees: the request id on the form (when the server has an
// approvals folder) or the run id. An id that was a request of a run, and is no longer, is said to
// have expired (its five minutes ran out) or to be over; any other id is unknown.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { ConsoleContext } from '../cli/context';
import type { ApprovalRequest } from '../approval/requests';
import { ApprovalBoard, type PendingApproval } from '../operators/approval-board';
import { describePrincipal, type Principal } from '../operators/directory';
import type { IntentGate } from '../operators/gate';
import { proofOf } from '../operators/server-gate';
import type { ApprovalIntents, ApproveOutcome, ServedApproval } from '../protocol/approvals';
import type { ProvenIdentity } from '../protocol/messages';
import { userName } from '../protocol/socket-path';
import type { RunIntents } from '../protocol/runs';

type Handlers = { [N in keyof ApprovalIntents]: (args: ApprovalIntents[N][0], who: ProvenIdentity) => Promise<ApprovalIntents[N][1]> };
type StartHandlers = Pick<{ [N in keyof RunIntents]: (args: RunIntents[N][0], who: ProvenIdentity) => Promise<RunIntents[N][1]> }, 'run.start' | 'run.resume'>;

/** Request ids remembered after they stop being the current one (bounded). */
const MAX_REMEMBERED = 500;

export interface ServedApprovals {
  board: ApprovalBoard;
  handlers: Handlers;
  /** run.start / run.resume that also tell the board who started the run (self-approval). */
  noteStarters(h: StartHandlers): StartHandlers;
  stop(): void;
}

export function planDigest(plan: readonly string[]): string {
  return createHash('sha256').update(plan.join('\n')).digest('hex');
}

export function createServedApprovals(ctx: ConsoleContext, gate: IntentGate): ServedApprovals {
  const { engine } = ctx;
  const now = () => ctx.clock.now();
  const board = new ApprovalBoard(gate);
  // Who started each run, by uid (the listing shows it; the board judges self-approval by it).
  const starterUid = new Map<string, number>();
  const requests = new Map<string, { runId: string; step: 1 | 2; expiresAt: Date }>();
  // The run being started or resumed, and by whom: its approval's requester is that uid (the
  // flow refuses it as self-approval), not the server's own account.
  const starting = new AsyncLocalStorage<ProvenIdentity>();
  ctx.approvals.configure({
    onFlow: board.track,
    requesterOf: () => {
      const w = starting.getStore();
      // An SSH session's starter has no OS account here: the run's operator name (and the board,
      // by key) says who it is.
      if (!w || w.via === 'ssh-key') return {};
      // A standalone console's (in-process) name is its operator's; its OS account is its uid's.
      return { uid: w.uid, osUser: w.via === 'in-process' ? userName(w.uid) : w.user };
    },
    onRequest: (runId: string, request: ApprovalRequest) => {
      requests.set(request.id, { runId, step: request.step, expiresAt: new Date(request.expires) });
      if (requests.size > MAX_REMEMBERED) requests.delete(requests.keys().next().value as string);
    },
  });
  // When each step was first asked for (the listing's age).
  const since = new Map<string, Date>();
  const offBoard = board.subscribe(() => {
    const open = new Set<string>();
    for (const p of board.getSnapshot().pending) {
      const key = `${p.runId}:${p.step}`;
      open.add(key);
      if (!since.has(key)) since.set(key, now());
    }
    for (const key of since.keys()) if (!open.has(key)) since.delete(key);
  });

  const currentRequest = (runId: string): string | undefined => {
    const run = engine.getSnapshot().runs.find((r) => r.runId === runId);
    return run?.prompt?.kind === 'approval' ? run.prompt.requestId : undefined;
  };

  const serve = (p: PendingApproval): ServedApproval => {
    const requestId = currentRequest(p.runId);
    const uid = starterUid.get(p.runId);
    const at = since.get(`${p.runId}:${p.step}`) ?? now();
    return {
      id: requestId ?? p.runId,
      ...(requestId ? { requestId } : {}),
      ...p,
      ...(uid !== undefined ? { requesterUid: uid } : {}),
      plan: [...p.plan],
      planDigest: planDigest(p.plan),
      ageS: Math.max(0, Math.round((now().getTime() - at.getTime()) / 1000)),
    };
  };
  const pending = (): ServedApproval[] => board.getSnapshot().pending.map(serve);

  /** The principal behind the socket's uid (the gate has already admitted and role-checked it). */
  const principalOf = (who: ProvenIdentity): Principal => {
    const p = gate.principal(proofOf(who));
    if (!p) throw new Error(`refused: os-user ${who.user} uid ${who.uid} is not a configured operator`);
    return p;
  };

  const approve = (idArg: unknown, who: ProvenIdentity): ApproveOutcome => {
    const id = typeof idArg === 'string' ? idArg.trim() : '';
    if (id === '' || id.length > 200 || !/^[A-Za-z0-9._:-]+$/.test(id)) {
      return { ok: false, why: 'unknown', message: `"${String(idArg).slice(0, 40)}" is not an approval id (the request id on the requester's form, or a run id)`, pending: pending() };
    }
    const list = pending();
    const entry = list.find((p) => p.requestId === id || p.runId === id);
    if (!entry) {
      const old = requests.get(id);
      if (old) {
        const moved = list.find((p) => p.runId === old.runId);
        const instead = moved ? ` — the run now waits on ${moved.id}: doai-console approve ${moved.id}` : '';
        if (now().getTime() >= old.expiresAt.getTime()) {
          return { ok: false, why: 'expired', message: `approval request ${id} expired at ${old.expiresAt.toISOString()} without an approval${instead}`, pending: list };
        }
        return { ok: false, why: 'over', message: `approval request ${id} is no longer open (run ${old.runId} moved on or ended)${instead}`, pending: list };
      }
      const run = engine.getSnapshot().runs.find((r) => r.runId === id);
      if (run) return { ok: false, why: 'over', message: `run ${id} has no approval waiting (it is ${run.state.toUpperCase()})`, pending: list };
      return { ok: false, why: 'unknown', message: `no pending approval ${id} on this server`, pending: list };
    }
    if (entry.phase === 'waiting') {
      return { ok: false, why: 'waiting', message: `step 2 of ${entry.id} opens in ${entry.waitRemainingS ?? '?'} s (the enforced wait after step 1) — approve it then`, approval: entry, pending: list };
    }
    const principal = principalOf(who);
    const res = board.approve(entry.runId, entry.step, principal);
    const after = pending();
    if (!res.ok) return { ok: false, why: 'refused', message: res.message, approval: entry, pending: after };
    return { ok: true, approval: entry, message: res.message, audit: describePrincipal(principal) };
  };

  const handlers: Handlers = {
    'approvals.list': async () => ({ pending: pending() }),
    'approvals.approve': async (args, who) => approve((args as { id?: unknown } | null)?.id, who),
  };

  const note = (runId: string, who: ProvenIdentity) => {
    const p = gate.principal(proofOf(who));
    if (p) board.noteStarter(runId, p);
    if (who.via === 'ssh-key') return;
    starterUid.set(runId, who.uid);
    if (starterUid.size > 1000) starterUid.delete(starterUid.keys().next().value as string);
  };

  return {
    board,
    handlers,
    noteStarters: (h) => ({
      'run.start': async (args, who) => {
        const res = await starting.run(who, () => h['run.start'](args, who));
        if (res.ok) note(res.runId, who);
        return res;
      },
      'run.resume': async (args, who) => {
        const res = await starting.run(who, () => h['run.resume'](args, who));
        if (res.ok) note(res.runId, who);
        return res;
      },
    }),
    stop: () => offBoard(),
  };
}
