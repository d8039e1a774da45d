// The frame budget of one SSH session (issue 14, Performance). Every session's Ink tree lives in
// the server process, and a frame costs the same whether anybody looks: React's render and Ink's
// whole-screen output. So a session does not redraw each time a monitoring store moves (the node
// poll, the alert evaluation and the 1 s clock used to cost two or three frames a second each):
//
// - the monitoring stores (fleet, nodes, hosts, alerts, WebSocket checks) reach the session through
//   paced views: the snapshot the session draws is the server's own (derived once per snapshot,
//   shared by every session), taken over at most once per frame period, and only when it changed;
// - the session's clock steps only on a frame that draws nothing else, and only when time on
//   screen needs it: every second while one of the session's runs is live (step timers, the
//   approval wait), else every CLOCK_IDLE_MS (the header shows minutes; "since" times creep);
// - for INTERACTIVE_MS after a key press nothing is held back: what a key changes in the stores
//   (an ack, a sign-off, a new checklist) shows at once, as in a local console.
//
// The runs store is not paced (a run's output is what its operator watches). The checklists and
// incidents stores are: the checklist store rebuilds on every fact change (node counts, alerts).
// Each session has its own timer (sessions connect at different moments, so their frames do not
// all fall in the same event-loop turn and a key press waits for one frame, not fifty).
//
// Every session takes over the same snapshot of a store within a frame period (SharedTake): a
// session's tree keeps the snapshot it drew and the one before (React's two trees), and a 10,000-
// node snapshot is a few MB. Had each session taken the store's latest at its own moment, fifty
// sessions would keep every snapshot of the last few seconds alive (eleven were counted); taking
// the period's one keeps that to about three, however many sessions there are.
import type { Store } from '../core/store';
import type { RunsSnapshot } from '../core/views';

export const FRAME_MS = 2000;
export const LIVE_FRAME_MS = 1000;
export const INTERACTIVE_MS = 3000;
export const CLOCK_IDLE_MS = 10_000;

/** A server store's snapshot for a frame period, the same one for every session that asks. */
class SharedTake<S> {
  private held: S;
  private takenAt = -Infinity;

  constructor(private readonly source: Store<S>) {
    this.held = source.getSnapshot();
  }

  /** The snapshot taken over in this period (the source's latest once the period has run out). */
  take(now: number, periodMs: number): S {
    if (now - this.takenAt >= periodMs || now < this.takenAt) {
      this.held = this.source.getSnapshot();
      this.takenAt = now;
    }
    return this.held;
  }
}

const shared = new WeakMap<Store<unknown>, SharedTake<unknown>>();

function sharedTake<S>(source: Store<S>): SharedTake<S> {
  let s = shared.get(source as Store<unknown>) as SharedTake<S> | undefined;
  if (!s) {
    s = new SharedTake(source);
    shared.set(source as Store<unknown>, s as SharedTake<unknown>);
  }
  return s;
}

class PacedStore<S> implements Store<S> {
  private held: S;
  private dirty = false;
  private listeners = new Set<() => void>();
  private unsubscribe?: () => void;
  private readonly common: SharedTake<S>;

  constructor(
    private readonly source: Store<S>,
    private readonly interactive: () => boolean,
    private readonly clock: { now(): number; periodMs: number },
  ) {
    this.held = source.getSnapshot();
    this.common = sharedTake(source);
  }

  getSnapshot = (): S => this.held;

  subscribe = (onChange: () => void): (() => void) => {
    this.listeners.add(onChange);
    if (!this.unsubscribe) {
      // Keeps a store that works only while watched working; what it says waits for the frame.
      this.unsubscribe = this.source.subscribe(() => {
        this.dirty = true;
        if (this.interactive() && this.take(true)) this.notify();
      });
      this.held = this.source.getSnapshot();
    }
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) this.detach();
    };
  };

  get pending(): boolean {
    return this.dirty;
  }

  /**
   * Takes over the period's snapshot (or, right after a key, the source's latest) if it changed;
   * true when listeners must hear of it. Behind the source still: tried again next frame.
   */
  take(latest = false): boolean {
    if (!this.dirty) return false;
    const next = latest ? this.source.getSnapshot() : this.common.take(this.clock.now(), this.clock.periodMs);
    this.dirty = !Object.is(next, this.source.getSnapshot());
    if (Object.is(next, this.held)) return false;
    this.held = next;
    return true;
  }

  notify(): void {
    for (const l of [...this.listeners]) l();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** The clock store the session's App reads (its `tick`). */
class FrameClock implements Store<number> {
  version = 0;
  readonly listeners = new Set<() => void>();
  getSnapshot = (): number => this.version;
  subscribe = (onChange: () => void): (() => void) => {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  };
}

export interface SessionFramesOptions {
  /** The session's runs: while one is live, time on screen moves every frame. */
  runs?: Store<RunsSnapshot>;
  frameMs?: number;
  now?: () => number;
}

export class SessionFrames {
  private readonly paced: PacedStore<unknown>[] = [];
  private readonly clockStore = new FrameClock();
  private timer?: NodeJS.Timeout;
  private lastClockStep: number;
  private lastKey = -Infinity;
  private stopped = false;
  private readonly frameMs: number;
  private readonly now: () => number;
  /** Frames drawn because something changed (stores or clock): for the tests and the bench. */
  frames = 0;

  constructor(private readonly opts: SessionFramesOptions = {}) {
    this.frameMs = opts.frameMs ?? FRAME_MS;
    this.now = opts.now ?? Date.now;
    this.lastClockStep = this.now();
    this.schedule();
  }

  /** The session's view of a shared store: the same snapshots, taken over once per frame. */
  pace<S>(store: Store<S>): Store<S> {
    const p = new PacedStore(store, () => this.interactive(), { now: this.now, periodMs: this.frameMs });
    this.paced.push(p as PacedStore<unknown>);
    return p;
  }

  get clock(): Store<number> {
    return this.clockStore;
  }

  /** A key arrived: for a while store changes show as they come, and what waits shows now. */
  key(): void {
    this.lastKey = this.now();
    if (this.stopped || !this.paced.some((p) => p.pending)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.frame, 0);
    this.timer.unref?.();
  }

  private interactive(): boolean {
    return this.now() - this.lastKey < INTERACTIVE_MS;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const p of this.paced) p.detach();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(this.frame, this.live() ? Math.min(LIVE_FRAME_MS, this.frameMs) : this.frameMs);
    this.timer.unref?.();
  }

  private live(): boolean {
    const runs = this.opts.runs?.getSnapshot().runs;
    return !!runs?.some((r) => r.state === 'running');
  }

  private frame = (): void => {
    if (this.stopped) return;
    const now = this.now();
    // Right after a key the session takes what the stores say now; otherwise the period's snapshot.
    const latest = this.interactive();
    const changed = this.paced.filter((p) => p.take(latest));
    // Every notification below happens in this one turn: React folds them into one render.
    for (const p of changed) p.notify();
    const clockDue = this.live() || now - this.lastClockStep >= CLOCK_IDLE_MS;
    if (changed.length > 0 || clockDue) {
      this.frames++;
      this.lastClockStep = now;
      if (changed.length === 0) {
        this.clockStore.version++;
        for (const l of [...this.clockStore.listeners]) l();
      }
    }
    this.schedule();
  };
}
