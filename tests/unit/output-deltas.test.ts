// Run output as deltas: the server side (one OutputDeltas per connection) sends each run's tail
// once, then what is new; the console side (ConsoleOutputStore) puts the tail back together, and
// asks for it again (run.tail) when a frame does not follow what it holds instead of guessing.
import { describe, expect, it } from 'vitest';
import { OutputDeltas } from '../../src/server/output-deltas';
import { ConsoleOutputStore } from '../../src/attach/console-output';
import { CONSOLE_OUTPUT_LINES, type ConsoleRunsSnapshot, type OutputChunk } from '../../src/protocol/runs';
import type { OutputLine, RunView } from '../../src/core/views';

const line = (i: number): OutputLine => ({ stepId: 's', stream: 'stdout', line: `line ${i}` });
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => line(from + k));
const run = (runId: string, state = 'running') => ({ runId, state }) as unknown as RunView;

/** The topic's own snapshot: every running run with its whole tail (at most CONSOLE_OUTPUT_LINES). */
function topic(outputs: Record<string, number>, over: string[] = []): ConsoleRunsSnapshot {
  const output: Record<string, OutputChunk> = {};
  for (const [id, total] of Object.entries(outputs)) {
    const from = Math.max(0, total - CONSOLE_OUTPUT_LINES);
    output[id] = { from, lines: lines(from, total), reset: true };
  }
  return { runs: [...Object.keys(outputs).map((id) => run(id)), ...over.map((id) => run(id, 'success'))], outputVersion: 0, output };
}

describe('OutputDeltas (server, per connection)', () => {
  it('sends the tail once, then only new lines, nothing for a quiet run; again the tail when the tail no longer reaches', () => {
    const d = new OutputDeltas();
    expect(d.frame(topic({ a: 3 })).output).toEqual({ a: { from: 0, lines: lines(0, 3), reset: true } });
    expect(d.frame(topic({ a: 5, b: 1 })).output).toEqual({ a: { from: 3, lines: lines(3, 5) }, b: { from: 0, lines: lines(0, 1), reset: true } });
    expect(d.frame(topic({ a: 5, b: 2 })).output).toEqual({ b: { from: 1, lines: lines(1, 2) } });
    // 5 → 5 + 2001 lines: the tail starts after what was sent, so the tail goes again, as a reset.
    const far = d.frame(topic({ a: 2006, b: 2 })).output.a!;
    expect(far).toMatchObject({ from: 6, reset: true });
    expect(far.lines).toHaveLength(CONSOLE_OUTPUT_LINES);
  });

  it('forgets a run once it is over; a new connection starts from the tail', () => {
    const d = new OutputDeltas();
    d.frame(topic({ a: 4 }));
    expect(d.frame(topic({}, ['a'])).output).toEqual({});
    expect(new OutputDeltas().frame(topic({ a: 9 })).output.a).toMatchObject({ from: 0, reset: true });
  });
});

describe('ConsoleOutputStore (attached console)', () => {
  it('rebuilds each running run\'s tail from a reset and the deltas after it, bounded', () => {
    const s = new ConsoleOutputStore(() => Promise.reject(new Error('not asked')));
    const d = new OutputDeltas();
    for (const total of [2, 7, 7, 40, 2100, 2101]) s.deliver(d.frame(topic({ a: total })));
    expect(s.tail('a')).toEqual({ total: 2101, lines: lines(101, 2101) });
    // The store's snapshot is the whole tail, as the in-process topic gives it.
    expect(s.getSnapshot()!.output.a).toEqual({ from: 101, lines: lines(101, 2101), reset: true });
    s.deliver(d.frame(topic({}, ['a'])));
    expect(s.tail('a')).toBeUndefined();
  });

  it('a frame that does not follow what it holds is not applied: the tail is asked for again', async () => {
    const asked: string[] = [];
    const s = new ConsoleOutputStore(async (id) => {
      asked.push(id);
      return { total: 12, lines: lines(0, 12) };
    });
    s.deliver({ ...topic({ a: 3 }) });
    s.deliver({ runs: [run('a')], outputVersion: 0, output: { a: { from: 8, lines: lines(8, 10) } } });
    expect(s.tail('a')).toEqual({ total: 3, lines: lines(0, 3) });
    expect(asked).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 0));
    expect(s.tail('a')).toEqual({ total: 12, lines: lines(0, 12) });
    // Then the deltas after it apply.
    s.deliver({ runs: [run('a')], outputVersion: 0, output: { a: { from: 12, lines: lines(12, 13) } } });
    expect(s.tail('a')!.total).toBe(13);
  });
});

describe('OutputDeltas shares frames', () => {
  it('consoles in step get the same frame object for a snapshot (serialised once); one behind gets its own', () => {
    const [x, y, z] = [new OutputDeltas(), new OutputDeltas(), new OutputDeltas()];
    const s1 = topic({ a: 3 });
    x.frame(s1);
    y.frame(s1);
    const s2 = topic({ a: 5 });
    const fx = x.frame(s2);
    expect(y.frame(s2)).toBe(fx);
    const fz = z.frame(s2);
    expect(fz).not.toBe(fx);
    expect(fz.output.a).toMatchObject({ from: 0, reset: true });
  });
});
