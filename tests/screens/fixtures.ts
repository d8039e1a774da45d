// In-memory stores for screen tests. They behave like the real ones where screens can tell:
// a new snapshot object on every change, notifications batched to the next macrotask, and a
// bounded output ring buffer read with getOutput().
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../screens/app';
import { BatchedStore } from '../../src/core/store';
import type {
  FleetSnapshot,
  FleetStore,
  OutputLine,
  Recommendation,
  RunbookSummary,
  RunControl,
  RunsSnapshot,
  RunsStore,
  RunView,
  ServiceHealth,
  ServiceTransition,
  StartResult,
  StepView,
} from '../../src/core/views';
import type { OutputStream } from '../../src/runbook/events';
import { commands, type Command } from '../../src/commands/registry';
import type { FakeClock } from '../../src/core/clock';
import { ApprovalFlow, type ApprovalSnapshot } from '../../src/approval/policy';
import type { ApprovalAnswer, Localized, RunPrompt } from '../../src/core/views';

export const T0 = new Date(Date.UTC(2026, 0, 4, 6, 30, 0));

export function service(partial: Partial<ServiceHealth> & { name: string }): ServiceHealth {
  return {
    host: 'vultr',
    unit: partial.name,
    state: 'UP',
    httpStatus: 200,
    latencyMs: 42,
    samples: [40, 41, 42],
    consecutiveFailures: 0,
    threshold: 3,
    lastChangeAt: new Date(T0.getTime() - 252_000),
    lastProbeAt: T0,
    ...partial,
  };
}

export class MemoryFleetStore extends BatchedStore<FleetSnapshot> implements FleetStore {
  private transitionListeners = new Set<(t: ServiceTransition) => void>();

  constructor(services: ServiceHealth[] = [], extra: Partial<FleetSnapshot> = {}) {
    super({ services, intervalMs: 30_000, timeScale: 1, updatedAt: T0, ...extra });
  }

  update(patch: Partial<FleetSnapshot>): void {
    this.set({ ...this.getSnapshot(), ...patch });
  }

  setRecommendation(recommendation: Recommendation | undefined): void {
    this.update({ recommendation });
  }

  start(): void {}
  stop(): void {}
  async probeNow(): Promise<void> {}
  onTransition(listener: (t: ServiceTransition) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }
}

export class MemoryRunsStore extends BatchedStore<RunsSnapshot> implements RunsStore {
  private output = new Map<string, OutputLine[]>();

  constructor(private readonly ringSize = 500) {
    super({ runs: [], outputVersion: 0 });
  }

  addRun(run: RunView): void {
    const s = this.getSnapshot();
    this.set({ ...s, runs: [...s.runs, run] });
  }

  updateRun(runId: string, patch: Partial<RunView>): void {
    const s = this.getSnapshot();
    this.set({ ...s, runs: s.runs.map((r) => (r.runId === runId ? { ...r, ...patch } : r)) });
  }

  updateStep(runId: string, stepId: string, patch: Partial<StepView>): void {
    const s = this.getSnapshot();
    this.set({
      ...s,
      runs: s.runs.map((r) =>
        r.runId === runId ? { ...r, steps: r.steps.map((st) => (st.id === stepId ? { ...st, ...patch } : st)) } : r,
      ),
    });
  }

  pushOutput(runId: string, stepId: string, stream: OutputStream, line: string): void {
    const buf = this.output.get(runId) ?? [];
    buf.push({ stepId, stream, line });
    if (buf.length > this.ringSize) buf.splice(0, buf.length - this.ringSize);
    this.output.set(runId, buf);
    const s = this.getSnapshot();
    this.set({
      runs: s.runs.map((r) => (r.runId === runId ? { ...r, outputCount: r.outputCount + 1 } : r)),
      outputVersion: s.outputVersion + 1,
    });
  }

  getOutput(runId: string, max: number): OutputLine[] {
    const buf = this.output.get(runId) ?? [];
    return max <= 0 ? [] : buf.slice(-max);
  }
}

