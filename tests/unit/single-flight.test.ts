// SingleFlight (src/core/single-flight.ts): one run in flight; asked again meanwhile, exactly one
// more run when it ends; a run that fails (or whose caller reports the error) never wedges it.
import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/core/single-flight';

interface Gate {
  promise: Promise<void>;
  open(): void;
  fail(err: Error): void;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

/** A task whose runs are held until the test lets each one end; `log` says what happened, in order. */
function heldTask() {
  const log: string[] = [];
  const runs: Gate[] = [];
  let againOn: number | undefined;
  const task = (again: () => void) => {
    const n = runs.length + 1;
    const g = gate();
    runs.push(g);
    log.push(`start ${n}`);
    return g.promise.then(() => {
      log.push(`end ${n}`);
      if (againOn === n) again();
    });
  };
  return { log, runs, task, againAfter: (n: number) => (againOn = n) };
}

describe('SingleFlight', () => {
  it('runs the task at once, synchronously, and only once when nothing more is asked', async () => {
    const t = heldTask();
    const f = new SingleFlight(t.task);
    const done = f.request();
    expect(t.log).toEqual(['start 1']);
    expect(f.busy).toBe(true);
    t.runs[0]!.open();
    await done;
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1']);
    expect(f.busy).toBe(false);
  });

  it('requests during a run cause exactly one more run, after it ends; the marking request resolves at once', async () => {
    const t = heldTask();
    const f = new SingleFlight(t.task);
    const first = f.request();
    let marked = false;
    void f.request().then(() => (marked = true));
    void f.request();
    void f.request();
    await settle();
    expect(marked).toBe(true);
    expect(t.runs).toHaveLength(1);
    t.runs[0]!.open();
    await first;
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2']);
    // Asked during the second: one third, no more.
    void f.request();
    void f.request();
    t.runs[1]!.open();
    await settle();
    t.runs[2]!.open();
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(f.busy).toBe(false);
  });

  it('the task may ask for one more run itself (what it read is stale)', async () => {
    const t = heldTask();
    const f = new SingleFlight(t.task);
    t.againAfter(1);
    void f.request();
    t.runs[0]!.open();
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2']);
    t.runs[1]!.open();
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('a failed run goes to onError and does not wedge it: a request during it still runs once more, and later requests run', async () => {
    const errors: string[] = [];
    const t = heldTask();
    const f = new SingleFlight(t.task, { onError: (e) => errors.push((e as Error).message) });
    const first = f.request();
    void f.request();
    t.runs[0]!.fail(new Error('database away'));
    await first;
    await settle();
    expect(errors).toEqual(['database away']);
    expect(t.log).toEqual(['start 1', 'start 2']);
    t.runs[1]!.open();
    await settle();
    expect(f.busy).toBe(false);
    void f.request();
    expect(t.log).toEqual(['start 1', 'start 2', 'end 2', 'start 3']);
  });

  it('without onError the failure reaches the request that started the run; the next request still runs', async () => {
    const t = heldTask();
    const f = new SingleFlight(t.task);
    const first = f.request();
    t.runs[0]!.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    expect(f.busy).toBe(false);
    void f.request();
    expect(t.log).toEqual(['start 1', 'start 2']);
  });

  it('a task that throws synchronously ends its run too', async () => {
    let calls = 0;
    const f = new SingleFlight(() => {
      calls++;
      if (calls === 1) throw new Error('sync bug');
      return Promise.resolve();
    });
    await expect(f.request()).rejects.toThrow('sync bug');
    await f.request();
    expect(calls).toBe(2);
  });

  it('mayFollow false drops the follow-up (the owner stopped); a later request still runs', async () => {
    let stopped = false;
    const t = heldTask();
    const f = new SingleFlight(t.task, { mayFollow: () => !stopped });
    void f.request();
    void f.request();
    stopped = true;
    t.runs[0]!.open();
    await settle();
    expect(t.log).toEqual(['start 1', 'end 1']);
    stopped = false;
    void f.request();
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2']);
  });

  it("followUp starts the one more run the caller's way (a timer), only when one was asked", async () => {
    const t = heldTask();
    let followUps = 0;
    const f = new SingleFlight(t.task, { followUp: () => followUps++ });
    void f.request();
    t.runs[0]!.open();
    await settle();
    expect(followUps).toBe(0);
    void f.request();
    void f.request();
    void f.request();
    t.runs[1]!.open();
    await settle();
    expect(followUps).toBe(1);
    expect(t.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
