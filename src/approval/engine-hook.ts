// The engine's approval hook (R-APR-2..5): one ApprovalFlow per run, fed by two sources at once —
// the run's own form (RunControl.answerApproval: the TUI, headless prompts) and a cross-session
// request another OS user approves with `doai-console approve <id>`. Whichever answers first
// wins; the flow refuses the other by phase, and the request is withdrawn. Every rule (code,
// tries, expiry, 30 s wait, different approver, reason, `yes`) lives in the flow, so no path
// reaches the steps except through it.
import type { Clock } from '../core/clock';
import { approveDirFlag } from '../config/approvals-dir';
import type { ApprovalAnswer, Localized, RunPrompt } from '../core/views';
import type { ApprovalContext, ApprovalInfo, ApprovalResult, PreparedApproval } from '../runbook/engine';
import type { RandomBytes } from './codes';
import { DEFAULT_APPROVAL_POLICY, describeIdentity, requirementFor, type ApprovalRequirement } from './identity';
import { ApprovalFlow, summaryLines, type ApprovalEffect, type ApprovalSnapshot } from './policy';
import { ApprovalRequestError, userNameForUid, type ApprovalRequest } from './requests';
import { refusalReason } from './rules';
import { effectToRunEvent, approvalPrompt } from './run-events';
import { approveFromOtherSession, FlowMovedError } from './session';

export interface ApprovalHookOptions {
  clock: Clock;
  /** Shared sticky directory for cross-session requests; without one only the form approves. */
  approvalsDir?: string;
  /** Config `approvers`: when non-empty, only these may approve (typed names and OS users). */
  approvers?: readonly string[];
  /** Per level, who may approve instead of `approvers` (operators with the approver role, R-ID-1). */
  approversFor?: (level: string) => readonly string[] | undefined;
  /** Config `approval`: declared or proven per level (R-APR-6); the defaults when left out. */
  policy?: Readonly<Partial<Record<'L2' | 'L3', ApprovalRequirement>>>;
  /** A demo config: a level declared where real mode defaults to proven is marked on the form. */
  demo?: boolean;
  random?: RandomBytes;
  /** Poll interval for approval files (fs.watch does the quick part). */
  pollMs?: number;
  /**
   * Headless without a terminal: the request is the only way to approve, so its expiry (the
   * code's 5 minutes) or a directory that cannot be used ends the run.
   */
  sessionOnly?: boolean;
  /** A request is out (headless prints the `doai-console approve <id>` line). */
  onRequest?: (runId: string, request: ApprovalRequest) => void;
  /**
   * A run's approval is open: the server lists it for approvers connected to it (SSH sessions
   * approve in-process with their key, R-SSH-2). Returns what to call when it is over.
   * Each `configure({ onFlow })` adds one; all are told.
   */
  onFlow?: (open: OpenApproval) => () => void;
  /** Approvers' one-time passwords (R-ID-3), held by the server: a name and code typed in the form. */
  totp?: TotpApprovals;
  /**
   * Whether an approver can approve in their own SSH session, with their key, now: `serve --ssh`
   * and an operator with the approver role and a key. Asked for each prompt, so it follows the
   * operators the server holds.
   */
  sshApprovals?: () => boolean;
  /**
   * Who the requester is beyond the run's operator name. Default: this process's uid and OS user
   * (a console runs as its operator). A server gives the uid it proved for the run's starter
   * instead (its own account is nobody's identity).
   */
  requesterOf?: (info: ApprovalInfo) => { uid?: number; osUser?: string };
}

/** What the hook needs of src/operators/totp.ts's verifier. */
export interface TotpApprovals {
  any(): boolean;
  /** The config's spelling of an enrolled approver's name, or undefined. */
  enrolled(typed: string): string | undefined;
  check(typed: string, code: string): { ok: true; name: string } | { ok: false; why: string; name: string; message: string };
}

/** An approval waiting in this process, as the server shows it to approvers. */
export interface OpenApproval {
  info: ApprovalInfo;
  plan: readonly string[];
  flow: ApprovalFlow;
}

export interface ApprovalHook {
  prepareApproval(info: ApprovalInfo): PreparedApproval;
  /** Changes options for runs prepared from now on (headless sets sessionOnly, onRequest). */
  configure(patch: Partial<Omit<ApprovalHookOptions, 'clock'>>): void;
}

const PHASES_WITH_APPROVER = new Set(['code', 'step1', 'step2']);

function both(en: string, ko: string): Localized {
  return { en, ko };
}

