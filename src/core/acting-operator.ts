// Who an intent acts for: the operator a server proved for the console it serves (run), else the
// store's own operator. Shared by the stores a server drives on behalf of its consoles.
export class ActingOperator {
  private actingAs?: string;

  constructor(private readonly fallback: () => string) {}

  get current(): string {
    return this.actingAs ?? this.fallback();
  }

  /** Runs one intent (sign, note, open, close…) as `operator`, then restores who was acting. */
  run<T>(operator: string, fn: () => T): T {
    const before = this.actingAs;
    this.actingAs = operator;
    try {
      return fn();
    } finally {
      this.actingAs = before;
    }
  }
}
