// The L1/L2/L3 approval flows (R-APR-1..3, 5) as one state machine driven by inputs and an
// injected Clock. The TUI, headless `run` and the tests all go through it, so the rules are the
// same on every path: no screen, flag or key reaches a later phase except through these inputs.
//
// The flow does not write anything. It emits effects as data (audit lines, approval events); the
// engine turns them into RunEvents and the audit writer writes them.
import { randomBytes } from 'node:crypto';
import { formatIsoLocal } from '../audit/emergency-log';
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import type { Localized } from '../core/views';
import { CODE_MAX_TRIES, CodeGate, codeFailureMessage, issueCode, type CodeStatus, type RandomBytes } from './codes';
import { approvedAuditLine, describeIdentity, refusalText, type ApprovalRequirement, type IdentitySource } from './identity';
import { judgeApprover, normalizeName, refusalReason, type ApprovalRefusal, type ApproverCandidate } from './rules';

export { normalizeName } from './rules';

export type ApprovalMode = 'auto' | 'code' | 'two-step';

export type ApprovalPhase =
  | 'code'
  | 'step1'
  | 'waiting'
  | 'step2'
  | 'reason'
  | 'summary'
  | 'confirm-yes'
  | 'granted'
  | 'rejected'
  | 'cancelled';

export type ApprovalHow = 'auto' | 'code' | 'session';

/** L3's enforced pause between step 1 and step 2 (clock time). */
export const L3_WAIT_MS = 30_000;

export interface ApproverRecord {
  /** As typed, trimmed (or the OS user name for a session approval). */
  name: string;
  at: Date;
  how: ApprovalHow;
  /** The approving OS user, for approvals made from another session (R-APR-4). */
  uid?: number;
  /** Declared (typed here) or proven (another OS user, …): R-APR-6. Absent for L1's `auto`. */
  source?: IdentitySource;
}

/** What the engine must do because of an input: write an audit line, emit an approval event. */
export type ApprovalEffect =
  | { audit: string }
  | { event: 'requested'; step: 1 | 2 }
  | { event: 'granted'; step: 1 | 2; approver: string; how: ApprovalHow }
  | { event: 'rejected'; step: 1 | 2; approver?: string; reason: string; final: boolean }
  /** The flow is over: 'granted' means the runbook may execute. */
  | { event: 'done'; outcome: 'granted' | 'rejected' | 'cancelled' };

export interface ApprovalSnapshot {
  mode: ApprovalMode;
  /** The level's policy: under `proven` no code is issued and typed names do not approve. */
  requirement: ApprovalRequirement;
  phase: ApprovalPhase;
  /** The approval step the flow is on (1 or 2); undefined for auto. */
  step?: 1 | 2;
  /** The current code while it is usable: the requester's screen shows it to be read out. */
  code?: string;
  codeStatus?: CodeStatus;
  expiresAt?: Date;
  triesLeft?: number;
  /** L3: step 2 opens at this clock time. */
  waitUntil?: Date;
  /** Whole seconds until waitUntil, refreshed every second while waiting. */
  waitRemainingS?: number;
  step1?: ApproverRecord;
  step2?: ApproverRecord;
  reason?: string;
  /** The message of the last refused input, cleared by the next accepted one. */
  error?: Localized;
  done: boolean;
}

export interface InputResult {
  accepted: boolean;
  error?: Localized;
  /** The effects this call produced (also delivered to onEffect). */
  effects: ApprovalEffect[];
}

export type ApprovalInput =
  | { kind: 'approve'; name: string; code: string }
  | { kind: 'session-approve'; name: string; uid: number }
  | { kind: 'reason'; reason: string }
  | { kind: 'continue' }
  | { kind: 'confirm'; word: string }
  | { kind: 'reissue' }
  | { kind: 'cancel' };