/** The run view's approval prompt: the flow's state plus what the form shows around it. */
export function buildApprovalPrompt(
  snap: ApprovalSnapshot,
  extra: { plan: string[]; requestId?: string; requestFlags?: string; requestError?: Localized; demoDeclared?: boolean; totp?: boolean; sshApprovals?: boolean },
): RunPrompt | null {
  const base = approvalPrompt(snap);
  if (!base || base.kind !== 'approval') return base;
  const en = summaryLines(snap, 'en');
  const ko = summaryLines(snap, 'ko');
  return {
    ...base,
    phase: snap.phase,
    mode: snap.mode === 'two-step' ? 'two-step' : 'code',
    requirement: snap.requirement,
    ...(extra.demoDeclared && snap.requirement === 'declared' ? { demoDeclared: true } : {}),
    ...(extra.totp ? { totp: true } : {}),
    ...(extra.sshApprovals ? { sshApprovals: true } : {}),
    ...(snap.step1 ? { step1: { name: snap.step1.name, at: snap.step1.at, ...(snap.step1.source ? { identity: describeIdentity(snap.step1.source) } : {}) } } : {}),
    ...(snap.step2 ? { step2: { name: snap.step2.name, at: snap.step2.at, ...(snap.step2.source ? { identity: describeIdentity(snap.step2.source) } : {}) } } : {}),
    ...(snap.reason !== undefined ? { reason: snap.reason } : {}),
    ...(snap.mode === 'two-step' && (snap.phase === 'summary' || snap.phase === 'confirm-yes')
      ? { summary: en.map((line, i) => ({ en: line, ko: ko[i] ?? line })) }
      : {}),
    ...(snap.error ? { error: snap.error } : {}),
    plan: extra.plan,
    ...(extra.requestId ? { requestId: extra.requestId, ...(extra.requestFlags ? { requestFlags: extra.requestFlags } : {}) } : {}),
    ...(extra.requestError ? { requestError: extra.requestError } : {}),
  };
}

function requestSummary(info: ApprovalInfo): string {
  // One line; the plan itself (every command, on which host) travels in the request beside it.
  const text = `${info.level} ${info.runbook.title.en} on ${info.target}${info.host && info.host !== info.target ? ` (host ${info.host})` : ''}, requested by ${info.operator}`;
  return text.length > 3900 ? `${text.slice(0, 3897)}...` : text;
}

/** This process's uid and OS user name: a declared name equal to either is self-approval. */
function requesterIdentity(): { uid?: number; osUser?: string } {
  if (typeof process.getuid !== 'function') return {};
  const uid = process.getuid();
  return { uid, osUser: userNameForUid(uid) };
}

