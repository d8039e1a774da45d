// One notification for many sources, at most once per `minMs` (real time): the wall screen draws
// a frame every few seconds at most, however chatty the run it shows (DESIGN.md: 1–5 s).
import type { Store } from '../core/store';

export class CoalescedStore implements Store<number> {
  private version = 0;
  private listeners = new Set<() => void>();
  private unsubscribers: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastFire = 0;

  constructor(
    private readonly sources: readonly Store<unknown>[],
    private readonly minMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  getSnapshot = (): number => this.version;

  subscribe = (onChange: () => void): (() => void) => {
    this.listeners.add(onChange);
    if (this.listeners.size === 1) this.unsubscribers = this.sources.map((s) => s.subscribe(this.onSource));
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) this.stop();
    };
  };

  stop(): void {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onSource = (): void => {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFire + this.minMs - this.now());
    this.timer = setTimeout(this.fire, wait);
    this.timer.unref?.();
  };

  private fire = (): void => {
    this.timer = undefined;
    this.lastFire = this.now();
    this.version++;
    for (const l of [...this.listeners]) l();
  };
}
