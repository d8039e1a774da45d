// Runs belong to the server (R-SRV-3). The server's engine runs every runbook; consoles see its
// runs as snapshots (the `console` topic: state, steps, prompts and each run's output from the
// start) and act on them with intents, answered here. Killing a console does nothing to a run:
// any console that attaches later gets the same snapshot back, a pending prompt or approval form
// included. Runs a killed server left behind are found when it starts again: INTERRUPTED, with
// resume offered (the standalone console's R-UI-5 behaviour, done once, here).
//
// The handler table is the one place intents about runs, checklists and incidents are carried
// out. Every handler takes the identity the transport proved (the local socket's uid, or an SSH
// session's key) and acts as that operator; role checks wrap the table, they do not live in it.
import type { ConsoleContext } from '../cli/context';
import type { RunsSnapshot, Severity, ApprovalAnswer, Localized } from '../core/views';
import type { Store } from '../core/store';
import { BatchedStore } from '../core/store';
import { LiveRunsSource } from '../watch/live-runs';
import { MergedRunsStore, type ObservedRuns } from '../watch/merged-runs';
import { findInterruptedRuns, interruptedNotice, replayRuns, withResume, type InterruptedRun } from '../cli/resume';
import type { RunEvent } from '../runbook/events';
import { escalationOffer } from '../runbook/escalation';
import { recordableEvent } from '../runbook/event-records';
import { CONSOLE_OUTPUT_LINES, type ConsoleRunsSnapshot, type OutputChunk, type RunIntents, type RunTopics } from '../protocol/runs';
import type { ProvenIdentity } from '../protocol/messages';

export type RunIntentName = keyof RunIntents;

/**
 * Reads a console repeats (an attached `run` polls run.events several times a second): answered
 * like any intent, role-checked, but not written to the history or the server log line by line.
 */
export const QUIET_INTENTS: ReadonlySet<string> = new Set(['run.events', 'run.output', 'run.tail', 'run.defaults']);
export type RunIntentHandlers = { [N in RunIntentName]: (args: RunIntents[N][0], who: ProvenIdentity) => Promise<RunIntents[N][1]> };

export interface ServerRuns {
  topics: { [K in keyof RunTopics]: Store<RunTopics[K]> };
  handlers: RunIntentHandlers;
  /** Runs found interrupted at start-up (for the server's log). */
  interrupted: InterruptedRun[];
  start(): void;
  stop(): void;
}

/** Wire arguments are untrusted: a field of the wrong type is refused in words. */
function str(args: unknown, key: string): string {
  const v = (args as Record<string, unknown> | null)?.[key];
  if (typeof v !== 'string' || v === '' || v.length > 4096) throw new Error(`intent needs "${key}" as a non-empty string`);
  return v;
}
function optStr(args: unknown, key: string): string | undefined {
  const v = (args as Record<string, unknown> | null)?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 65_536) throw new Error(`intent field "${key}" must be a string`);
  return v;
}
function strMap(args: unknown, key: string): Record<string, string> | undefined {
  const v = (args as Record<string, unknown> | null)?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`intent field "${key}" must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw new Error(`intent field "${key}.${k}" must be a string`);
    out[k] = x;
  }
  return out;
}
const SEVERITIES: readonly Severity[] = ['P0', 'P1', 'P2', 'P3'];
function severity(args: unknown, key: string, optional: boolean): Severity | undefined {
  const v = (args as Record<string, unknown> | null)?.[key];
  if (v === undefined && optional) return undefined;
  if (!SEVERITIES.includes(v as Severity)) throw new Error(`intent field "${key}" must be one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}
const ANSWER_KINDS = new Set(['approve', 'reason', 'continue', 'confirm', 'reissue', 'cancel']);
function answer(args: unknown): ApprovalAnswer {
  const a = (args as Record<string, unknown> | null)?.answer as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object' || !ANSWER_KINDS.has(String(a.kind))) throw new Error('intent needs an "answer" with a known kind');
  switch (a.kind) {
    case 'approve':
      return { kind: 'approve', name: str(a, 'name'), code: typeof a.code === 'string' ? a.code : '' };
    case 'reason':
      return { kind: 'reason', reason: typeof a.reason === 'string' ? a.reason : '' };
    case 'confirm':
      return { kind: 'confirm', word: typeof a.word === 'string' ? a.word : '' };
    default:
      return { kind: a.kind as 'continue' | 'reissue' | 'cancel' };
  }
}

/** A run's newest lines, numbered: `from` is the number of the first (its line count less those kept). */
function tailOf(runs: MergedRunsStore, runId: string, count: number): OutputChunk {
  const lines = runs.getOutput(runId, CONSOLE_OUTPUT_LINES);
  return { from: Math.max(0, count - lines.length), lines, reset: true };
}

