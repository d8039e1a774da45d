// User runbooks beside the built-ins, and the headless `run` command's parameters: choices
// listed over SSH (the ssh2 test server answers the listing), a --param value checked against
// that list, injection attempts refused, dry run listing nothing. Runs the built binary.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRunbooks, RunbookLoadError } from '../../src/runbook/loader';
import { runCli } from '../helpers/cli';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';

const actions = resolve(__dirname, '../../actions');
let dir: string;
let ssh: TestSshServer;
let configPath: string;

const USER_RUNBOOK = `# An operator's own runbook.
id: cache-flush
level: L1
audit_name: CACHE_FLUSH
title: { ko: "캐시 비우기", en: "Flush the cache" }
approval: auto
target: service
params:
  pattern: { type: string, default: "cache-*", pattern: "[a-z*-]+" }
steps:
  - id: flush
    kind: ssh
    run: "redis-cli --scan --pattern {{params.pattern}}"
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rb-user-'));
  ssh = await startTestSshServer({
    onExec: (ctx) => {
      if (ctx.command.startsWith("d='/data/backups/sqlite/daily'; test -d \"$d\"")) {
        // What find -printf | numfmt prints: path, time, size; newest first.
        ctx.stdout('/data/backups/sqlite/daily/refserver_2025-01-20_daily.db.gz 2025-01-20 03:00 1.2MB\n/data/backups/sqlite/daily/refserver_2025-01-19_daily.db.gz 2025-01-19 03:00 1.1MB\n/data/backups/sqlite/daily/evil$(id).db.gz 2025-01-18 03:00 10B\n');
        return ctx.exit(0);
      }
      if (ctx.command.startsWith('redis-cli ')) {
        // A tool that colours its output and draws progress with carriage returns.
        ctx.stdout('\x1b[32mcache-a\x1b[0m\n\x1b[1;31mcache-b\x1b[0m \x1b]0;title\x07done\n50%\r100%\n');
        return ctx.exit(0);
      }
      if (ctx.command.startsWith('git -C ')) {
        ctx.stdout('a1b2c3d 2026-01-03 broken deploy\n9f8e7d6 2026-01-02 stable release\n');
        return ctx.exit(0);
      }
      ctx.stderr(`unexpected: ${ctx.command}\n`);
      return ctx.exit(127);
    },
  });
  configPath = join(dir, 'console.yaml');
  writeFileSync(join(dir, 'known_hosts'), `${ssh.knownHostsLine}\n`);
  writeFileSync(
    configPath,
    stringify({
      hosts: [{ name: 'box', address: '127.0.0.1', port: ssh.port, user: 'root', identity_file: ssh.clientKeyPath }],
      // git-rollback fits a pm2 app from a git checkout, sqlite-restore a SQLite file behind compose.
      services: [{ name: 'refserver', host: 'box', kind: ['pm2', 'git', 'sqlite', 'compose'], health_url: 'http://127.0.0.1:9/health', app_dir: '/opt/refserver' }],
      paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts'), audit_log: join(dir, 'emergency.log'), approvals_dir: join(dir, 'approvals') },
    }),
  );
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'cache-flush.yaml'), USER_RUNBOOK);
});
afterAll(async () => {
  await ssh.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('user runbooks', () => {
  it('load from <config dir>/runbooks/ beside the built-ins', () => {
    const books = loadRunbooks({ builtinDir: actions, userDir: join(dir, 'runbooks') });
    expect(books.get('cache-flush')?.title.en).toBe('Flush the cache');
    expect(books.has('sqlite-restore')).toBe(true);
  });

  it('a file also listed under runbooks: loads once', () => {
    const books = loadRunbooks({ builtinDir: actions, userDir: join(dir, 'runbooks'), extraPaths: ['runbooks/cache-flush.yaml'], baseDir: dir });
    expect(books.get('cache-flush')).toBeDefined();
  });

  it('an id clash with a built-in is an error naming both files', () => {
    const d = mkdtempSync(join(dir, 'clash-'));
    writeFileSync(join(d, 'mine.yaml'), USER_RUNBOOK.replace('id: cache-flush', 'id: sqlite-restore'));
    let err: unknown;
    try {
      loadRunbooks({ builtinDir: actions, userDir: d });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookLoadError);
    expect((err as RunbookLoadError).problems).toEqual([
      expect.stringMatching(/mine\.yaml:1:1: id: runbook id "sqlite-restore" is already defined in .*actions\/sqlite-restore\.yaml \(a built-in runbook\); give yours another id$/),
    ]);
  });

  it('a bad user runbook stops the console with file:line:col (exit 2)', async () => {
    const d = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(d, 'console.yaml'), stringify({ hosts: [], paths: { state_dir: join(d, 'state') } }));
    mkdirSync(join(d, 'runbooks'));
    writeFileSync(join(d, 'runbooks', 'x.yaml'), USER_RUNBOOK.replace("type: string", "type: nmae"));
    const r = await runCli(['run', 'cache-flush', '--target', 'x', '--dry-run', '--config', join(d, 'console.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/x\.yaml:9:\d+: params\.pattern\.type: expected one of: .*found "nmae"/);
  });

  it('piped headless output carries no colour or cursor codes from the host (issue 12 item 25)', async () => {
    const r = await runCli(['run', 'cache-flush', '--target', 'refserver', '--config', configPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  | cache-a\n');
    expect(r.stdout).toContain('  | cache-b done\n');
    expect(r.stdout).toContain('  | 100%\n');
    expect(r.stdout).not.toMatch(/[\x1b\r\x07]/);
  });

  it('a user runbook dry-runs headless like a built-in', async () => {
    const r = await runCli(['run', 'cache-flush', '--target', 'refserver', '--dry-run', '--config', configPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[dry-run] ssh root@box: redis-cli --scan --pattern 'cache-*'");
  });
});

describe('headless run: parameters listed on the target', () => {
  it('lists the choices over SSH and refuses a value that is not among them', async () => {
    const before = ssh.execs.length;
    const r = await runCli(['run', 'sqlite-restore', '--target', 'refserver', '--param', 'backup=/etc/passwd', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/choices for backup \(`d='\/data\/backups\/sqlite\/daily'; test -d "\$d" .* ! -newermt 'now' .*` on box\):/);
    expect(r.stdout).toContain('  /data/backups/sqlite/daily/refserver_2025-01-20_daily.db.gz 2025-01-20 03:00 1.2MB');
    // A listed line that is not a valid file value is shown as not offered, never picked.
    expect(r.stdout).toContain('  ! not offered (not a valid file): /data/backups/sqlite/daily/evil$(id).db.gz');
    expect(r.stderr).toMatch(/parameter "backup": "\/etc\/passwd" is not in the list the target printed \(\/data\/backups\/sqlite\/daily\/refserver_2025-01-20_daily\.db\.gz, \/data\/backups\/sqlite\/daily\/refserver_2025-01-19_daily\.db\.gz\); pick one of those/);
    // Only the listing ran.
    expect(ssh.execs.slice(before).map((e) => e.command)).toEqual([expect.stringMatching(/^d='\/data\/backups\/sqlite\/daily'; test -d /)]);
  });

  it('a listed parameter without a default must be picked: the run says how', async () => {
    const r = await runCli(['run', 'git-rollback', '--target', 'refserver', '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('  9f8e7d6 2026-01-02 stable release');
    expect(r.stderr).toContain('parameter "commit" must be picked from the list above: pass --param commit=<value>');
  });

  it.each([
    ['commit=a1b2c3d; rm -rf /', /parameter "commit" must be a git commit hash of 7 to 40 hex digits, got "a1b2c3d; rm -rf \/"/],
    ['commit=$(id)', /parameter "commit" must be a git commit hash/],
    ['commit=`id`', /parameter "commit" must be a git commit hash/],
    ['commit=a1b2c3d\nid', /parameter "commit" \(commit\) rejects "a1b2c3d\\nid": it contains a newline/],
    ['repo_dir=/opt/x;id', /parameter "repo_dir" \(path\) rejects "\/opt\/x;id": it contains ";"/],
  ])('--param %j is refused before anything runs', async (param, message) => {
    const before = ssh.execs.length;
    const r = await runCli(['run', 'git-rollback', '--target', 'refserver', '--param', param, '--dry-run', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(ssh.execs.length).toBe(before);
  });

  it('malformed --param and unknown parameter names are usage errors', async () => {
    const bad = await runCli(['run', 'git-rollback', '--target', 'refserver', '--param', 'commit', '--dry-run', '--config', configPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--param "commit": expected name=value, e.g. --param commit=a1b2c3d');
    const unknown = await runCli(['run', 'git-rollback', '--target', 'refserver', '--param', 'comit=a1b2c3d', '--dry-run', '--config', configPath]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('git-rollback has no parameter "comit" (it takes: repo_dir, commit, installer, app)');
  });

  it('a dry run lists nothing on the host and shows where the value would come from', async () => {
    const before = ssh.execs.length;
    const r = await runCli(['run', 'sqlite-restore', '--target', 'refserver', '--dry-run', '--config', configPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[dry-run] parameter backup: would be picked from the list `d='/data/backups/sqlite/daily'; test -d \"$d\"");
    expect(ssh.execs.length).toBe(before);
  });
});