export const RUNBOOKS: RunbookSummary[] = [
  { id: 'l1-soft-reset', title: { en: 'L1 Soft Reset', ko: 'L1 소프트 리셋' }, level: 'L1', targetKind: 'service' },
  { id: 'l2-service-reset', title: { en: 'L2 Service Reset', ko: 'L2 서비스 리셋' }, level: 'L2', targetKind: 'service' },
  { id: 'l3-box-reset', title: { en: 'L3 Box Reset', ko: 'L3 박스 리셋' }, level: 'L3', targetKind: 'host' },
];

export function stepsFor(runbookId: string): StepView[] {
  const titles: [string, string, string][] =
    runbookId === 'l1-soft-reset'
      ? [
          ['health', 'Health check (10 s timeout)', '상태 확인 (10초 제한)'],
          ['restart', 'systemctl restart', '서비스 재시작'],
          ['status', 'systemctl status', '서비스 상태'],
          ['verify', 'Verify /health 6 × 5 s', '검증 /health 6 × 5초'],
        ]
      : [
          ['approval', 'Approval', '승인'],
          ['snapshot', 'Snapshot', '스냅샷'],
          ['stop', 'Stop services', '서비스 중지'],
          ['start', 'Start services', '서비스 시작'],
          ['verify', 'Verify', '검증'],
        ];
  return titles.map(([id, en, ko]) => ({ id, title: { en, ko }, kind: 'ssh', state: 'pending' }));
}

export interface StartCall {
  runbookId: string;
  target: string;
  opts?: { dryRun?: boolean };
}

/** Records intents; a successful start adds a running run to the runs store, as the engine would. */
export class FakeRunControl implements RunControl {
  starts: StartCall[] = [];
  cancels: string[] = [];
  confirms: string[] = [];
  /** When set, the next start() fails with this error (e.g. a held lock). */
  failNextStart?: string;
  private n = 0;

  constructor(
    private readonly runs: MemoryRunsStore,
    private readonly operator = 'orion',
  ) {}

  listRunbooks(): RunbookSummary[] {
    return RUNBOOKS;
  }

  start(runbookId: string, target: string, opts?: { dryRun?: boolean }): StartResult {
    this.starts.push({ runbookId, target, opts });
    if (this.failNextStart) {
      const error = this.failNextStart;
      this.failNextStart = undefined;
      return { ok: false, error };
    }
    const summary = RUNBOOKS.find((r) => r.id === runbookId);
    if (!summary) return { ok: false, error: `unknown runbook ${runbookId}` };
    const runId = `run-${++this.n}`;
    this.runs.addRun({
      runId,
      runbook: runbookId,
      title: summary.title,
      level: summary.level,
      target,
      operator: this.operator,
      dryRun: opts?.dryRun ?? false,
      state: 'running',
      steps: stepsFor(runbookId),
      startedAt: new Date(T0.getTime() + this.n * 1000),
      outputCount: 0,
    });
    return { ok: true, runId };
  }

  cancel(runId: string): void {
    this.cancels.push(runId);
  }

  confirm(runId: string): void {
    this.confirms.push(runId);
  }
}

/** Bytes a terminal sends for a key name used in the registry. */
export function keySequence(name: string): string {
  const map: Record<string, string> = {
    up: '\u001B[A',
    down: '\u001B[B',
    right: '\u001B[C',
    left: '\u001B[D',
    enter: '\r',
    esc: '\u001B',
    pgup: '\u001B[5~',
    pgdn: '\u001B[6~',
    tab: '\t',
    'shift+tab': '\u001B[Z',
  };
  if (map[name]) return map[name];
  if (name.startsWith('ctrl+')) return String.fromCharCode(name.charCodeAt(5) - 96);
  return name;
}

export const delay = (ms = 60) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Presses the key bound to a command (its first key unless `keyIndex` says otherwise) and lets Ink process it. */
export async function press(stdin: { write(data: string): void }, commandId: string, keyIndex = 0, registry: readonly Command[] = commands): Promise<void> {
  const command = registry.find((c) => c.id === commandId);
  if (!command) throw new Error(`no command ${commandId} in the registry`);
  const key = command.keys[keyIndex];
  if (key === undefined) throw new Error(`command ${commandId} has no key #${keyIndex}`);
  stdin.write(keySequence(key));
  await delay();
}

