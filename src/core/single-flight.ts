// One background task in flight at a time (a read of the shared checklist log, of the incident
// records, a write of this box's runs): asked again while it runs, it runs exactly once more when
// it ends, however many times it was asked meanwhile. The task itself may ask for that one more
// run (what it read is already stale, or the database was away). Nothing is queued beyond one.
//
// How the follow-up starts is the caller's: at once (default) or through its own timer; and a
// caller that was stopped meanwhile can refuse it (`mayFollow`). A task that fails (rejects) still
// ends its flight: the next request runs; its error goes to `onError`, or, without one, is thrown
// to whoever awaits the request (an unhandled rejection for a caller that does not).

export interface SingleFlightOptions {
  /** Starts the follow-up run; default: `request()` at once. */
  followUp?: () => void;
  /** Asked when a follow-up is due: false drops it (the owner was stopped). Default: always. */
  mayFollow?: () => boolean;
  /** A task that rejected; without it the rejection reaches the request's promise. */
  onError?: (err: unknown) => void;
}

/** `again()`: run once more after this run (what this run got is stale). */
export type SingleFlightTask = (again: () => void) => Promise<unknown>;

export class SingleFlight {
  private current?: { again: boolean };

  constructor(
    private readonly task: SingleFlightTask,
    private readonly opts: SingleFlightOptions = {},
  ) {}

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Runs the task now, or (one in flight) marks it to run once more when that one ends. The task
   * starts synchronously. The promise settles when the run this call started ends (at once for a
   * call that only marked the follow-up).
   */
  request(): Promise<void> {
    if (this.current) {
      this.current.again = true;
      return Promise.resolve();
    }
    return this.fly();
  }

  private async fly(): Promise<void> {
    const flight = { again: false };
    this.current = flight;
    try {
      await this.task(() => {
        flight.again = true;
      });
    } catch (err) {
      if (!this.opts.onError) throw err;
      this.opts.onError(err);
    } finally {
      this.current = undefined;
      if (flight.again && (this.opts.mayFollow?.() ?? true)) {
        if (this.opts.followUp) this.opts.followUp();
        else void this.request();
      }
    }
  }
}
