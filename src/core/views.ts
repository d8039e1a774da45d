// Snapshot shapes that screens render. The health module and the runbook module produce them;
// screens only read them (and call the intent methods on the stores).
import type { Store } from './store';
import type { BackupFreshness } from '../health/backup-freshness';
import type { OutputStream, RunOutcome, StepOutcome } from '../runbook/events';

export type Lang = 'ko' | 'en';
export type Localized = { ko: string; en: string };

export type ServiceState = 'UP' | 'SLOW' | 'SUSPECT' | 'DOWN' | 'UNKNOWN';

export interface ServiceHealth {
  name: string;
  host: string;
  unit?: string;
  state: ServiceState;
  httpStatus?: number;
  latencyMs?: number;
  /** Recent latencies, oldest first; null marks a failed probe. At most 30. */
  samples: (number | null)[];
  consecutiveFailures: number;
  threshold: number;
  /** When the state last changed (null until the first probe). */
  lastChangeAt: Date | null;
  lastProbeAt: Date | null;
  /** The last error in words: "timeout after 10 s", "connection refused", "HTTP 503", "DNS: not found"... */
  lastError?: string;
  /** No health_url in the config: never probed, so its UNKNOWN is for good, not "not probed yet". */
  unmonitored?: boolean;
}

export interface Recommendation {
  level: 'L1' | 'L2' | 'L3';
  runbook: string;
  target: string;
  /** Why, in words, e.g. "doai-orchestrator not answering (3/3 failures) → L2". */
  reason: Localized;
}

export interface ServiceTransition {
  service: string;
  from: ServiceState;
  to: ServiceState;
  at: Date;
  error?: string;
}

export interface FleetSnapshot {
  services: ServiceHealth[];
  recommendation?: Recommendation;
  /** Probe interval in ms (clock time) and whether the clock is compressed (demo). */
  intervalMs: number;
  timeScale: number;
  updatedAt: Date | null;
}

export interface FleetStore extends Store<FleetSnapshot> {
  start(): void;
  stop(): void;
  /** Probe everything now (does not wait for the interval). Resolves when the sweep ends. */
  probeNow(): Promise<void>;
  onTransition(listener: (t: ServiceTransition) => void): () => void;
}

export type StepState = 'pending' | 'running' | StepOutcome;

export interface StepView {
  id: string;
  title: Localized;
  kind: string;
  state: StepState;
  startedAt?: Date;
  finishedAt?: Date;
  /** Live detail: "attempt 3/6", "waiting 12 s", the failure message. */
  detail?: string;
}

export type RunState = 'running' | RunOutcome;

/** What the run is waiting for from the operator, if anything. */
export type RunPrompt =
  | { kind: 'confirm'; stepId: string; message: Localized }
  | {
      kind: 'approval';
      step: 1 | 2;
      /** Where the approval flow stands (src/approval/policy.ts ApprovalPhase). */
      phase?: 'code' | 'step1' | 'waiting' | 'step2' | 'reason' | 'summary' | 'confirm-yes' | 'granted' | 'rejected' | 'cancelled';
      mode?: 'code' | 'two-step';
      code?: string;
      expiresAt?: Date;
      triesLeft?: number;
      waitUntil?: Date;
      /** `identity`: where the name comes from (R-APR-6), e.g. `os-user bob uid 1001`, `declared by orion`. */
      step1?: { name: string; at: Date; identity?: string };
      step2?: { name: string; at: Date; identity?: string };
      /**
       * The level's approval policy (R-APR-6): under `proven` no code is issued and the form only
       * says how another person approves from their own account.
       */
      requirement?: 'declared' | 'proven';
      /** The demo config chose declared approvals where real mode is proven: the form says so. */
      demoDeclared?: boolean;
      /** An approver's authenticator code also proves (R-ID-3): the form asks for a name and code even under `proven`. */
      totp?: boolean;
      /** The server takes SSH sessions (`serve --ssh`): an approver also approves in their own, with their key (R-SSH-2). */
      sshApprovals?: boolean;
      reason?: string;
      /** What will run, on which host, shown before anyone approves (dry-run lines). */
      plan?: string[];
      /** Summary box lines (L3), in the operator's language. */
      summary?: Localized[];
      /** A pending cross-session request another OS user can approve with `doai-console approve <id>`. */
      requestId?: string;
      /** Flags `doai-console approve <id>` needs to find that request (` --approvals-dir …` unless it is the machine's default). */
      requestFlags?: string;
      /** Why no cross-session request could be made (e.g. the approvals directory); the form still works. */
      requestError?: Localized;
      message?: Localized;
      error?: Localized;
    };

