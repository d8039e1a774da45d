// Shared state in PostgreSQL, continued (issue 15, R-HA-1, R-HA-3): every box's emergency.log
// written from the database, the database stopped and started again, runs seen live on the other
// box (LISTEN/NOTIFY), approvals given on the other box, and the one-time code never shared.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { BIN, runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, waitUntil } from '../helpers/console-server';
import { startTmux } from '../helpers/tmux';
import { box, fx, peeredBoxes, serve, statusOf, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

describe('audit lines across boxes (PostgreSQL)', () => {
  it("every box's emergency.log has every line of both boxes, in the database's order, in seed 000's format", async () => {
    const url = await fx.cluster.createDatabase('audit_mirror');
    const aBox = box('a');
    const bBox = box('b');
    await serve(aBox, url);
    await serve(bBox, url);
    // Dry runs write one audit line each through the real engine, from either box's config.
    for (const [b, n] of [[aBox, 1], [bBox, 2], [aBox, 3]] as const) {
      const r = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--dry-run', '--config', b.config], { env: { DOAI_PG_URL: url } });
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      await waitUntilAsync(`line ${n} in the database`, async () => (await fx.cluster.query('audit_mirror', 'SELECT 1 FROM doai_audit')).length === n);
    }
    const rows = await fx.cluster.query<{ line: string; box: string }>('audit_mirror', 'SELECT line, box FROM doai_audit ORDER BY id');
    expect(rows.map((r) => r.line)).toEqual(rows.map(() => expect.stringMatching(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\] L1_SOFT_RESET: DRY_RUN/)));
    const expected = rows.map((r) => r.line + '\n').join('');
    const logOf = (b: { dir: string }) => {
      try {
        return readFileSync(join(b.dir, 'state', 'emergency.log'), 'utf8');
      } catch {
        return '';
      }
    };
    await waitUntil("both boxes' emergency.log", () => logOf(aBox) === expected && logOf(bBox) === expected, 15_000);
    // A restarted server continues where it stopped: nothing written twice.
    const restartedB = fx.servers.pop()!;
    await restartedB.stop('SIGTERM');
    const r = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--dry-run', '--config', aBox.config], { env: { DOAI_PG_URL: url } });
    expect(r.code).toBe(0);
    await serve(bBox, url);
    const all = await waitUntilAsync('the fourth line', async () => (await fx.cluster.query('audit_mirror', 'SELECT 1 FROM doai_audit')).length === 4).then(() =>
      fx.cluster.query<{ line: string }>('audit_mirror', 'SELECT line FROM doai_audit ORDER BY id'),
    );
    const four = all.map((x) => x.line + '\n').join('');
    await waitUntil("both boxes' emergency.log with the fourth line", () => logOf(aBox) === four && logOf(bBox) === four, 15_000);
  }, 60_000);
});

