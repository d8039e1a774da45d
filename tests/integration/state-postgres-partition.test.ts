// The database cut off by the network (issue 15 item 5), not stopped: packets are not refused, they
// go unanswered. A small TCP proxy in this test stands between a `serve` process and the cluster;
// "cut" stops forwarding in both directions (the bytes wait, as TCP retransmits them) and leaves new
// connections unanswered, so every database call of the server meets silence rather than a refusal.
// The server must keep its event loop: `status` answers, a console attached to it sees a service go
// DOWN and come back UP while the database is cut off, and what needs the database (a silence, a
// run's lock) is refused in words. Restored, the same calls work again. And a run whose step 1 ends
// during the cut does not start step 2: its console shows "waiting for the state store before step
// 2" until the database answers, then the run goes on (WAITING, marked LATE, and CONTINUED in the
// box's emergency.log). Nothing here measures time.
import { readFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, afterAll } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, waitUntil, type RawClient } from '../helpers/console-server';
import { box, boxRunbook, fx, HEALTH_CHECK_STEP, serve, useStateBoxes } from '../helpers/state-boxes';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

/** A loopback TCP proxy to the cluster that can be cut (nothing forwarded, nothing answered) and restored. */
class CuttableProxy {
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  private cut = false;
  port = 0;

  constructor(private readonly target: number) {
    this.server = createServer((client) => {
      const pair: { client: Socket; upstream?: Socket } = { client };
      this.pairs.add(pair);
      client.on('error', () => undefined);
      client.on('close', () => {
        pair.upstream?.destroy();
        this.pairs.delete(pair);
      });
      client.pause();
      if (!this.cut) this.connect(pair);
    });
  }

  listen(): Promise<void> {
    return new Promise((r) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        r();
      }),
    );
  }

  private connect(pair: { client: Socket; upstream?: Socket }): void {
    const up = new Socket();
    pair.upstream = up;
    up.on('error', () => pair.client.destroy());
    up.on('close', () => pair.client.destroy());
    up.connect(this.target, '127.0.0.1', () => {
      pair.client.on('data', (d) => up.write(d));
      up.on('data', (d) => pair.client.write(d));
      if (!this.cut) pair.client.resume();
      else up.pause();
    });
  }

  /** Nothing goes through either way, and new connections get no answer. */
  blackhole(): void {
    this.cut = true;
    for (const p of this.pairs) {
      p.client.pause();
      p.upstream?.pause();
    }
  }

  restore(): void {
    this.cut = false;
    for (const p of this.pairs) {
      if (!p.upstream) this.connect(p);
      else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    return new Promise((r) => this.server.close(() => r()));
  }
}

const proxies: CuttableProxy[] = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
});

/** Box A served on database `db` through a new cuttable proxy, leading, and a console attached to it subscribed to `topics`. */
async function leadingBehindProxy(db: string, aBox: ReturnType<typeof box>, topics: string[]): Promise<{ proxy: CuttableProxy; aBox: ReturnType<typeof box>; c: RawClient }> {
  await fx.cluster.createDatabase(db);
  const proxy = new CuttableProxy(fx.cluster.port);
  proxies.push(proxy);
  await proxy.listen();
  const a = await serve(aBox, `postgres://postgres@127.0.0.1:${proxy.port}/${db}`);
  await a.waitLog(/leading \(term 1\)/);
  const c = await rawClient(aBox.socket);
  expect((await proveAsRoot(c, aBox.socket)).t).toBe('welcome');
  c.send({ t: 'subscribe', topics });
  return { proxy, aBox, c };
}

let nextId = 1;
async function intent(c: RawClient, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = nextId++;
  c.send({ t: 'intent', id, name, args });
  return c.next((f) => f.t === 'result' && f.id === id, 25_000);
}

/** The index of the first fleet frame from `after` on that says `api` is `state` (a whole frame's list, or a delta's changed entries: the new state in `set`, protocol 6). */
async function apiBecomes(c: RawClient, state: string, after: number): Promise<number> {
  type Frame = { services?: { name: string; state: string }[]; changed?: { name: string; set?: { state?: string } }[] };
  const says = (d: Frame) => (d.services ? d.services.some((s) => s.name === 'api' && s.state === state) : (d.changed ?? []).some((s) => s.name === 'api' && s.set?.state === state));
  const at = () => c.frames.findIndex((f, i) => i >= after && f.t === 'snapshot' && f.topic === 'fleet' && says(f.data as Frame));
  await c.next(() => at() >= 0, 25_000).catch((err: Error) => {
    throw new Error(`api ${state} on the console's fleet topic: ${err.message}`);
  });
  return at();
}

