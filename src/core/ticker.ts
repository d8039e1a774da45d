// A store that only ticks, so clocks on screen ("time since", the header clock) move between
// data updates. One timer for the whole app, owned by the core, not by a component.
import { BatchedStore } from './store';

export class Ticker extends BatchedStore<number> {
  private stopTimer?: () => void;

  constructor(private readonly everyMs = 1000) {
    super(0);
  }

  start(): void {
    if (this.stopTimer) return;
    // Real milliseconds: a compressed demo clock must not redraw ten times a second.
    const t = setInterval(() => this.set(this.getSnapshot() + 1), this.everyMs);
    t.unref?.();
    this.stopTimer = () => clearInterval(t);
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }
}