describe('database trouble (PostgreSQL stopped and started again)', () => {
  it('status says state store unreachable, health keeps updating, nothing needing a lock starts; kept audit lines are written on return and a leader leads again', async () => {
    const url = await fx.cluster.createDatabase('db_trouble');
    const aBox = box('a');
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    // A wall screen attached to the server says who leads, then that the store is away.
    const wall = startTmux(`node ${BIN} watch --socket ${aBox.socket} --lang en --interval 1`, { cols: 200, rows: 30, env: { NO_COLOR: '1' } });
    fx.terms.push(wall);
    await wall.waitFor(`attached to ${aBox.socket} · leader: this server`);
    const apiFact = async () => {
      const st = await statusOf(aBox.socket);
      return (st.items as { name: string; lastFactAt?: string }[]).find((i) => i.name === 'api')?.lastFactAt;
    };
    fx.cluster.halt();
    try {
      await waitUntilAsync('status to say the store is unreachable', async () => (await statusOf(aBox.socket)).server.state?.reachable === false);
      await wall.waitFor(`attached to ${aBox.socket} · state store unreachable`);
      const text = await runCli(['status', '--socket', aBox.socket]);
      expect(text.stdout).toMatch(/state: postgres:\/\/postgres@127\.0\.0\.1:\d+\/db_trouble — state store unreachable \(.+\) — leader: none yet/);
      // Health is this box's own: it keeps being probed.
      const before = await apiFact();
      expect(before).toBeTruthy();
      await waitUntilAsync('a newer probe of api', async () => ((await apiFact()) ?? '') > before!);

      const refused = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--config', aBox.config], { env: { DOAI_PG_URL: url } });
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/cannot start l1-soft-reset on api: cannot take the target lock in the state database postgres:\/\/postgres@127\.0\.0\.1:\d+\/db_trouble: state store unreachable/);

      // A dry run needs no lock: its audit line is kept on this box.
      const dry = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--dry-run', '--config', aBox.config], { env: { DOAI_PG_URL: url } });
      expect(dry.code, dry.stdout + dry.stderr).toBe(0);
      const pendingDir = join(aBox.dir, 'state', 'audit-pending');
      const kept = readdirSync(pendingDir);
      expect(kept).toHaveLength(1);
      expect(readFileSync(join(pendingDir, kept[0]!), 'utf8')).toMatch(/L1_SOFT_RESET: DRY_RUN/);
    } finally {
      fx.cluster.start();
    }
    await a.waitLog(/leading \(term 2\)/, 20_000);
    await waitUntilAsync('status to say the store is back', async () => (await statusOf(aBox.socket)).server.state?.reachable === true);
    await wall.waitFor(`attached to ${aBox.socket} · leader: this server`);
    await a.waitLog(/wrote 1 audit line\(s\) kept on this box while the state database was unreachable/, 20_000);
    const rows = await fx.cluster.query<{ line: string }>('db_trouble', 'SELECT line FROM doai_audit ORDER BY id');
    expect(rows.map((r) => r.line)).toEqual([expect.stringMatching(/^\[[^\]]+\] L1_SOFT_RESET: DRY_RUN.* \(LATE: the state database was unreachable then; written \d{4}-/)]);
    await waitUntil('the kept line in emergency.log', () => {
      try {
        return readFileSync(join(aBox.dir, 'state', 'emergency.log'), 'utf8') === rows[0]!.line + '\n';
      } catch {
        return false;
      }
    });
    expect(readdirSync(join(aBox.dir, 'state', 'audit-pending'))).toEqual([]);
  }, 90_000);
});

