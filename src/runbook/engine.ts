// The runbook engine: runs a runbook's steps against a target and says what happens as
// RunEvents. The run screen's store, the journal and the audit log are fed by those events only,
// in that one dispatch below; nothing else reaches into a run.
import type { ApprovalAnswer, Localized, OutputLine, ParamDefaultsView, RunbookSummary, RunPrompt, RunsSnapshot, RunView, StartResult } from '../core/views';
import { join } from 'node:path';
import { RunJournal } from '../audit/journal';
import { redactDeep } from '../audit/redact';
import { probeHttp } from '../health/http-probe';
import type { TrustFailure } from '../ssh/types';
import { AuditNotWritten, createAuditRecorder } from './audit-events';
import type { OutputStream, RunEvent, RunEventListener, RunOutcome } from './events';
import { DEFAULT_UNREACHABLE_WAIT_MS, describeLock, type LockCheck, type LostLock } from './lock-store';
import { fittingTargets, targetMisfit } from './fit';
import { renderSteps, renderText, resolveParams, resolveRef, resolveTarget, skipReason, type RunScope } from './render';
import { renderTemplate } from './template';
import { failureMessage, stepFailedAuditLine, type FailurePoint } from './failure-message';
import { type ResolveParamsContext, parseChoices } from './params';
import { ChoiceListings } from './choice-listings';
import { RunViewStore } from './runs-store';
import type { Runbook, Step } from './schema';
import { stepKind, type StepContext, type StepResult } from './step-kinds';
// The L2/L3 kinds (snapshot, provider-reboot, ssh-connect and host-health checks) register themselves.
import './step-kinds/index';
import type { DistributiveOmit, ApprovalContext, PreparedApproval, ApprovalResult, RunEngineDeps, StartOptions, ResumeFrom, RunEngine, ChoicesResult } from './engine-types';
import { runStamp, newRunId, planLines, approvalGateIndex, gatedPlan, resumedPlan, resumeProblem, relatedTargets, stepTitle } from './engine-plan';

// The shapes and the pure helpers live beside this module; their public parts are here too.
export type { ApprovalEvent, ApprovalContext, ApprovalInfo, PreparedApproval, ApprovalResult, RunEngineDeps, StartOptions, ResumeFrom, RunEngine, ChoicesResult } from './engine-types';
export { runStamp, newRunId, planLines, approvalGateIndex, resumeProblem } from './engine-plan';


interface ActiveRun {
  runId: string;
  runbook: Runbook;
  target: string;
  dryRun: boolean;
  /** Parameters a dry run left unpicked (choices_from): shown as placeholders. */
  placeholders: string[];
  resume?: ResumeFrom & { index: number };
  scope: RunScope;
  steps: Step[];
  controller: AbortController;
  journal: RunJournal;
  release?: () => void;
  stop?: { kind: 'cancel' } | { kind: 'interrupt'; reason: string };
  /** The step running now, if any (its command is not killed for a lost lock: the run stops after it). */
  inStep?: string;
  confirmWaiter?: () => void;
  prepared?: PreparedApproval;
  /** Who started it (StartOptions.operator or the engine's operator). */
  operator: string;
  /** Who cancelled it, when not the starter. */
  cancelledBy?: string;
  answer?: (answer: ApprovalAnswer) => { accepted: boolean; error?: Localized };
  done: Promise<RunOutcome>;
  /** Audit lines of this run the log refused (kept in the journal, appended late when it takes them). */
  auditMissed?: number;
  /** The START line waits for the approval's code to be spent (run.started startDeferred); set once written or tried. */
  startPending?: boolean;
  /** Why the deferred START line could not be written: the run ends there, nothing runs. */
  startNotWritten?: string;
  /** Index of the step the approval is asked before (approval_gate), 0 when asked before the first. */
  gate: number;
  /** stdout of the show_in_plan steps before the gate: what the approver reads above the plan. */
  planNotes: string[];
  /** Last stdout line of each audit_detail step (a verified summary): added to the success message. */
  details?: Map<string, string>;
}


const KEEP_OUTCOMES = 500;

class Engine implements RunEngine {
  private readonly store: RunViewStore;
  private readonly listeners = new Set<RunEventListener>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly outcomes = new Map<string, RunOutcome>();
  private readonly recordAudit: (event: RunEvent) => void;
  private readonly journals = new Map<string, RunJournal>();
  /** Values a target listed per runbook/target/param (choices_from), with when (real time). */
  /** Listings kept by the parameter values they were made with (src/runbook/choice-listings.ts). */
  private readonly listedChoices = new ChoiceListings();

  constructor(private readonly deps: RunEngineDeps) {
    this.store = new RunViewStore({ runbook: (id) => deps.runbooks.get(id), batchMs: deps.batchMs ?? 100, maxLines: deps.maxOutputLines });
    this.recordAudit = createAuditRecorder(deps.audit, (id) => deps.runbooks.get(id), () => deps.clock.now());
    deps.locks.onLost?.((lost) => this.lockLost(lost));
  }

