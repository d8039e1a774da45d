// Shared state in PostgreSQL (issue 15, R-HA-1..2) with the BUILT binary and a real PostgreSQL 15
// cluster this file starts (tests/helpers/state-boxes.ts): schema migrations on an empty database,
// refusal of a newer one, a URL that is missing or wrong (exit 2, said, no password), two `serve`
// processes on one database with one leader (kill -9 it and the other takes over; every alert
// transition reaches the counting webhook receiver exactly once), and target locks across boxes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { BIN, runCli } from '../helpers/cli';
import { spawnServer, waitUntil } from '../helpers/console-server';
import { startTmux } from '../helpers/tmux';
import { freePort } from '../helpers/sshd';
import pg from 'pg';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../src/state/pg-migrations';
import { loadConfig } from '../../src/config/load';
import { buildContext } from '../../src/cli/context';
import { EVALUATORS_DIR } from '../../src/watch/evaluators-reader';
import { box, fx, lockDriver, serve, statusOf, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';

const ALL = MIGRATIONS.map((m) => m.version);

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

describe('state backend: PostgreSQL', () => {
  it('migrates an empty database on start, once; a second server finds it current', async () => {
    const url = await fx.cluster.createDatabase('migrate_empty');
    const a = await serve(box('a'), url);
    expect(a.log()).toContain(`/migrate_empty: schema version ${SCHEMA_VERSION} (applied ${ALL.join(', ')} over 0)`);
    expect(a.log()).toMatch(/state in postgres:\/\/postgres@127\.0\.0\.1:\d+\/migrate_empty: /);
    const rows = await fx.cluster.query<{ version: number }>('migrate_empty', 'SELECT version FROM doai_schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(ALL);
    const tables = await fx.cluster.query<{ t: string }>('migrate_empty', "SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'doai_%' ORDER BY 1");
    expect(tables.map((t) => t.t)).toEqual(['doai_acks', 'doai_alert_state', 'doai_approval_nonces', 'doai_audit', 'doai_checklist_entries', 'doai_forwarded', 'doai_incidents', 'doai_journal', 'doai_leader', 'doai_locks', 'doai_mutes', 'doai_outbox', 'doai_runs', 'doai_schema_migrations']);
    const b = await serve(box('b'), url);
    expect(b.log()).toContain(`schema version ${SCHEMA_VERSION}\n`);
    expect(b.log()).not.toMatch(/applied/);
    expect(await fx.cluster.query('migrate_empty', 'SELECT * FROM doai_schema_migrations')).toHaveLength(ALL.length);
  }, 60_000);

  it('upgrades a database an older build prepared: only the missing migrations run', async () => {
    const url = await fx.cluster.createDatabase('migrate_old');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await migrate(c, 'an older build', MIGRATIONS.slice(0, 1));
    await c.end();
    const a = await serve(box('a'), url);
    expect(a.log()).toContain(`migrate_old: schema version ${SCHEMA_VERSION} (applied ${ALL.slice(1).join(', ')} over 1)`);
    const rows = await fx.cluster.query<{ version: number; applied_by: string }>('migrate_old', 'SELECT version, applied_by FROM doai_schema_migrations ORDER BY version');
    expect(rows.map((r) => [r.version, r.applied_by.includes(`(pid ${a.child.pid})`)])).toEqual(ALL.map((v) => [v, v > 1]));
  }, 30_000);

  it('refuses a database whose schema is newer than it knows: exit 2, said, nothing changed', async () => {
    const url = await fx.cluster.createDatabase('too_new');
    await fx.cluster.query('too_new', 'CREATE TABLE doai_schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)');
    await fx.cluster.query('too_new', "INSERT INTO doai_schema_migrations (version, description, applied_by) VALUES (1, 'x', 'future'), (99, 'from the future', 'future')");
    const b = box('new');
    const s = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: url });
    expect(await s.exited).toBe(2);
    expect(s.log()).toMatch(/state database postgres:\/\/postgres@127\.0\.0\.1:\d+\/too_new: the database schema is version 99, newer than this build knows \(\d+\) — .*upgrade doai-console on this box/);
    expect(await fx.cluster.query("too_new", "SELECT tablename FROM pg_tables WHERE tablename LIKE 'doai_%'")).toHaveLength(1);
    expect(existsSync(b.socket)).toBe(false);
  }, 30_000);

  it('a missing, malformed or unreachable URL: exit 2 naming where it tried, never the password', async () => {
    const b = box('bad');
    const unset = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: '' });
    expect(await unset.exited).toBe(2);
    expect(unset.log()).toMatch(/state\.backend is postgres but the environment variable DOAI_PG_URL is not set — export it/);

    const junk = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: 'mysql://root:hunter2secret@127.0.0.1/x' });
    expect(await junk.exited).toBe(2);
    expect(junk.log()).toMatch(/the value of DOAI_PG_URL is not a postgres:\/\/ URL/);
    expect(junk.log()).not.toContain('hunter2secret');

    const closed = await freePort();
    const refused = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: `postgres://alice:hunter2secret@127.0.0.1:${closed}/ops` });
    expect(await refused.exited).toBe(2);
    expect(refused.log()).toContain(`cannot connect to the state database postgres://alice@127.0.0.1:${closed}/ops (from DOAI_PG_URL): `);
    expect(refused.log()).toMatch(/ECONNREFUSED/);
    expect(refused.log()).not.toContain('hunter2secret');

    // Reachable, but no such database: the server's own words, still without the password.
    const nodb = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: `postgres://postgres:hunter2secret@127.0.0.1:${fx.cluster.port}/no_such_db` });
    expect(await nodb.exited).toBe(2);
    expect(nodb.log()).toMatch(/database "no_such_db" does not exist/);
    expect(nodb.log()).not.toContain('hunter2secret');
  }, 60_000);

  it('two servers, one leader: status says who leads; kill -9 the leader and the other takes over; each transition is delivered exactly once', async () => {
    const url = await fx.cluster.createDatabase('leader_kill');
    const aBox = box('a');
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    const bBox = box('b');
    const b = await serve(bBox, url);
    await b.waitLog(/following: \S+ \(pid \d+\) leads/);
    // Only the leader says "alerts evaluated here" (a standalone wall screen on its box reads it).
    const markers = (b: { dir: string }) => (existsSync(join(b.dir, 'state', EVALUATORS_DIR)) ? readdirSync(join(b.dir, 'state', EVALUATORS_DIR)) : []);
    expect(markers(aBox)).toEqual([expect.stringContaining(`-${a.child.pid}.json`)]);
    expect(markers(bBox)).toEqual([]);
    const fromB = await statusOf(bBox.socket);
    expect(fromB.server.state).toMatchObject({ leading: false, reachable: true });
    expect(fromB.server.state?.leader).toContain(`(pid ${a.child.pid})`);
    const wallB = startTmux(`node ${BIN} watch --socket ${bBox.socket} --lang en --interval 1`, { cols: 200, rows: 30, env: { NO_COLOR: '1' } });
    fx.terms.push(wallB);
    await wallB.waitFor(new RegExp(`leader: \\S+ \\(pid ${a.child.pid}\\)`));
    const text = await runCli(['status', '--socket', bBox.socket]);
    expect(text.stdout).toMatch(new RegExp(`state: postgres://postgres@127\\.0\\.0\\.1:\\d+/leader_kill — leader: \\S+ \\(pid ${a.child.pid}\\)`));

    fx.healthy = false;
    await waitUntil('the FIRING notification', () => fx.received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    // Killed between the post and its 'delivered' mark, the new leader would post it again: delivery
    // is at-least-once, with the dedup key for the receiver. This case is the handover after it.
    await waitUntilAsync('the FIRING marked delivered', async () => (await fx.cluster.query('leader_kill', "SELECT 1 FROM doai_outbox WHERE state = 'delivered'")).length === 1);
    a.child.kill('SIGKILL');
    await a.exited;
    await b.waitLog(/leading \(term 2\)/, 15_000);
    await waitUntil('the evaluator marker on B', () => markers(bBox).length === 1 || undefined);
    expect(markers(bBox)).toEqual([expect.stringContaining(`-${b.child.pid}.json`)]);
    // B sees the same alert firing: recorded by A already, so nothing is queued again.
    await waitUntilAsync('the alert firing on B', async () => (await statusOf(bBox.socket)).items.some((i) => i.kind === 'alert' && i.state === 'FIRING'));
    expect((await statusOf(bBox.socket)).server.state).toMatchObject({ leading: true });
    fx.healthy = true;
    await waitUntil('the RESOLVED notification', () => fx.received.find((r) => r.text.startsWith('[RESOLVED] api_down')), 20_000);
    await waitUntilAsync('an empty outbox', async () => (await fx.cluster.query('leader_kill', "SELECT 1 FROM doai_outbox WHERE state <> 'delivered'")).length === 0);
    expect(fx.received.map((r) => [r.text.split(':')[0], r.dedup_key])).toEqual([
      ['[FIRING] api_down', 'api_down:api#1'],
      ['[RESOLVED] api_down', 'api_down:api#2'],
    ]);
    const outbox = await fx.cluster.query<{ dedup_key: string; created_by: string }>('leader_kill', 'SELECT dedup_key, created_by FROM doai_outbox ORDER BY id');
    expect(outbox.map((o) => o.dedup_key)).toEqual(['api_down:api#1', 'api_down:api#2']);
    expect(outbox[0]!.created_by).toContain(`(pid ${a.child.pid})`);
    expect(outbox[1]!.created_by).toContain(`(pid ${b.child.pid})`);
  }, 90_000);

  it('the leader keeps the shared tables bounded: old notifications and old finished run views go, audit lines and recent ones stay', async () => {
    const url = await fx.cluster.createDatabase('housekeeping');
    const first = await serve(box('a'), url);
    await first.waitLog(/leading \(term 1\)/);
    await first.stop('SIGTERM');
    fx.servers.splice(fx.servers.indexOf(first), 1);
    const q = (sql: string) => fx.cluster.query('housekeeping', sql);
    await q(`INSERT INTO doai_outbox (dedup_key, webhook, body, state, max_attempts, created_by, created_at) VALUES
      ('old#1', 'oncall', '{}', 'delivered', 1, 'x', now() - interval '40 days'),
      ('old#2', 'oncall', '{}', 'failed', 1, 'x', now() - interval '40 days'),
      ('new#1', 'oncall', '{}', 'delivered', 1, 'x', now() - interval '1 day')`);
    await q(`INSERT INTO doai_runs (run_id, box, state, view_json, output_json, updated_at) VALUES
      ('r-old', 'x', 'success', '{}', '[]', now() - interval '8 days'),
      ('r-running', 'x', 'running', '{}', '[]', now() - interval '8 days'),
      ('r-new', 'x', 'failed', '{}', '[]', now() - interval '1 day')`);
    await q("INSERT INTO doai_audit (line, box) VALUES ('[2025-01-01T00:00:00+00:00] L1_SOFT_RESET: START', 'x')");
    const a = await serve(box('a2'), url);
    await a.waitLog(/housekeeping: removed 2 old notification\(s\) and 1 old run view\(s\)/, 20_000);
    expect((await q('SELECT dedup_key FROM doai_outbox ORDER BY id')).map((r) => r.dedup_key)).toEqual(['new#1']);
    expect((await q('SELECT run_id FROM doai_runs ORDER BY run_id')).map((r) => r.run_id)).toEqual(['r-new', 'r-running']);
    expect(await q('SELECT * FROM doai_audit')).toHaveLength(1);
  }, 60_000);

  it('a console on its own evaluates no alerts on a postgres config (the leading server pages); on files it does', async () => {
    fx.downPaths.add('/health-solo');
    const firing: Record<string, number> = {};
    for (const backend of ['files', 'postgres'] as const) {
      const b = box(`solo-${backend}`, { state: { backend, url_env: 'DOAI_PG_URL' } }, '/health-solo');
      const ctx = buildContext(loadConfig(b.config), {});
      try {
        ctx.monitors!.start();
        for (let i = 0; i < 3; i++) await ctx.fleet.probeNow();
        await waitUntil('api DOWN', () => ctx.fleet.getSnapshot().services[0]?.state === 'DOWN');
        if (backend === 'files') await waitUntil('the alert on files', () => ctx.monitors!.alerts.getSnapshot().firing > 0);
        else await new Promise((r) => setTimeout(r, 300));
        firing[backend] = ctx.monitors!.alerts.getSnapshot().firing;
      } finally {
        ctx.monitors!.stop();
        ctx.close();
      }
    }
    expect(firing).toEqual({ files: 1, postgres: 0 });
  }, 30_000);

  it('a recovery while nobody leads is not lost: the new leader resolves what the dead one left firing', async () => {
    const url = await fx.cluster.createDatabase('handover_resolve');
    // Only A sees the service down (its own path), so B never fires it itself: it can only learn
    // of the alert from the database, and must resolve it from there.
    const a = await serve(box('a', {}, '/health-a'), url);
    await a.waitLog(/leading \(term 1\)/);
    const bBox = box('b', {}, '/health-b');
    const b = await serve(bBox, url);
    await b.waitLog(/following: /);
    fx.downPaths.add('/health-a');
    await waitUntil('the FIRING notification', () => fx.received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    // Killed between the post and its 'delivered' mark, the new leader would post it again: delivery
    // is at-least-once, with the dedup key for the receiver. This case is the handover after it.
    await waitUntilAsync('the FIRING marked delivered', async () => (await fx.cluster.query('handover_resolve', "SELECT 1 FROM doai_outbox WHERE state = 'delivered'")).length === 1);
    a.child.kill('SIGKILL');
    await a.exited;
    await b.waitLog(/leading \(term 2\)/, 15_000);
    await waitUntil('the RESOLVED notification', () => fx.received.find((r) => r.text.startsWith('[RESOLVED] api_down')), 20_000);
    await waitUntilAsync('an empty outbox', async () => (await fx.cluster.query('handover_resolve', "SELECT 1 FROM doai_outbox WHERE state <> 'delivered'")).length === 0);
    expect(fx.received.map((r) => r.dedup_key)).toEqual(['api_down:api#1', 'api_down:api#2']);
    expect(b.log()).toMatch(/alert api_down:api was firing under the previous leader and is resolved here/);
    const state = await fx.cluster.query<{ state: string; updated_by: string }>('handover_resolve', 'SELECT state, updated_by FROM doai_alert_state');
    expect(state).toEqual([{ state: 'resolved', updated_by: expect.stringContaining(`(pid ${b.child.pid})`) }]);
  }, 90_000);
});