describe('runs across boxes (PostgreSQL, LISTEN/NOTIFY)', () => {
  it("a run started on box A shows live on box B's wall screen and in B's console list (watched only), with its steps, and its end too", async () => {
    const url = await fx.cluster.createDatabase('runs_live');
    const aBox = box('a');
    const bBox = box('b');
    const a = await serve(aBox, url);
    await serve(bBox, url);
    const wallB = startTmux(`node ${BIN} watch --socket ${bBox.socket} --lang en --interval 1`, { cols: 200, rows: 40, env: { NO_COLOR: '1' } });
    fx.terms.push(wallB);
    await wallB.waitFor(`attached to ${bBox.socket}`);

    const c = await rawClient(aBox.socket);
    expect((await proveAsRoot(c, aBox.socket)).t).toBe('welcome');
    c.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'hold-test', target: 'api' } });
    const started = (await c.next((f) => f.t === 'result' && f.id === 1)) as { ok: boolean; value?: { ok: boolean; runId?: string } };
    expect(started.value, JSON.stringify(started)).toMatchObject({ ok: true });
    const runId = started.value!.runId!;
    // Waiting for the yes: running on A, watched from B with its box named.
    const screen = await wallB.waitFor(new RegExp(`root@\\S+ \\(pid ${a.child.pid}\\)`));
    expect(screen).toMatch(new RegExp(`L1 in progress by root@\\S+ \\(pid ${a.child.pid}\\) since \\d\\d:\\d\\d — Hold test on api`));
    expect(screen).toMatch(/✓ Health check .* HTTP 200 in \d+ ms/);
    // An operator console attached to B lists it too, as watched (B cannot control it).
    const cb = await rawClient(bBox.socket);
    expect((await proveAsRoot(cb, bBox.socket)).t).toBe('welcome');
    cb.send({ t: 'subscribe', topics: ['console'] });
    const listed = await cb.next((f) => f.t === 'snapshot' && f.topic === 'console' && JSON.stringify(f.data).includes(runId));
    const seen = (listed.data as { runs: { runId: string; state: string; operator: string; observedBy?: { operator: string } }[] }).runs.find((r) => r.runId === runId);
    expect(seen).toMatchObject({ state: 'running', operator: expect.stringMatching(new RegExp(`^root@\\S+ \\(pid ${a.child.pid}\\)$`)), observedBy: { operator: expect.stringContaining(`(pid ${a.child.pid})`) } });
    cb.send({ t: 'intent', id: 9, name: 'run.cancel', args: { runId } });
    const refusedCancel = (await cb.next((f) => f.t === 'result' && f.id === 9)) as { ok: boolean; error?: string };
    expect(refusedCancel.ok).toBe(false);
    expect(refusedCancel.error).toMatch(/is not this server's to control/);
    cb.socket.destroy();
    const row = await fx.cluster.query<{ state: string; box: string }>('runs_live', 'SELECT state, box FROM doai_runs WHERE run_id = $1', [runId]);
    expect(row).toEqual([{ state: 'running', box: expect.stringContaining(`(pid ${a.child.pid})`) }]);

    c.send({ t: 'intent', id: 2, name: 'run.confirm', args: { runId } });
    await c.next((f) => f.t === 'result' && f.id === 2);
    await waitUntilAsync('the run to finish in the database', async () => (await fx.cluster.query<{ state: string }>('runs_live', 'SELECT state FROM doai_runs WHERE run_id = $1', [runId]))[0]?.state === 'success');
    await wallB.waitFor(/SUCCESS|success/);
    c.socket.destroy();
  }, 60_000);

  it('an approval given on box B (name and one-time code) advances the form of a run on box A; a wrong code is refused by A, anything but an approval by B', async () => {
    const url = await fx.cluster.createDatabase('approve_across');
    const [aBox, bBox] = peeredBoxes(['a', 'b']) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    const a = await serve(aBox, url);
    await serve(bBox, url);
    const ca = await rawClient(aBox.socket);
    expect((await proveAsRoot(ca, aBox.socket)).t).toBe('welcome');
    ca.send({ t: 'subscribe', topics: ['console'] });
    ca.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'hold-code', target: 'api' } });
    const started = (await ca.next((f) => f.t === 'result' && f.id === 1)) as { value?: { ok: boolean; runId?: string } };
    expect(started.value).toMatchObject({ ok: true });
    const runId = started.value!.runId!;
    // The code, as A's own form shows it (the requester reads it out to the approver).
    const code = await waitUntil('the code on A', () => {
      for (const f of ca.frames) {
        if (f.t !== 'snapshot' || f.topic !== 'console') continue;
        const m = new RegExp(`"runId":"${runId}".*?"code":"([^"]+)"`).exec(JSON.stringify(f.data));
        if (m) return m[1];
      }
      return undefined;
    });
    const cb = await rawClient(bBox.socket);
    expect((await proveAsRoot(cb, bBox.socket)).t).toBe('welcome');
    cb.send({ t: 'subscribe', topics: ['runs'] });
    await cb.next((f) => f.t === 'snapshot' && f.topic === 'runs' && JSON.stringify(f.data).includes(runId));
    let id = 10;
    const answerOnB = async (answer: unknown) => {
      const mine = ++id;
      cb.send({ t: 'intent', id: mine, name: 'run.answer', args: { runId, answer } });
      return (await cb.next((f) => f.t === 'result' && f.id === mine, 20_000)) as { ok: boolean; value?: { accepted: boolean; error?: unknown }; error?: string };
    };
    const cancel = await answerOnB({ kind: 'cancel' });
    expect(cancel.ok).toBe(false);
    expect(cancel.error).toMatch(new RegExp(`run ${runId} runs on \\S+ \\(pid ${a.child.pid}\\): from here only an approval \\(name and one-time code\\) can be given`));
    const wrong = await answerOnB({ kind: 'approve', name: 'bob', code: code === '000000' ? '111111' : '000000' });
    expect(wrong).toMatchObject({ ok: true, value: { accepted: false } });
    const right = await answerOnB({ kind: 'approve', name: 'bob', code });
    expect(right).toMatchObject({ ok: true, value: { accepted: true } });
    await a.waitLog(new RegExp(`approval for run ${runId} given on b \\(\\S+ \\(pid \\d+\\)\\) by root`));
    await waitUntilAsync('the run to finish on A', async () => (await fx.cluster.query<{ state: string }>('approve_across', 'SELECT state FROM doai_runs WHERE run_id = $1', [runId]))[0]?.state === 'success');
    const audit = await fx.cluster.query<{ line: string }>('approve_across', 'SELECT line FROM doai_audit ORDER BY id');
    expect(audit.map((r) => r.line).join('\n')).toMatch(/HOLD_CODE: .*bob/);
    ca.socket.destroy();
    cb.socket.destroy();
  }, 60_000);

  it("an approval's one-time code is not shared: the other boxes see the form waiting, never the code", async () => {
    const url = await fx.cluster.createDatabase('runs_code');
    const aBox = box('a');
    await serve(aBox, url);
    const c = await rawClient(aBox.socket);
    expect((await proveAsRoot(c, aBox.socket)).t).toBe('welcome');
    c.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'hold-code', target: 'api' } });
    const started = (await c.next((f) => f.t === 'result' && f.id === 1)) as { value?: { ok: boolean; runId?: string } };
    expect(started.value).toMatchObject({ ok: true });
    const runId = started.value!.runId!;
    let view: { state: string; prompt?: { kind: string; code?: string; mode?: string } } | undefined;
    await waitUntilAsync('the waiting form in the database', async () => {
      const rows = await fx.cluster.query<{ view_json: string }>('runs_code', 'SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]);
      view = rows[0] ? JSON.parse(rows[0].view_json) : undefined;
      return view?.prompt?.kind === 'approval';
    });
    expect(view).toMatchObject({ state: 'running', prompt: { kind: 'approval', mode: 'code' } });
    expect(view!.prompt).not.toHaveProperty('code');
    c.send({ t: 'intent', id: 2, name: 'run.cancel', args: { runId } });
    await c.next((f) => f.t === 'result' && f.id === 2);
    c.socket.destroy();
  }, 60_000);
});