export interface ApprovalFlowOptions {
  mode: ApprovalMode;
  clock: Clock;
  random?: RandomBytes;
  /** Config `approvers`: when non-empty, only these names (normalized) may approve. */
  approvers?: readonly string[];
  /** The level's policy (config `approval`); declared when left out. */
  requirement?: ApprovalRequirement;
  /**
   * Who asked: the console's operator name and OS user (a declared name equal to either is
   * self-approval) and uid (a session approval by that uid is).
   */
  requester?: { name: string; osUser?: string; uid?: number };
  /** Every effect, in order, including those produced by timers (step 2 opening). */
  onEffect?: (effect: ApprovalEffect) => void;
}

/** What goes into an audit line: no control codes, whitespace (and newlines) collapsed. */
function oneLine(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

function displayName(name: string): string {
  return oneLine(name);
}

const TERMINAL: ReadonlySet<ApprovalPhase> = new Set(['granted', 'rejected', 'cancelled']);

const msg = {
  emptyName: (): Localized => ({
    en: "Type the approver's name",
    ko: '승인자 이름을 입력하세요',
  }),
  reservedName: (): Localized => ({
    en: '"auto" is reserved for automatic L1 approvals — type the approver\'s own name',
    ko: '"auto"는 L1 자동 승인용 이름입니다 — 승인자 본인의 이름을 입력하세요',
  }),
  notAllowed: (name: string): Localized => ({
    en: `${name} is not in the approvers list of the config — ask a listed approver`,
    ko: `${name}은(는) 설정의 승인자 목록에 없습니다 — 목록에 있는 승인자에게 요청하세요`,
  }),
  wait: (s: number): Localized => ({
    en: `Wait ${s} s — step 2 opens 30 s after step 1 and the wait cannot be skipped`,
    ko: `${s}초 기다리세요 — 2차 승인은 1차 승인 30초 후에 열리며 건너뛸 수 없습니다`,
  }),
  sameApprover: (first: string): Localized => ({
    en: `Step 2 must be approved by someone other than ${first} — approval rejected; start the runbook again`,
    ko: `2차 승인자는 1차 승인자(${first})와 달라야 합니다 — 승인이 거부되었습니다. 런북을 다시 시작하세요`,
  }),
  emptyReason: (): Localized => ({
    en: 'Type the reason for this recovery (it goes into the audit log)',
    ko: '복구 사유를 입력하세요 (감사 로그에 기록됩니다)',
  }),
  notYes: (): Localized => ({
    en: 'Cancelled — only the word yes executes',
    ko: '취소됨 — yes를 입력해야만 실행됩니다',
  }),
  cancelled: (): Localized => ({ en: 'Cancelled by user', ko: '사용자가 취소했습니다' }),
  over: (phase: ApprovalPhase): Localized => ({
    en: `This approval is over (${phase}) — start the runbook again`,
    ko: `이 승인 절차는 끝났습니다 (${phase}) — 런북을 다시 시작하세요`,
  }),
  wrongPhase: (phase: ApprovalPhase): Localized => ({
    en: `That input is not expected now: the approval is at "${phase}"`,
    ko: `지금은 그 입력을 받을 수 없습니다: 현재 승인 단계는 "${phase}"입니다`,
  }),
  codeVoid: (): Localized => ({
    en: 'The code is void — issue a new code before approving',
    ko: '코드가 무효입니다 — 승인 전에 새 코드를 발급하세요',
  }),
  provenRequired: (): Localized => ({
    en: 'This level needs a PROVEN approval: a name typed here is only declared and does not count — another person runs `doai-console approve <id>` as their own OS user',
    ko: '이 레벨은 증명된 승인이 필요합니다: 여기에 입력한 이름은 선언일 뿐 인정되지 않습니다 — 다른 사람이 자신의 OS 계정으로 `doai-console approve <id>`를 실행하세요',
  }),
  selfApproval: (name: string): Localized => ({
    en: `Self-approval refused: ${name} is the operator of this console — another person must approve`,
    ko: `자기 승인 거부: ${name}은(는) 이 콘솔의 운영자입니다 — 다른 사람이 승인해야 합니다`,
  }),
};

/** What the form says about a refusal (the audit line says it in refusalText's words). */
function refusalMessage(refusal: ApprovalRefusal, name: string): Localized {
  switch (refusal.code) {
    case 'empty-name':
      return msg.emptyName();
    case 'reserved-name':
      return msg.reservedName();
    case 'proven-required':
      return msg.provenRequired();
    case 'self-approval':
      return msg.selfApproval(name);
    case 'same-approver':
      return msg.sameApprover(refusal.first);
    case 'not-allowed':
      return msg.notAllowed(name);
  }
}

/**
 * One approval, from request to granted/rejected/cancelled. A store, so screens can render it;
 * call start() once, then feed inputs. dispose() stops its timers.
 */
export class ApprovalFlow extends BatchedStore<ApprovalSnapshot> {
  readonly mode: ApprovalMode;
  private readonly clock: Clock;
  private readonly random: RandomBytes;
  private readonly approvers: readonly string[];
  private readonly requirement: ApprovalRequirement;
  private readonly requester: { name: string; osUser?: string; uid?: number };
  private readonly onEffect?: (effect: ApprovalEffect) => void;

  private phase: ApprovalPhase;
  private gate?: CodeGate;
  private waitUntil?: Date;
  /** When the L3 wait ends on the monotonic clock: the wait is decided on this (R-APR-7); waitUntil is for display. */
  private waitEndsMono?: number;
  private step1?: ApproverRecord;
  private step2?: ApproverRecord;
  private reason?: string;
  private error?: Localized;
  private started = false;
  private timers: (() => void)[] = [];
  private pending: ApprovalEffect[] = [];

  constructor(opts: ApprovalFlowOptions) {
    super({ mode: opts.mode, requirement: opts.requirement ?? 'declared', phase: opts.mode === 'code' ? 'code' : 'step1', done: false });
    this.mode = opts.mode;
    this.clock = opts.clock;
    this.random = opts.random ?? randomBytes;
    this.approvers = opts.approvers ?? [];
    this.requirement = opts.requirement ?? 'declared';
    this.requester = opts.requester ?? { name: 'console' };
    this.onEffect = opts.onEffect;
    this.phase = opts.mode === 'code' ? 'code' : 'step1';
  }

  /** Issues the first code (or grants L1) and returns the opening effects. Call once. */
  start(): InputResult {
    if (this.started) return this.refuse(msg.wrongPhase(this.phase));
    this.started = true;
    if (this.mode === 'auto') {
      const at = this.clock.now();
      this.step1 = { name: 'auto', at, how: 'auto' };
      this.phase = 'granted';
      this.emit({ event: 'granted', step: 1, approver: 'auto', how: 'auto' });
      // R-APR-1: L1 is automatic but still leaves a line in the audit log.
      this.emit({ audit: 'STEP1_APPROVED by auto' });
      this.emit({ event: 'done', outcome: 'granted' });
      return this.accept();
    }
    this.newCode();
    this.emit({ event: 'requested', step: 1 });
    return this.accept();
  }

  /** The step the flow is on, for approval requests made to other sessions. */
  get currentStep(): 1 | 2 {
    return this.mode === 'two-step' && this.step1 ? 2 : 1;
  }

  /**
   * Whether `code` can still approve: it is the current step's code and has not been used,
   * replaced, voided or expired. Read live (not from the last published snapshot), so an effect
   * being delivered already sees the code its input spent.
   */
  codeUsable(code: string): boolean {
    return this.gate !== undefined && this.gate.status === 'active' && this.gate.code.value === code;
  }

  /** The step-1 approver (L3 step-2 requests carry it so the same person cannot approve twice). */
  get firstApprover(): ApproverRecord | undefined {
    return this.step1;
  }

  input(input: ApprovalInput): InputResult {
    switch (input.kind) {
      case 'approve':
        return this.approve(input.name, input.code);
      case 'session-approve':
        return this.approveFromSession({ name: input.name, uid: input.uid });
      case 'reason':
        return this.giveReason(input.reason);
      case 'continue':
        return this.continueToConfirm();
      case 'confirm':
        return this.confirm(input.word);
      case 'reissue':
        return this.reissueCode();
      case 'cancel':
        return this.cancel();
    }
  }

  /** Approver name + code, for L2 or either L3 step. */
  approve(name: string, code: string): InputResult {
    const candidate: ApproverCandidate = { name: displayName(name), source: { kind: 'declared', by: this.requester.name } };
    const pre = this.precheckApprover(candidate);
    if (pre) return pre;
    const step = this.phase === 'step2' ? 2 : 1;
    const gate = this.gate;
    if (!gate) return this.refuse(msg.codeVoid());
    const result = gate.verify(code, this.clock.now(), this.clock.monotonic());
    if (!result.ok) {
      const error = codeFailureMessage(result, gate.status);
      if (result.reason === 'format') return this.refuse(error);
      const why =
        result.reason === 'wrong'
          ? result.triesLeft > 0
            ? `Wrong code (${result.triesLeft} ${result.triesLeft === 1 ? 'try' : 'tries'} left)`
            : `Wrong code (${CODE_MAX_TRIES} wrong tries, code void)`
          : result.reason === 'expired'
            ? 'Code expired'
            : 'Code void';
      this.emitRefused(step, why, candidate, false);
      return this.refuse(error);
    }
    return this.grantStep(step, { name: candidate.name, at: this.clock.now(), how: 'code', source: candidate.source });
  }

  /**
   * An approval made by another OS user through an approval request (R-APR-4). The request
   * module has already checked the file's owner; the same phase, wait, approver-list and
   * different-approver rules apply here as for a typed code.
   */
  approveFromSession(approver: { name: string; uid: number }): InputResult {
    const name = displayName(approver.name);
    const candidate: ApproverCandidate = { name, source: { kind: 'os-user', uid: approver.uid, user: name } };
    const pre = this.precheckApprover(candidate);
    if (pre) return pre;
    const step = this.phase === 'step2' ? 2 : 1;
    return this.grantStep(step, { name, at: this.clock.now(), how: 'session', uid: approver.uid, source: candidate.source });
  }

  /**
   * An approval by an identity the server proved: an SSH key it authenticated, the uid of a
   * console on its socket, or the approver's own one-time password (R-APR-6, R-ID-3). The name is
   * the operator's name from the config, never typed; the same rules apply as for every path.
   */
  approveAsProven(approver: { name: string; source: Extract<IdentitySource, { kind: 'ssh-key' } | { kind: 'totp' } | { kind: 'os-user' } | { kind: 'peer-server' }> }): InputResult {
    const name = displayName(approver.name);
    const candidate: ApproverCandidate = { name, source: approver.source };
    const pre = this.precheckApprover(candidate);
    if (pre) return pre;
    const step = this.phase === 'step2' ? 2 : 1;
    // A uid the server's socket proved (`approve` attached): step 2 is judged against it too.
    const uid = approver.source.kind === 'os-user' ? { uid: approver.source.uid } : {};
    return this.grantStep(step, { name, at: this.clock.now(), how: 'session', ...uid, source: candidate.source });
  }

  /** The approval step the flow is on now, and who approved step 1 (for an approver's listing). */
  get pendingStep(): { step: 1 | 2; step1?: { name: string; source?: IdentitySource } } | undefined {
    this.sync();
    if (this.phase !== 'code' && this.phase !== 'step1' && this.phase !== 'step2' && this.phase !== 'waiting') return undefined;
    return { step: this.phase === 'step2' || this.phase === 'waiting' ? 2 : 1, ...(this.step1 ? { step1: { name: this.step1.name, source: this.step1.source } } : {}) };
  }

  /**
   * Records an attempt refused elsewhere (a `doai-console approve` that refused itself, a request
   * whose file was changed): the audit line, the journal and the timeline, never a grant.
   * `final` ends the approval (a voided request cannot be trusted for anything after it).
   */
  recordRefusal(step: 1 | 2, why: string, who?: ApproverCandidate, final = false): void {
    this.sync();
    if (TERMINAL.has(this.phase)) return;
    if (final) {
      const text = refusalText(why, who);
      this.finish('rejected', `STEP${step}_REJECTED - ${text}`, { step, approver: who?.name ?? this.requester.name, reason: text });
      this.error = { en: text, ko: text };
    } else {
      this.emitRefused(step, why, who, false);
    }
    this.publish();
  }

  giveReason(reason: string): InputResult {
    this.sync();
    if (this.phase !== 'reason') return this.refuseOutOfPhase();
    const text = oneLine(reason);
    if (text === '') return this.refuse(msg.emptyReason());
    this.reason = text;
    this.phase = 'summary';
    this.emit({ audit: `REASON: ${text}` });
    return this.accept();
  }

  /** The operator has seen the summary box; next comes the typed word. */
  continueToConfirm(): InputResult {
    this.sync();
    if (this.phase !== 'summary') return this.refuseOutOfPhase();
    this.phase = 'confirm-yes';
    return this.accept();
  }

  /** Only the word `yes` (trimmed, exactly) executes; anything else cancels (seed 000). */
  confirm(word: string): InputResult {
    this.sync();
    if (this.phase !== 'confirm-yes') return this.refuseOutOfPhase();
    if (word.trim() !== 'yes') {
      this.finish('cancelled', 'CANCELLED by user');
      this.error = msg.notYes();
      this.publish();
      return { accepted: false, error: this.error, effects: this.drain() };
    }
    this.finish('granted', 'EXECUTING');
    return this.accept();
  }

  /** A new code replaces the current one (void or not) for the current step. */
  reissueCode(): InputResult {
    this.sync();
    if (this.phase !== 'code' && this.phase !== 'step1' && this.phase !== 'step2') return this.refuseOutOfPhase();
    if (this.requirement === 'proven') return this.refuse(msg.provenRequired());
    this.newCode();
    this.emit({ audit: `CODE_REISSUED - step ${this.phase === 'step2' ? 2 : 1}` });
    return this.accept();
  }

  cancel(): InputResult {
    this.sync();
    if (TERMINAL.has(this.phase)) return this.refuse(msg.over(this.phase));
    this.finish('cancelled', 'CANCELLED by user');
    this.error = msg.cancelled();
    this.publish();
    return { accepted: true, effects: this.drain() };
  }

  /** Re-evaluates time-driven state (wait over, code expired); timers call it too. */
  tick(): void {
    const before = this.getSnapshot();
    this.sync();
    const effects = this.drain();
    if (effects.length > 0 || this.changedSince(before)) this.publish();
  }

  dispose(): void {
    for (const stop of this.timers.splice(0)) stop();
  }

  // --- internals ---

  private precheckApprover(candidate: ApproverCandidate): InputResult | undefined {
    this.sync();
    if (!this.started) return this.refuse(msg.wrongPhase(this.phase));
    if (TERMINAL.has(this.phase)) return this.refuse(msg.over(this.phase));
    if (this.phase === 'waiting') {
      const ms = this.waitLeftMs();
      return this.refuse(msg.wait(Math.max(1, Math.ceil(ms / 1000))));
    }
    if (this.phase !== 'code' && this.phase !== 'step1' && this.phase !== 'step2') return this.refuseOutOfPhase();
    const step: 1 | 2 = this.phase === 'step2' ? 2 : 1;
    const refusal = judgeApprover(candidate, {
      step,
      requirement: this.requirement,
      requester: { names: [this.requester.name, ...(this.requester.osUser ? [this.requester.osUser] : [])], uid: this.requester.uid },
      step1: this.step1,
      approvers: this.approvers,
    });
    if (!refusal) return undefined;
    const why = refusalReason(refusal);
    if (why === undefined) return this.refuse(refusalMessage(refusal, candidate.name));
    if (refusal.code === 'same-approver') {
      // Seed 000: the same approver twice ends the L3 approval.
      const text = refusalText(why, candidate);
      this.finish('rejected', `STEP2_REJECTED - ${text}`, { step: 2, approver: candidate.name, reason: text });
      this.error = refusalMessage(refusal, candidate.name);
      this.publish();
      return { accepted: false, error: this.error, effects: this.drain() };
    }
    this.emitRefused(step, why, candidate, false);
    return this.refuse(refusalMessage(refusal, candidate.name));
  }

  /** R-APR-5: a refused attempt is an audit line and an approval.rejected event (journal, timeline). */
  private emitRefused(step: 1 | 2, why: string, who: ApproverCandidate | undefined, final: boolean): void {
    const text = refusalText(why, who);
    this.emit({ audit: `STEP${step}_REJECTED - ${text}` });
    this.emit({ event: 'rejected', step, ...(who ? { approver: who.name } : {}), reason: text, final });
  }

  private grantStep(step: 1 | 2, record: ApproverRecord): InputResult {
    // A session approval must not leave a typed code alive for a second use.
    this.gate = undefined;
    this.emit({ event: 'granted', step, approver: record.name, how: record.how });
    this.emit({ audit: record.source ? approvedAuditLine(step, record.name, record.source) : `STEP${step}_APPROVED by ${record.name}` });
    if (step === 1) this.step1 = record;
    else this.step2 = record;
    if (this.mode === 'code') {
      this.phase = 'granted';
      this.stopTimers();
      this.emit({ event: 'done', outcome: 'granted' });
    } else if (step === 1) {
      this.phase = 'waiting';
      this.waitUntil = new Date(record.at.getTime() + L3_WAIT_MS);
      this.waitEndsMono = this.clock.monotonic() + L3_WAIT_MS;
      this.armWaitTimer();
    } else {
      this.phase = 'reason';
      this.stopTimers();
    }
    return this.accept();
  }

  private finish(outcome: 'granted' | 'rejected' | 'cancelled', audit: string, rejected?: { step: 1 | 2; approver: string; reason: string }): void {
    this.phase = outcome;
    this.gate = undefined;
    this.stopTimers();
    if (rejected) {
      this.emit({ audit });
      this.emit({ event: 'rejected', ...rejected, final: true });
    } else {
      this.emit({ audit });
    }
    this.emit({ event: 'done', outcome });
  }

  /** Moves time-driven state forward: the wait ends (step 2 opens with a new code), codes expire. */
  private sync(): void {
    const now = this.clock.now();
    if (this.phase === 'waiting' && this.waitEndsMono !== undefined && this.waitLeftMs() <= 0) {
      this.phase = 'step2';
      this.stopTimers();
      // Each step-2 code is new and issued only once the wait is over.
      this.newCode();
      this.emit({ event: 'requested', step: 2 });
    }
    this.gate?.expireIfDue(now, this.clock.monotonic());
  }

  /** Time left in the L3 wait, on the monotonic clock. */
  private waitLeftMs(): number {
    return (this.waitEndsMono ?? 0) - this.clock.monotonic();
  }

  private newCode(): void {
    // Under `proven` a code would only be a secret on the requester's own screen: none is issued.
    if (this.requirement === 'proven') {
      this.gate = undefined;
      return;
    }
    this.gate = new CodeGate(issueCode({ clock: this.clock, random: this.random }));
    this.armExpiryTimer();
  }

  private armExpiryTimer(): void {
    const gate = this.gate;
    if (!gate) return;
    const ms = gate.code.expiresAtMono !== undefined ? gate.code.expiresAtMono - this.clock.monotonic() : gate.code.expiresAt.getTime() - this.clock.now().getTime();
    this.timers.push(this.clock.setTimeout(() => this.tick(), Math.max(0, ms)));
  }

  private armWaitTimer(): void {
    // One tick a second drives the visible countdown; the tick at waitUntil opens step 2.
    this.timers.push(this.clock.setInterval(() => this.tick(), 1000));
    this.timers.push(this.clock.setTimeout(() => this.tick(), Math.max(0, this.waitLeftMs())));
  }

  private stopTimers(): void {
    this.dispose();
  }

  private emit(effect: ApprovalEffect): void {
    this.pending.push(effect);
    this.onEffect?.(effect);
  }

  private drain(): ApprovalEffect[] {
    return this.pending.splice(0);
  }

  private accept(): InputResult {
    this.error = undefined;
    this.publish();
    return { accepted: true, effects: this.drain() };
  }

  private refuse(error: Localized): InputResult {
    this.error = error;
    this.publish();
    return { accepted: false, error, effects: this.drain() };
  }

  private refuseOutOfPhase(): InputResult {
    return this.refuse(TERMINAL.has(this.phase) ? msg.over(this.phase) : msg.wrongPhase(this.phase));
  }

  private build(): ApprovalSnapshot {
    const gate = this.gate;
    const active = gate?.status === 'active';
    return {
      mode: this.mode,
      requirement: this.requirement,
      phase: this.phase,
      step: this.mode === 'auto' ? undefined : this.currentStep,
      code: active ? gate!.code.value : undefined,
      codeStatus: gate?.status,
      expiresAt: gate?.code.expiresAt,
      triesLeft: gate ? gate.triesLeft : undefined,
      waitUntil: this.waitUntil,
      waitRemainingS:
        this.phase === 'waiting' && this.waitEndsMono !== undefined ? Math.max(0, Math.ceil(this.waitLeftMs() / 1000)) : undefined,
      step1: this.step1,
      step2: this.step2,
      reason: this.reason,
      error: this.error,
      done: TERMINAL.has(this.phase),
    };
  }

  private changedSince(before: ApprovalSnapshot): boolean {
    const next = this.build();
    return (
      next.phase !== before.phase ||
      next.codeStatus !== before.codeStatus ||
      next.waitRemainingS !== before.waitRemainingS ||
      next.code !== before.code
    );
  }

  private publish(): void {
    this.set(this.build());
  }
}

/** The L3 summary box (seed 000), one line per entry, shown before the typed `yes`. */
export function summaryLines(snap: ApprovalSnapshot, lang: 'ko' | 'en'): string[] {
  // Local time with its offset, as in emergency.log, so the box and the audit lines read alike.
  const when = (r?: ApproverRecord) => (r ? ` (${formatIsoLocal(r.at)}${r.source ? `, ${describeIdentity(r.source)}` : ''})` : '');
  const none = lang === 'ko' ? '(없음)' : '(none)';
  return lang === 'ko'
    ? [
        `1차 승인: ${snap.step1?.name ?? none}${when(snap.step1)}`,
        `2차 승인: ${snap.step2?.name ?? none}${when(snap.step2)}`,
        `사유: ${snap.reason ?? none}`,
      ]
    : [
        `Step 1 approver: ${snap.step1?.name ?? none}${when(snap.step1)}`,
        `Step 2 approver: ${snap.step2?.name ?? none}${when(snap.step2)}`,
        `Reason: ${snap.reason ?? none}`,
      ];
}

export function createApprovalFlow(opts: ApprovalFlowOptions): ApprovalFlow {
  return new ApprovalFlow(opts);
}

/** The runbook level's default policy (seed 000): L1 auto, L2 one code, L3 two steps. */
export function modeForLevel(level: string): ApprovalMode {
  switch (level.toUpperCase()) {
    case 'L1':
      return 'auto';
    case 'L2':
      return 'code';
    default:
      // Unknown or higher levels get the strictest flow rather than none.
      return 'two-step';
  }
}