  /**
   * The run's target lock is someone else's now (the state store came back and another box had
   * taken it): the run stops before its next step, the step running now finishes (R-RUN-7: never
   * two recoveries on one target, and never a command killed half-way). A run waiting for an
   * approval or a confirmation has nothing running and stops at once.
   */
  private lockLost(lost: LostLock): void {
    const run = this.active.get(lost.runId);
    if (!run || run.target !== lost.target || run.stop) return;
    const who = lost.holder ? `${lost.holder.operator} on ${lost.holder.hostname} (run ${lost.holder.runId})` : 'another console';
    run.stop = { kind: 'interrupt', reason: `lock on ${lost.target} lost while the state store was away: ${who} holds it now — nothing more was run` };
    if (!run.inStep || run.confirmWaiter) run.controller.abort(new Error(run.stop.reason));
    else {
      // Said now, on the running step's output: it may run a while yet.
      const line = `${run.stop.reason.replace(/ — nothing more was run$/, '')}: this step finishes, nothing after it runs`;
      this.dispatch({ type: 'step.output', runId: run.runId, at: this.deps.clock.now(), stepId: run.inStep, stream: 'stderr', line });
    }
    run.journal.flush(true);
  }

  // --- RunsStore -----------------------------------------------------------------------------
  getSnapshot = (): RunsSnapshot => this.store.getSnapshot();
  subscribe = (onChange: () => void): (() => void) => this.store.subscribe(onChange);
  getOutput = (runId: string, max: number): OutputLine[] => this.store.getOutput(runId, max);

  // --- RunControl ----------------------------------------------------------------------------
  listRunbooks = (): RunbookSummary[] =>
    [...this.deps.runbooks.values()]
      .map((r) => ({
        id: r.id,
        title: r.title,
        level: r.level,
        targetKind: r.target,
        ...(r.fits ? { fits: [...r.fits] } : {}),
        targets: fittingTargets(r, this.deps.config),
        approval: r.approval,
        ...(r.description ? { description: r.description } : {}),
        ...(r.checklist ? { checklist: r.checklist } : {}),
        params: Object.entries(r.params).map(([name, p]) => ({
          name,
          type: p.type,
          ...(p.description ? { description: p.description } : {}),
          ...(p.default !== undefined ? { default: String(p.default) } : {}),
          ...(p.choices ? { choices: [...p.choices] } : {}),
          listed: p.choices_from !== undefined,
          ...(p.pattern !== undefined ? { pattern: p.pattern } : {}),
          ...(p.choices_from?.default === 'first' ? { listedDefaultFirst: true } : {}),
        })),
      }))
      .sort((a, b) => a.level.localeCompare(b.level) || a.id.localeCompare(b.id));

  getRunbook = (id: string): Runbook | undefined => this.deps.runbooks.get(id);