/** What an operator types into the approval form (mirrors src/approval/policy.ts ApprovalInput). */
export type ApprovalAnswer =
  | { kind: 'approve'; name: string; code: string }
  | { kind: 'reason'; reason: string }
  | { kind: 'continue' }
  | { kind: 'confirm'; word: string }
  | { kind: 'reissue' }
  | { kind: 'cancel' };

/**
 * One approval waiting in a run, as approvers see it: the server's approvals board (SSH sessions)
 * and, with what the wire adds, `doai-console approve` (src/protocol/approvals.ts ServedApproval).
 */
export interface PendingApprovalView {
  runId: string;
  runbook: string;
  title: string;
  level: string;
  target: string;
  host?: string;
  /** Who started the run, as the server proved them (else the engine's operator name). */
  requester: string;
  step: 1 | 2;
  steps: 1 | 2;
  /** The flow's phase; 'waiting' is L3's enforced pause before step 2 (nobody can approve yet). */
  phase: string;
  requirement: 'declared' | 'proven';
  /** The exact plan the run will execute (R-APR-8). */
  plan: readonly string[];
  step1?: { name: string; identity?: string };
  /** Seconds left in L3's enforced wait, while it runs (on the flow's monotonic clock). */
  waitRemainingS?: number;
}

export interface OutputLine {
  stepId: string;
  stream: OutputStream;
  line: string;
}

export interface RunView {
  runId: string;
  runbook: string;
  title: Localized;
  level: string;
  target: string;
  operator: string;
  dryRun: boolean;
  state: RunState;
  steps: StepView[];
  startedAt: Date;
  finishedAt?: Date;
  /** Final message: success text, "manual inspection required", the failure reason. */
  message?: string;
  escalateTo?: string;
  prompt?: RunPrompt;
  /** Total output lines seen; the store keeps only the last N (ring buffer), the journal has all. */
  outputCount: number;
  /**
   * Set when the run belongs to another console process (seen through its lock and journal,
   * R-RUN-7) or was interrupted in an earlier session: this console can watch it, not control it.
   */
  observedBy?: { operator: string; since: Date; pid?: number };
  /**
   * An interrupted run that can go on from the step it stopped in (marked resumable in the
   * runbook): RunControl.resume starts a new run there, with a fresh approval. index is 0-based.
   */
  resumeAt?: { stepId: string; index: number };
}

export interface RunsSnapshot {
  runs: RunView[];
  /** Bumped when output arrives; screens read the tail with getOutput(). */
  outputVersion: number;
}

export interface RunsStore extends Store<RunsSnapshot> {
  /** The last `max` output lines of a run (ring buffer). */
  getOutput(runId: string, max: number): OutputLine[];
}

export interface RunbookSummary {
  id: string;
  title: Localized;
  level: string;
  /** What the runbook's target parameter is: a service or a host name. */
  targetKind: 'service' | 'host';
  /** The kinds of service it fits (`orchestrator`, `sqlite+compose`); absent: any service. */
  fits?: string[];
  /** The config's targets it fits (services of a fitting kind, or every host); absent: any. */
  targets?: string[];
  /** The runbook's parameters, in order, for a parameter form. */
  params?: RunbookParamView[];
  /** Who must approve before it runs: auto (L1), a one-time code (L2), two approvers (L3). */
  approval?: 'auto' | 'code' | 'two-step';
  description?: Localized;
  /** The checklist that follows a successful run (absent: the post-recovery one). */
  checklist?: string;
}

export interface RunbookParamView {
  name: string;
  /** string, int, unit, name, service, host, path, file, commit, database, choice. */
  type: string;
  description?: Localized;
  /** May be a template ("{{service.name}}"), filled when the run starts. */
  default?: string;
  /** Fixed choices. */
  choices?: string[];
  /** Picked from a list the target prints: call RunControl.listChoices, never type it. */
  listed: boolean;
  /** A regular expression the whole value must match (checked with the type's own check). */
  pattern?: string;
  /** A listed parameter without a pick takes the first line the target prints. */
  listedDefaultFirst?: boolean;
}

