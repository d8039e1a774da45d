// What a failed run says (issue 12 items 5 and 25), over real OpenSSH against real files: the
// failure message states only what the steps that ran established, the audit log names the step
// that failed and why (STEP_FAILED), a step allowed to fail is shown `(allowed)`, nginx refused by
// its config test says it was left as it was, and compose-restart without the compose plugin says
// the restart never ran. docker, nginx and systemctl are recording stand-ins (not installed here).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { requireSshd } from '../helpers/sshd';
import { requireTools } from '../helpers/requirements';
import { sh, startSeedHost, type SeedHost } from '../helpers/seed-host';

requireSshd();
requireTools(['/usr/bin/sqlite3', '/usr/bin/git', '/usr/bin/gzip'], 'apt-get install -y sqlite3 git gzip');

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let host: SeedHost;

/** A stand-in that records its call and fails when <bin>/fail.<name> exists. */
function recording(name: string): string {
  return `printf '%s|%s|%s\\n' ${name} "$(pwd)" "$*" >> "$(dirname "$0")/../calls.log"
if [ -e "$(dirname "$0")/fail.${name}" ]; then echo "${name}: simulated failure: emerg config line 12" >&2; exit 1; fi
exit 0`;
}

beforeAll(async () => {
  host = await startSeedHost({
    services: {
      refserver: { health: '/health', kind: ['sqlite', 'compose'] },
      predictor: { health: '/predictor', kind: ['compose'] },
      web: { health: '/web', kind: ['nginx'], unit: 'nginx' },
      api: { health: '/api', kind: ['pm2', 'git'] },
    },
    standIns: { nginx: recording('nginx'), systemctl: recording('systemctl'), pm2: recording('pm2') },
  });
  for (const d of ['refserver', 'predictor', 'api']) mkdirSync(join(host.dir, d), { recursive: true });
});

afterAll(async () => {
  await host?.close();
});

/** docker stand-in state: a marker file per compose project makes `docker compose <verb>` fail. */
function failDocker(project: string, verb: string): string {
  const marker = join(host.dir, 'docker-state', `${join(host.dir, project).replace(/\//g, '_')}.fail.${verb}`);
  writeFileSync(marker, '');
  return marker;
}

beforeEach(() => {
  host.resetCalls();
  for (const p of ['/health', '/predictor', '/web', '/api']) host.answer(p, { status: 200, body: 'ok' });
  sh(`rm -f '${host.dir}'/docker-state/*.fail.* '${host.bin}'/fail.*`);
});

