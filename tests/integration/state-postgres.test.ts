// Shared state in PostgreSQL (issue 15, R-HA-1..2) with the BUILT binary and a real PostgreSQL 15
// cluster this file starts (tests/helpers/postgres.ts): schema migrations on an empty database,
// refusal of a newer one, a URL that is missing or wrong (exit 2, said, no password), and two
// `serve` processes on one database with one leader: kill -9 it and the other takes over; every
// alert transition reaches the counting webhook receiver exactly once.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { BIN, runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, startServer, spawnServer, waitUntil, type RunningServer } from '../helpers/console-server';
import { startTestCluster, type TestCluster } from '../helpers/postgres';
import { startTmux, type TmuxSession } from '../helpers/tmux';
import { freePort } from '../helpers/sshd';
import pg from 'pg';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../src/state/pg-migrations';
import { loadConfig } from '../../src/config/load';
import { buildContext } from '../../src/cli/context';

const ALL = MIGRATIONS.map((m) => m.version);

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
const REPO = resolve(__dirname, '../..');

let cluster: TestCluster;
let base = '';
let health: Server;
let healthy = true;
/** Paths that answer 503 whatever `healthy` says (one box's view of the service). */
const downPaths = new Set<string>();
let receiver: Server;
let received: { text: string; dedup_key?: string }[] = [];
const servers: RunningServer[] = [];
const terms: TmuxSession[] = [];
let dbCount = 0;

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  cluster = await startTestCluster();
  base = mkdtempSync(join(tmpdir(), 'doai-ha-'));
  health = createServer((req, res) => {
    const up = healthy && !downPaths.has(req.url ?? '');
    res.statusCode = up ? 200 : 503;
    res.end(up ? 'ok' : 'down');
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body) as { text: string; dedup_key?: string });
      res.end('ok');
    });
  });
  await Promise.all([new Promise<void>((r) => health.listen(0, '127.0.0.1', r)), new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))]);
}, 120_000);

afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  await cluster?.stop();
  await Promise.all([new Promise((r) => health?.close(r)), new Promise((r) => receiver?.close(r))]);
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 5 });
});

afterEach(async () => {
  for (const t of terms.splice(0)) t.kill();
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  for (const d of drivers.splice(0)) if (d.exitCode === null) d.kill('SIGKILL');
  healthy = true;
  downPaths.clear();
  received = [];
});

/** A box: its own config, state folder and socket; the database is shared. */
function box(name: string, extra: Record<string, unknown> = {}, healthPath = '/health'): { config: string; socket: string; dir: string } {
  const dir = join(base, `${name}-${++dbCount}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    health: { interval_s: 1, timeout_s: 0.5, failure_threshold: 2 },
    hosts: [{ name: 'local', address: '127.0.0.1', port: 9 }],
    services: [{ name: 'api', host: 'local', unit: 'api.service', health_url: `http://127.0.0.1:${(health.address() as AddressInfo).port}${healthPath}` }],
    alerts: [{ name: 'api_down', kind: 'service_down', action: 'notify_oncall' }],
    notifications: { webhooks: [{ name: 'oncall', url_env: 'TEST_HOOK_URL', retries: 3, timeout_s: 2 }] },
    paths: { state_dir: join(dir, 'state'), approvals_dir: join(dir, 'approvals') },
    state: { backend: 'postgres', url_env: 'DOAI_PG_URL' },
    ...extra,
  };
  writeFileSync(join(dir, 'console.yaml'), stringify(config));
  // A runbook that stays running until confirmed: something to watch from the other box.
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(
    join(dir, 'runbooks', 'hold-test.yaml'),
    stringify({
      id: 'hold-test',
      level: 'L1',
      audit_name: 'HOLD_TEST',
      title: { ko: '대기 시험', en: 'Hold test' },
      description: { ko: '확인할 때까지 대기', en: 'Waits for a confirmation' },
      approval: 'auto',
      target: 'service',
      steps: [
        { id: 'check', kind: 'http', title: { ko: '상태 확인', en: 'Health check' }, url: '{{service.health_url}}', timeout_s: 5, expect_status: 200 },
        { id: 'hold', kind: 'confirm', title: { ko: '확인 대기', en: 'Wait for a yes' }, prompt: { ko: '계속할까요?', en: 'Go on?' } },
      ],
    }),
  );
  // The same behind an L2 one-time code: the code must never leave this box.
  writeFileSync(
    join(dir, 'runbooks', 'hold-code.yaml'),
    stringify({
      id: 'hold-code',
      level: 'L2',
      audit_name: 'HOLD_CODE',
      title: { ko: '코드 시험', en: 'Code test' },
      description: { ko: '코드 승인 후 대기', en: 'Waits for a code approval' },
      approval: 'code',
      target: 'service',
      steps: [{ id: 'check', kind: 'http', title: { ko: '상태 확인', en: 'Health check' }, url: '{{service.health_url}}', timeout_s: 5, expect_status: 200 }],
    }),
  );
  return { config: join(dir, 'console.yaml'), socket: join(dir, 'run', 'console.sock'), dir };
}