/** Parameter defaults filled for a target (templates such as {{service.app_dir}} resolved). */
export type ParamDefaultsView = { ok: true; values: Record<string, string> } | { ok: false; error: string };

/** One value a target listed for a parameter (a backup file, a commit with its subject). */
export interface ParamChoiceView {
  value: string;
  label: string;
}

export type ChoicesView = { ok: true; param: string; host: string; command: string; choices: ParamChoiceView[]; rejected: string[] } | { ok: false; error: string };

/** A refusal may say what to do about it (how to clear a lock believed stale), beside the reason. */
export type StartResult = { ok: true; runId: string } | { ok: false; error: string; hint?: string };

/**
 * What an intent answers: at once from an engine in this process, later from a server a console is
 * attached to. Screens handle both (src/core/settle.ts).
 */
export type Answer<T> = T | Promise<T>;

/** Intents the run screen sends. Watch mode never gets an object of this type. */
export interface RunControl {
  listRunbooks(): RunbookSummary[];
  start(runbookId: string, target: string, opts?: { dryRun?: boolean; params?: Record<string, string> }): Answer<StartResult>;
  /** Lists a parameter's choices on the target (over SSH); start() accepts only listed values. */
  listChoices?(runbookId: string, target: string, param: string, given?: Record<string, string>): Promise<ChoicesView>;
  /** Each parameter's default for this target, given the values typed so far (a default may use earlier ones). */
  paramDefaults?(runbookId: string, target: string, given?: Record<string, string>): Answer<ParamDefaultsView>;
  /** Ends the remote command and records the run CANCELLED (the screen asks first); `by`: who, when not the starter. */
  cancel(runId: string, by?: string): Answer<void>;
  /** Answers a confirm prompt (e.g. "reboot done, press Enter"). */
  confirm(runId: string): Answer<void>;
  /** Feeds the approval form of a run waiting for approval; errors are in words (wrong code, wait, same approver). */
  answerApproval?(runId: string, answer: ApprovalAnswer): Answer<{ accepted: boolean; error?: Localized }>;
  /** Starts a new run that resumes an interrupted one at its resumeAt step (approval asked again). */
  resume?(runId: string): Answer<StartResult>;
}

// --- Fleet at a glance (R-HLT-3..5): nodes, hosts, alerts, WebSocket checks ---------------------

export interface NodeView {
  id: string;
  /** Which node source listed it. */
  source: string;
  /** Null when the source gave no (parsable) heartbeat: counted offline. */
  lastHeartbeat: Date | null;
  online: boolean;
  /** 0..1, undefined when the source reports neither a rate nor errors/requests. */
  errorRate?: number;
  labels: string[];
  /** Recorded by the device_error_rate alert (notify and isolate). */
  isolated?: boolean;
}

export interface NodeSourceStatus {
  name: string;
  /** The last fetch failed: the list shown is the last good one (or empty). */
  error?: string;
  lastFetchAt: Date | null;
  lastOkAt: Date | null;
  count: number;
  /** Entries of the last good list left out (no id). */
  skipped?: number;
}

export interface NodesSnapshot {
  total: number;
  online: number;
  offline: number;
  /** online / total, 0..1; undefined while no source has answered yet. */
  onlineRatio?: number;
  /** Devices over the error-rate threshold. */
  errorRateHigh: number;
  errorRateThreshold: number;
  offlineAfterMs: number;
  /** Worst first: offline (stalest heartbeat first), then highest error rate, then the rest by id. */
  nodes: NodeView[];
  sources: NodeSourceStatus[];
  updatedAt: Date | null;
}

export interface NodesStore extends Store<NodesSnapshot> {
  start(): void;
  stop(): void;
  pollNow(): Promise<void>;
}

export type HostReachability = 'REACHABLE' | 'SUSPECT' | 'UNREACHABLE' | 'UNKNOWN';

export interface HostMetrics {
  load1: number;
  load5: number;
  load15: number;
  cpus?: number;
  memTotalMb?: number;
  memUsedMb?: number;
  /** Fullest real filesystem (the one that matters for "disk > 80 %"). */
  disk?: { mount: string; usedRatio: number };
  /** Every filesystem over the disk threshold. */
  diskOver: { mount: string; usedRatio: number }[];
  at: Date;
}