describe('failure messages say only what the steps that ran established', () => {
  let data: string;
  let db: string;
  let backups: string;

  beforeEach(() => {
    data = join(host.dir, `sq-${Date.now()}`);
    backups = join(data, 'backups');
    mkdirSync(backups, { recursive: true });
    db = join(data, 'refserver.db');
    // A damaged database: the integrity check fails, so the restore steps run.
    writeFileSync(db, 'this is not a sqlite database at all, it is garbage '.repeat(200));
  });

  it('sqlite-restore failing at the stop (before any copy) does not claim a .corrupted copy; the log names the step and why', async () => {
    sh(`sqlite3 '${data}/good.db' 'CREATE TABLE t(i int);' && gzip -c '${data}/good.db' > '${backups}/r_1.db.gz'`);
    failDocker('refserver', 'down');
    const e = host.engine();
    expect(await e.listChoices('sqlite-restore', 'refserver', 'backup', { backup_dir: backups })).toMatchObject({ ok: true });
    const r = await host.run(e, 'sqlite-restore', 'refserver', { db_path: db, backup_dir: backups, backup: join(backups, 'r_1.db.gz') });
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('SQLite restore failed');
    expect(r.message).toContain('the database file was not touched');
    expect(r.message).not.toContain('.corrupted');
    expect(readdirSync(data).filter((f) => f.includes('corrupted'))).toEqual([]);
    const lines = host.audit('SQLITE_RESTORE');
    expect(lines).toEqual(['START', 'STEP1_APPROVED by vega', 'STEP_FAILED stop - exit code 1', 'FAILED']);
  });

  it('sqlite-restore failing after the copy names the kept copy, exactly where it is', async () => {
    // A "backup" that is not gzip: the restore step fails after keep-copy made the copy.
    writeFileSync(join(backups, 'r_2.db.gz'), 'not gzip');
    const e = host.engine();
    expect(await e.listChoices('sqlite-restore', 'refserver', 'backup', { backup_dir: backups })).toMatchObject({ ok: true });
    const r = await host.run(e, 'sqlite-restore', 'refserver', { db_path: db, backup_dir: backups, backup: join(backups, 'r_2.db.gz') });
    expect(r.outcome).toBe('failed');
    const kept = readdirSync(data).filter((f) => f.startsWith('refserver.db.corrupted.'));
    expect(kept).toHaveLength(1);
    expect(r.message).toContain(`the file as it was is kept as ${join(data, kept[0]!)}`);
    expect(r.message).toContain('the database file was not replaced');
    expect(host.audit('SQLITE_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'STOP_COMMAND_OK', 'CURRENT_DB_KEPT', 'STEP_FAILED restore - exit code 1', 'FAILED']);
  });

  it("git-rollback refused at the clean-tree check does not point at the 'current' step that never ran", async () => {
    const repo = join(host.dir, 'api');
    const git = (...args: string[]) => sh(`git -C '${repo}' ${args.join(' ')}`).trim();
    if (!existsSync(join(repo, '.git'))) {
      git('init', '-q');
      git('config', 'user.email', 't@example.invalid');
      git('config', 'user.name', 't');
    }
    writeFileSync(join(repo, 'app.js'), 'v1\n');
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    const v1 = git('rev-parse', '--short', 'HEAD');
    writeFileSync(join(repo, 'app.js'), 'v2\n');
    git('commit', '-q', '-am', 'v2');
    writeFileSync(join(repo, 'app.js'), 'local edit\n');
    const e = host.engine();
    const listed = await e.listChoices('git-rollback', 'api', 'commit');
    if (!listed.ok) throw new Error(listed.error);
    const r = await host.run(e, 'git-rollback', 'api', { commit: v1 });
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('nothing was changed: the working tree has local changes');
    expect(r.message).not.toContain("'current'");
    expect(r.steps).toContain('current:skipped');
    expect(host.audit('GIT_ROLLBACK')).toEqual(['START', 'STEP1_APPROVED by vega', 'STEP_FAILED clean - exit code 1', 'FAILED']);
    sh(`git -C '${repo}' checkout -q -- .`);
  });
});

describe('issue 12 item 25: messages', () => {
  it('nginx refused by its config test says nginx was left as it was and why; nothing restarted', async () => {
    writeFileSync(join(host.bin, 'fail.nginx'), '');
    const e = host.engine();
    const r = await host.run(e, 'nginx-restart', 'web');
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('nginx was left as it was (not stopped, not restarted');
    expect(r.message).toContain('its config test nginx -t failed');
    expect(r.message).not.toMatch(/did not recover|read \/var\/log\/nginx/);
    expect(host.calls().filter((c) => c.startsWith('systemctl|'))).toEqual([]);
    expect(host.audit('NGINX_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'STEP_FAILED config-test - exit code 1', 'FAILED']);
  });

  it('compose-restart without the compose plugin says the restart never ran', async () => {
    failDocker('predictor', 'version');
    const e = host.engine();
    const r = await host.run(e, 'compose-restart', 'predictor');
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('the restart never ran: docker on this host has no compose plugin');
    expect(r.message).not.toContain('still not answering');
    expect(host.calls().map((c) => c.split('|')[2])).toEqual(['compose version']);
    expect(host.audit('COMPOSE_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'STEP_FAILED compose-plugin - exit code 1', 'FAILED']);
  });

  it('a step allowed to fail is shown (allowed), not as a failure, and the run goes on', async () => {
    failDocker('predictor', 'ps');
    const e = host.engine();
    const r = await host.run(e, 'compose-restart', 'predictor');
    expect(r.outcome).toBe('success');
    expect(r.detail('ps-before')).toMatch(/^\(allowed\) exit code 1 — this step may fail; the run goes on$/);
    expect(host.audit('COMPOSE_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'RESTART_COMMAND_OK', 'SERVICE_RESTARTED', 'SUCCESS']);
  });
});