async function serve(b: { config: string; socket: string }, url: string): Promise<RunningServer> {
  const s = await startServer(b.config, b.socket, [], { DOAI_PG_URL: url, TEST_HOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  servers.push(s);
  return s;
}

async function statusOf(socket: string): Promise<{ server: { pid: number; state?: { leading: boolean; leader?: string; box: string; reachable: boolean } }; items: { kind: string; name: string; state: string }[] }> {
  const r = await runCli(['status', '--json', '--socket', socket]);
  return JSON.parse(r.stdout);
}

describe('state backend: PostgreSQL', () => {
  it('migrates an empty database on start, once; a second server finds it current', async () => {
    const url = await cluster.createDatabase('migrate_empty');
    const a = await serve(box('a'), url);
    expect(a.log()).toContain(`/migrate_empty: schema version ${SCHEMA_VERSION} (applied ${ALL.join(', ')} over 0)`);
    expect(a.log()).toMatch(/state in postgres:\/\/postgres@127\.0\.0\.1:\d+\/migrate_empty: /);
    const rows = await cluster.query<{ version: number }>('migrate_empty', 'SELECT version FROM doai_schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(ALL);
    const tables = await cluster.query<{ t: string }>('migrate_empty', "SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'doai_%' ORDER BY 1");
    expect(tables.map((t) => t.t)).toEqual(['doai_alert_state', 'doai_audit', 'doai_forwarded', 'doai_leader', 'doai_locks', 'doai_outbox', 'doai_runs', 'doai_schema_migrations']);
    const b = await serve(box('b'), url);
    expect(b.log()).toContain(`schema version ${SCHEMA_VERSION}\n`);
    expect(b.log()).not.toMatch(/applied/);
    expect(await cluster.query('migrate_empty', 'SELECT * FROM doai_schema_migrations')).toHaveLength(ALL.length);
  }, 60_000);

  it('upgrades a database an older build prepared: only the missing migrations run', async () => {
    const url = await cluster.createDatabase('migrate_old');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await migrate(c, 'an older build', MIGRATIONS.slice(0, 1));
    await c.end();
    const a = await serve(box('a'), url);
    expect(a.log()).toContain(`migrate_old: schema version ${SCHEMA_VERSION} (applied ${ALL.slice(1).join(', ')} over 1)`);
    const rows = await cluster.query<{ version: number; applied_by: string }>('migrate_old', 'SELECT version, applied_by FROM doai_schema_migrations ORDER BY version');
    expect(rows.map((r) => [r.version, r.applied_by.includes(`(pid ${a.child.pid})`)])).toEqual(ALL.map((v) => [v, v > 1]));
  }, 30_000);

  it('refuses a database whose schema is newer than it knows: exit 2, said, nothing changed', async () => {
    const url = await cluster.createDatabase('too_new');
    await cluster.query('too_new', 'CREATE TABLE doai_schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)');
    await cluster.query('too_new', "INSERT INTO doai_schema_migrations (version, description, applied_by) VALUES (1, 'x', 'future'), (99, 'from the future', 'future')");
    const b = box('new');
    const s = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: url });
    expect(await s.exited).toBe(2);
    expect(s.log()).toMatch(/state database postgres:\/\/postgres@127\.0\.0\.1:\d+\/too_new: the database schema is version 99, newer than this build knows \(\d+\) — .*upgrade doai-console on this box/);
    expect(await cluster.query("too_new", "SELECT tablename FROM pg_tables WHERE tablename LIKE 'doai_%'")).toHaveLength(1);
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
    const nodb = spawnServer(['--config', b.config, '--socket', b.socket], { DOAI_PG_URL: `postgres://postgres:hunter2secret@127.0.0.1:${cluster.port}/no_such_db` });
    expect(await nodb.exited).toBe(2);
    expect(nodb.log()).toMatch(/database "no_such_db" does not exist/);
    expect(nodb.log()).not.toContain('hunter2secret');
  }, 60_000);

  it('two servers, one leader: status says who leads; kill -9 the leader and the other takes over; each transition is delivered exactly once', async () => {
    const url = await cluster.createDatabase('leader_kill');
    const a = await serve(box('a'), url);
    await a.waitLog(/leading \(term 1\)/);
    const bBox = box('b');
    const b = await serve(bBox, url);
    await b.waitLog(/following: \S+ \(pid \d+\) leads/);
    const fromB = await statusOf(bBox.socket);
    expect(fromB.server.state).toMatchObject({ leading: false, reachable: true });
    expect(fromB.server.state?.leader).toContain(`(pid ${a.child.pid})`);
    const wallB = startTmux(`node ${BIN} watch --socket ${bBox.socket} --lang en --interval 1`, { cols: 200, rows: 30, env: { NO_COLOR: '1' } });
    terms.push(wallB);
    await wallB.waitFor(new RegExp(`leader: \\S+ \\(pid ${a.child.pid}\\)`));
    const text = await runCli(['status', '--socket', bBox.socket]);
    expect(text.stdout).toMatch(new RegExp(`state: postgres://postgres@127\\.0\\.0\\.1:\\d+/leader_kill — leader: \\S+ \\(pid ${a.child.pid}\\)`));

    healthy = false;
    await waitUntil('the FIRING notification', () => received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    a.child.kill('SIGKILL');
    await a.exited;
    await b.waitLog(/leading \(term 2\)/, 15_000);
    // B sees the same alert firing: recorded by A already, so nothing is queued again.
    await waitUntilAsync('the alert firing on B', async () => (await statusOf(bBox.socket)).items.some((i) => i.kind === 'alert' && i.state === 'FIRING'));
    expect((await statusOf(bBox.socket)).server.state).toMatchObject({ leading: true });
    healthy = true;
    await waitUntil('the RESOLVED notification', () => received.find((r) => r.text.startsWith('[RESOLVED] api_down')), 20_000);
    await waitUntilAsync('an empty outbox', async () => (await cluster.query('leader_kill', "SELECT 1 FROM doai_outbox WHERE state <> 'delivered'")).length === 0);
    expect(received.map((r) => [r.text.split(':')[0], r.dedup_key])).toEqual([
      ['[FIRING] api_down', 'api_down:api#1'],
      ['[RESOLVED] api_down', 'api_down:api#2'],
    ]);
    const outbox = await cluster.query<{ dedup_key: string; created_by: string }>('leader_kill', 'SELECT dedup_key, created_by FROM doai_outbox ORDER BY id');
    expect(outbox.map((o) => o.dedup_key)).toEqual(['api_down:api#1', 'api_down:api#2']);
    expect(outbox[0]!.created_by).toContain(`(pid ${a.child.pid})`);
    expect(outbox[1]!.created_by).toContain(`(pid ${b.child.pid})`);
  }, 90_000);

  it('the leader keeps the shared tables bounded: old notifications and old finished run views go, audit lines and recent ones stay', async () => {
    const url = await cluster.createDatabase('housekeeping');
    const first = await serve(box('a'), url);
    await first.waitLog(/leading \(term 1\)/);
    await first.stop('SIGTERM');
    servers.splice(servers.indexOf(first), 1);
    const q = (sql: string) => cluster.query('housekeeping', sql);
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
    downPaths.add('/health-solo');
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
    const url = await cluster.createDatabase('handover_resolve');
    // Only A sees the service down (its own path), so B never fires it itself: it can only learn
    // of the alert from the database, and must resolve it from there.
    const a = await serve(box('a', {}, '/health-a'), url);
    await a.waitLog(/leading \(term 1\)/);
    const bBox = box('b', {}, '/health-b');
    const b = await serve(bBox, url);
    await b.waitLog(/following: /);
    downPaths.add('/health-a');
    await waitUntil('the FIRING notification', () => received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    a.child.kill('SIGKILL');
    await a.exited;
    await b.waitLog(/leading \(term 2\)/, 15_000);
    await waitUntil('the RESOLVED notification', () => received.find((r) => r.text.startsWith('[RESOLVED] api_down')), 20_000);
    await waitUntilAsync('an empty outbox', async () => (await cluster.query('handover_resolve', "SELECT 1 FROM doai_outbox WHERE state <> 'delivered'")).length === 0);
    expect(received.map((r) => r.dedup_key)).toEqual(['api_down:api#1', 'api_down:api#2']);
    expect(b.log()).toMatch(/alert api_down:api was firing under the previous leader and is resolved here/);
    const state = await cluster.query<{ state: string; updated_by: string }>('handover_resolve', 'SELECT state, updated_by FROM doai_alert_state');
    expect(state).toEqual([{ state: 'resolved', updated_by: expect.stringContaining(`(pid ${b.child.pid})`) }]);
  }, 90_000);
});

/** A process holding PgLockStore locks (tests/helpers/pg-lock-driver.ts): commands in, JSON answers out. */
interface LockDriver {
  child: ChildProcessWithoutNullStreams;
  /** The driver's own pid (tsx runs it in a child node process). */
  pid: number;
  ask(line: string): Promise<{ ok?: boolean; message?: string; hint?: string; error?: string; holder?: { pid: number; alive: boolean; runId: string } | null }>;
}

const drivers: ChildProcessWithoutNullStreams[] = [];

async function lockDriver(url: string): Promise<LockDriver> {
  const child = spawn(join(REPO, 'node_modules/.bin/tsx'), [join(REPO, 'tests/helpers/pg-lock-driver.ts')], { env: { ...process.env, DOAI_PG_URL: url }, stdio: 'pipe' });
  drivers.push(child);
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const next = () => waitUntil(`a line from the lock driver (stderr: ${err})`, () => lines.shift(), 20_000, 10).then((l) => JSON.parse(l));
  const ready = (await next()) as { pid: number };
  return {
    child,
    pid: ready.pid,
    ask(line) {
      child.stdin.write(line + '\n');
      return next();
    },
  };
}

async function waitUntilAsync(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('locks across boxes (PostgreSQL)', () => {
  it('the same target asked from two processes at the same instant: exactly one wins, 20 times out of 20', async () => {
    const url = await cluster.createDatabase('locks_race');
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
    expect(await cluster.query('locks_race', 'SELECT * FROM doai_locks')).toHaveLength(0);
  }, 90_000);

  it("a holder killed with -9 leaves a stale lock the other box replaces; a live one is refused to `doai-console run` on another box", async () => {
    const url = await cluster.createDatabase('locks_stale');
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
    const rows = await cluster.query<{ run_id: string }>('locks_stale', 'SELECT run_id FROM doai_locks');
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


describe('audit lines across boxes (PostgreSQL)', () => {
  it("every box's emergency.log has every line of both boxes, in the database's order, in seed 000's format", async () => {
    const url = await cluster.createDatabase('audit_mirror');
    const aBox = box('a');
    const bBox = box('b');
    await serve(aBox, url);
    await serve(bBox, url);
    // Dry runs write one audit line each through the real engine, from either box's config.
    for (const [b, n] of [[aBox, 1], [bBox, 2], [aBox, 3]] as const) {
      const r = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--dry-run', '--config', b.config], { env: { DOAI_PG_URL: url } });
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      await waitUntilAsync(`line ${n} in the database`, async () => (await cluster.query('audit_mirror', 'SELECT 1 FROM doai_audit')).length === n);
    }
    const rows = await cluster.query<{ line: string; box: string }>('audit_mirror', 'SELECT line, box FROM doai_audit ORDER BY id');
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
    const restartedB = servers.pop()!;
    await restartedB.stop('SIGTERM');
    const r = await runCli(['run', 'l1-soft-reset', '--target', 'api', '--dry-run', '--config', aBox.config], { env: { DOAI_PG_URL: url } });
    expect(r.code).toBe(0);
    await serve(bBox, url);
    const all = await waitUntilAsync('the fourth line', async () => (await cluster.query('audit_mirror', 'SELECT 1 FROM doai_audit')).length === 4).then(() =>
      cluster.query<{ line: string }>('audit_mirror', 'SELECT line FROM doai_audit ORDER BY id'),
    );
    const four = all.map((x) => x.line + '\n').join('');
    await waitUntil("both boxes' emergency.log with the fourth line", () => logOf(aBox) === four && logOf(bBox) === four, 15_000);
  }, 60_000);
});

describe('database trouble (PostgreSQL stopped and started again)', () => {
  it('status says state store unreachable, health keeps updating, nothing needing a lock starts; kept audit lines are written on return and a leader leads again', async () => {
    const url = await cluster.createDatabase('db_trouble');
    const aBox = box('a');
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    // A wall screen attached to the server says who leads, then that the store is away.
    const wall = startTmux(`node ${BIN} watch --socket ${aBox.socket} --lang en --interval 1`, { cols: 200, rows: 30, env: { NO_COLOR: '1' } });
    terms.push(wall);
    await wall.waitFor(`attached to ${aBox.socket} · leader: this server`);
    const apiFact = async () => {
      const st = await statusOf(aBox.socket);
      return (st.items as { name: string; lastFactAt?: string }[]).find((i) => i.name === 'api')?.lastFactAt;
    };
    cluster.halt();
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
      cluster.start();
    }
    await a.waitLog(/leading \(term 2\)/, 20_000);
    await waitUntilAsync('status to say the store is back', async () => (await statusOf(aBox.socket)).server.state?.reachable === true);
    await wall.waitFor(`attached to ${aBox.socket} · leader: this server`);
    await a.waitLog(/wrote 1 audit line\(s\) kept on this box while the state database was unreachable/, 20_000);
    const rows = await cluster.query<{ line: string }>('db_trouble', 'SELECT line FROM doai_audit ORDER BY id');
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
  it("a run started on box A shows live on box B's wall screen, with its steps, and its end too", async () => {
    const url = await cluster.createDatabase('runs_live');
    const aBox = box('a');
    const bBox = box('b');
    const a = await serve(aBox, url);
    await serve(bBox, url);
    const wallB = startTmux(`node ${BIN} watch --socket ${bBox.socket} --lang en --interval 1`, { cols: 200, rows: 40, env: { NO_COLOR: '1' } });
    terms.push(wallB);
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
    const row = await cluster.query<{ state: string; box: string }>('runs_live', 'SELECT state, box FROM doai_runs WHERE run_id = $1', [runId]);
    expect(row).toEqual([{ state: 'running', box: expect.stringContaining(`(pid ${a.child.pid})`) }]);

    c.send({ t: 'intent', id: 2, name: 'run.confirm', args: { runId } });
    await c.next((f) => f.t === 'result' && f.id === 2);
    await waitUntilAsync('the run to finish in the database', async () => (await cluster.query<{ state: string }>('runs_live', 'SELECT state FROM doai_runs WHERE run_id = $1', [runId]))[0]?.state === 'success');
    await wallB.waitFor(/SUCCESS|success/);
    c.socket.destroy();
  }, 60_000);

  it('an approval given on box B (name and one-time code) advances the form of a run on box A; a wrong code is refused by A, anything but an approval by B', async () => {
    const url = await cluster.createDatabase('approve_across');
    const aBox = box('a');
    const bBox = box('b');
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
    await a.waitLog(new RegExp(`approval for run ${runId} given on \\S+ \\(pid \\d+\\) by root`));
    await waitUntilAsync('the run to finish on A', async () => (await cluster.query<{ state: string }>('approve_across', 'SELECT state FROM doai_runs WHERE run_id = $1', [runId]))[0]?.state === 'success');
    const audit = await cluster.query<{ line: string }>('approve_across', 'SELECT line FROM doai_audit ORDER BY id');
    expect(audit.map((r) => r.line).join('\n')).toMatch(/HOLD_CODE: .*bob/);
    ca.socket.destroy();
    cb.socket.destroy();
  }, 60_000);

  it("an approval's one-time code is not shared: the other boxes see the form waiting, never the code", async () => {
    const url = await cluster.createDatabase('runs_code');
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
      const rows = await cluster.query<{ view_json: string }>('runs_code', 'SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]);
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