export function createApprovalHook(initial: ApprovalHookOptions): ApprovalHook {
  const opts: ApprovalHookOptions = { ...initial };

  const prepareApproval = (info: ApprovalInfo): PreparedApproval => {
    const o = { ...opts };
    const requirement = requirementFor(info.level, info.policy, o.policy);
    const approvers = o.approversFor?.(info.level) ?? o.approvers;
    // The demo chose declared where real mode (the default) would be proven: say so on the form.
    const demoDeclared = o.demo === true && requirement === 'declared' && requirementFor(info.level, info.policy, DEFAULT_APPROVAL_POLICY) === 'proven';
    let forward: ((effect: ApprovalEffect) => void) | undefined;
    const early: ApprovalEffect[] = [];
    let finish: ((result: ApprovalResult) => void) | undefined;
    const flow = new ApprovalFlow({
      mode: info.policy,
      clock: o.clock,
      random: o.random,
      approvers,
      requirement,
      requester: { name: info.operator, ...(o.requesterOf ? o.requesterOf(info) : requesterIdentity()) },
      onEffect: (effect) => {
        if (forward) forward(effect);
        else early.push(effect);
      },
    });
    flow.start();
    const code = flow.getSnapshot().code;

    const approve = (ctx: ApprovalContext): Promise<ApprovalResult> =>
      new Promise<ApprovalResult>((resolve) => {
        let settled = false;
        let requestId: string | undefined;
        let requestError: Localized | undefined;
        let lastPrompt = '';
        const sessionStop = new AbortController();
        // Seed 000's START line carries the first code (`START - Confirm: <code>`): the engine
        // writes it once that code can no longer approve, never while it still could (a live
        // code in a log others read is a secret in a log). Said before the line that spent it.
        let spentSaid = code === undefined;
        const saySpent = (over = false) => {
          if (spentSaid || (!over && flow.codeUsable(code!))) return;
          spentSaid = true;
          ctx.codeSpent?.(`Confirm: ${code}`);
        };
        const emit = (ev: Parameters<ApprovalContext['emit']>[0]) => {
          saySpent();
          ctx.emit(ev);
        };

        const pushPrompt = () => {
          if (settled) return;
          const prompt = buildApprovalPrompt(flow.getSnapshot(), { plan: ctx.plan, requestId, requestError, demoDeclared, ...(o.totp?.any() ? { totp: true } : {}), ...(o.sshApprovals?.() ? { sshApprovals: true } : {}), ...(o.approvalsDir ? { requestFlags: approveDirFlag(o.approvalsDir) } : {}) });
          const key = JSON.stringify(prompt);
          if (key === lastPrompt) return;
          lastPrompt = key;
          ctx.emit({ type: 'run.prompt', prompt });
        };

        const end = (result: ApprovalResult) => {
          if (settled) return;
          saySpent(true);
          settled = true;
          unsubscribe();
          unlist?.();
          flow.dispose();
          sessionStop.abort(new Error('approval over'));
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(result);
        };
        finish = end;

        const onDone = (outcome: 'granted' | 'rejected' | 'cancelled') => {
          const snap = flow.getSnapshot();
          if (outcome === 'granted') {
            const approver = snap.step1?.name ?? 'unknown';
            end({ ok: true, approver, how: snap.step1?.how === 'session' ? 'session' : 'code' });
            return;
          }
          const why = snap.error?.en ?? (outcome === 'rejected' ? 'approval rejected' : 'cancelled by user');
          end({ ok: false, reason: why, audited: true });
        };

        forward = (effect) => {
          if ('event' in effect && effect.event === 'done') {
            // Let the audit line of this input land first, then end (same tick, after the loop below).
            queueMicrotask(() => onDone(effect.outcome));
            return;
          }
          saySpent();
          const ev = effectToRunEvent(effect);
          if (ev) emit(ev);
        };
        for (const effect of early.splice(0)) forward(effect);

        const unsubscribe = flow.subscribe(() => {
          // A code that expired on its own (the flow's timer) is spent too.
          saySpent();
          pushPrompt();
        });
        const unlist = o.onFlow?.({ info, plan: ctx.plan, flow });
        const onAbort = () => end({ ok: false, reason: 'cancelled' });
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });

        ctx.onAnswer((answer: ApprovalAnswer) => {
          if (settled) return { accepted: false, error: both('This approval is over', '이 승인 절차는 끝났습니다') };
          const byTotp = answer.kind === 'approve' && o.totp && PHASES_WITH_APPROVER.has(flow.getSnapshot().phase) ? o.totp.enrolled(answer.name) : undefined;
          if (byTotp && o.totp && answer.kind === 'approve' && (requirement === 'proven' || /^\s*\d{6}\s*$/.test(answer.code))) {
            // An enrolled approver's name: the code is their authenticator's (R-ID-3), checked by the server.
            const step = flow.currentStep;
            let check: ReturnType<TotpApprovals['check']>;
            try {
              check = o.totp.check(answer.name, answer.code);
            } catch (err) {
              // A secrets file that cannot be trusted (others can read it) proves nothing.
              check = { ok: false, why: 'unavailable', name: answer.name.trim(), message: `one-time passwords unavailable: ${(err as Error).message}` };
            }
            let res: { accepted: boolean; error?: Localized };
            if (check.ok) {
              res = flow.approveAsProven({ name: check.name, source: { kind: 'totp' } });
            } else if (check.why === 'wrong' && requirement === 'declared' && flow.getSnapshot().code) {
              // Six digits may also be the console's own code: the flow judges it as typed.
              res = flow.input(answer);
            } else {
              flow.recordRefusal(step, check.why === 'locked' ? 'One-time passwords locked' : check.why === 'reused' ? 'One-time password reused' : 'Wrong one-time password', { name: check.name, source: { kind: 'totp' } });
              res = { accepted: false, error: both(check.message, check.message) };
            }
            pushPrompt();
            return { accepted: res.accepted, ...(res.error ? { error: res.error } : {}) };
          }
          const res = flow.input(answer);
          pushPrompt();
          return { accepted: res.accepted, ...(res.error ? { error: res.error } : {}) };
        });
        pushPrompt();

        if (!o.approvalsDir) {
          if (o.sessionOnly) {
            saySpent(true);
            emit({ type: 'audit', message: 'CANCELLED - no approvals directory for a headless approval' });
            end({ ok: false, reason: 'no approvals directory is configured (paths.approvals_dir), and without a terminal nobody can type the code — run from a terminal or configure the directory', audited: true });
          }
          return;
        }
        const dir = o.approvalsDir;

        // Wait for the flow to change (a phase, done) or the run to stop.
        const flowChange = (from: string) =>
          new Promise<void>((res) => {
            const check = () => {
              const s = flow.getSnapshot();
              if (settled || s.done || s.phase !== from || sessionStop.signal.aborted) {
                un();
                sessionStop.signal.removeEventListener('abort', check);
                res();
              }
            };
            const un = flow.subscribe(check);
            sessionStop.signal.addEventListener('abort', check, { once: true });
            check();
          });

        const sessionLoop = async () => {
          while (!settled && !sessionStop.signal.aborted) {
            const snap = flow.getSnapshot();
            if (snap.done) return;
            if (!PHASES_WITH_APPROVER.has(snap.phase)) {
              // The wait between L3's steps, or the requester's own reason/summary/yes.
              await flowChange(snap.phase);
              continue;
            }
            const step = flow.currentStep;
            let asked: string | undefined;
            try {
              const res = await approveFromOtherSession({
                flow,
                dir,
                runbook: info.runbook.id,
                level: info.level,
                target: info.target,
                requester: info.operator,
                summary: requestSummary(info),
                clock: o.clock,
                signal: AbortSignal.any([sessionStop.signal, ctx.signal]),
                pollMs: o.pollMs,
                approvers,
                requires: requirement,
                plan: info.plan,
                onRequest: (request) => {
                  requestId = request.id;
                  asked = request.id;
                  requestError = undefined;
                  pushPrompt();
                  o.onRequest?.(info.runId, request);
                },
                onRejected: (reason) => {
                  // A forged or self-written approval file is an attempt worth recording.
                  emit({ type: 'audit', message: `STEP${step}_REJECTED - Approval file ignored: ${reason.replace(/[\r\n]+/g, ' ')}` });
                  emit({ type: 'approval.rejected', step, reason });
                },
                onRefused: (attempt) => {
                  // R-APR-5: `doai-console approve` refused this person; the requester records it.
                  const why = refusalReason({ code: attempt.refusal });
                  flow.recordRefusal(step, `${why ?? attempt.refusal} (doai-console approve)`, {
                    name: attempt.user,
                    source: { kind: 'os-user', uid: attempt.uid, user: attempt.user },
                  });
                },
              });
              requestId = undefined;
              pushPrompt();
              if (!res.result.accepted && !flow.getSnapshot().done) {
                // E.g. not in the approvers list: that approval did not count; ask again.
                continue;
              }
            } catch (err) {
              requestId = undefined;
              if (settled || sessionStop.signal.aborted || ctx.signal.aborted) return;
              if (err instanceof FlowMovedError) continue;
              if (err instanceof ApprovalRequestError && err.code === 'voided') {
                // R-APR-8: what the approver read is not what was written: nothing counts any more.
                flow.recordRefusal(step, `Request ${asked ?? '?'} voided (${err.detail ?? 'changed'})`, undefined, true);
                return;
              }
              if (err instanceof ApprovalRequestError && err.code === 'expired') {
                if (o.sessionOnly) {
                  saySpent(true);
                  emit({ type: 'audit', message: 'CANCELLED - No approval within 5 min' });
                  end({
                    ok: false,
                    reason: `no approval within 5 minutes (the code's validity) — start the run again and have another user run \`doai-console approve <id>\` in time`,
                    audited: true,
                  });
                  return;
                }
                pushPrompt();
                continue;
              }
              const message = (err as Error).message;
              requestError = both(
                `Approval from another session is not available: ${message}`,
                `다른 세션의 승인을 사용할 수 없습니다: ${message}`,
              );
              pushPrompt();
              if (o.sessionOnly) {
                saySpent(true);
                emit({ type: 'audit', message: 'CANCELLED - Approval request not possible' });
                end({ ok: false, reason: `cannot request approval from another session: ${message}`, audited: true });
              }
              return;
            }
          }
        };
        void sessionLoop();
      });

    return {
      ...(code ? { codeInStart: true } : {}),
      approve,
      dispose: () => {
        flow.dispose();
        finish?.({ ok: false, reason: 'the run did not start' });
      },
    };
  };

  return {
    prepareApproval,
    configure(patch) {
      // onFlow adds a listener (the SSH approvers' board, the server's cross-box approvals) rather than replacing one.
      const { onFlow, ...rest } = patch;
      Object.assign(opts, rest);
      if (onFlow) {
        const before = opts.onFlow;
        opts.onFlow = before
          ? (open) => {
              const a = before(open);
              const b = onFlow(open);
              return () => {
                a();
                b();
              };
            }
          : onFlow;
      }
    },
  };
}
