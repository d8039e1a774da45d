// postgres-restart and postgres-restore against a REAL PostgreSQL 15 cluster behind OpenSSH's sshd
// (issue 12 items 20, 24): the cluster is started by this file (initdb/pg_ctl as the postgres OS
// user, loopback port, temp dir removed after); the SSH sessions reach it with PGHOST/PGPORT set by
// sshd's SetEnv, and run the real psql, pg_dump, pg_restore, createdb, gzip. The only stand-in is
// systemctl, which runs pg_ctl on this cluster (there is no systemd here) and records its calls.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { engineInDir } from '../helpers/engine-in-dir';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApprovalHook } from '../../src/approval/engine-hook';
import type { RunPrompt } from '../../src/core/views';
import { runCheck, type CheckRow } from '../../src/cli/check';
import { configSchema, type Config } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import type { RunEngine } from '../../src/runbook/engine';
import type { RunOutcome } from '../../src/runbook/events';
import { loadRunbooks } from '../../src/runbook/loader';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';
import { PG_BIN as PG, requirePostgres, startPgCluster, type PgCluster } from '../helpers/pg-cluster';

requireSshd();
requirePostgres();

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
let bin: string;
let callLog: string;
let pg: PgCluster;
let sshd: RunningSshd;
let shell: SshShell;
let knownHosts: string;
let auditPath = '';
let plans: string[][] = [];
const runbooks = loadRunbooks({ builtinDir: join(__dirname, '../../actions') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rb-pg-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(join(dir, 'dumps'));
  callLog = join(dir, 'calls.log');
  pg = await startPgCluster();
  // systemctl <verb> postgresql → pg_ctl <verb> on the test cluster, recorded.
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh
printf 'systemctl|%s\\n' "$*" >> '${callLog}'
case "$1" in
  restart) ${pg.pgCtl('restart')} ;;
  stop) ${pg.pgCtl('stop')} ;;
  start) ${pg.pgCtl('start')} ;;
  status) ${pg.pgCtl('status')} ;;
  *) echo "systemctl stand-in: $1 not supported" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  sshd = await startSshd({ maxSessions: 30, extraConfig: [`SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin PGHOST=127.0.0.1 PGPORT=${pg.port} TZ=UTC TMPDIR=${dir}`] });
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  shell = createSshShell({ hosts: config().hosts, knownHostsPath: knownHosts });
});

afterAll(async () => {
  shell?.close();
  await sshd?.stop();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

beforeEach(() => {
  rmSync(callLog, { force: true });
  plans = [];
});

function config(): Config {
  return configSchema.parse({
    hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath, known_hosts: knownHosts, backup_dir: join(dir, 'dumps') }],
    services: [{ name: 'postgresql', host: 'box', kind: 'postgres', unit: 'postgresql', health_url: 'http://127.0.0.1:9/health' }],
  });
}

function engine(): RunEngine {
  const made = engineInDir(dir, {
    config: config(),
    runbooks,
    shell,
    // The approver says yes at once; the plan it was shown is kept for the test.
    approve: async (ctx) => {
      plans.push(ctx.plan);
      return { ok: true, approver: 'vega' };
    },
  });
  auditPath = made.auditPath;
  return made.engine;
}

function audit(name: string): string[] {
  return readFileSync(auditPath, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.includes(`] ${name}: `))
    .map((l) => l.replace(/^\[[^\]]+\] [A-Z0-9_]+: /, ''));
}

function calls(): string[] {
  return existsSync(callLog) ? readFileSync(callLog, 'utf8').trim().split('\n').filter(Boolean) : [];
}

interface Ran {
  outcome: RunOutcome;
  message?: string;
  steps: string[];
  output: string;
}

async function run(e: RunEngine, runbook: string, params: Record<string, string>): Promise<Ran> {
  let message: string | undefined;
  const out: string[] = [];
  const off = e.on((ev) => {
    if (ev.type === 'run.finished') message = ev.message;
    if (ev.type === 'step.output') out.push(`${ev.stepId}: ${ev.line}`);
  });
  const started = e.start(runbook, 'postgresql', { params });
  if (!started.ok) throw new Error(started.error);
  const outcome = await e.waitFor(started.runId);
  off();
  const view = e.getSnapshot().runs.find((r) => r.runId === started.runId)!;
  return { outcome, message, steps: view.steps.map((s) => `${s.id}:${s.state}`), output: out.join('\n') };
}

