// Console output on the socket as appended lines, not whole tails (R-SRV-2, issue 13). The console
// topic's snapshot carries each running run's newest lines (up to CONSOLE_OUTPUT_LINES); resending
// them with every change cost each console O(lines) per frame, O(N²) over a run printing N lines.
// One OutputDeltas per connection remembers how many lines of each run that connection has been
// sent, and turns each snapshot into what is new to it: nothing for a run that printed nothing,
// the lines after its count for one that did, the whole tail (`reset`) for a run it has not seen,
// a connection just (re)attached, or one so far behind that the tail no longer reaches its count.
import type { ConsoleRunsSnapshot, OutputChunk } from '../protocol/runs';

/**
 * Frames already made from one snapshot, by what they carry: consoles in step (the usual case)
 * get the very same object, so the socket serialises it once for all of them (connections.ts).
 */
const made = new WeakMap<ConsoleRunsSnapshot, Map<string, ConsoleRunsSnapshot>>();

function shared(snap: ConsoleRunsSnapshot, output: Record<string, OutputChunk>): ConsoleRunsSnapshot {
  const key = Object.entries(output)
    .map(([id, c]) => `${id}:${c.from}:${c.lines.length}${c.reset ? 'r' : ''}`)
    .join(',');
  let byKey = made.get(snap);
  if (!byKey) made.set(snap, (byKey = new Map()));
  let frame = byKey.get(key);
  if (!frame) byKey.set(key, (frame = { ...snap, output }));
  return frame;
}

export class OutputDeltas {
  /** Per run: lines sent to this connection so far (the run's line count when last sent). */
  private readonly sent = new Map<string, number>();

  frame(snap: ConsoleRunsSnapshot): ConsoleRunsSnapshot {
    const output: Record<string, OutputChunk> = {};
    const running = new Set<string>();
    for (const [runId, chunk] of Object.entries(snap.output)) {
      running.add(runId);
      const total = chunk.from + chunk.lines.length;
      const had = this.sent.get(runId);
      this.sent.set(runId, total);
      if (had === total) continue;
      if (had !== undefined && had >= chunk.from && had < total) {
        output[runId] = { from: had, lines: chunk.lines.slice(had - chunk.from) };
      } else {
        output[runId] = { from: chunk.from, lines: chunk.lines, reset: true };
      }
    }
    // Runs no longer running are forgotten (their final output is asked for with run.output).
    for (const runId of this.sent.keys()) if (!running.has(runId)) this.sent.delete(runId);
    return shared(snap, output);
  }
}
