// The seam between the core and the screens: screens read a store with useSyncExternalStore and
// call its methods for intents. Notifications are batched so a burst of changes (output lines,
// probe results) costs one render, not one per change.

export interface Store<S> {
  getSnapshot(): S;
  subscribe(onChange: () => void): () => void;
}

export class BatchedStore<S> implements Store<S> {
  private listeners = new Set<() => void>();
  private scheduled = false;

  constructor(
    private snapshot: S,
    /** Minimum ms between notifications; 0 = next macrotask. */
    private readonly batchMs = 0,
  ) {}

  getSnapshot = (): S => this.snapshot;

  subscribe = (onChange: () => void): (() => void) => {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  };

  /** The snapshot as last set, and setting it without a notify: for a subclass that folds pending changes in as it is read. */
  protected peek(): S {
    return this.snapshot;
  }
  protected replace(next: S): void {
    this.snapshot = next;
  }

  /** Replace the snapshot (must be a new object for React to see it) and schedule a notify. */
  protected set(next: S): void {
    this.snapshot = next;
    this.schedule();
  }

  protected schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      for (const l of [...this.listeners]) l();
    };
    if (this.batchMs > 0) setTimeout(fire, this.batchMs).unref?.();
    else setImmediate(fire);
  }
}