describe('postgres-restart: the config test runs before anything is stopped (issue 12 item 24)', () => {
  const conf = () => join(pg.data, 'postgresql.conf');

  it('a good config: tested, restarted for real, SELECT 1 answers', async () => {
    const before = pg.psql('postgres', 'SELECT pg_postmaster_start_time()');
    const r = await run(engine(), 'postgres-restart', { config_dir: pg.data });
    expect(r.outcome, r.output).toBe('success');
    expect(calls()).toEqual(['systemctl|status postgresql --no-pager', 'systemctl|restart postgresql']);
    expect(pg.psql('postgres', 'SELECT pg_postmaster_start_time()')).not.toBe(before);
    expect(audit('PG_RESTART')).toEqual(['START', 'STEP1_APPROVED by vega', 'CONFIG_OK', 'RESTART_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('a bad pending config edit: refused with the reason, nothing stopped, the database still answers', async () => {
    const original = readFileSync(conf(), 'utf8');
    appendFileSync(conf(), "\nshared_buffers = 'lots'\n");
    try {
      const before = pg.psql('postgres', 'SELECT pg_postmaster_start_time()');
      const r = await run(engine(), 'postgres-restart', { config_dir: pg.data });
      expect(r.outcome).toBe('failed');
      expect(r.steps).toEqual(['status-before:ok', 'config-test:failed', 'restart:skipped', 'connect:skipped']);
      // postgres's own words say which setting and file.
      expect(r.output).toMatch(/invalid value for parameter "shared_buffers": "lots"/);
      expect(r.message).toContain('PostgreSQL was not stopped (still running if it was): its config test failed, so a restart would not come back');
      expect(r.message).not.toMatch(/did not recover/);
      expect(calls()).toEqual(['systemctl|status postgresql --no-pager']);
      expect(pg.psql('postgres', 'SELECT 1')).toBe('1');
      expect(pg.psql('postgres', 'SELECT pg_postmaster_start_time()')).toBe(before);
      expect(audit('PG_RESTART')).toEqual(['START', 'STEP1_APPROVED by vega', 'STEP_FAILED config-test - exit code 1', 'FAILED']);
    } finally {
      writeFileSync(conf(), original);
    }
  });
});

describe('postgres-restore: nothing irreversible on a dump not known to be whole (issue 12 item 20)', () => {
  const dumps = () => join(dir, 'dumps');
  const sh = (cmd: string) => execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, ...pg.env } });
  const dbs = () => pg.psql('postgres', "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'shop%'").split(',');

  beforeAll(() => {
    // The source of the dumps: three tables, keys and foreign keys, rows.
    pg.psql('postgres', 'CREATE DATABASE shop_src');
    pg.psql(
      'shop_src',
      `CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE);
       CREATE TABLE products (id int PRIMARY KEY, name text);
       CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users(id), product_id int REFERENCES products(id));
       INSERT INTO users SELECT i, 'u' || i || '@example.invalid' FROM generate_series(1, 40) i;
       INSERT INTO products SELECT i, 'p' || i FROM generate_series(1, 30) i;
       INSERT INTO orders SELECT i, 1 + i % 40, 1 + i % 30 FROM generate_series(1, 200) i;`,
    );
    sh(`${PG}/pg_dump -d shop_src | gzip > '${dumps()}/shop_20260104.sql.gz'`);
    sh(`${PG}/pg_dump -Fc -d shop_src -f '${dumps()}/shop_20260105.dump'`);
  });

  beforeEach(() => {
    // The live database, as it is when someone reaches for a restore: other data than the dump.
    for (const db of dbs()) if (db && db !== 'shop_src') pg.psql('postgres', `DROP DATABASE IF EXISTS "${db}"`);
    pg.psql('postgres', 'CREATE DATABASE shop');
    pg.psql('shop', "CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (999, 'live@example.invalid');");
    for (const f of ['cut.sql.gz', 'bad.sql', 'cut.dump']) rmSync(join(dumps(), f), { force: true });
  });

  async function restore(backup: string): Promise<Ran> {
    const e = engine();
    const listed = await e.listChoices('postgres-restore', 'postgresql', 'backup', { database: 'shop' });
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices.map((c) => c.value)).toContain(backup);
    return run(e, 'postgres-restore', { database: 'shop', backup });
  }

  it('a whole dump: checked, loaded beside, compared, then approved with the comparison in the plan; swapped keeping the broken one', async () => {
    const r = await restore(join(dumps(), 'shop_20260104.sql.gz'));
    expect(r.outcome, r.output).toBe('success');
    expect(plans).toHaveLength(1);
    const plan = plans[0]!.join('\n');
    expect(plan).toContain('the dump declares: 3 tables, 6 constraints (primary key, unique, foreign key, exclusion), 270 rows in 3 tables with data');
    expect(plan).toContain('loaded = dump: tables 3/3, constraints 6/6, rows 270/270');
    expect(plan).toMatch(/Still to run, after your approval \(steps 6–\):\n6\. Swap names/);
    expect(pg.psql('shop', 'SELECT count(*) FROM orders')).toBe('200');
    const broken = dbs().filter((d) => /^shop_broken_\d{8}_\d{6}$/.test(d));
    expect(broken).toHaveLength(1);
    expect(pg.psql(broken[0]!, 'SELECT email FROM users')).toBe('live@example.invalid');
    expect(dbs()).not.toContain('shop_restore');
    expect(r.message).toMatch(/loaded = dump: tables 3\/3, constraints 6\/6, rows 270\/270; kept copies \(drop with dropdb when no longer needed\): shop_broken_\d{8}_\d{6} \(\d+ kB\)$/);
    expect(audit('PG_RESTORE')).toEqual([
      'START',
      'DUMP_LOADED',
      'LOAD_VERIFIED - loaded = dump: tables 3/3, constraints 6/6, rows 270/270',
      'STEP1_APPROVED by vega',
      'DATABASE_SWAPPED',
      expect.stringMatching(/^KEPT_COPIES - kept copies \(drop with dropdb when no longer needed\): shop_broken_\d{8}_\d{6} \(\d+ kB\)$/),
      'SUCCESS',
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith('doai-pg-declared'))).toEqual([]);
  });

  it('with the real code approval: the code is issued at the gate (not in START), the form shows the comparison, the code approves the swap', async () => {
    const hook = createApprovalHook({ clock: realClock(), policy: { L2: 'declared' } });
    const made = engineInDir(dir, { config: config(), runbooks, shell, prepareApproval: (info) => hook.prepareApproval(info) });
    auditPath = made.auditPath;
    const e = made.engine;
    const listed = await e.listChoices('postgres-restore', 'postgresql', 'backup', { database: 'shop' });
    expect(listed.ok).toBe(true);
    let prompt: Extract<RunPrompt, { kind: 'approval' }> | undefined;
    e.on((ev) => {
      if (ev.type === 'run.prompt' && ev.prompt?.kind === 'approval') prompt = ev.prompt;
    });
    const started = e.start('postgres-restore', 'postgresql', { params: { database: 'shop', backup: join(dumps(), 'shop_20260104.sql.gz') } });
    if (!started.ok) throw new Error(started.error);
    const done = e.waitFor(started.runId);
    for (let i = 0; i < 600 && !prompt?.code; i++) await new Promise((r) => setTimeout(r, 50));
    expect(prompt?.code).toBeTruthy();
    expect((prompt?.plan ?? []).join('\n')).toContain('loaded = dump: tables 3/3, constraints 6/6, rows 270/270');
    // Nothing live changed while the form waits.
    expect(pg.psql('shop', 'SELECT email FROM users')).toBe('live@example.invalid');
    expect(e.answerApproval(started.runId, { kind: 'approve', name: 'vega', code: prompt!.code! })).toEqual({ accepted: true });
    expect(await done).toBe('success');
    expect(pg.psql('shop', 'SELECT count(*) FROM users')).toBe('40');
    const lines = audit('PG_RESTORE');
    expect(lines.slice(0, 4)).toEqual(['START', 'DUMP_LOADED', 'LOAD_VERIFIED - loaded = dump: tables 3/3, constraints 6/6, rows 270/270', `APPROVAL - Confirm: ${prompt!.code}`]);
    expect(lines.slice(4, 6)).toEqual(['STEP1_APPROVED by vega (declared by orion)', 'DATABASE_SWAPPED']);
    expect(lines.at(-1)).toBe('SUCCESS');
  });

  it('a dump cut at a line boundary (valid gzip): refused before anything is created; the live database untouched, no approval asked', async () => {
    const lines = sh(`gunzip -c '${dumps()}/shop_20260104.sql.gz'`).split('\n');
    // Cut inside the orders data, at a line end, as when pg_dump | gzip dies mid-stream.
    const cut = lines.findIndex((l) => l.startsWith('COPY public.orders')) + 50;
    writeFileSync(join(dir, 'cut.sql'), lines.slice(0, cut).join('\n') + '\n');
    sh(`gzip -c '${dir}/cut.sql' > '${dumps()}/cut.sql.gz' && rm '${dir}/cut.sql' && gzip -t '${dumps()}/cut.sql.gz'`);
    const r = await restore(join(dumps(), 'cut.sql.gz'));
    expect(r.outcome).toBe('failed');
    expect(r.steps.slice(0, 3)).toEqual(['check-dump:failed', 'declared:skipped', 'create-db:skipped']);
    expect(r.output).toContain("the dump is not whole: it lacks pg_dump's closing line '-- PostgreSQL database dump complete'");
    expect(r.message).toContain('nothing was created, loaded or swapped: the live database is untouched');
    expect(plans).toEqual([]);
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop']);
    expect(pg.psql('shop', 'SELECT email FROM users')).toBe('live@example.invalid');
    expect(audit('PG_RESTORE')).toEqual(['START', 'STEP_FAILED check-dump - exit code 1', 'FAILED']);
  });

  it('a custom-format dump cut short is refused the same way; a whole one restores', async () => {
    sh(`head -c $(( $(stat -c %s '${dumps()}/shop_20260105.dump') * 2 / 3 )) '${dumps()}/shop_20260105.dump' > '${dumps()}/cut.dump'`);
    const cut = await restore(join(dumps(), 'cut.dump'));
    expect(cut.outcome).toBe('failed');
    expect(cut.steps[0]).toBe('check-dump:failed');
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop']);
    const whole = await restore(join(dumps(), 'shop_20260105.dump'));
    expect(whole.outcome, whole.output).toBe('success');
    expect(whole.message).toContain('loaded = dump: tables 3/3, constraints 6/6, rows 270/270');
    expect(pg.psql('shop', 'SELECT count(*) FROM users')).toBe('40');
  });

  it('a statement failing in the load (ON_ERROR_STOP): the half-loaded <db>_restore is dropped, nothing swapped', async () => {
    const text = sh(`gunzip -c '${dumps()}/shop_20260104.sql.gz'`);
    // Whole (the closing line is there), but one statement fails half-way.
    writeFileSync(join(dumps(), 'bad.sql'), text.replace('CREATE TABLE public.products', 'CREATE TABLE public.products_x (id int REFERENCES nowhere(id));\nCREATE TABLE public.products'));
    const r = await restore(join(dumps(), 'bad.sql'));
    expect(r.outcome).toBe('failed');
    expect(r.steps.slice(0, 5)).toEqual(['check-dump:ok', 'declared:ok', 'create-db:ok', 'load-dump:failed', 'compare:skipped']);
    expect(r.output).toContain('dropped shop_restore');
    expect(readdirSync(dir).filter((f) => f.startsWith('doai-pg-declared'))).toEqual([]);
    expect(r.message).toContain('the live database is untouched; the <db>_restore this run created was dropped');
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop']);
    expect(plans).toEqual([]);
    expect(audit('PG_RESTORE')).toEqual(['START', 'STEP_FAILED load-dump - exit code 1', 'FAILED']);
  });

  it('a <db>_restore left by an earlier run stops the run naming it, its size and the exact dropdb line; it is not dropped for you', async () => {
    pg.psql('postgres', 'CREATE DATABASE shop_restore');
    pg.psql('shop_restore', 'CREATE TABLE half (i int)');
    const r = await restore(join(dumps(), 'shop_20260104.sql.gz'));
    expect(r.outcome).toBe('failed');
    expect(r.steps.slice(0, 4)).toEqual(['check-dump:ok', 'declared:ok', 'create-db:failed', 'load-dump:skipped']);
    expect(r.output).toMatch(/a database shop_restore already exists \(\d+ kB\), left by an earlier run; nothing was loaded\. Drop it, then run again: dropdb -U postgres shop_restore/);
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop', 'shop_restore']);
    expect(readdirSync(dir).filter((f) => f.startsWith('doai-pg-declared'))).toEqual([]);
    expect(pg.psql('shop', 'SELECT email FROM users')).toBe('live@example.invalid');
  });

  // The checks before the gate loaded and verified <db>_restore; an approval that does not come
  // leaves it, and the next run stops on it. The run's own message says so and how to clear it.
  const KEPT = /nothing was swapped: the live database is untouched\. The shop_restore this run loaded and verified is kept; a new run stops while it exists, so drop it before running again: `(dropdb -U 'postgres' 'shop'_restore)`$/;

  it('the approval form cancelled at the gate: the message says the verified shop_restore is kept and gives the dropdb line; that line clears the way for the next run', async () => {
    const hook = createApprovalHook({ clock: realClock(), policy: { L2: 'declared' } });
    const made = engineInDir(dir, { config: config(), runbooks, shell, prepareApproval: (info) => hook.prepareApproval(info) });
    auditPath = made.auditPath;
    const e = made.engine;
    expect((await e.listChoices('postgres-restore', 'postgresql', 'backup', { database: 'shop' })).ok).toBe(true);
    let prompt: Extract<RunPrompt, { kind: 'approval' }> | undefined;
    let message: string | undefined;
    e.on((ev) => {
      if (ev.type === 'run.prompt' && ev.prompt?.kind === 'approval') prompt = ev.prompt;
      if (ev.type === 'run.finished') message = ev.message;
    });
    const started = e.start('postgres-restore', 'postgresql', { params: { database: 'shop', backup: join(dumps(), 'shop_20260104.sql.gz') } });
    if (!started.ok) throw new Error(started.error);
    const done = e.waitFor(started.runId);
    for (let i = 0; i < 600 && !prompt?.code; i++) await new Promise((r) => setTimeout(r, 50));
    expect(prompt?.code).toBeTruthy();
    expect(e.answerApproval(started.runId, { kind: 'cancel' })).toMatchObject({ accepted: true });
    expect(await done).toBe('cancelled');
    expect(message).toMatch(KEPT);
    // What it says is so: the live database as it was, the verified copy beside it.
    expect(pg.psql('shop', 'SELECT email FROM users')).toBe('live@example.invalid');
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop', 'shop_restore']);
    expect(pg.psql('shop_restore', 'SELECT count(*) FROM orders')).toBe('200');
    const lines = audit('PG_RESTORE');
    expect(lines.slice(0, 3)).toEqual(['START', 'DUMP_LOADED', 'LOAD_VERIFIED - loaded = dump: tables 3/3, constraints 6/6, rows 270/270']);
    expect(lines.join('\n')).not.toContain('DATABASE_SWAPPED');
    expect(lines.at(-1)).toMatch(/^CANCELLED/);

    // The next run stops on it, as the message said; the command it gave clears it; then a run restores.
    const again = await restore(join(dumps(), 'shop_20260104.sql.gz'));
    expect(again.outcome).toBe('failed');
    expect(again.output).toContain('a database shop_restore already exists');
    sh(KEPT.exec(message!)![1]!);
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop']);
    const after = await restore(join(dumps(), 'shop_20260104.sql.gz'));
    expect(after.outcome, after.output).toBe('success');
    expect(pg.psql('shop', 'SELECT count(*) FROM orders')).toBe('200');
  });

  it('the approval failing at the gate (its hook throws): failed without escalation; the message and the FAILED line say the verified shop_restore is kept, with the dropdb line', async () => {
    const made = engineInDir(dir, {
      config: config(),
      runbooks,
      shell,
      approve: async () => {
        throw new Error('approval board unreachable');
      },
    });
    auditPath = made.auditPath;
    const e = made.engine;
    expect((await e.listChoices('postgres-restore', 'postgresql', 'backup', { database: 'shop' })).ok).toBe(true);
    let end: { message?: string; escalateTo?: string } | undefined;
    e.on((ev) => {
      if (ev.type === 'run.finished') end = ev;
    });
    const r = await run(e, 'postgres-restore', { database: 'shop', backup: join(dumps(), 'shop_20260104.sql.gz') });
    expect(r.outcome).toBe('failed');
    expect(r.steps).toEqual(['check-dump:ok', 'declared:ok', 'create-db:ok', 'load-dump:ok', 'compare:ok', 'swap:skipped', 'connect:skipped', 'kept-copies:skipped']);
    expect(end?.escalateTo).toBeUndefined();
    expect(r.message).toMatch(/^approval failed: approval board unreachable — nothing ran from step 6 \(swap\) on; /);
    expect(r.message).toMatch(KEPT);
    expect(dbs().filter((d) => d !== 'shop_src')).toEqual(['shop', 'shop_restore']);
    expect(pg.psql('shop_restore', 'SELECT count(*) FROM users')).toBe('40');
    const lines = audit('PG_RESTORE');
    expect(lines.slice(0, 3)).toEqual(['START', 'DUMP_LOADED', 'LOAD_VERIFIED - loaded = dump: tables 3/3, constraints 6/6, rows 270/270']);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^FAILED - approval failed: approval board unreachable, nothing ran from step 6 \(swap\) on; /);
    expect(lines[3]).toMatch(KEPT);
  });
});

