// The console topic as an attached console keeps it: the server sends each run's output once as
// its tail, then only the lines appended since (src/server/output-deltas.ts); this store applies
// each frame as it arrives (before any coalesced notification) and offers the whole snapshot
// again, every running run with its tail (up to CONSOLE_OUTPUT_LINES), so the screens read it as
// before. Lines are numbered per run: a frame that does not follow what is held (a lost frame, a
// bug) is not guessed at — the run's tail is asked for again with run.tail.
import type { OutputLine } from '../core/views';
import { CONSOLE_OUTPUT_LINES, type ConsoleRunsSnapshot, type OutputChunk } from '../protocol/runs';
import { BatchedStore } from '../core/store';

type Tail = { total: number; lines: OutputLine[] };

export class ConsoleOutputStore extends BatchedStore<ConsoleRunsSnapshot | undefined> {
  private readonly held = new Map<string, Tail>();
  private readonly resyncing = new Set<string>();
  private last?: ConsoleRunsSnapshot;

  constructor(private readonly resync: (runId: string) => Promise<Tail>) {
    super(undefined);
  }

  /** One frame from the server, as it arrives (src/attach/client.ts). */
  deliver(data: ConsoleRunsSnapshot): void {
    const running = new Set(data.runs.filter((r) => r.state === 'running').map((r) => r.runId));
    for (const [runId, chunk] of Object.entries(data.output ?? {})) this.apply(runId, chunk);
    // A run that is over keeps no tail here (its final output is asked for once: run.output).
    for (const runId of this.held.keys()) if (!running.has(runId)) this.held.delete(runId);
    this.last = data;
    this.set(this.whole(data));
  }

  /** Lines held for a run and how many it has printed in all (for tests and diagnostics). */
  tail(runId: string): Tail | undefined {
    return this.held.get(runId);
  }

  private whole(data: ConsoleRunsSnapshot): ConsoleRunsSnapshot {
    const output: Record<string, OutputChunk> = {};
    for (const [runId, t] of this.held) output[runId] = { from: t.total - t.lines.length, lines: t.lines, reset: true };
    return { ...data, output };
  }

  private apply(runId: string, chunk: OutputChunk): void {
    const had = this.held.get(runId);
    const end = chunk.from + chunk.lines.length;
    if (chunk.reset || !had) {
      if (!chunk.reset && chunk.from !== 0) return this.askAgain(runId);
      this.held.set(runId, { total: end, lines: keep(chunk.lines) });
      return;
    }
    if (end <= had.total) return; // nothing new
    if (chunk.from > had.total) return this.askAgain(runId);
    const fresh = chunk.lines.slice(had.total - chunk.from);
    this.held.set(runId, { total: end, lines: keep(had.lines.concat(fresh)) });
  }

  private askAgain(runId: string): void {
    if (this.resyncing.has(runId)) return;
    this.resyncing.add(runId);
    this.resync(runId).then(
      (t) => {
        this.resyncing.delete(runId);
        const had = this.held.get(runId);
        if (had && had.total >= t.total) return;
        this.held.set(runId, { total: t.total, lines: keep(t.lines) });
        if (this.last) this.set(this.whole(this.last));
      },
      () => this.resyncing.delete(runId),
    );
  }
}

function keep(lines: OutputLine[]): OutputLine[] {
  return lines.length > CONSOLE_OUTPUT_LINES ? lines.slice(lines.length - CONSOLE_OUTPUT_LINES) : lines;
}
