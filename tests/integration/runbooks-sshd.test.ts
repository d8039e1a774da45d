// Built-in runbooks really executed over SSH against OpenSSH's sshd on a loopback port: real
// sqlite3, gzip, git and /bin/sh on the "host"; scripted stand-ins for pm2, npm, pnpm, docker,
// systemctl, nginx, psql and createdb (first on the session PATH through sshd's SetEnv) that
// record their arguments and working directory. Asserts the exact command sequence, the files
// left behind and the audit lines. Without sshd, sqlite3 or git the suite fails saying what to install.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { engineInDir } from '../helpers/engine-in-dir';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema';
import type { RunEngine } from '../../src/runbook/engine';
import { loadRunbooks } from '../../src/runbook/loader';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';
import { requireTools } from '../helpers/requirements';

requireSshd();
requireTools(['/usr/bin/sqlite3', '/usr/bin/git'], 'apt-get install -y sqlite3 git');

const STANDINS = ['pm2', 'npm', 'pnpm', 'docker', 'systemctl', 'nginx', 'psql', 'createdb'];

let dir: string;
let stubs: string;
let callLog: string;
let sshd: RunningSshd | undefined;
let sshdPort: number;
let clientKey: string;
let knownHosts: string;
let http: HttpServer;
let httpPort: number;
let shell: SshShell;
let healthy: () => boolean = () => true;