describe('check: what the runbooks need on the host, and the kept _broken_ copies (issue 12 items 23, 20)', () => {
  it('names the runbook and target that will fail for a missing command; lists kept copies with their size', async () => {
    const d = mkdtempSync(join(dir, 'check-'));
    mkdirSync(join(d, 'runbooks'));
    // An operator's runbook that needs a tool this host lacks, for services of kind `cache`.
    writeFileSync(
      join(d, 'runbooks', 'cache-warm.yaml'),
      `id: cache-warm
level: L1
audit_name: CACHE_WARM
title: { ko: "캐시 예열", en: "Warm the cache" }
approval: auto
target: service
fits: [cache]
needs: [doai-no-such-tool, sh, "sh -c true"]
steps:
  - id: warm
    kind: ssh
    run: "doai-no-such-tool --warm"
`,
    );
    const configPath = join(d, 'console.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({
        hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath, known_hosts: knownHosts }],
        services: [
          { name: 'postgresql', host: 'box', kind: 'postgres', unit: 'postgresql' },
          { name: 'warm-cache', host: 'box', kind: 'cache' },
        ],
        paths: { state_dir: join(d, 'state'), known_hosts: knownHosts },
      }),
    );
    pg.psql('postgres', 'CREATE DATABASE shop_broken_20260101_030000');
    try {
      let json = '';
      const out = { write: (s: string) => ((json += s), true) } as unknown as NodeJS.WritableStream;
      await runCheck({ configPath, json: true, out, timeoutMs: 5000 });
      const rows = (JSON.parse(json) as { rows: CheckRow[] }).rows;
      const commands = rows.filter((r) => r.check === 'commands');
      expect(commands).toEqual([
        {
          check: 'commands',
          subject: 'box',
          verdict: 'WARN',
          detail: 'doai-no-such-tool is not on the PATH of an SSH session: cache-warm on warm-cache will fail',
          hint: 'install doai-no-such-tool on box (or put it on the PATH sshd gives sessions), then run check again',
        },
      ]);
      // psql, createdb, pg_restore … are there (the real PostgreSQL client), so postgres-* are not named.
      expect(JSON.stringify(commands)).not.toMatch(/postgres-re/);
      expect(rows.find((r) => r.check === 'pg-kept')).toMatchObject({
        subject: 'postgresql',
        verdict: 'OK',
        detail: expect.stringMatching(/^kept by postgres-restore \(drop with dropdb when no longer needed\): (.*, )?shop_broken_20260101_030000 \(\d+ kB\)/),
      });
    } finally {
      pg.psql('postgres', 'DROP DATABASE shop_broken_20260101_030000');
    }
  });
});