export interface HostHealth {
  name: string;
  address: string;
  reachability: HostReachability;
  consecutiveFailures: number;
  threshold: number;
  lastProbeAt: Date | null;
  lastChangeAt: Date | null;
  /** Why SSH failed, in words. */
  lastError?: string;
  metrics?: HostMetrics;
  /** The last metrics read failed (the previous metrics, if any, are kept and shown dimmed). */
  metricsError?: string;
  /** Freshness of the backups of this host's services against their RPO (read with the metrics). */
  backups?: BackupFreshness[];
}

export interface HostsSnapshot {
  hosts: HostHealth[];
  diskThreshold: number;
  updatedAt: Date | null;
}

export interface HostsStore extends Store<HostsSnapshot> {
  start(): void;
  stop(): void;
  checkNow(): Promise<void>;
}

export interface WebSocketCheck {
  service: string;
  ok: boolean | null;
  latencyMs?: number;
  error?: string;
  lastCheckAt: Date | null;
}

export interface WebSocketSnapshot {
  checks: WebSocketCheck[];
}

export type AlertState = 'firing' | 'resolved';

export interface NotificationAttempt {
  webhook: string;
  ok: boolean;
  attempts: number;
  /** In words, the URL never included. */
  error?: string;
  at: Date;
}

export interface AlertView {
  /** rule + subject, stable across firing and resolving. */
  key: string;
  rule: string;
  kind: 'service_down' | 'node_offline' | 'device_error_rate' | 'external';
  /** The service, node source or device the alert is about. */
  subject: string;
  /** Where an alert not evaluated here came from (kind external): 'alertmanager'. */
  source?: 'alertmanager';
  /** Someone took it (the `a` key): no further notifications but the resolve. */
  acknowledged?: { by: string; at: Date };
  /** A silence or maintenance window holds its notifications (until then). */
  muted?: { what: 'silence' | 'maintenance'; id: string; until: Date };
  state: AlertState;
  since: Date;
  resolvedAt?: Date;
  message: string;
  /** What was done about it, in words: "notified on-call", "started l1-soft-reset (run …)", "isolated 3 devices". */
  actions: string[];
  notifications: NotificationAttempt[];
}

export interface AlertsSnapshot {
  /** Firing first (oldest first), then resolved (most recent first), bounded. */
  alerts: AlertView[];
  firing: number;
  /** Device ids isolated by device_error_rate. */
  isolated: string[];
  /** A failure of the alert machinery itself (the JSONL file, a webhook secret), in words. */
  problems: string[];
  /**
   * Read from the files (wall screen): how many live processes evaluate the rules. 0 means nothing
   * is evaluating, so "no alerts firing" would be unfounded. Undefined where this process evaluates.
   */
  evaluators?: number;
  /** Silences and maintenance windows (R-MON-3), soonest to end first. */
  mutes?: MuteView[];
}

/** A silence or maintenance window in force (or a config window still to come). */
export interface MuteView {
  id: string;
  what: 'silence' | 'maintenance';
  /** What it mutes, in words: `rule=orchestrator_down subject=api`, or the service. */
  match: string;
  /** maintenance: the service. */
  service?: string;
  reason: string;
  by: string;
  from: Date;
  until: Date;
}

export interface AlertEvent {
  type: 'alert.fired' | 'alert.resolved' | 'alert.action' | 'alert.notified';
  alert: AlertView;
  at: Date;
  detail?: string;
}

export interface AlertsStore extends Store<AlertsSnapshot> {
  onEvent(listener: (e: AlertEvent) => void): () => void;
}

// --- Checklists (R-CHK-1..5) and incidents (R-INC-1..5) ------------------------------------------

export type ChecklistAutoStatus = 'pass' | 'fail' | 'unknown';

export interface ChecklistSignOff {
  operator: string;
  at: Date;
  /** Signed although its auto check was failing; `note` says why. */
  override?: boolean;
  note?: string;
  /** The auto check's verdict when signed. */
  auto?: ChecklistAutoStatus;
}