/** Polls the frame until `check` passes (bounded), for output that arrives through batched stores. */
export async function waitForFrame(lastFrame: () => string | undefined, check: (frame: string) => boolean, timeoutMs = 2000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame() ?? '';
    if (check(frame)) return frame;
    if (Date.now() > deadline) return frame;
    await delay(20);
  }
}

/** Audit names of the runbooks the approval fixture knows (as the engine prefixes flow lines). */
const AUDIT_NAMES: Record<string, string> = { 'l2-service-reset': 'L2_SERVICE_RESET', 'l3-box-reset': 'L3_BOX_RESET' };

/** Codes the fixture's flows issue, in order (6 hex characters each), so tests know them. */
export function codeSequence(...codes: string[]): (size: number) => Uint8Array {
  let i = 0;
  return () => {
    const code = codes[i++];
    if (!code) throw new Error('codeSequence: no more codes');
    return Buffer.from(code, 'hex');
  };
}

/** The approval prompt as the engine's contract describes it (src/core/views.ts RunPrompt 'approval'). */
export function approvalPromptOf(snap: ApprovalSnapshot, extra: { plan?: string[]; requestId?: string; requestFlags?: string; demoDeclared?: boolean; sshApprovals?: boolean }): RunPrompt | undefined {
  if (snap.done || snap.mode === 'auto') return undefined;
  const summary: Localized[] | undefined =
    snap.phase === 'summary' || snap.phase === 'confirm-yes'
      ? [
          { en: `Step 1 approver: ${snap.step1?.name ?? '—'}`, ko: `1차 승인: ${snap.step1?.name ?? '—'}` },
          { en: `Step 2 approver: ${snap.step2?.name ?? '—'}`, ko: `2차 승인: ${snap.step2?.name ?? '—'}` },
          { en: `Reason: ${snap.reason ?? '—'}`, ko: `사유: ${snap.reason ?? '—'}` },
        ]
      : undefined;
  return {
    kind: 'approval',
    step: snap.step ?? 1,
    phase: snap.phase,
    mode: snap.mode,
    requirement: snap.requirement,
    ...(extra.demoDeclared ? { demoDeclared: true } : {}),
    ...(extra.sshApprovals ? { sshApprovals: true } : {}),
    ...(snap.code ? { code: snap.code, expiresAt: snap.expiresAt, triesLeft: snap.triesLeft } : {}),
    ...(snap.phase === 'waiting' && snap.waitUntil ? { waitUntil: snap.waitUntil } : {}),
    ...(snap.step1 ? { step1: { name: snap.step1.name, at: snap.step1.at } } : {}),
    ...(snap.step2 ? { step2: { name: snap.step2.name, at: snap.step2.at } } : {}),
    ...(snap.reason ? { reason: snap.reason } : {}),
    ...(summary ? { summary } : {}),
    ...(extra.plan ? { plan: extra.plan } : {}),
    ...(extra.requestId ? { requestId: extra.requestId } : {}),
    ...(extra.requestId && extra.requestFlags ? { requestFlags: extra.requestFlags } : {}),
    ...(snap.error ? { error: snap.error } : {}),
  };
}

/**
 * A RunControl whose L2/L3 runs wait for approval the way the engine's do: the real ApprovalFlow
 * (pure, on the injected FakeClock) decides every answer; its snapshot becomes the run's prompt
 * and its audit effects are recorded. Granted: the approval step is ok and the run goes on.
 */
export class FakeApprovalControl extends FakeRunControl {
  answers: { runId: string; answer: ApprovalAnswer }[] = [];
  audit: string[] = [];
  readonly flows = new Map<string, ApprovalFlow>();

  constructor(
    private readonly store: MemoryRunsStore,
    private readonly clock: FakeClock,
    private readonly opts: {
      operator?: string;
      random?: (size: number) => Uint8Array;
      plan?: string[];
      requestId?: string;
      /** What `approve` needs besides the id (the demo's own approvals folder: ` --approvals-dir <path>`). */
      requestFlags?: string;
      /** The L2/L3 policy (R-APR-6); declared by default, as typed approvals need. */
      requirement?: 'declared' | 'proven';
      demoDeclared?: boolean;
      /** The server takes SSH sessions (`serve --ssh`): the proven form says approvers can approve there. */
      sshApprovals?: boolean;
    } = {},
  ) {
    super(store, opts.operator);
  }