describe('locks across boxes (PostgreSQL)', () => {
  it('the same target asked from two processes at the same instant: exactly one wins, 20 times out of 20', async () => {
    const url = await fx.cluster.createDatabase('locks_race');
    await serve(box('a'), url); // applies the schema
    const [one, two] = await Promise.all([lockDriver(url), lockDriver(url)]);
    const wins = { one: 0, two: 0 };
    for (let trial = 0; trial < 20; trial++) {
      const at = Date.now() + 150;
      const [a, b] = await Promise.all([one.ask(`acquire api run-one-${trial} ${at}`), two.ask(`acquire api run-two-${trial} ${at}`)]);
      expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
      const [winner, loser, winnerPid, runId] = a.ok ? [one, b, one.pid, `run-one-${trial}`] : [two, a, two.pid, `run-two-${trial}`];
      if (a.ok) wins.one++;
      else wins.two++;
      expect(loser.message).toMatch(new RegExp(`^L1 in progress by op-${winnerPid} since \\d\\d:\\d\\d \\(run ${runId}\\) on \\S+`));
      expect(loser.hint).toContain("DELETE FROM doai_locks WHERE target = 'api'");
      expect((await winner.ask(`release api ${runId}`)).ok).toBe(true);
    }
    expect(wins.one + wins.two).toBe(20);
    // A release is sent without waiting; anything its process asks next runs after it.
    for (const d of [one, two]) expect((await d.ask('holder api')).holder).toBeNull();
    expect(await fx.cluster.query('locks_race', 'SELECT * FROM doai_locks')).toHaveLength(0);
  }, 90_000);

  it('a release is not waited for, yet it is never overtaken: the same process takes the target again at once, and one that exits right after releasing leaves no row behind', async () => {
    const url = await fx.cluster.createDatabase('locks_release');
    await serve(box('a'), url);
    const [holder, other] = await Promise.all([lockDriver(url), lockDriver(url)]);
    expect((await holder.ask('acquire api run-1')).ok).toBe(true);
    // The acquire is sent right behind the release, in the same tick.
    expect(await holder.ask('release-acquire api run-1 run-2')).toEqual({ ok: true });
    expect((await holder.ask('holder api')).holder).toMatchObject({ pid: holder.pid, alive: true, runId: 'run-2' });
    expect((await other.ask('acquire api run-other')).ok).toBe(false);

    const exited = new Promise((r) => holder.child.once('exit', r));
    holder.child.stdin.write('release-exit api run-2\n');
    await exited;
    // Not a stale row left for the next asker to replace: no row at all.
    expect(await fx.cluster.query('locks_release', 'SELECT * FROM doai_locks')).toEqual([]);
    expect((await other.ask('acquire api run-other')).ok).toBe(true);
  }, 60_000);

  it("a holder killed with -9 leaves a stale lock the other box replaces; a live one is refused to `doai-console run` on another box", async () => {
    const url = await fx.cluster.createDatabase('locks_stale');
    await serve(box('a'), url);
    const [holder, other] = await Promise.all([lockDriver(url), lockDriver(url)]);
    expect((await holder.ask('acquire api run-held')).ok).toBe(true);
    expect((await other.ask('holder api')).holder).toMatchObject({ pid: holder.pid, alive: true, runId: 'run-held' });

    const bBox = box('b');
    const run = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--config', bBox.config], { env: { DOAI_PG_URL: url } });
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(new RegExp(`L1 in progress by op-${holder.pid} since \\d\\d:\\d\\d \\(run run-held\\)`));

    process.kill(holder.pid, 'SIGKILL');
    holder.child.kill('SIGKILL');
    await waitUntilAsync('the dead holder to be stale', async () => (await other.ask('holder api')).holder?.alive === false);
    expect((await other.ask('acquire api run-next')).ok).toBe(true);
    const rows = await fx.cluster.query<{ run_id: string }>('locks_stale', 'SELECT run_id FROM doai_locks');
    expect(rows.map((r) => r.run_id)).toEqual(['run-next']);
  }, 60_000);

  it('without the URL in its environment a run needing a lock is refused, saying what to set', async () => {
    const bBox = box('nourl');
    const run = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--config', bBox.config], { env: { DOAI_PG_URL: '' } });
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/cannot take the target lock in the state database \(DOAI_PG_URL\): state\.backend is postgres but the environment variable DOAI_PG_URL is not set — export it/);
    expect(run.stdout + run.stderr).not.toMatch(/directory is writable/);
  }, 30_000);
});