describe('silences and maintenance across boxes (PostgreSQL)', () => {
  it("a silence set on the follower B holds back the leader A's page; removed on B, A pages; its end is the database's time", async () => {
    const url = await fx.cluster.createDatabase('mutes_shared');
    const aBox = box('a');
    const bBox = box('b');
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    const b = await serve(bBox, url);
    await b.waitLog(/following: \S+ \(pid \d+\) leads/);
    const cb = await rawClient(bBox.socket);
    expect((await proveAsRoot(cb, bBox.socket)).t).toBe('welcome');
    let id = 0;
    const onB = async (name: string, args: unknown) => {
      const mine = ++id;
      cb.send({ t: 'intent', id: mine, name, args });
      return (await cb.next((f) => f.t === 'result' && f.id === mine, 20_000)) as { ok: boolean; value?: { id: string }; error?: string };
    };
    const set = await onB('alerts.silence', { rule: 'api_down', minutes: 10, reason: 'deploy on b' });
    expect(set).toMatchObject({ ok: true });
    const sid = set.value!.id;
    const rows = await fx.cluster.query<{ box: string; by_user: string; secs: number }>('mutes_shared', 'SELECT box, by_user, extract(epoch FROM until - created_at)::int AS secs FROM doai_mutes WHERE id = $1', [sid]);
    expect(rows).toEqual([{ box: expect.stringContaining(`(pid ${b.child.pid})`), by_user: 'root', secs: 600 }]);

    const ca = await rawClient(aBox.socket);
    expect((await proveAsRoot(ca, aBox.socket)).t).toBe('welcome');
    ca.send({ t: 'subscribe', topics: ['alerts'] });
    fx.healthy = false;
    // A (the leader) holds the page back, naming B's silence.
    await ca.next((f) => f.t === 'snapshot' && f.topic === 'alerts' && JSON.stringify(f.data).includes(`silenced (${sid})`), 20_000);
    expect(fx.received.filter((r) => r.text.startsWith('[FIRING]'))).toEqual([]);
    // B follows: an acknowledgement is refused there, naming the leader (not "no firing alert").
    expect(await onB('alerts.ack', { key: 'api_down:api' })).toMatchObject({ ok: false, error: expect.stringContaining('alerts are evaluated by the leading server ') });
    expect((await onB('alerts.ack', { key: 'api_down:api' })).error).toContain(`(pid ${a.child.pid}), not this one: acknowledge on its box`);
    // A wrong id is refused on A too, saying what is in force (read from the database).
    ca.send({ t: 'intent', id: 1, name: 'alerts.unsilence', args: { id: 's-nope' } });
    expect(await ca.next((f) => f.t === 'result' && f.id === 1)).toMatchObject({ ok: false, error: expect.stringContaining(sid) });

    const removed = await onB('alerts.unsilence', { id: sid });
    expect(removed).toMatchObject({ ok: true });
    await waitUntil('the FIRING page from A once the silence is gone', () => fx.received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    expect(await fx.cluster.query('mutes_shared', 'SELECT ended_by FROM doai_mutes WHERE id = $1 AND ended_at IS NOT NULL', [sid])).toEqual([{ ended_by: 'root' }]);
    // Gone from B's own copy for its wall screen too.
    await waitUntil("B's mutes.json without it", () => !readFileSync(join(bBox.dir, 'state', 'mutes.json'), 'utf8').includes(sid) || undefined);
    ca.socket.destroy();
    cb.socket.destroy();
  }, 60_000);
});
