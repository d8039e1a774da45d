// The runbook engine's shapes: what callers, approval modules and the engine agree on (deps, start
// options, resume points, approval hooks). engine.ts re-exports them; types only.
import type { Config } from '../config/schema';
import type { Clock } from '../core/clock';
import type { ApprovalAnswer, Localized, ParamDefaultsView, RunControl, RunsStore, RunView, StartResult } from '../core/views';
import type { AuditLog } from '../audit/emergency-log';
import type { probeHttp } from '../health/http-probe';
import type { RemoteShell } from '../ssh/types';
import type { RunEvent, RunEventListener, RunOutcome } from './events';
import type { LockStore } from './lock-store';
import type { Runbook } from './schema';
import type { ParamChoice } from './params';

export type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;

/** Events an approval hook may emit for its run (runId and time are filled in). */
export type ApprovalEvent = DistributiveOmit<
  Extract<RunEvent, { type: 'approval.requested' | 'approval.granted' | 'approval.rejected' | 'audit' | 'run.prompt' }>,
  'runId' | 'at'
>;

export interface ApprovalContext {
  runId: string;
  runbook: Runbook;
  target: string;
  level: string;
  operator: string;
  policy: 'code' | 'two-step';
  /** Aborted when the run is cancelled or interrupted while waiting for approval. */
  signal: AbortSignal;
  clock: Clock;
  /**
   * Records approval progress: approval.requested/granted/rejected events (journal, screens),
   * audit events for emergency.log (STEP1_APPROVED by X, STEP2_REJECTED - ..., REASON: ...,
   * EXECUTING — approval.* events write no line by themselves), and the prompt the run view
   * shows. If the hook emits no approval.granted, the engine records one (step 1) and its
   * STEP1_APPROVED line when the hook returns ok.
   */
  emit(event: ApprovalEvent): void;
  /** What will run, on which host, in order (the dry-run lines): shown before anyone approves. */
  plan: string[];
  /** The target's host (the service's host for a service target). */
  host?: string;
  /** Registers what RunControl.answerApproval(runId, answer) feeds while the hook runs. */
  onAnswer(handler: (answer: ApprovalAnswer) => { accepted: boolean; error?: Localized }): void;
  /**
   * The one-time code seed 000 writes into the START line can no longer approve (used, replaced,
   * void, expired, or the approval is over): the engine writes that line now, `START - <note>`
   * (`APPROVAL - <note>` for an approval asked at a later step). Never earlier: a log line must
   * not hold a code that still approves. Called at most once, before the audit line of the input
   * that spent the code. Only for a PreparedApproval with `codeInStart`.
   */
  codeSpent?(note: string): void;
}

/** What an approval module learns in start(), before the START line is written. */
export type ApprovalInfo = Omit<ApprovalContext, 'signal' | 'emit' | 'onAnswer' | 'codeSpent'>;

/** An approval opened in start(). */
export interface PreparedApproval {
  /**
   * It issued a one-time code for the START line (seed 000: `START - Confirm: <code>`): the engine
   * writes START when the hook calls `codeSpent`, not when the run starts. Nothing runs before.
   */
  codeInStart?: boolean;
  approve(ctx: ApprovalContext): Promise<ApprovalResult>;
  /** The run did not start after all (the START line could not be written). */
  dispose(): void;
}

export type ApprovalResult =
  | { ok: true; approver: string; how?: 'code' | 'session' }
  /**
   * The run ends cancelled without running a step ("CANCELLED by user" unless the hook's last
   * audit event already said exactly that).
   */
  | {
      ok: false;
      reason: string;
      /** The hook already wrote the run's closing audit line (STEP2_REJECTED - Same approver, CANCELLED by user): the engine adds none. */
      audited?: boolean;
    };

export interface RunEngineDeps {
  config: Config;
  runbooks: Map<string, Runbook>;
  shell: RemoteShell;
  clock: Clock;
  operator: string;
  audit: AuditLog;
  journalDir: string;
  /** One recovery per target on the machine (R-RUN-7): files in the state dir, or a server's store. */
  locks: LockStore;
  httpProbe?: typeof probeHttp;
  approve?: (ctx: ApprovalContext) => Promise<ApprovalResult>;
  /** Used instead of `approve` when given: opens the approval in start() (its code goes into START once spent). */
  prepareApproval?: (info: ApprovalInfo) => PreparedApproval;
  /** Local snapshots folder (paths.snapshots_dir); each run copies into <dir>/<run id>/. */
  snapshotsDir?: string;
  /** Environment for secrets the config names (provider API keys); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Secret values masked in every event (screen, journal); defaults to the audit log's. */
  secrets?: () => string[];
  /** Output lines kept per run for the screen. */
  maxOutputLines?: number;
  /** Store notification batch (ms, real time). */
  batchMs?: number;
}

export interface StartOptions {
  dryRun?: boolean;
  params?: Record<string, string>;
  /**
   * Resume an interrupted run (R-UI-5): the steps before `stepId` (which must be resumable) are
   * not run again but recorded skipped, "done in run <runId>"; `earlier` is what each of them did
   * there. Approval is asked afresh: the interrupted run's approval is never reused.
   */
  resume?: ResumeFrom;
  /**
   * Who starts the run, when not the engine's own operator: a server starts runs for the
   * operators its consoles proved (src/server/run-intents.ts). Recorded in START, lock and journal.
   */
  operator?: string;
}

export interface ResumeFrom {
  runId: string;
  stepId: string;
  earlier: Record<string, 'ok' | 'skipped' | 'failed'>;
}

export interface RunEngine extends RunControl, RunsStore {
  start(runbookId: string, target: string, opts?: StartOptions): StartResult;
  /** In the process that runs the engine, answers come at once. */
  answerApproval(runId: string, answer: ApprovalAnswer): { accepted: boolean; error?: Localized };
  paramDefaults(runbookId: string, target: string, given?: Record<string, string>): ParamDefaultsView;
  /** Ends the run because the console is going away (SIGHUP/SIGTERM): recorded as interrupted. */
  interrupt(runId: string, reason?: string): void;
  on(listener: RunEventListener): () => void;
  /** Resolves with the outcome when the run has finished and every record is written. */
  waitFor(runId: string): Promise<RunOutcome>;
  activeRuns(): RunView[];
  getRunbook(id: string): Runbook | undefined;
  /** Runs a parameter's choices_from command on the target and remembers the list start() accepts. */
  listChoices(runbookId: string, target: string, param: string, given?: Record<string, string>): Promise<ChoicesResult>;
}

export type ChoicesResult =
  | { ok: true; param: string; host: string; command: string; choices: ParamChoice[]; rejected: string[] }
  | { ok: false; error: string };