/** A stand-in: records "name|cwd|args" (and piped SQL for psql), fails when told to. */
function writeStandIn(name: string): void {
  const script = `#!/bin/sh
printf '%s|%s|%s\\n' "${name}" "$(pwd)" "$*" >> '${callLog}'
if [ "${name}" = psql ]; then
  case " $* " in *" -c "*) ;; *) cat >> '${callLog}.sql' ;; esac
  case "$*" in *information_schema*) echo 12 ;; esac
fi
if [ -e '${stubs}/fail.${name}.'"$1" ]; then echo "${name} $1: simulated failure" >&2; exit 1; fi
exit 0
`;
  writeFileSync(join(stubs, name), script, { mode: 0o755 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rb-sshd-'));
  stubs = join(dir, 'bin');
  mkdirSync(stubs);
  callLog = join(dir, 'calls.log');
  for (const s of STANDINS) writeStandIn(s);
  // The stand-ins come first on the session's PATH; everything else is the real system.
  sshd = await startSshd({ maxSessions: 30, extraConfig: [`SetEnv PATH=${stubs}:/usr/local/bin:/usr/bin:/bin DOAI_TEST=1`] });
  sshdPort = sshd.port;
  clientKey = sshd.clientKeyPath;
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  // The service's health URL answers what the test says (healthy() decides), 200 by default.
  http = createHttpServer((_req, res) => {
    res.statusCode = healthy() ? 200 : 503;
    res.end(res.statusCode === 200 ? 'ok' : 'down');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  shell = createSshShell({ hosts: config_().hosts, knownHostsPath: knownHosts });
});

afterAll(async () => {
  shell.close();
  await new Promise((r) => http.close(r));
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function config_(): Config {
  const health = `http://127.0.0.1:${httpPort}/health`;
  return configSchema.parse({
    hosts: [{ name: 'box', address: '127.0.0.1', port: sshdPort, user: userInfo().username, identity_file: clientKey, known_hosts: knownHosts, backup_dir: join(dir ?? '/x', 'pgdumps') }],
    services: [
      { name: 'refserver', host: 'box', kind: ['sqlite', 'compose'], health_url: health, app_dir: join(dir ?? '/x', 'refserver') },
      { name: 'api-server', host: 'box', kind: ['pm2', 'git'], health_url: health, app_dir: join(dir ?? '/x', 'repo', 'apps', 'api-server') },
      { name: 'nginx', host: 'box', kind: 'nginx', unit: 'nginx', health_url: health },
      { name: 'postgresql', host: 'box', kind: 'postgres', unit: 'postgresql', health_url: health },
    ],
  });
}

let auditPath: string;
function engine(): RunEngine {
  // Waits and poll intervals compressed; SSH commands and timeouts are real. Approval flows have
  // their own tests; here the approver says yes at once.
  const made = engineInDir(dir, { config: config_(), runbooks: loadRunbooks({ builtinDir: join(__dirname, '../../actions') }), shell, approve: async () => ({ ok: true, approver: 'vega' }) });
  auditPath = made.auditPath;
  return made.engine;
}

function audit(name: string): string[] {
  return readFileSync(auditPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      expect(l).toMatch(new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d\\] ${name}: `));
      return l.replace(/^\[[^\]]+\] [A-Z0-9_]+: /, '');
    });
}

/** The fallback's `pm2 start` has run (the app comes up only then). */
function pm2Started(): boolean {
  return calls().some((c) => c.startsWith('pm2|') && c.endsWith('|start ecosystem.config.js'));
}

function calls(): string[] {
  return existsSync(callLog) ? readFileSync(callLog, 'utf8').trim().split('\n').filter(Boolean) : [];
}

beforeEach(() => {
  healthy = () => true;
  rmSync(callLog, { force: true });
  rmSync(`${callLog}.sql`, { force: true });
  for (const s of STANDINS) rmSync(join(stubs, `fail.${s}`), { force: true });
  spawnSync('/bin/sh', ['-c', `rm -f '${stubs}'/fail.*`]);
});

function sqlite(db: string, sql: string): string {
  return execFileSync('/usr/bin/sqlite3', [db, sql], { encoding: 'utf8' }).trim();
}

describe('sqlite-restore over real SSH against a real corrupted SQLite file', { timeout: 120_000 }, () => {
  let data: string;
  let backups: string;
  let compose: string;

  beforeEach(() => {
    data = mkdtempSync(join(dir, 'data-'));
    backups = join(data, 'backups');
    compose = join(dir, 'refserver');
    mkdirSync(backups, { recursive: true });
    mkdirSync(compose, { recursive: true });
    // A good database with enough rows for several pages, its gzip backups (old and new).
    const good = join(data, 'good.db');
    sqlite(good, "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO docs SELECT i, printf('document %d %s', i, hex(randomblob(40))) FROM n;");
    execFileSync('/bin/sh', ['-c', `gzip -c '${good}' > '${backups}/refserver_2025-01-19_daily.db.gz' && gzip -c '${good}' > '${backups}/refserver_2025-01-20_daily.db.gz'`]);
    utimesSync(join(backups, 'refserver_2025-01-19_daily.db.gz'), new Date('2025-01-19T03:00:00Z'), new Date('2025-01-19T03:00:00Z'));
    utimesSync(join(backups, 'refserver_2025-01-20_daily.db.gz'), new Date('2025-01-20T03:00:00Z'), new Date('2025-01-20T03:00:00Z'));
    execFileSync('/bin/cp', [good, join(data, 'refserver.db')]);
  });

  function corrupt(db: string): Buffer {
    const bytes = readFileSync(db);
    // Garbage over pages 2-4: b-tree pages the integrity check walks.
    for (let i = 4096; i < 4096 * 4; i++) bytes[i] = (i * 7) & 0xff;
    writeFileSync(db, bytes);
    return bytes;
  }

  it('integrity fails → compose down, keep a copy (and the stale WAL), restore the newest backup, check, compose up', async () => {
    const db = join(data, 'refserver.db');
    const damaged = corrupt(db);
    writeFileSync(`${db}-wal`, 'stale wal');
    expect(spawnSync('/usr/bin/sqlite3', ['-readonly', db, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).stdout.trim()).not.toBe('ok');

    const e = engine();
    const listed = await e.listChoices('sqlite-restore', 'refserver', 'backup', { db_path: db, backup_dir: backups });
    expect(listed).toMatchObject({ ok: true, host: 'box' });
    if (!listed.ok) return;
    // Newest first: the default pick is the newest backup.
    expect(listed.choices.map((c) => c.value)).toEqual([join(backups, 'refserver_2025-01-20_daily.db.gz'), join(backups, 'refserver_2025-01-19_daily.db.gz')]);

    const started = e.start('sqlite-restore', 'refserver', { params: { db_path: db, backup_dir: backups, compose_dir: compose } });
    if (!started.ok) throw new Error(started.error);
    const outcome = await e.waitFor(started.runId);
    const view = e.getSnapshot().runs.find((r) => r.runId === started.runId)!;
    expect(outcome, JSON.stringify(view.steps.map((s) => [s.id, s.state, s.detail]))).toBe('success');
    expect(view.steps.map((s) => `${s.id}:${s.state}`)).toEqual([
      'integrity:failed',
      'stop:ok',
      'keep-copy:ok',
      'restore:ok',
      'verify-integrity:ok',
      'start:ok',
      'verify:ok',
    ]);
    expect(calls()).toEqual([`docker|${compose}|compose down`, `docker|${compose}|compose up -d`]);
    expect(sqlite(db, 'PRAGMA integrity_check;')).toBe('ok');
    expect(sqlite(db, 'SELECT count(*) FROM docs;')).toBe('2000');
    expect((readFileSync(db).length > 0 && (await import('node:fs')).statSync(db).mode & 0o777).toString(8)).toBe('644');
    const kept = join(data, (await import('node:fs')).readdirSync(data).find((f) => /^refserver\.db\.corrupted\.\d{8}_\d{6}$/.test(f))!);
    expect(readFileSync(kept).equals(damaged)).toBe(true);
    expect(readFileSync(`${kept}-wal`, 'utf8')).toBe('stale wal');
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(audit('SQLITE_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'STOP_COMMAND_OK', 'CURRENT_DB_KEPT', 'BACKUP_COPIED', 'DB_RESTORED', 'START_COMMAND_OK', 'SUCCESS']);
  });

  it('an intact database: nothing is stopped, copied or restored', async () => {
    const db = join(data, 'refserver.db');
    const before = readFileSync(db);
    const e = engine();
    const listed = await e.listChoices('sqlite-restore', 'refserver', 'backup', { db_path: db, backup_dir: backups });
    expect(listed.ok).toBe(true);
    const started = e.start('sqlite-restore', 'refserver', { params: { db_path: db, backup_dir: backups, compose_dir: compose } });
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('success');
    expect(calls()).toEqual([]);
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(audit('SQLITE_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'SUCCESS']);
  });

  it('as_of (issue 17 item 4): the listing shows each backup with its time and size; the newest older than as_of is picked', async () => {
    const db = join(data, 'refserver.db');
    corrupt(db);
    const e = engine();
    const all = await e.listChoices('sqlite-restore', 'refserver', 'backup', { db_path: db, backup_dir: backups });
    if (!all.ok) throw new Error(all.error);
    expect(all.choices.map((c) => c.label)).toEqual([
      expect.stringMatching(/^\S+refserver_2025-01-20_daily\.db\.gz 2025-01-20 \d\d:\d\d \d+(\.\d)?[KM]?B$/),
      expect.stringMatching(/^\S+refserver_2025-01-19_daily\.db\.gz 2025-01-19 \d\d:\d\d \d+(\.\d)?[KM]?B$/),
    ]);
    const asOf = await e.listChoices('sqlite-restore', 'refserver', 'backup', { db_path: db, backup_dir: backups, as_of: '2025-01-19 23:00' });
    if (!asOf.ok) throw new Error(asOf.error);
    expect(asOf.choices.map((c) => c.value)).toEqual([join(backups, 'refserver_2025-01-19_daily.db.gz')]);
    // Not a time: refused before anything is listed or run.
    expect(await e.listChoices('sqlite-restore', 'refserver', 'backup', { backup_dir: backups, as_of: 'yesterday; rm -rf /' })).toMatchObject({ ok: false, error: expect.stringContaining('parameter "as_of" must match') });
    // Without a pick, the default is the newest backup older than as_of.
    let used: Record<string, string> | undefined;
    e.on((ev) => {
      if (ev.type === 'run.started') used = ev.params;
    });
    const started = e.start('sqlite-restore', 'refserver', { params: { db_path: db, backup_dir: backups, compose_dir: compose, as_of: '2025-01-19 23:00' } });
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('success');
    expect(audit('SQLITE_RESTORE')).toContain('BACKUP_COPIED');
    expect(used?.backup).toBe(join(backups, 'refserver_2025-01-19_daily.db.gz'));
    expect(readFileSync(join(dir, 'calls.log'), 'utf8')).toContain('compose up -d');
  });

  it('a listing made with another as_of or backup dir is never used by a start: refused as stale, nothing runs; listing again with the start values picks their newest', async () => {
    const db = join(data, 'refserver.db');
    const damaged = corrupt(db);
    const e = engine();
    const older = join(backups, 'refserver_2025-01-19_daily.db.gz');
    const newer = join(backups, 'refserver_2025-01-20_daily.db.gz');
    let started = 0;
    e.on((ev) => {
      if (ev.type === 'run.started') started++;
    });
    // Listed as of the 19th (only the older backup), then started as of the 21st with no pick.
    const a = await e.listChoices('sqlite-restore', 'refserver', 'backup', { db_path: db, backup_dir: backups, as_of: '2025-01-19 23:00' });
    if (!a.ok) throw new Error(a.error);
    expect(a.choices.map((c) => c.value)).toEqual([older]);
    const params = { db_path: db, backup_dir: backups, compose_dir: compose, as_of: '2025-01-21 00:00' };
    expect(e.start('sqlite-restore', 'refserver', { params })).toEqual({
      ok: false,
      error: 'cannot start sqlite-restore on refserver: parameter "backup": the list the target printed was made with as_of="2025-01-19 23:00" (now "2025-01-21 00:00"); list the choices again with these values',
    });
    // A pick from the stale list is refused the same way (it was checked against other values).
    expect(e.start('sqlite-restore', 'refserver', { params: { ...params, backup: older } })).toMatchObject({ ok: false, error: expect.stringContaining('made with as_of="2025-01-19 23:00"') });
    // Another backup dir: the listing of the first one does not count for it.
    const otherDir = join(data, 'other-backups');
    mkdirSync(otherDir);
    expect(e.start('sqlite-restore', 'refserver', { params: { ...params, backup_dir: otherDir, as_of: '2025-01-19 23:00' } })).toMatchObject({
      ok: false,
      error: expect.stringContaining(`made with backup_dir=${JSON.stringify(backups)} (now ${JSON.stringify(otherDir)})`),
    });
    expect(started).toBe(0);
    expect(calls()).toEqual([]);
    expect(readFileSync(db).equals(damaged)).toBe(true);

    // Listed again with the start's values: the newest backup older than the 21st is restored.
    let used: Record<string, string> | undefined;
    e.on((ev) => {
      if (ev.type === 'run.started') used = ev.params;
    });
    const b = await e.listChoices('sqlite-restore', 'refserver', 'backup', params);
    if (!b.ok) throw new Error(b.error);
    expect(b.choices.map((c) => c.value)).toEqual([newer, older]);
    const run = e.start('sqlite-restore', 'refserver', { params });
    if (!run.ok) throw new Error(run.error);
    expect(await e.waitFor(run.runId)).toBe('success');
    expect(used?.backup).toBe(newer);
    // Both listings stay good for their own values: as of the 19th still means the older one
    // (the database is intact now, so that run restores nothing).
    const again = e.start('sqlite-restore', 'refserver', { params: { ...params, as_of: '2025-01-19 23:00' } });
    if (!again.ok) throw new Error(again.error);
    expect(await e.waitFor(again.runId)).toBe('success');
    expect(used?.backup).toBe(older);
  });

  it('a backup path that the host did not list is refused before anything runs', async () => {
    const e = engine();
    await e.listChoices('sqlite-restore', 'refserver', 'backup', { backup_dir: backups });
    const r = e.start('sqlite-restore', 'refserver', { params: { backup_dir: backups, backup: '/etc/passwd' } });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/parameter "backup": "\/etc\/passwd" is not in the list the target printed/) });
  });
});

// Real SSH round trips: generous per-test time on a loaded machine (each test waits on conditions, never on the clock).
describe('other built-ins over real SSH with stand-ins', { timeout: 120_000 }, () => {
  it('pm2-restart: a failed restart runs the fallback (delete, install, build, start) in the app dir', async () => {
    const app = join(dir, 'repo', 'apps', 'api-server');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(stubs, 'fail.pm2.restart'), '');
    // Down until the fallback's pm2 start brings it up.
    healthy = pm2Started;
    const e = engine();
    const started = e.start('pm2-restart', 'api-server');
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('success');
    expect(calls()).toEqual([
      // sshd starts the session in the user's passwd home, whatever this process's $HOME is.
      `pm2|${userInfo().homedir}|status`,
      `pm2|${app}|restart api-server`,
      `pm2|${app}|delete api-server`,
      `pnpm|${app}|install`,
      `npm|${app}|run build`,
      `pm2|${app}|start ecosystem.config.js`,
    ]);
    expect(audit('PM2_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'START_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('pm2-restart: a restart that works skips the fallback', async () => {
    const e = engine();
    const started = e.start('pm2-restart', 'api-server', { params: { installer: 'npm' } });
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('success');
    expect(calls().map((c) => c.split('|')[2])).toEqual(['status', 'restart api-server']);
    expect(audit('PM2_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'RESTART_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('pm2-restart: pm2 restart exits 0 into a crash loop: the failed health check runs the fallback, which fixes it; SERVICE_RESTARTED only after the check', async () => {
    const app = join(dir, 'repo', 'apps', 'api-server');
    mkdirSync(app, { recursive: true });
    healthy = pm2Started;
    const e = engine();
    const started = e.start('pm2-restart', 'api-server');
    if (!started.ok) throw new Error(started.error);
    const outcome = await e.waitFor(started.runId);
    const view = e.getSnapshot().runs.find((r) => r.runId === started.runId)!;
    expect(outcome, JSON.stringify(view.steps.map((st) => [st.id, st.state, st.detail]))).toBe('success');
    expect(calls().map((c) => c.split('|')[2])).toEqual(['status', 'restart api-server', 'delete api-server', 'install', 'run build', 'start ecosystem.config.js']);
    expect(view.steps.map((st) => `${st.id}:${st.state}`)).toEqual(['status-before:ok', 'restart:ok', 'restart-check:failed', 'delete:ok', 'install:ok', 'build:ok', 'start:ok', 'verify:ok']);
    expect(audit('PM2_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'RESTART_COMMAND_OK', 'START_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('pm2-restart: an app that stays down is never recorded SERVICE_RESTARTED, whatever pm2 exits', async () => {
    healthy = () => false;
    const e = engine();
    const started = e.start('pm2-restart', 'api-server');
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('failed');
    const lines = audit('PM2_RESTART');
    expect(lines).toEqual(['START', 'STEP1_APPROVED by auto', 'RESTART_COMMAND_OK', 'START_COMMAND_OK', expect.stringMatching(/^STEP_FAILED verify - still failing after 6 attempts: .*HTTP 503$/), 'FAILED']);
    expect(lines.join('\n')).not.toMatch(/SERVICE_RESTARTED|SERVICE_STARTED/);
  });

  it('nginx-restart: a failing nginx -t stops the run before the restart', async () => {
    writeFileSync(join(stubs, 'fail.nginx.-t'), '');
    const e = engine();
    const started = e.start('nginx-restart', 'nginx');
    if (!started.ok) throw new Error(started.error);
    expect(await e.waitFor(started.runId)).toBe('failed');
    expect(calls().map((c) => `${c.split('|')[0]} ${c.split('|')[2]}`)).toEqual(['nginx -t']);
    expect(audit('NGINX_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'STEP_FAILED config-test - exit code 1', 'FAILED']);
  });

  // postgres-restore runs against a real PostgreSQL cluster: tests/integration/runbooks-postgres.test.ts.

  it('git-rollback: commits listed with git log on the host, the chosen one checked out, rebuilt and restarted', async () => {
    const repo = join(dir, 'repo');
    const app = join(repo, 'apps', 'api-server');
    mkdirSync(app, { recursive: true });
    const git = (...args: string[]) => execFileSync('/usr/bin/git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } }).trim();
    if (!existsSync(join(repo, '.git'))) git('init', '-q');
    writeFileSync(join(app, 'version.txt'), 'v1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'stable release');
    const stable = git('rev-parse', '--short', 'HEAD');
    writeFileSync(join(app, 'version.txt'), 'v2\n');
    git('commit', '-q', '-am', 'broken deploy');
    const e = engine();
    const listed = await e.listChoices('git-rollback', 'api-server', 'commit', { repo_dir: app });
    if (!listed.ok) throw new Error(listed.error);
    const broken = git('rev-parse', '--short', 'HEAD');
    // Newest first, the current one marked.
    expect(listed.choices.slice(0, 2)).toEqual([
      { value: broken, label: expect.stringMatching(new RegExp(`^${broken} \\d{4}-\\d\\d-\\d\\d broken deploy \\(current\\)$`)) },
      { value: stable, label: expect.stringMatching(new RegExp(`^${stable} \\d{4}-\\d\\d-\\d\\d stable release$`)) },
    ]);
    const started = e.start('git-rollback', 'api-server', { params: { repo_dir: app, commit: stable } });
    if (!started.ok) throw new Error(started.error);
    const outcome = await e.waitFor(started.runId);
    const view = e.getSnapshot().runs.find((r) => r.runId === started.runId)!;
    expect(outcome, JSON.stringify(view.steps.map((s) => [s.id, s.state, s.detail]))).toBe('success');
    expect(readFileSync(join(app, 'version.txt'), 'utf8')).toBe('v1\n');
    expect(git('rev-parse', '--short', 'HEAD')).toBe(stable);
    expect(calls()).toEqual([`pnpm|${repo}|install`, `npm|${repo}|run --if-present build:packages`, `npm|${app}|run build`, `pm2|${app}|restart api-server`]);
    expect(audit('GIT_ROLLBACK')).toEqual(['START', 'STEP1_APPROVED by vega', 'ROLLED_BACK', 'RESTART_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);

    // Roll forward: the newer commit is no longer in HEAD's history but is listed (from the
    // branch and the reflog), with the rolled-back one marked current; picking it goes back.
    expect(git('log', '--format=%h').split('\n')).not.toContain(broken);
    const again = await e.listChoices('git-rollback', 'api-server', 'commit', { repo_dir: app });
    if (!again.ok) throw new Error(again.error);
    expect(again.choices.map((c) => c.label.replace(/ \d{4}-\d\d-\d\d /, ' '))).toEqual(expect.arrayContaining([`${broken} broken deploy`, `${stable} stable release (current)`]));
    const forward = e.start('git-rollback', 'api-server', { params: { repo_dir: app, commit: broken } });
    if (!forward.ok) throw new Error(forward.error);
    expect(await e.waitFor(forward.runId)).toBe('success');
    expect(git('rev-parse', '--short', 'HEAD')).toBe(broken);
    expect(readFileSync(join(app, 'version.txt'), 'utf8')).toBe('v2\n');
  });
});