/** The merged runs with each run's output: one object per change, shared by every console. */
class ConsoleRunsTopic implements Store<ConsoleRunsSnapshot> {
  private cache?: { from: RunsSnapshot; notice?: Localized; out: ConsoleRunsSnapshot };
  constructor(
    private readonly runs: MergedRunsStore,
    private readonly notice: Store<Localized | undefined>,
  ) {}
  getSnapshot = (): ConsoleRunsSnapshot => {
    const from = this.runs.getSnapshot();
    const notice = this.notice.getSnapshot();
    if (this.cache && this.cache.from === from && this.cache.notice === notice) return this.cache.out;
    const output: Record<string, OutputChunk> = {};
    for (const r of from.runs) if (r.state === 'running') output[r.runId] = tailOf(this.runs, r.runId, r.outputCount);
    const out: ConsoleRunsSnapshot = { runs: from.runs, outputVersion: from.outputVersion, output, ...(notice ? { notice } : {}) };
    this.cache = { from, notice, out };
    return out;
  };
  subscribe = (cb: () => void): (() => void) => {
    const a = this.runs.subscribe(cb);
    const b = this.notice.subscribe(cb);
    return () => {
      a();
      b();
    };
  };
}

class ValueStore<S> extends BatchedStore<S> {
  put(v: S): void {
    this.set(v);
  }
}