  on = (listener: RunEventListener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  activeRuns = (): RunView[] => this.store.getSnapshot().runs.filter((r) => r.state === 'running');

  waitFor = (runId: string): Promise<RunOutcome> => {
    const run = this.active.get(runId);
    if (run) return run.done;
    const outcome = this.outcomes.get(runId);
    if (outcome) return Promise.resolve(outcome);
    return Promise.reject(new Error(`no run with id ${runId} in this console`));
  };

  cancel = (runId: string, by?: string): void => {
    const run = this.active.get(runId);
    if (!run || run.stop) return;
    run.stop = { kind: 'cancel' };
    if (by !== undefined) run.cancelledBy = by;
    run.controller.abort(new Error('cancelled by user'));
  };

  interrupt = (runId: string, reason = 'console stopped'): void => {
    const run = this.active.get(runId);
    if (!run || run.stop) return;
    run.stop = { kind: 'interrupt', reason };
    run.controller.abort(new Error(`interrupted: ${reason}`));
    // The console may exit right after: get what is buffered onto disk now.
    run.journal.flush(true);
  };

  confirm = (runId: string): void => {
    const run = this.active.get(runId);
    const waiter = run?.confirmWaiter;
    if (!run || !waiter) return;
    run.confirmWaiter = undefined;
    waiter();
  };

  answerApproval = (runId: string, answer: ApprovalAnswer): { accepted: boolean; error?: Localized } => {
    const run = this.active.get(runId);
    if (!run) return { accepted: false, error: { en: 'This run is over — start it again', ko: '이 실행은 끝났습니다 — 다시 시작하세요' } };
    if (!run.answer) return { accepted: false, error: { en: 'This run is not waiting for an approval', ko: '이 실행은 승인을 기다리고 있지 않습니다' } };
    return run.answer(answer);
  };

  start = (runbookId: string, target: string, opts: StartOptions = {}): StartResult => {
    const { deps } = this;
    const runbook = deps.runbooks.get(runbookId);
    if (!runbook) {
      return { ok: false, error: `unknown runbook "${runbookId}"; available: ${[...deps.runbooks.keys()].sort().join(', ') || 'none'}` };
    }
    const cannot = (why: string): StartResult => ({ ok: false, error: `cannot start ${runbook.id} on ${target}: ${why}` });
    // A misfit says so in one short line (it names the runbook and the target already).
    const misfit = targetMisfit(runbook, deps.config, target);
    if (misfit) return { ok: false, error: misfit };
    const resolved = resolveTarget(deps.config, runbook, target);
    if (!resolved.ok) return cannot(resolved.error);
    const paramCtx = this.paramContext(runbook, target, resolved.scope, opts.dryRun === true);
    if (opts.resume) {
      // A listed value was picked from the target's list when the interrupted run started.
      const listed = paramCtx.listed;
      paramCtx.listed = (name, earlier) => listed?.(name, earlier) ?? (opts.resume && opts.params?.[name] !== undefined ? [opts.params[name]] : undefined);
    }
    const params = resolveParams(runbook, opts.params, paramCtx);
    if (!params.ok) return cannot(params.error);
    let resume: ActiveRun['resume'];
    if (opts.resume) {
      const why = resumeProblem(runbook, opts.resume, opts.dryRun === true);
      if (why) return cannot(`resume from run ${opts.resume.runId}: ${why}`);
      resume = { ...opts.resume, index: runbook.steps.findIndex((s) => s.id === opts.resume!.stepId) };
    }
    const placeholders = params.placeholders;
    const now = deps.clock.now();
    const runId = newRunId(now, runbook.id);
    const operator = opts.operator ?? deps.operator;
    const scope: RunScope = { ...resolved.scope, params: params.params, run: { stamp: runStamp(now), id: runId, operator } };
    let steps: Step[];
    try {
      steps = renderSteps(runbook, scope);
    } catch (err) {
      return cannot((err as Error).message);
    }
    for (const step of steps) {
      if (!stepKind(step.kind)) return cannot(`step "${step.id}" has kind "${step.kind}", which this console cannot run yet`);
    }
    const dryRun = opts.dryRun === true;
    if (!dryRun && runbook.approval !== 'auto' && !deps.approve && !deps.prepareApproval) {
      return cannot(`it needs ${runbook.approval} approval and this console has no approval module; use the interactive console or \`doai-console approve\``);
    }

    // A dry run changes nothing, so it neither takes nor waits for the target's lock.
    let release: (() => void) | undefined;
    if (!dryRun) {
      try {
        const lock = deps.locks.acquire(target, { operator, runbook: runbook.id, level: runbook.level, since: now.toISOString(), runId });
        if (!lock.ok) return { ok: false, error: lock.message, ...(lock.hint ? { hint: lock.hint } : {}) };
        release = lock.release;
        // A box reset and a service restart on that box must not overlap either. Both sides take
        // their own lock first and then look at the other's, so in a race both refuse, never both run.
        const related = relatedTargets(deps.config, runbook.target, target, resolved.scope.host?.name);
        for (const other of related) {
          const held = deps.locks.holder(other);
          if (held && held.alive && held.runId !== runId) {
            release();
            return { ok: false, error: `${describeLock(held)} on ${other}, which shares the host with ${target}`, hint: deps.locks.clearHint(other) };
          }
        }
      } catch (err) {
        return cannot(`cannot take the target lock in ${deps.locks.where}: ${(err as Error).message}${deps.locks.where.startsWith('/') ? '; check that the directory is writable' : ''}`);
      }
    }

    let journal: RunJournal;
    try {
      journal = new RunJournal(deps.journalDir, runId, { secrets: () => this.secrets(), onError: (e) => this.journalFailed(runId, e) });
    } catch (err) {
      release?.();
      return cannot(`cannot write the run journal in ${deps.journalDir}: ${(err as Error).message}; check paths.journal_dir in the config`);
    }

    let prepared: PreparedApproval | undefined;
    const gate = approvalGateIndex(steps);
    if (!dryRun && runbook.approval !== 'auto' && deps.prepareApproval && gate === 0) {
      try {
        prepared = deps.prepareApproval({
          runId,
          runbook,
          target,
          level: runbook.level,
          operator,
          policy: runbook.approval,
          clock: deps.clock,
          plan: resumedPlan(resume, planLines(steps, scope)),
          host: resolved.scope.host?.name,
        });
      } catch (err) {
        journal.close();
        release?.();
        return cannot(`the approval could not be opened: ${(err as Error).message}`);
      }
    }
    const started: RunEvent = {
      type: 'run.started',
      runId,
      runbook: runbook.id,
      level: runbook.level,
      auditName: runbook.audit_name,
      target,
      operator,
      dryRun,
      ...(prepared?.codeInStart ? { startDeferred: true } : {}),
      ...(Object.keys(params.params).length ? { params: params.params } : {}),
      ...(resume ? { resumedFrom: { runId: resume.runId, stepId: resume.stepId } } : {}),
      at: now,
    };
    // The START line must be on disk before anything runs; without it the run does not happen.
    // One that carries the approval's code is written when the code is spent (codeSpent below).
    try {
      this.recordAudit(this.redact(started));
    } catch (err) {
      prepared?.dispose();
      journal.close();
      release?.();
      return cannot((err as Error).message);
    }

    let resolveDone!: (o: RunOutcome) => void;
    const done = new Promise<RunOutcome>((r) => (resolveDone = r));
    const run: ActiveRun = { runId, runbook, target, dryRun, placeholders, scope, steps, controller: new AbortController(), journal, release, prepared, done, resume, gate, planNotes: [], operator, ...(started.startDeferred ? { startPending: true } : {}) };
    this.active.set(runId, run);
    this.journals.set(runId, journal);
    this.dispatch(started, { skipAudit: true });
    void this.execute(run).then(
      (outcome) => resolveDone(outcome),
      () => resolveDone('failed'),
    );
    return { ok: true, runId };
  };

  // --- parameters ----------------------------------------------------------------------------

  /** Defaults as start() would fill them, for the parameter form; one that cannot be filled is left out. */
  paramDefaults = (runbookId: string, target: string, given: Record<string, string> = {}): ParamDefaultsView => {
    const runbook = this.deps.runbooks.get(runbookId);
    if (!runbook) return { ok: false, error: `unknown runbook "${runbookId}"` };
    const resolved = resolveTarget(this.deps.config, runbook, target);
    if (!resolved.ok) return { ok: false, error: resolved.error };
    const scope: RunScope = { ...resolved.scope, params: {}, run: { stamp: '', id: '', operator: this.deps.operator } };
    const values: Record<string, string> = {};
    for (const [name, p] of Object.entries(runbook.params)) {
      if (given[name] !== undefined) values[name] = given[name];
      else if (p.default !== undefined) {
        try {
          values[name] = renderTemplate(String(p.default), (ref) => resolveRef(ref, { ...scope, params: values }), 'raw');
        } catch {
          // start() says why when the operator leaves it empty.
        }
      }
    }
    return { ok: true, values };
  };

  private paramContext(runbook: Runbook, target: string, scope: Omit<RunScope, 'run' | 'params'>, dryRun: boolean): ResolveParamsContext {
    const { config } = this.deps;
    const fullScope: RunScope = { ...scope, params: {}, run: { stamp: '', id: '', operator: this.deps.operator } };
    return {
      names: { services: config.services.map((s) => s.name), hosts: config.hosts.map((h) => h.name) },
      resolveRef: (ref) => resolveRef(ref, fullScope),
      dryRun,
      listed: (name, earlier) => {
        const from = runbook.params[name]?.choices_from;
        return from ? this.listedChoices.get(runbook.id, target, name, from, earlier) : undefined;
      },
      staleListing: (name, earlier) => {
        const from = runbook.params[name]?.choices_from;
        return from ? this.listedChoices.stale(runbook.id, target, name, from, earlier) : undefined;
      },
    };
  }

  listChoices = async (runbookId: string, target: string, param: string, given: Record<string, string> = {}): Promise<ChoicesResult> => {
    const runbook = this.deps.runbooks.get(runbookId);
    if (!runbook) return { ok: false, error: `unknown runbook "${runbookId}"` };
    const p = runbook.params[param];
    if (!p) return { ok: false, error: `${runbook.id} has no parameter "${param}" (it takes: ${Object.keys(runbook.params).join(', ') || 'none'})` };
    const from = p.choices_from;
    if (!from) return { ok: false, error: `parameter "${param}" of ${runbook.id} has no list on the target (no choices_from)` };
    const resolved = resolveTarget(this.deps.config, runbook, target);
    if (!resolved.ok) return { ok: false, error: resolved.error };
    // The listing may use parameters declared before this one: those are resolved and checked first.
    const names = Object.keys(runbook.params);
    const earlierNames = names.slice(0, names.indexOf(param));
    const earlier: Runbook = { ...runbook, params: Object.fromEntries(earlierNames.map((n) => [n, runbook.params[n]])) };
    const earlierGiven = Object.fromEntries(Object.entries(given).filter(([k]) => earlierNames.includes(k)));
    const ctx = this.paramContext(runbook, target, resolved.scope, false);
    const params = resolveParams(earlier, earlierGiven, ctx);
    if (!params.ok) return { ok: false, error: params.error };
    const scope: RunScope = { ...resolved.scope, params: params.params, run: { stamp: '', id: '', operator: this.deps.operator } };
    let command: string;
    let host: string;
    try {
      command = renderTemplate(from.run, (ref) => resolveRef(ref, scope), 'shell');
      host = from.host ? renderTemplate(from.host, (ref) => resolveRef(ref, scope), 'raw') : (scope.host?.name ?? '');
    } catch (err) {
      return { ok: false, error: `cannot list the choices of "${param}": ${(err as Error).message}` };
    }
    if (!host || !scope.hosts.has(host)) return { ok: false, error: scope.hostProblem ?? `cannot list the choices of "${param}": host ${JSON.stringify(host)} is not under hosts: in the config` };
    const lines: string[] = [];
    const errors: string[] = [];
    let res;
    try {
      res = await this.deps.shell.exec(host, command, {
        timeoutMs: Math.round(from.timeout_s * 1000),
        onLine: (stream, line) => (stream === 'stdout' ? lines.push(line) : errors.push(line)),
      });
    } catch (err) {
      return { ok: false, error: `cannot list the choices of "${param}" on ${host}: ${(err as Error).message}` };
    }
    if (res.code !== 0) {
      const why = res.timedOut ? `timed out after ${from.timeout_s} s` : res.code !== null ? `exit code ${res.code}` : 'the command did not finish';
      // What the host said comes first: a long listing command must not push it off the screen.
      return { ok: false, error: `listing the choices of "${param}" on ${host} failed (${why})${errors.length ? `: ${errors.slice(-3).join(' / ')}` : ''} — ${command}` };
    }
    const parsed = parseChoices(param, p, lines, ctx.names);
    this.listedChoices.remember(runbook.id, target, param, from, params.params, parsed.choices.map((c) => c.value));
    return { ok: true, param, host, command, choices: parsed.choices, rejected: parsed.rejected };
  };

  // --- running -------------------------------------------------------------------------------

  private async execute(run: ActiveRun): Promise<RunOutcome> {
    const { runbook } = run;
    const emit = (e: DistributiveOmit<RunEvent, 'runId' | 'at'>) => this.dispatch({ ...e, runId: run.runId, at: this.deps.clock.now() } as RunEvent);
    let outcome: RunOutcome = 'success';
    let message: string | undefined;
    let escalateTo: string | undefined;
    let trust: TrustFailure | undefined;
    let approvalRefused = false;
    /** The run ended at its approval (refused, timed out, failed, cancelled while asked). */
    let notApproved = false;
    let approvalAudited = false;
    /** The `FAILED - …, nothing ran` line is the run's closing line: the recorder adds none. */
    let nothingRanWritten = false;
    let index = 0;
    let failedAt: FailurePoint | undefined;
    const stepOutcomes = new Map<string, string>();
    /** Steps that ran in this run (the lock is confirmed before each one after the first). */
    let ran = 0;
    /**
     * Of those, the ones at or after the approval (approval_gate, else the first step): the steps
     * before a gate are checks that change nothing live, which is what the gate declares.
     */
    let ranPastGate = 0;
    // start() returns its runId before the first step event, even for a dry run.
    await Promise.resolve();
    // Said before the approval, so approvers and the log see that earlier steps will not run again
    // (right after a START line that waits for the approval's code: codeSpent).
    if (run.resume && !run.startPending) emit({ type: 'audit', message: resumedLine(run.resume) });
    try {
      // A runbook with an approval_gate asks at that step: the checks before it (which change
      // nothing live) go into the plan the approver reads.
      const approval = run.dryRun || run.gate > 0 ? { ok: true as const } : await this.approval(run, emit);
      if (!approval.ok) {
        approvalRefused = true;
        notApproved = true;
        approvalAudited = approval.audited === true;
        outcome = approval.outcome;
        message = approval.message;
      } else {
        for (; index < run.steps.length; index++) {
          if (run.controller.signal.aborted || run.stop) break;
          const step = run.steps[index];
          if (index === run.gate && index > 0 && !run.dryRun) {
            const gated = await this.approval(run, emit);
            if (!gated.ok) {
              approvalRefused = true;
              notApproved = true;
              approvalAudited = gated.audited === true;
              outcome = gated.outcome;
              message = gated.message;
              break;
            }
          }
          if (run.resume && index < run.resume.index) {
            const before = run.resume.earlier[step.id]!;
            stepOutcomes.set(step.id, before);
            emit({ type: 'step.finished', stepId: step.id, outcome: 'skipped', message: before === 'ok' ? `done in run ${run.resume.runId}` : `${before} in run ${run.resume.runId}` });
            continue;
          }
          const skip = skipReason(step, run.scope);
          if (skip) {
            // when:/unless: (L3: the provider API or the manual reboot, never both).
            emit({ type: 'step.finished', stepId: step.id, outcome: 'skipped', message: skip });
            continue;
          }
          if (step.only_if_failed && !run.dryRun && stepOutcomes.get(step.only_if_failed) !== 'failed') {
            emit({ type: 'step.finished', stepId: step.id, outcome: 'skipped', message: `only runs when step "${step.only_if_failed}" fails` });
            continue;
          }
          // Before every step after the first: the lock is still this run's (a store that can lose it).
          if (!run.dryRun && ran > 0 && !(await this.lockStillHeld(run, index, emit))) break;
          emit({ type: 'step.started', stepId: step.id });
          if (run.dryRun) {
            if (index === 0) {
              for (const name of run.placeholders) {
                const from = runbook.params[name]?.choices_from;
                let listing = from?.run ?? '';
                try {
                  listing = renderTemplate(listing, (ref) => resolveRef(ref, run.scope), 'shell');
                } catch {
                  // shown as written
                }
                emit({ type: 'step.output', stepId: step.id, stream: 'stdout', line: `[dry-run] parameter ${name}: would be picked from the list \`${listing}\` prints on the host (not listed in a dry run)` });
              }
            }
            if (step.only_if_failed) emit({ type: 'step.output', stepId: step.id, stream: 'stdout', line: `[dry-run] only if step "${step.only_if_failed}" fails:` });
            for (const line of stepKind(step.kind)!.describe(step, { hosts: run.scope.hosts })) {
              emit({ type: 'step.output', stepId: step.id, stream: 'stdout', line: `[dry-run] ${line}` });
            }
            emit({ type: 'step.finished', stepId: step.id, outcome: 'skipped', message: 'dry run: nothing ran' });
            continue;
          }
          run.inStep = step.id;
          ran++;
          if (index >= run.gate) ranPastGate++;
          const result = await this.runStep(run, step, emit).finally(() => (run.inStep = undefined));
          stepOutcomes.set(step.id, result.outcome);
          if (run.controller.signal.aborted) {
            emit({ type: 'step.finished', stepId: step.id, outcome: 'cancelled', message: this.stopText(run) });
            index++;
            break;
          }
          const allowed = result.outcome === 'failed' && step.may_fail && !result.trust;
          emit({ type: 'step.finished', stepId: step.id, outcome: result.outcome, message: result.message, ...(allowed ? { allowed: true } : {}) });
          // Stopped while the step ran without killing it (a lost lock): nothing after it runs.
          if (run.stop) {
            index++;
            break;
          }
          if (result.outcome === 'failed' && (!step.may_fail || result.trust)) {
            outcome = 'failed';
            failedAt = { stepId: step.id, reason: result.message };
            message = `${stepTitle(step)} failed: ${result.message}`;
            trust = result.trust;
            index++;
            break;
          }
        }
      }
    } catch (err) {
      outcome = 'failed';
      message = `internal error: ${(err as Error).message}`;
    }
    if (run.stop) {
      outcome = run.stop.kind === 'cancel' ? 'cancelled' : 'interrupted';
      message = this.stopText(run);
    }
    // Steps that never ran are recorded as skipped, so the journal and report show the whole plan.
    for (; index < run.steps.length; index++) {
      emit({ type: 'step.finished', stepId: run.steps[index].id, outcome: 'skipped' });
    }
    // What the steps before the gate left, as the gate step says it (when_not_approved): said in
    // the message however the approval ended, and in the FAILED line written here.
    const gateStep = run.steps[run.gate];
    const left = notApproved && !run.dryRun && gateStep?.approval_gate && gateStep.when_not_approved ? renderText(gateStep.when_not_approved.en, run.scope) : undefined;
    const andLeft = left ? `; ${left}` : '';
    if (outcome === 'success') {
      message = run.dryRun
        ? 'dry run: nothing ran'
        : [runbook.on_success.message ? renderText(runbook.on_success.message.en, run.scope) : undefined, ...(run.details?.values() ?? [])].filter(Boolean).join('; ') || undefined;
    } else if (outcome === 'failed' && ran === 0 && !approvalAudited) {
      // No step started on any host (an approval hook that threw, an internal error before the
      // first step): the log says what failed and that nothing ran, not the runbook's failure
      // line, and there is no recovery that failed, so nothing to escalate to.
      const reason = message ?? 'no step started';
      message = `${reason} — nothing ran${andLeft}`;
      emit({ type: 'audit', message: `FAILED - ${reason}, nothing ran${andLeft}` });
      nothingRanWritten = true;
    } else if (outcome === 'failed' && ranPastGate === 0 && !failedAt && !trust && !approvalAudited) {
      // Only the checks before an approval_gate ran, and then the approval itself failed (its hook
      // threw) or the engine did: no step that changes anything live ran, so this is no failed
      // recovery either. The log says why and where it stopped, not the runbook's "Escalate to".
      const reason = message ?? 'internal error';
      const at = run.steps[run.gate];
      const where = at ? `nothing ran from step ${run.gate + 1} (${at.id}) on` : 'nothing more ran';
      message = `${reason} — ${where}${andLeft}`;
      emit({ type: 'audit', message: `FAILED - ${reason}, ${where}${andLeft}` });
      nothingRanWritten = true;
    } else if (outcome === 'failed' && trust) {
      // Every level reaches the host the same way: escalating cannot get past a refused key.
      message = `${trust.summary}: ${trust.fix}`;
    } else if (outcome === 'failed' && !approvalRefused) {
      // A refused approval is not a failed recovery: nothing ran, so there is nothing to escalate.
      escalateTo = runbook.on_failure.escalate_to;
      // Only what the steps that ran established (issue 12 item 5); the log names the step and why.
      message = failureMessage(runbook, run.steps, stepOutcomes, failedAt, message, run.scope);
      if (failedAt && !run.stop) emit({ type: 'audit', message: stepFailedAuditLine(failedAt) });
    } else if (left) {
      // Refused, timed out or cancelled at the approval (the approval flow and the closing line say
      // so), or interrupted while it was asked (the INTERRUPTED line carries the message).
      message = message ? `${message}${andLeft}` : left;
    }
    emit({ type: 'run.finished', outcome, message, escalateTo, ...(trust && outcome === 'failed' ? { trust } : {}), ...((approvalAudited || nothingRanWritten) && !run.stop ? { auditWritten: true } : {}) });
    this.finish(run, outcome);
    return outcome;
  }

  /**
   * Asks the lock store whether the run still holds its target's lock, before step index+1 (issue 15
   * item 5: nothing that needs a lock starts while the state store is away). While the store does
   * not answer the run waits here, said on screen, in its output and in the audit log, and asks again
   * every second; it goes on when the store answers and the lock is still its own. A lock someone
   * else holds now stops the run as a lost lock does; a store away longer than its bound stops it
   * too. A cancel ends the wait at once. A store without confirm (files) is not asked.
   */
  private async lockStillHeld(run: ActiveRun, index: number, emit: (e: DistributiveOmit<RunEvent, 'runId' | 'at'>) => void): Promise<boolean> {
    const { locks, clock } = this.deps;
    if (!locks.confirm || !run.release) return true;
    const signal = run.controller.signal;
    const stepId = run.steps[index]!.id;
    const n = index + 1;
    const ask = async (): Promise<LockCheck | 'aborted'> => {
      let onAbort = () => {};
      const aborted = new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted');
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return await Promise.race([locks.confirm!(run.target, run.runId), aborted]);
      } catch (err) {
        return { state: 'unreachable', error: (err as Error).message };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    };
    const bound = locks.unreachableWaitMs ?? DEFAULT_UNREACHABLE_WAIT_MS;
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    // Clock time (a demo's clock runs faster), so the bound means what the config says.
    const started = clock.monotonic();
    const waited = () => (clock.monotonic() - started) * clock.scale;
    let waiting = false;
    for (;;) {
      const check = await ask();
      if (check === 'aborted' || signal.aborted) return false;
      if (check.state === 'held') {
        if (waiting) {
          emit({ type: 'step.output', stepId, stream: 'stderr', line: `the state store answered and the lock on ${run.target} is still this run's: step ${n} starts` });
          emit({ type: 'audit', message: `CONTINUED - the state store answered before step ${n} (waited ${seconds(waited())})` });
        }
        return true;
      }
      if (check.state === 'lost') {
        this.lockLost({ target: run.target, runId: run.runId, ...(check.holder ? { holder: check.holder } : {}) });
        return false;
      }
      if (!waiting) {
        waiting = true;
        emit({ type: 'step.progress', stepId, detail: `waiting for the state store before step ${n}` });
        emit({
          type: 'step.output',
          stepId,
          stream: 'stderr',
          line: `waiting for the state store before step ${n} (${check.error}): it starts when the store answers and the lock on ${run.target} is still this run's; the run ends INTERRUPTED if it does not answer within ${seconds(bound)}`,
        });
        emit({ type: 'audit', message: `WAITING for the state store before step ${n}` });
        run.journal.flush(true);
      }
      if (waited() >= bound) {
        run.stop = { kind: 'interrupt', reason: `state store unreachable before step ${n}: no answer within ${seconds(bound)}, nothing more was run` };
        return false;
      }
      try {
        await clock.sleep(Math.min(1000, Math.max(0, bound - waited())), signal);
      } catch {
        return false;
      }
    }
  }

  private stopText(run: ActiveRun): string {
    if (!run.stop) return '';
    return run.stop.kind === 'cancel' ? `cancelled by ${run.cancelledBy ?? run.operator}` : run.stop.reason;
  }

  private finish(run: ActiveRun, outcome: RunOutcome): void {
    run.journal.close();
    this.journals.delete(run.runId);
    try {
      run.release?.();
    } catch {
      // the lock file is gone already; nothing to release
    }
    this.active.delete(run.runId);
    this.outcomes.set(run.runId, outcome);
    if (this.outcomes.size > KEEP_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value!);
  }

  private async approval(
    run: ActiveRun,
    emit: (e: DistributiveOmit<RunEvent, 'runId' | 'at'>) => void,
  ): Promise<{ ok: true } | { ok: false; outcome: RunOutcome; message: string; fromApproval: true; audited?: boolean }> {
    const { runbook } = run;
    if (runbook.approval === 'auto') {
      emit({ type: 'approval.granted', step: 1, approver: 'auto', how: 'auto' });
      // R-APR-1/5: automatic, and still a line in the audit log (worded like the approval flow's).
      emit({ type: 'audit', message: 'STEP1_APPROVED by auto' });
      return { ok: true };
    }
    let granted = false;
    let prompted = false;
    const ctx: ApprovalContext = {
      runId: run.runId,
      runbook,
      target: run.target,
      level: runbook.level,
      operator: run.operator,
      policy: runbook.approval,
      signal: run.controller.signal,
      clock: this.deps.clock,
      emit: (e) => {
        if (run.controller.signal.aborted && e.type !== 'run.prompt') return;
        if (e.type === 'approval.granted') granted = true;
        if (e.type === 'run.prompt') prompted = e.prompt !== null;
        emit(e);
      },
      plan: run.gate > 0 ? gatedPlan(run.planNotes, planLines(run.steps, run.scope), run.gate) : resumedPlan(run.resume, planLines(run.steps, run.scope)),
      host: run.scope.host?.name,
      onAnswer: (handler) => {
        run.answer = handler;
      },
      codeSpent: (note) => this.codeSpent(run, note),
    };
    const aborted = new Promise<'aborted'>((resolve) => {
      if (run.controller.signal.aborted) resolve('aborted');
      run.controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let result: ApprovalResult | 'aborted';
    try {
      if (!run.prepared && run.gate > 0 && this.deps.prepareApproval) {
        const { signal: _s, emit: _e, onAnswer: _o, ...info } = ctx;
        // Its code goes into an `APPROVAL - Confirm: <code>` line once spent (codeSpent).
        run.prepared = this.deps.prepareApproval(info);
      }
      const hook = run.prepared ? run.prepared.approve(ctx) : this.deps.approve!(ctx);
      result = await Promise.race([hook, aborted]);
    } catch (err) {
      // A bug or I/O error in the approval module: nothing ran; recorded as failed, not as the user's cancel.
      return { ok: false, outcome: 'failed', message: `approval failed: ${(err as Error).message}`, fromApproval: true };
    } finally {
      run.answer = undefined;
    }
    if (prompted) emit({ type: 'run.prompt', prompt: null });
    if (result !== 'aborted' && result.ok && (run.startPending || run.startNotWritten !== undefined)) {
      // Granted, but its START line is not on disk: nothing runs (a refused line is kept to append
      // late), and there is nothing to escalate.
      emit({ type: 'audit', message: 'FAILED - START line not written, nothing ran' });
      return { ok: false, outcome: 'failed', message: `${run.startNotWritten ?? 'the START line was never written'} — nothing ran`, fromApproval: true, audited: true };
    }
    if (result === 'aborted') return { ok: false, outcome: 'cancelled', message: this.stopText(run), fromApproval: true };
    if (!result.ok) return { ok: false, outcome: 'cancelled', message: result.reason, fromApproval: true, audited: result.audited };
    if (!granted) {
      emit({ type: 'approval.granted', step: 1, approver: result.approver, how: result.how ?? 'code' });
      emit({ type: 'audit', message: `STEP1_APPROVED by ${result.approver}` });
    }
    return { ok: true };
  }

  /**
   * The approval's one-time code can no longer approve: the line seed 000 gives it is written now.
   * Before the run's first step that is its START line, and nothing runs unless it is on disk.
   */
  private codeSpent(run: ActiveRun, note: string): void {
    const at = this.deps.clock.now();
    if (!run.startPending) {
      // An approval asked at a later step (approval_gate): START was written when the run began.
      if (run.gate > 0) this.dispatch({ type: 'audit', runId: run.runId, message: `APPROVAL - ${note}`, at });
      return;
    }
    run.startPending = false;
    const start: RunEvent = { type: 'audit', runId: run.runId, message: `START - ${note}`, at };
    try {
      this.recordAudit(this.redact(start));
    } catch (err) {
      run.startNotWritten = (err as Error).message;
      run.auditMissed = (run.auditMissed ?? 0) + 1;
      this.deliver({ type: 'step.output', runId: run.runId, stepId: '-', stream: 'stderr', line: `AUDIT LOG NOT WRITTEN: ${run.startNotWritten}`, at });
    }
    this.dispatch(start, { skipAudit: true });
    if (run.resume) this.dispatch({ type: 'audit', runId: run.runId, message: resumedLine(run.resume), at });
  }

  private async runStep(run: ActiveRun, step: Step, emit: (e: DistributiveOmit<RunEvent, 'runId' | 'at'>) => void): Promise<StepResult> {
    const ctx: StepContext = {
      runId: run.runId,
      signal: run.controller.signal,
      clock: this.deps.clock,
      shell: this.deps.shell,
      httpProbe: this.deps.httpProbe ?? probeHttp,
      hosts: run.scope.hosts,
      services: this.deps.config.services,
      snapshotsDir: this.deps.snapshotsDir ? join(this.deps.snapshotsDir, run.runId) : undefined,
      env: this.deps.env,
      output: (stream: OutputStream, line: string) => {
        if (step.show_in_plan && stream === 'stdout' && run.planNotes.length < 200) run.planNotes.push(`   ${line}`);
        if (step.audit_detail && stream === 'stdout') (run.details ??= new Map()).set(step.id, line);
        emit({ type: 'step.output', stepId: step.id, stream, line });
      },
      progress: (detail: string) => emit({ type: 'step.progress', stepId: step.id, detail }),
      prompt: (prompt: RunPrompt | null) => emit({ type: 'run.prompt', prompt }),
      waitForConfirm: () =>
        new Promise<void>((resolve, reject) => {
          const signal = run.controller.signal;
          if (signal.aborted) return reject(signal.reason);
          const onAbort = () => {
            run.confirmWaiter = undefined;
            reject(signal.reason);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          run.confirmWaiter = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        }),
    };
    try {
      return await stepKind(step.kind)!.run(step, ctx);
    } catch (err) {
      return { outcome: 'failed', message: run.controller.signal.aborted ? 'cancelled' : (err as Error).message || String(err) };
    }
  }

  // --- the one dispatch: audit, store, journal, listeners -------------------------------------

  private secrets(): string[] {
    try {
      return this.deps.secrets?.() ?? this.deps.audit.secrets();
    } catch {
      return [];
    }
  }

  private redact(event: RunEvent): RunEvent {
    return redactDeep(event, this.secrets());
  }

  private withAuditNote(run: ActiveRun, message: string | undefined): string | undefined {
    if (!run.auditMissed) return message;
    const note = `audit incomplete: ${run.auditMissed} line(s) not written to ${this.deps.audit.path}, kept in the journal and appended (marked LATE) once it is writable`;
    return message ? `${message}; ${note}` : note;
  }

  private dispatch(raw: RunEvent, opts: { skipAudit?: boolean } = {}): void {
    let event = this.redact(raw);
    if (!opts.skipAudit) {
      try {
        this.recordAudit(event);
      } catch (err) {
        // The action already happened; say loudly that its line is missing rather than stop a
        // recovery half-way. The line itself goes into the journal; the run's outcome says the
        // audit is incomplete (SUCCESS, audit incomplete) and a headless run exits 1.
        const lines = err instanceof AuditNotWritten ? err.lines : [];
        const run = this.active.get(event.runId);
        if (run) run.auditMissed = (run.auditMissed ?? 0) + Math.max(1, lines.length);
        const stepId = 'stepId' in event ? event.stepId : '-';
        this.deliver({ type: 'step.output', runId: event.runId, stepId, stream: 'stderr', line: `AUDIT LOG NOT WRITTEN: ${(err as Error).message}`, at: event.at });
        for (const line of lines) this.deliver({ type: 'step.output', runId: event.runId, stepId, stream: 'stderr', line: `AUDIT LINE KEPT (to append late): ${line}`, at: event.at });
      }
    }
    // Counted once the closing line itself was tried: the outcome says how many lines are missing.
    const run = event.type === 'run.finished' ? this.active.get(event.runId) : undefined;
    if (event.type === 'run.finished' && run?.auditMissed) event = { ...event, auditIncomplete: true, message: this.withAuditNote(run, event.message) };
    this.deliver(event);
  }

  private deliver(event: RunEvent): void {
    this.store.apply(event);
    this.journals.get(event.runId)?.record(event);
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // a listener's bug must not break the run or the other listeners
      }
    }
  }

  private journalFailed(runId: string, err: Error): void {
    // Shown once on the run's output; the audit log remains the durable record.
    const event: RunEvent = { type: 'step.output', runId, stepId: '-', stream: 'stderr', line: err.message, at: this.deps.clock.now() };
    this.store.apply(event);
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // ignore
      }
    }
  }
}

export function createRunEngine(deps: RunEngineDeps): RunEngine {
  return new Engine(deps);
}

function resumedLine(resume: ResumeFrom): string {
  return `RESUMED from ${resume.runId} at step ${resume.stepId}`;
}