describe('the database cut off by the network (packets unanswered, not refused)', () => {
  it('the server keeps answering and updating consoles; what needs the database is refused in words; restored, it works again', async () => {
    const db = 'partition';
    const { proxy, aBox, c } = await leadingBehindProxy(db, box('a'), ['fleet', 'alerts']);
    let mark = await apiBecomes(c, 'UP', 0);
    // Through the proxy while it forwards: a silence is written to the database.
    const before = await intent(c, 'alerts.silence', { subject: 'api', minutes: 5, reason: 'before the cut' });
    expect(before).toMatchObject({ ok: true });

    proxy.blackhole();
    try {
      // The server's own database calls meet silence now (the shared silences are re-read every 2 s).
      // It still answers, and its console still gets health as it changes.
      fx.healthy = false;
      mark = await apiBecomes(c, 'DOWN', mark + 1);
      const st = await runCli(['status', '--socket', aBox.socket]);
      expect(st.stdout).toMatch(/api\s.*DOWN/i);
      fx.healthy = true;
      mark = await apiBecomes(c, 'UP', mark + 1);

      // What needs the database is refused, saying why (asked a few times: the first may wait for the timeout).
      let silence: Record<string, unknown> = {};
      for (let i = 0; i < 3; i++) silence = await intent(c, 'alerts.silence', { subject: 'api', minutes: 5, reason: 'during the cut' });
      expect(silence).toMatchObject({ ok: false });
      expect(String(silence.error)).toMatch(/^not done: state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/partition\): /);
      const run = await intent(c, 'run.start', { runbook: 'hold-test', target: 'api' });
      expect(run).toMatchObject({ ok: true, value: { ok: false } });
      expect(JSON.stringify(run.value)).toMatch(/state store unreachable/);
      // And still answers, and still probes: api goes down and up again on the console.
      fx.healthy = false;
      mark = await apiBecomes(c, 'DOWN', mark + 1);
      fx.healthy = true;
      mark = await apiBecomes(c, 'UP', mark + 1);
      const again = await runCli(['status', '--socket', aBox.socket]);
      // (Its exit code says whether all is healthy: the state store is not.)
      expect(again.stdout).toMatch(/api\s.*UP/i);
    } finally {
      fx.healthy = true;
      proxy.restore();
    }

    // Restored: a silence is written again (bounded: the first asks may still fail fast for a moment).
    let after: Record<string, unknown> = {};
    for (let i = 0; i < 30 && after.ok !== true; i++) {
      after = await intent(c, 'alerts.silence', { subject: 'api', minutes: 5, reason: 'after the cut' });
      if (after.ok !== true) await new Promise((r) => setTimeout(r, 500));
    }
    expect(after, JSON.stringify(after)).toMatchObject({ ok: true });
    const rows = await fx.cluster.query<{ reason: string }>(db, 'SELECT reason FROM doai_mutes ORDER BY created_at');
    expect(rows.map((r) => r.reason)).toEqual(['before the cut', 'after the cut']);
    c.socket.destroy();
  }, 120_000);

  it("a run's step 2 does not start while the database is cut off: the console shows it waiting for the state store; restored, it runs", async () => {
    const db = 'partition_run';
    const napBox = box('a', { state: { backend: 'postgres', url_env: 'DOAI_PG_URL', unreachable_wait_s: 90 } });
    boxRunbook(napBox.dir, {
      id: 'nap-check',
      audit_name: 'NAP_CHECK',
      title: { ko: '쉬고 확인', en: 'Nap then check' },
      description: { ko: '잠깐 쉬고 상태 확인', en: 'Sleeps, then checks health' },
      steps: [{ id: 'nap', kind: 'wait', seconds: 3 }, HEALTH_CHECK_STEP],
    });
    const { proxy, aBox, c } = await leadingBehindProxy(db, napBox, ['console']);
    const started = await intent(c, 'run.start', { runbook: 'nap-check', target: 'api' });
    expect(started).toMatchObject({ ok: true, value: { ok: true } });
    const runId = (started.value as { runId: string }).runId;
    type Step = { id: string; state: string; detail?: string };
    type Run = { runId: string; state: string; steps: Step[] };
    const run = () => {
      const snaps = c.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console');
      return ((snaps.at(-1)?.data as { runs?: Run[] } | undefined)?.runs ?? []).find((r) => r.runId === runId);
    };
    await waitUntil('step 1 running', () => run()?.steps.find((s) => s.id === 'nap')?.state === 'running', 20_000);
    proxy.blackhole();
    try {
      const waiting = await waitUntil(
        'step 2 waiting for the state store, on the console',
        () => {
          const r = run();
          const check = r?.steps.find((s) => s.id === 'check');
          return check?.detail === 'waiting for the state store before step 2' ? r : undefined;
        },
        30_000,
      );
      expect(waiting.state).toBe('running');
      expect(waiting.steps.map((s) => [s.id, s.state])).toEqual([
        ['nap', 'ok'],
        ['check', 'pending'],
      ]);
      // Still waiting a while later: the step does not start without the database.
      await new Promise((r) => setTimeout(r, 2000));
      expect(run()?.steps.find((s) => s.id === 'check')?.state).toBe('pending');
    } finally {
      proxy.restore();
    }
    const done = await waitUntil('the run to end', () => (run()?.state !== 'running' ? run() : undefined), 60_000);
    expect(done.state).toBe('success');
    expect(done.steps.map((s) => [s.id, s.state])).toEqual([
      ['nap', 'ok'],
      ['check', 'ok'],
    ]);
    // Both lines reach this box's emergency.log from the database; the one said during the cut marked LATE.
    const log = () => {
      try {
        return readFileSync(join(aBox.dir, 'state', 'emergency.log'), 'utf8');
      } catch {
        return '';
      }
    };
    await waitUntil('the lines in emergency.log', () => /NAP_CHECK: SUCCESS/.test(log()) || undefined, 30_000);
    expect(log()).toMatch(/NAP_CHECK: WAITING for the state store before step 2 \(LATE: [^\n]+\)\n(.*\n)*.*NAP_CHECK: CONTINUED - the state store answered before step 2 \(waited \d+ s\)\n/);
    c.socket.destroy();
  }, 120_000);
});
