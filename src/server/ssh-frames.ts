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
import type { Store } from '../core/store';
import type { RunsSnapshot } from '../core/views';

export const FRAME_MS = 2000;
export const LIVE_FRAME_MS = 1000;
export const INTERACTIVE_MS = 3000;
export const CLOCK_IDLE_MS = 10_000;

class PacedStore<S> implements Store<S> {
  private held: S;
  private dirty = false;
  private listeners = new Set<() => void>();
  private unsubscribe?: () => void;

  constructor(
    private readonly source: Store<S>,
    private readonly interactive: () => boolean,
  ) {
    this.held = source.getSnapshot();
  }

  getSnapshot = (): S => this.held;

  subscribe = (onChange: () => void): (() => void) => {
    this.listeners.add(onChange);
    if (!this.unsubscribe) {
      // Keeps a store that works only while watched working; what it says waits for the frame.
      this.unsubscribe = this.source.subscribe(() => {
        this.dirty = true;
        if (this.interactive() && this.take()) this.notify();
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

  /** Takes the source's snapshot over if it changed; true when listeners must hear of it. */
  take(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    const next = this.source.getSnapshot();
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
    const p = new PacedStore(store, () => this.interactive());
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
    const changed = this.paced.filter((p) => p.take());
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