export function createServerRuns(ctx: ConsoleContext, extra: { observed?: ObservedRuns[] } = {}): ServerRuns {
  const { engine, ops } = ctx;
  const { journalDir, locksDir: lockDir } = ctx.loaded.paths;
  const runbook = (id: string) => engine.getRunbook(id);
  let interrupted: InterruptedRun[] = [];
  try {
    interrupted = findInterruptedRuns({ journalDir, lockDir });
  } catch {
    // an unreadable journal folder costs only the offer to resume
  }
  const replay = replayRuns(interrupted, runbook);
  // Runs of standalone consoles on this machine (not this server's): watched, not controlled.
  const others = new LiveRunsSource({ journalDir, lockDir, runbook, excludePid: process.pid, pollMs: 1000, batchMs: 100 });
  // `extra.observed`: runs of the servers on other boxes (a shared state backend), watched too.
  const runs = new MergedRunsStore(engine, [others, replay, ...(extra.observed ?? [])]);
  const control = withResume(engine, interrupted, replay);
  const firstNotice = (): Localized | undefined => {
    const en = interruptedNotice(interrupted, 'en', { open: 'Enter' });
    const ko = interruptedNotice(interrupted, 'ko', { open: 'Enter' });
    return en && ko ? { en, ko } : undefined;
  };
  const notice = new ValueStore<Localized | undefined>(firstNotice());
  const runbooks = new ValueStore({ runbooks: control.listRunbooks() });

  // Each recent run's events, for `doai-console run` attached (bounded: runs and events per run).
  const events = new Map<string, RunEvent[]>();
  const MAX_EVENTS = 20_000;
  const MAX_RUNS = 50;
  const offEvents = engine.on((ev) => {
    let list = events.get(ev.runId);
    if (!list) {
      events.set(ev.runId, (list = []));
      if (events.size > MAX_RUNS) events.delete(events.keys().next().value!);
    }
    // Past the bound only the end is kept (output lines are the bulk; the journal has them all).
    // A pending approval's code is not in these pages: any console may read them (recordableEvent).
    if (list.length < MAX_EVENTS || ev.type === 'run.finished') list.push(recordableEvent(ev));
  });

  /** Only the server's own runs can be controlled; observed ones are refused in words. */
  const own = (runId: string): string => {
    const mine = engine.getSnapshot().runs.find((r) => r.runId === runId);
    if (mine && mine.state !== 'running') throw new Error(`run ${runId} is over (${mine.state.toUpperCase()})`);
    if (!mine) {
      const seen = runs.getSnapshot().runs.find((r) => r.runId === runId);
      throw new Error(seen ? `run ${runId} is not this server's to control (${seen.observedBy ? `${seen.observedBy.operator}'s console runs it` : 'it is over'})` : `no run ${runId} on this server`);
    }
    return runId;
  };

  const handlers: RunIntentHandlers = {
    'run.start': async (args, who) => {
      const dryRun = (args as { dryRun?: unknown }).dryRun === true;
      const params = strMap(args, 'params');
      return control.start(str(args, 'runbook'), str(args, 'target'), { dryRun, ...(params ? { params } : {}), operator: who.user });
    },
    'run.resume': async (args, who) => {
      const res = control.resume(str(args, 'runId'), { operator: who.user });
      // Resumed: the offer in the message bar is spent.
      if (res.ok) notice.put(undefined);
      return res;
    },
    'run.cancel': async (args, who) => {
      engine.cancel(own(str(args, 'runId')), who.user);
      return null;
    },
    'run.output': async (args) => runs.getOutput(str(args, 'runId'), CONSOLE_OUTPUT_LINES),
    'run.tail': async (args) => {
      const runId = str(args, 'runId');
      const view = runs.getSnapshot().runs.find((r) => r.runId === runId);
      if (!view) throw new Error(`no run ${runId} on this server`);
      const tail = tailOf(runs, runId, view.outputCount);
      return { total: tail.from + tail.lines.length, lines: tail.lines };
    },
    'run.events': async (args) => {
      const runId = str(args, 'runId');
      const after = Number((args as { after?: unknown }).after ?? 0);
      if (!Number.isInteger(after) || after < 0) throw new Error('intent field "after" must be a whole number');
      const list = events.get(runId);
      if (!list) throw new Error(`no run ${runId} on this server`);
      const page = list.slice(after, after + 500);
      const view = engine.getSnapshot().runs.find((r) => r.runId === runId);
      const titles = Object.fromEntries((view?.steps ?? []).map((st) => [st.id, st.title]));
      const end = page.find((e): e is Extract<RunEvent, { type: 'run.finished' }> => e.type === 'run.finished');
      const first = list[0];
      const target = first?.type === 'run.started' ? first.target : (view?.target ?? '');
      const offer = end ? escalationOffer(ctx.loaded.config, engine.getRunbook, { escalateTo: end.escalateTo, target }) : undefined;
      return { events: page, next: after + page.length, titles, ...(offer ? { offer: { runbook: offer.runbook, target: offer.target } } : {}) };
    },
    'run.confirm': async (args) => {
      engine.confirm(own(str(args, 'runId')));
      return null;
    },
    'run.answer': async (args) => {
      const given = answer(args);
      return engine.answerApproval!(own(str(args, 'runId')), given);
    },
    'run.choices': async (args) => engine.listChoices(str(args, 'runbook'), str(args, 'target'), str(args, 'param'), strMap(args, 'given')),
    'run.defaults': async (args) => engine.paramDefaults!(str(args, 'runbook'), str(args, 'target'), strMap(args, 'given')),
    'checklist.open': async (args, who) => {
      const anchor = (args as { anchorAt?: unknown }).anchorAt;
      const target = optStr(args, 'target');
      const incidentId = optStr(args, 'incidentId');
      return ops.checklists.withOperator(who.user, () =>
        ops.checklists.open(str(args, 'checklist'), { ...(target ? { target } : {}), ...(incidentId ? { incidentId } : {}), ...(anchor instanceof Date ? { anchorAt: anchor } : {}) }),
      );
    },
    'checklist.sign': async (args, who) => {
      const note = optStr(args, 'note');
      const override = (args as { override?: unknown }).override === true;
      return ops.checklists.withOperator(who.user, () => ops.checklists.sign(str(args, 'instanceId'), str(args, 'itemId'), { ...(override ? { override } : {}), ...(note !== undefined ? { note } : {}) }));
    },
    'checklist.note': async (args, who) => ops.checklists.withOperator(who.user, () => ops.checklists.note(str(args, 'instanceId'), str(args, 'itemId'), optStr(args, 'text') ?? '')),
    'checklist.undo': async (args, who) => ops.checklists.withOperator(who.user, () => ops.checklists.undo(str(args, 'instanceId'), str(args, 'itemId'))),
    'incident.open': async (args, who) => ops.incidents.withOperator(who.user, () => ops.incidents.openManual(optStr(args, 'title') ?? '', severity(args, 'severity', true))),
    'incident.severity': async (args, who) => ops.incidents.withOperator(who.user, () => ops.incidents.setSeverity(str(args, 'id'), severity(args, 'severity', false)!)),
    'incident.close': async (args, who) => {
      const prevention = (args as { prevention?: unknown }).prevention;
      const list = Array.isArray(prevention) ? prevention.filter((p): p is string => typeof p === 'string') : undefined;
      const rootCause = optStr(args, 'rootCause');
      return ops.incidents.withOperator(who.user, () => ops.incidents.close(str(args, 'id'), { ...(rootCause !== undefined ? { rootCause } : {}), ...(list ? { prevention: list } : {}) }));
    },
  };

  return {
    topics: {
      console: new ConsoleRunsTopic(runs, notice),
      runbooks,
      checklists: ops.checklists,
      incidents: ops.incidents,
    },
    handlers,
    interrupted,
    start: () => others.start(),
    stop: () => {
      others.stop();
      offEvents();
    },
  };
}
