// Acknowledgements that outlive the evaluator (issue 15): under a shared state backend only the
// leading server evaluates alerts, and a new leader must know what the old one was told. The
// alerts store asks an AckShare (src/state/pg-acks.ts keeps them in PostgreSQL, keyed by the
// alert and its firing episode) when an operator acknowledges, and when an alert fires on this
// evaluator, whether that firing was acknowledged already. Without one (files), acks stay in memory.

/** Who acknowledged a firing episode, and where (`<host> (pid N)` of the server that took it). */
export interface SharedAck {
  by: string;
  at: Date;
  box: string;
}

export interface AckShare {
  /**
   * Records the acknowledgement of the alert's current firing episode. `recorded`: this one counts;
   * `earlier`: someone acknowledged it first (that one counts); `unshared`: the shared state does
   * not have the alert firing (no notification was queued for it), so the ack stays with this
   * evaluator. Throws, in words, when it cannot be written.
   */
  record(key: string, by: string): { kind: 'recorded' } | { kind: 'earlier'; ack: SharedAck } | { kind: 'unshared' };
  /** The acknowledgement of the alert's current firing episode, if any. Throws when unreadable. */
  lookup(key: string): SharedAck | undefined;
}
