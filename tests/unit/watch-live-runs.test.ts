// Runs in other consoles, seen through lock files and journals (R-RUN-7): a live run with its
// steps and output, its end, a console that died mid-run, and this process's own runs left out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LiveRunsSource, summarizeEvents } from '../../src/watch/live-runs';
import { readLocks } from '../../src/watch/lock-reader';
import { builtinActionsDir, loadRunbooks } from '../../src/runbook/loader';

let dir: string;
let journalDir: string;
let lockDir: string;
const runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: [], baseDir: process.cwd() });

const RUN = '20260104T153100-l1-soft-reset-abcd';
const at = (s: number) => new Date(Date.UTC(2026, 0, 4, 6, 31, s)).toISOString();

function journal(...events: Record<string, unknown>[]): void {
  appendFileSync(join(journalDir, `${RUN}.jsonl`), events.map((e) => JSON.stringify({ runId: RUN, ...e }) + '\n').join(''));
}

function lock(pid: number, target = 'doai-orchestrator'): void {
  writeFileSync(
    join(lockDir, `${target}.lock`),
    JSON.stringify({ pid, hostname: hostname(), operator: 'orion', runbook: 'l1-soft-reset', level: 'L1', since: at(0), runId: RUN }) + '\n',
  );
}

/** A pid that surely is not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const started = { type: 'run.started', runbook: 'l1-soft-reset', level: 'L1', auditName: 'L1_SOFT_RESET', target: 'doai-orchestrator', operator: 'orion', dryRun: false, at: at(0) };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-live-'));
  journalDir = join(dir, 'journal');
  lockDir = join(dir, 'state', 'locks');
  mkdirSync(journalDir, { recursive: true });
  mkdirSync(lockDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function source(extra: Partial<ConstructorParameters<typeof LiveRunsSource>[0]> = {}) {
  return new LiveRunsSource({ journalDir, lockDir, runbook: (id) => runbooks.get(id), scanMs: 0, ...extra });
}

describe('LiveRunsSource', () => {
  it('shows a run another console holds the lock for: owner, steps from the runbook, live output', () => {
    // A parent process that is alive for the whole test: ours (excludePid is not set).
    lock(process.pid);
    journal(started, { type: 'step.started', stepId: 'health-check', at: at(1) });
    const src = source();
    src.poll();
    let snap = src.getSnapshot();
    expect(snap.runs).toHaveLength(1);
    const run = snap.runs[0]!;
    expect(run.state).toBe('running');
    expect(run.title.en).toBe('L1 Soft Reset');
    expect(run.steps.map((s) => s.id)).toEqual(['health-check', 'restart', 'settle', 'status', 'verify']);
    expect(run.steps[0]!.state).toBe('running');
    expect(snap.owners[RUN]).toMatchObject({ operator: 'orion', level: 'L1', pid: process.pid });

    journal(
      { type: 'step.finished', stepId: 'health-check', outcome: 'failed', at: at(2) },
      { type: 'step.started', stepId: 'restart', at: at(2) },
      { type: 'step.output', stepId: 'restart', stream: 'stdout', line: 'Stopping doai-orchestrator.service', at: at(3) },
    );
    src.poll();
    snap = src.getSnapshot();
    expect(snap.runs[0]!.steps[1]!.state).toBe('running');
    expect(src.getOutput(RUN, 5).map((o) => o.line)).toEqual(['Stopping doai-orchestrator.service']);
    src.stop();
  });

  it('leaves out runs of this process (they come from its own engine)', () => {
    lock(process.pid);
    journal(started);
    const src = source({ excludePid: process.pid });
    src.poll();
    expect(src.getSnapshot().runs).toEqual([]);
    src.stop();
  });

  it('a finished run leaves the live list and appears in the recent runs with its outcome', () => {
    lock(process.pid);
    journal(started, { type: 'step.started', stepId: 'restart', at: at(1) });
    const src = source();
    src.poll();
    journal({ type: 'run.finished', outcome: 'success', at: at(40) });
    unlinkSync(join(lockDir, 'doai-orchestrator.lock'));
    src.poll();
    const snap = src.getSnapshot();
    expect(snap.runs.filter((r) => r.state === 'running')).toEqual([]);
    expect(snap.finished).toHaveLength(1);
    expect(snap.finished[0]).toMatchObject({ runId: RUN, outcome: 'success', operator: 'orion', target: 'doai-orchestrator' });
    src.stop();
  });

  it('a console that died mid-run (lock left behind, pid gone) shows as interrupted, never as live', () => {
    lock(deadPid());
    journal(started, { type: 'step.started', stepId: 'verify', at: at(5) });
    const src = source();
    src.poll();
    const snap = src.getSnapshot();
    expect(snap.runs).toEqual([]);
    expect(snap.finished[0]).toMatchObject({ runId: RUN, outcome: 'interrupted', lastStep: 'verify' });
    src.stop();
  });

  it('a live run whose lock vanishes without an end is closed as interrupted on screen only', () => {
    lock(process.pid);
    journal(started, { type: 'step.started', stepId: 'restart', at: at(1) });
    const src = source();
    src.poll();
    unlinkSync(join(lockDir, 'doai-orchestrator.lock'));
    const before = statSync(join(journalDir, `${RUN}.jsonl`)).size;
    src.poll();
    src.poll();
    src.poll();
    const snap = src.getSnapshot();
    expect(snap.runs[0]!.state).toBe('interrupted');
    // Read-only: the journal is not touched.
    expect(statSync(join(journalDir, `${RUN}.jsonl`)).size).toBe(before);
    src.stop();
  });

  it('keeps output bounded per run (ring buffer)', () => {
    lock(process.pid);
    journal(started, { type: 'step.started', stepId: 'restart', at: at(1) });
    journal(...Array.from({ length: 500 }, (_, i) => ({ type: 'step.output', stepId: 'restart', stream: 'stdout', line: `l${i}`, at: at(2) })));
    const src = source({ maxOutputLines: 50 });
    src.poll();
    const out = src.getOutput(RUN, 1000);
    expect(out).toHaveLength(50);
    expect(out.at(-1)!.line).toBe('l499');
    expect(src.getSnapshot().runs[0]!.outputCount).toBe(500);
    src.stop();
  });

  it('does not notify when a poll finds nothing new (no frame without a change)', async () => {
    lock(process.pid);
    journal(started);
    const src = source();
    src.poll();
    await new Promise((r) => setImmediate(r));
    let notified = 0;
    const unsubscribe = src.subscribe(() => notified++);
    src.poll();
    src.poll();
    await new Promise((r) => setTimeout(r, 20));
    expect(notified).toBe(0);
    journal({ type: 'step.started', stepId: 'restart', at: at(1) });
    src.poll();
    await new Promise((r) => setTimeout(r, 20));
    expect(notified).toBe(1);
    unsubscribe();
    src.stop();
  });

  it('never writes: the lock and journal directories are byte-for-byte the same after polling', () => {
    lock(deadPid());
    journal(started);
    const list = () => [...readdirSync(lockDir), ...readdirSync(journalDir)].map((n) => n).sort();
    const before = list();
    const src = source();
    for (let i = 0; i < 5; i++) src.poll();
    src.stop();
    expect(list()).toEqual(before);
  });
});

describe('readLocks / summarizeEvents', () => {
  it('ignores torn lock files and decodes target names', () => {
    writeFileSync(join(lockDir, 'half.lock'), '{"pid": 12');
    writeFileSync(join(lockDir, 'a%40b.lock'), JSON.stringify({ pid: process.pid, runId: 'x', since: at(0), operator: 'o', level: 'L2', runbook: 'r' }));
    const locks = readLocks(lockDir);
    expect(locks.map((l) => l.target)).toEqual(['a@b']);
    expect(locks[0]!.alive).toBe(true);
  });

  it('a journal without an end is a live run while its console lives, interrupted once it is gone', () => {
    const events = [{ ...started, runId: RUN, at: new Date(at(0)) }] as never[];
    expect(summarizeEvents(events, true)).toBeUndefined();
    expect(summarizeEvents(events, false)?.outcome).toBe('interrupted');
  });
});