export interface ChecklistItemView {
  id: string;
  text: Localized;
  /** Live verdict of an auto-evaluated item. */
  auto?: { status: ChecklistAutoStatus; detail: Localized };
  signed?: ChecklistSignOff;
  notes: { operator: string; at: Date; text: string }[];
  /** Sign-offs undone so far (recorded, never erased). */
  undone: number;
}

export interface ChecklistSectionView {
  id: string;
  title: Localized;
  /** Time-gated sections open at this time (R-CHK-4); absent = open from the start. */
  opensAt?: Date;
  items: ChecklistItemView[];
}

export interface ChecklistInstanceView {
  instanceId: string;
  checklistId: string;
  title: Localized;
  target?: string;
  incidentId?: string;
  /** The recovery's SUCCESS time the gates count from. */
  anchorAt?: Date;
  createdAt: Date;
  createdBy: string;
  lastActivityAt: Date;
  sections: ChecklistSectionView[];
  signed: number;
  total: number;
  complete: boolean;
}

export interface ChecklistSummary {
  id: string;
  title: Localized;
  source?: string;
  postRecovery: boolean;
  items: number;
}

export interface ChecklistsSnapshot {
  definitions: ChecklistSummary[];
  /** Most recently active first. */
  instances: ChecklistInstanceView[];
  /** Problems reading the checklist state (a torn or unreadable file), in words. */
  problems: string[];
}

export interface ChecklistsStore extends Store<ChecklistsSnapshot> {}

export type ChecklistResult = { ok: true } | { ok: false; error: Localized };

/** Checklist intents. Watch mode never gets an object of this type. */
export interface ChecklistControl {
  open(checklistId: string, opts?: { target?: string; incidentId?: string; anchorAt?: Date }): Answer<{ ok: true; instanceId: string } | { ok: false; error: Localized }>;
  sign(instanceId: string, itemId: string, opts?: { override?: boolean; note?: string }): Answer<ChecklistResult>;
  note(instanceId: string, itemId: string, text: string): Answer<ChecklistResult>;
  undo(instanceId: string, itemId: string): Answer<ChecklistResult>;
}

export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

export interface TimelineEntry {
  at: Date;
  kind: 'incident' | 'alert' | 'transition' | 'approval' | 'step' | 'run' | 'signoff' | 'note';
  text: Localized;
  actor?: string;
}

export interface IncidentView {
  id: string;
  title: string;
  slug: string;
  severity: Severity;
  state: 'open' | 'closed';
  target?: string;
  /** When the impact started (the first bad transition seen, else when it was opened). */
  openedAt: Date;
  openedBy: string;
  /** First operator action (a runbook started, a checklist signed). */
  respondedAt?: Date;
  /** The recovery's SUCCESS (or the close, if nothing succeeded). */
  resolvedAt?: Date;
  closedAt?: Date;
  /** Highest recovery level run (L1/L2/L3). */
  level?: string;
  runIds: string[];
  timeline: TimelineEntry[];
  rootCause?: string;
  prevention?: string[];
  reportPath?: string;
}

export interface IncidentContact {
  name: string;
  role: string;
  reach?: string;
  fromMin: number;
}

export interface IncidentsSnapshot {
  /** Open first (newest first), then closed (newest first). */
  incidents: IncidentView[];
  rtoMin: number;
  contacts: IncidentContact[];
}

export interface IncidentsStore extends Store<IncidentsSnapshot> {}

/** Incident intents. Watch mode never gets an object of this type. */
export interface IncidentControl {
  openManual(title: string, severity?: Severity): Answer<{ ok: true; id: string } | { ok: false; error: Localized }>;
  setSeverity(id: string, severity: Severity): Answer<ChecklistResult>;
  close(id: string, answers: { rootCause?: string; prevention?: string[] }): Answer<{ ok: true; reportPath: string } | { ok: false; error: Localized }>;
}

// --- The link to a console server (R-SRV-2): shown in headers -------------------------------------

export interface ServerLinkView {
  /** standalone: no server; attached: live; reconnecting: the server went away, trying again; lost: gave up. */
  state: 'standalone' | 'attached' | 'reconnecting' | 'lost';
  socket?: string;
  reason?: string;
  /** Shared state (R-HA): which server leads, and whether the database answers; absent on files. */
  sharedState?: { reachable: boolean; leader?: string; leading: boolean };
}
