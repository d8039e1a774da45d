// The runs the screens show, built only from RunEvents — so the run screen in this process and
// watch mode replaying another console's journal see the same thing. Output lines live in a ring
// buffer per run (the journal has them all); notifications are batched, never one per line.
import { BatchedStore } from '../core/store';
import type { OutputLine, RunsSnapshot, RunsStore, RunView, StepView } from '../core/views';
import type { RunEvent } from './events';
import type { Runbook, Step } from './schema';

export const DEFAULT_OUTPUT_LINES = 2000;

class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }
  last(max: number): T[] {
    const ordered = this.items.length < this.capacity ? this.items : [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
    return max >= ordered.length ? [...ordered] : ordered.slice(ordered.length - max);
  }
}

/** A step's default title when the runbook gives none. */
export function defaultStepTitle(step: Step): { ko: string; en: string } {
  switch (step.kind) {
    case 'wait':
      return { ko: `${step.seconds}초 대기`, en: `Wait ${step.seconds} s` };
    case 'ssh':
      return { ko: `명령 실행: ${step.run}`, en: `Run: ${step.run}` };
    case 'http':
      return { ko: `HTTP 확인: ${step.url}`, en: `HTTP check: ${step.url}` };
    case 'poll':
      return { ko: '검증', en: 'Verify' };
    case 'confirm':
      return step.prompt;
    default:
      return { ko: (step as Step).id, en: (step as Step).id };
  }
}

export interface RunViewStoreOptions {
  /** Finds a runbook by id (for titles and the step list); watch mode may not know every one. */
  runbook: (id: string) => Runbook | undefined;
  batchMs?: number;
  maxLines?: number;
  /** Finished runs kept in the snapshot, newest last. */
  keepFinished?: number;
}

export class RunViewStore extends BatchedStore<RunsSnapshot> implements RunsStore {
  private outputs = new Map<string, Ring<OutputLine>>();
  private readonly maxLines: number;
  private readonly keepFinished: number;

  constructor(private readonly opts: RunViewStoreOptions) {
    super({ runs: [], outputVersion: 0 }, opts.batchMs ?? 100);
    this.maxLines = opts.maxLines ?? DEFAULT_OUTPUT_LINES;
    this.keepFinished = opts.keepFinished ?? 20;
  }

  getOutput = (runId: string, max: number): OutputLine[] => this.outputs.get(runId)?.last(Math.max(0, max)) ?? [];

  /** Output lines per run not yet counted in the snapshot (see step.output). */
  private readonly unsnapped = new Map<string, number>();

  override getSnapshot = (): RunsSnapshot => {
    const snap = this.peek();
    if (this.unsnapped.size === 0) return snap;
    let added = 0;
    const runs = snap.runs.map((r) => {
      const n = this.unsnapped.get(r.runId);
      if (!n) return r;
      added += n;
      return { ...r, outputCount: r.outputCount + n };
    });
    this.unsnapped.clear();
    const next = { runs, outputVersion: snap.outputVersion + added };
    this.replace(next);
    return next;
  };

  apply(event: RunEvent): void {
    const snap = this.getSnapshot();
    if (event.type === 'run.started') {
      const rb = this.opts.runbook(event.runbook);
      const view: RunView = {
        runId: event.runId,
        runbook: event.runbook,
        title: rb?.title ?? { ko: event.runbook, en: event.runbook },
        level: event.level,
        target: event.target,
        operator: event.operator,
        dryRun: event.dryRun,
        state: 'running',
        steps: (rb?.steps ?? []).map((s): StepView => ({ id: s.id, title: s.title ?? defaultStepTitle(s), kind: s.kind, state: 'pending' })),
        startedAt: event.at,
        outputCount: 0,
      };
      this.outputs.set(event.runId, new Ring(this.maxLines));
      this.set({ runs: this.prune([...snap.runs.filter((r) => r.runId !== event.runId), view]), outputVersion: snap.outputVersion });
      return;
    }
    const index = snap.runs.findIndex((r) => r.runId === event.runId);
    if (index < 0) return;
    const run = snap.runs[index];
    let next: RunView = run;
    let outputVersion = snap.outputVersion;
    switch (event.type) {
      case 'step.started':
        next = { ...run, steps: upsertStep(run.steps, event.stepId, { state: 'running', startedAt: event.at, finishedAt: undefined, detail: undefined }) };
        break;
      case 'step.progress':
        next = { ...run, steps: upsertStep(run.steps, event.stepId, { detail: event.detail }) };
        break;
      case 'step.finished':
        next = {
          ...run,
          steps: upsertStep(run.steps, event.stepId, {
            state: event.outcome,
            finishedAt: event.at,
            // A live detail ("1 s left", "attempt 3/6") is stale once the step ends; keep only
            // what the finished step says about itself.
            detail: event.allowed ? `(allowed) ${event.message ?? 'failed'} — this step may fail; the run goes on` : event.message,
          }),
        };
        break;
      case 'step.output': {
        let ring = this.outputs.get(event.runId);
        if (!ring) this.outputs.set(event.runId, (ring = new Ring(this.maxLines)));
        ring.push({ stepId: event.stepId, stream: event.stream, line: event.line });
        // A command can print 100,000 lines: count them here and build the new snapshot once,
        // when the screens next read it, instead of copying the run list per line.
        this.unsnapped.set(event.runId, (this.unsnapped.get(event.runId) ?? 0) + 1);
        this.schedule();
        return;
      }
      case 'run.prompt':
        next = { ...run, prompt: event.prompt ?? undefined };
        break;
      case 'run.finished':
        next = { ...run, state: event.outcome, finishedAt: event.at, message: event.message, escalateTo: event.escalateTo, prompt: undefined };
        break;
      default:
        return;
    }
    const runs = [...snap.runs];
    runs[index] = next;
    this.set({ runs: event.type === 'run.finished' ? this.prune(runs) : runs, outputVersion });
  }

  private prune(runs: RunView[]): RunView[] {
    const finished = runs.filter((r) => r.state !== 'running');
    if (finished.length <= this.keepFinished) return runs;
    const drop = new Set(finished.slice(0, finished.length - this.keepFinished).map((r) => r.runId));
    for (const id of drop) this.outputs.delete(id);
    return runs.filter((r) => !drop.has(r.runId));
  }
}

function upsertStep(steps: StepView[], id: string, patch: Partial<StepView>): StepView[] {
  const i = steps.findIndex((s) => s.id === id);
  if (i < 0) return [...steps, { id, title: { ko: id, en: id }, kind: '?', state: 'pending', ...patch }];
  const out = [...steps];
  out[i] = { ...out[i], ...patch };
  return out;
}