  override start(runbookId: string, target: string, opts?: { dryRun?: boolean }): StartResult {
    const result = super.start(runbookId, target, opts);
    const audit = AUDIT_NAMES[runbookId];
    if (!result.ok || !audit || opts?.dryRun) return result;
    const runId = result.runId;
    const flow = new ApprovalFlow({
      mode: runbookId === 'l3-box-reset' ? 'two-step' : 'code',
      clock: this.clock,
      ...(this.opts.random ? { random: this.opts.random } : {}),
      ...(this.opts.requirement ? { requirement: this.opts.requirement } : {}),
      onEffect: (e) => {
        if ('audit' in e) this.audit.push(`${audit}: ${e.audit}`);
        else if (e.event === 'done') this.finish(runId, e.outcome);
      },
    });
    this.flows.set(runId, flow);
    const sync = () => {
      const prompt = approvalPromptOf(flow.getSnapshot(), { plan: this.opts.plan, requestId: this.opts.requestId, requestFlags: this.opts.requestFlags, demoDeclared: this.opts.demoDeclared, sshApprovals: this.opts.sshApprovals });
      if (prompt || this.runOf(runId)?.prompt) this.store.updateRun(runId, { prompt });
    };
    flow.subscribe(sync);
    flow.start();
    sync();
    return result;
  }

  answerApproval(runId: string, answer: ApprovalAnswer): { accepted: boolean; error?: Localized } {
    this.answers.push({ runId, answer });
    const flow = this.flows.get(runId);
    if (!flow) return { accepted: false, error: { en: `run ${runId} is not waiting for approval`, ko: `${runId} 실행은 승인 대기 중이 아닙니다` } };
    const { accepted, error } = flow.input(answer);
    // The engine publishes the new prompt with the answer; so does the fixture.
    const prompt = approvalPromptOf(flow.getSnapshot(), { plan: this.opts.plan, requestId: this.opts.requestId, requestFlags: this.opts.requestFlags });
    this.store.updateRun(runId, { prompt });
    return error ? { accepted, error } : { accepted };
  }

  private runOf(runId: string): RunView | undefined {
    return this.store.getSnapshot().runs.find((r) => r.runId === runId);
  }

  private finish(runId: string, outcome: 'granted' | 'rejected' | 'cancelled'): void {
    this.flows.get(runId)?.dispose();
    if (outcome === 'granted') {
      this.store.updateRun(runId, { prompt: undefined });
      this.store.updateStep(runId, 'approval', { state: 'ok' });
    } else if (outcome === 'rejected') {
      this.store.updateRun(runId, { prompt: undefined, state: 'failed', message: 'approval rejected' });
    } else {
      this.store.updateRun(runId, { prompt: undefined, state: 'cancelled', message: 'CANCELLED by user' });
    }
  }
}

/**
 * The console's App as screen tests mount it: in-memory runs, a fake run control, English,
 * operator orion, 100 × 30 at T0; `props` go over those (a test with its own runs or control
 * passes them and keeps using its own). `exits` collects onExit codes.
 */
export function renderApp(props: Partial<AppProps> & Pick<AppProps, 'fleet'>) {
  const runs = new MemoryRunsStore();
  const control = new FakeRunControl(runs);
  const exits: number[] = [];
  const r = render(
    createElement(App, {
      runs,
      control,
      lang: 'en',
      operator: 'orion',
      configPath: '/etc/doai/console.yaml',
      width: 100,
      height: 30,
      clock: { now: () => T0 },
      onExit: (code: number) => void exits.push(code),
      ...props,
    }),
  );
  return { ...r, runs, control, exits };
}

/** A rounded box's inside, line by line with the border and padding taken off, joined at the wraps. */
export const boxText = (frame: string): string =>
  frame
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.replace(/^│ ?/, '').replace(/ *│$/, '').trim())
    .join(' ');
