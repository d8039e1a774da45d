// The runbook picker (b) and its parameter form, driven by registry keys through the App against
// the real engine with the built-in runbooks of actions/: its summaries, its defaults, its
// parameter checks and its dry runs. Only the SSH side is a recording stand-in, so listings
// (git log, ls of backups) answer what each test needs, when it needs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import { App } from '../../screens/app';
import { AuditLog } from '../../src/audit/emergency-log';
import { commands, commandsFor, keysShown, type CommandState } from '../../src/commands/registry';
import { configSchema } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { BatchedStore } from '../../src/core/store';
import type { HostHealth, HostsSnapshot, Lang, RunControl } from '../../src/core/views';
import { createRunEngine, type RunEngine } from '../../src/runbook/engine';
import { acquireLock, FileLockStore } from '../../src/runbook/locks';
import type { ExecOptions, ExecResult, RemoteShell } from '../../src/ssh/types';
import { builtinRunbook } from '../helpers/recovery-rig';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const BUILTINS = ['compose-restart', 'git-rollback', 'l1-soft-reset', 'l2-service-reset', 'l3-box-reset', 'nginx-restart', 'pm2-restart', 'postgres-restart', 'postgres-restore', 'sqlite-restore'];

const COMMITS = ['a1b2c3d 2026-01-03 fix: pool size back to 20', 'e4f5a6b 2026-01-02 feat: device groups', 'not-a-commit line the host printed'];
const DUMPS = ['/var/backups/doai/o4o_platform_20260103.sql.gz', '/var/backups/doai/o4o_platform_20260102.sql.gz'];

type Answer = { code: number; stdout?: string[]; stderr?: string[] };

/** The SSH side: records every command; listings answer from `answers` (a promise holds one back). */
class RecordingShell implements RemoteShell {
  execs: { host: string; command: string }[] = [];
  answers: { match: RegExp; answer: Answer | Promise<Answer> }[] = [];

  async exec(host: string, command: string, opts: ExecOptions): Promise<ExecResult> {
    this.execs.push({ host, command });
    const hit = this.answers.find((a) => a.match.test(command));
    const answer = hit ? await hit.answer : { code: 0 };
    for (const line of answer.stdout ?? []) opts.onLine('stdout', line);
    for (const line of answer.stderr ?? []) opts.onLine('stderr', line);
    return { code: answer.code };
  }
  async probe(): Promise<{ ok: true }> {
    return { ok: true };
  }
  close(): void {}
}

class MemoryStore<S> extends BatchedStore<S> {}

function host(name: string, extra: Partial<HostHealth> = {}): HostHealth {
  return { name, address: '127.0.0.1', reachability: 'REACHABLE', consecutiveFailures: 0, threshold: 3, lastProbeAt: T0, lastChangeAt: T0, ...extra };
}

let dirs: string[] = [];
let engines: RunEngine[] = [];

afterEach(async () => {
  cleanup();
  // A cancelled run writes its CANCELLED line afterwards: wait for it, or the removed folder
  // comes back with an emergency.log in it.
  const ending: Promise<unknown>[] = [];
  for (const e of engines) for (const r of e.activeRuns()) (e.cancel(r.runId), ending.push(e.waitFor(r.runId)));
  await Promise.all(ending);
  engines = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
  dirs = [];
});

async function setup(opts: { lang?: Lang; width?: number; height?: number; hostsPane?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'doai-picker-'));
  dirs.push(dir);
  const config = configSchema.parse({
    hosts: [
      { name: 'vultr', address: '127.0.0.1', port: 2222 },
      { name: 'db-box', address: '127.0.0.1', port: 2223, backup_dir: '/srv/pgdumps' },
    ],
    services: [
      // Declared of every kind the built-ins fit, so each one's form can be driven on one target;
      // caddy (a proxy) and postgresql show what fitting leaves out.
      {
        name: 'doai-orchestrator',
        host: 'vultr',
        kind: ['orchestrator', 'pm2', 'git', 'postgres', 'nginx', 'sqlite', 'compose'],
        proxy: 'caddy',
        unit: 'doai-orchestrator',
        health_url: 'http://127.0.0.1:9/health',
        app_dir: '/srv/o4o/apps/api-server',
      },
      { name: 'caddy', host: 'vultr', kind: 'proxy', unit: 'caddy' },
      { name: 'postgresql', host: 'db-box', kind: 'postgres', unit: 'postgresql' },
    ],
  });
  const shell = new RecordingShell();
  const clock = new FakeClock(T0);
  const auditPath = path.join(dir, 'emergency.log');
  const engine = createRunEngine({
    config,
    // The ten built-ins of seeds 000-003 this file is about (actions/ holds more).
    runbooks: new Map(BUILTINS.map((id) => [id, builtinRunbook(id)] as const)),
    shell,
    clock,
    operator: 'orion',
    audit: new AuditLog(auditPath),
    journalDir: path.join(dir, 'journal'),
    locks: new FileLockStore(path.join(dir, 'locks')),
    // The approval form is another screen's business: a run here waits at its approval.
    approve: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ ok: false, reason: 'cancelled' }))),
    batchMs: 0,
  });
  engines.push(engine);
  const starts: { runbookId: string; target: string; opts?: { dryRun?: boolean; params?: Record<string, string> } }[] = [];
  const control: RunControl = {
    listRunbooks: engine.listRunbooks,
    listChoices: engine.listChoices,
    paramDefaults: engine.paramDefaults,
    start: (runbookId, target, o) => {
      starts.push({ runbookId, target, opts: o });
      return engine.start(runbookId, target, o);
    },
    cancel: engine.cancel,
    confirm: engine.confirm,
    answerApproval: engine.answerApproval,
  };
  const fleet = new MemoryFleetStore([
    service({ name: 'doai-orchestrator', host: 'vultr', state: 'DOWN', httpStatus: undefined, consecutiveFailures: 3 }),
    service({ name: 'postgresql', host: 'db-box' }),
    service({ name: 'caddy', host: 'vultr' }),
  ]);
  const hosts = new MemoryStore<HostsSnapshot>({
    hosts: [host('db-box', { reachability: 'UNREACHABLE', consecutiveFailures: 3, lastError: 'timeout' }), host('vultr')],
    diskThreshold: 0.8,
    updatedAt: T0,
  });
  const r = renderApp({
    fleet,
    runs: engine,
    control,
    lang: opts.lang ?? 'en',
    configPath: 'console.yaml',
    width: opts.width ?? 100,
    height: opts.height ?? 30,
    clock,
    ...(opts.hostsPane ? { fleetStores: { hosts } } : {}),
  });
  await delay();
  return { ...r, shell, engine, starts, auditPath, lockDir: path.join(dir, 'locks') };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Waits until the frame stops changing, so a field that just got focus listens before the next key. */
async function settle(s: Setup) {
  let last = s.lastFrame();
  let still = 0;
  for (let i = 0; i < 100 && still < 3; i++) {
    await delay(20);
    const now = s.lastFrame();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

async function key(s: Setup, id: string, times = 1) {
  for (let i = 0; i < times; i++) {
    await press(s.stdin, id);
    await settle(s);
  }
}

/** Text typed quickly into the focused field (one chunk, as a fast typist or a paste arrives). */
async function type(s: Setup, text: string) {
  s.stdin.write(text);
  await settle(s);
}

/** Clears the focused text field with Backspace. */
async function clear(s: Setup, n: number) {
  for (let i = 0; i < n; i++) {
    s.stdin.write('\u007f');
    await settle(s);
  }
}

/** Moves the picker cursor onto a runbook by its id (rows are sorted by level, then id). */
async function selectRunbook(s: Setup, id: string) {
  for (let i = 0; i < 12; i++) {
    if (new RegExp(`› L\\d\\s+${id}\\b`).test(s.lastFrame() ?? '')) return;
    await key(s, 'runbooks.down');
  }
  throw new Error(`runbook ${id} never got the cursor:\n${s.lastFrame()}`);
}

const frame = (s: Setup) => s.lastFrame() ?? '';

describe('runbook picker', () => {
  it('Esc and q in one read from the picker: back to the dashboard, then quit', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    expect(frame(s)).toContain('Runbooks for doai-orchestrator');
    s.stdin.write('\u001Bq');
    for (let i = 0; i < 50 && s.exits.length === 0; i++) await delay(20);
    expect(s.exits).toEqual([0]);
  });

  it('b lists every built-in runbook with level, approval and target for the selected service', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    const f = frame(s);
    expect(f).toContain('Runbooks for doai-orchestrator — 10 of 10');
    for (const id of BUILTINS) expect(f, id).toMatch(new RegExp(`L\\d\\s+${id}\\s`));
    expect(f).toMatch(/L1\s+l1-soft-reset\s+auto\s+service doai-orchestrator\s+L1 Soft Reset/);
    expect(f).toMatch(/L2\s+git-rollback\s+code\s+service doai-orchestrator/);
    // A host runbook runs on the service's host.
    expect(f).toMatch(/L3\s+l3-box-reset\s+two-step\s+host vultr\s+L3 Box Reset/);
    // The selected one's description and parameters.
    expect(f).toContain('parameters: compose_dir, compose_service');
    await key(s, 'runbooks.back');
    expect(frame(s)).toMatch(/doai-orchestrator\s+DOWN/);
    expect(s.starts).toEqual([]);
  });

  it('a host selected in the hosts pane shows only host runbooks; a shows them all', async () => {
    const s = await setup({ hostsPane: true });
    await key(s, 'pane.next');
    await key(s, 'runbooks.show');
    let f = frame(s);
    expect(f).toContain('Runbooks for db-box — 1 of 10');
    expect(f).toMatch(/L3\s+l3-box-reset\s+two-step\s+host db-box/);
    expect(f).not.toContain('l1-soft-reset');
    await key(s, 'runbooks.scope');
    f = frame(s);
    expect(f).toContain('All runbooks — 10');
    // Without a service selected, a service runbook asks for its target in the form: one of the kinds it fits.
    expect(f).toMatch(/l1-soft-reset\s+auto\s+any orchestrator \| proxy/);
    await key(s, 'runbooks.scope');
    expect(frame(s)).toContain('1 of 10');
  });

  it('Enter opens the form: target pre-filled, defaults filled for that target, descriptions shown', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'git-rollback');
    await key(s, 'runbooks.choose');
    const f = frame(s);
    expect(f).toContain('L2 · Roll back to an earlier commit and rebuild · code approval · git-rollback');
    expect(f).toMatch(/target \(service\):\s+doai-orchestrator/);
    // {{service.app_dir}} filled by the engine for this service, not shown as a template.
    expect(f).toMatch(/› repo_dir:\s+\/srv\/o4o\/apps\/api-server/);
    expect(f).toContain('git repository directory');
    expect(f).toMatch(/installer:\s+pnpm/);
    expect(f).toMatch(/app:\s+doai-orchestrator/);
    await key(s, 'runform.back');
    expect(frame(s)).toContain('Runbooks for doai-orchestrator');
  });

  it('a bad typed value is refused in words before anything starts; letters typed do not fire commands', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'postgres-restore');
    await key(s, 'runbooks.choose');
    expect(frame(s)).toMatch(/› database:/);
    await type(s, 'xyz;rm');
    expect(frame(s)).toMatch(/› database:\s+xyz;rm/);
    await key(s, 'runform.submit');
    let f = frame(s);
    expect(f).toMatch(/✗ parameter "database" must be a PostgreSQL database name/);
    expect(f).toContain('got "xyz;rm"');
    expect(f).toMatch(/› database:/);
    // From the last field too: every value is checked, the bad one gets the focus back.
    await key(s, 'runform.next', 3);
    expect(frame(s)).toMatch(/› backup:/);
    await key(s, 'runform.submit');
    f = frame(s);
    expect(f).toMatch(/› database:\s+xyz;rm/);
    expect(f).toContain('✗ parameter "database" must be');
    expect(s.starts).toEqual([]);
    // q, b, d and r typed into the field are letters, not quit/back/dry run/reload.
    await type(s, 'qbdr');
    expect(frame(s)).toMatch(/› database:\s+xyz;rmqbdr/);
    expect(s.exits).toEqual([]);
    // The error follows the typing and goes once the value is right.
    await clear(s, 'xyz;rmqbdr'.length);
    await type(s, 'o4o_platform');
    expect(frame(s)).not.toContain('✗ parameter "database"');
    expect(s.starts).toEqual([]);
  });

  it('a listed parameter is loaded from the target, picked from the list, and start() receives the pick', async () => {
    const s = await setup();
    let release!: (a: Answer) => void;
    s.shell.answers.push({ match: /git -C .* log --all --reflog/, answer: new Promise<Answer>((r) => (release = r)) });
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'git-rollback');
    await key(s, 'runbooks.choose');
    await key(s, 'runform.submit'); // repo_dir → commit
    let f = frame(s);
    expect(f).toMatch(/› commit:/);
    expect(f).toContain('loading choices from vultr…');
    // Nothing can be started while the list is on its way.
    await key(s, 'runform.submit');
    expect(s.starts).toEqual([]);
    release({ code: 0, stdout: COMMITS });
    f = await waitForFrame(s.lastFrame, (x) => x.includes('a1b2c3d'));
    expect(f).toContain("2 listed by vultr: git -C '/srv/o4o/apps/api-server' log --all --reflog");
    expect(f).toContain('1 printed lines are not valid values and are not offered: not-a-commit line');
    expect(f).toMatch(/› a1b2c3d 2026-01-03 fix: pool size back to 20/);
    expect(f).not.toMatch(/› not-a-commit/);
    const listing = s.shell.execs.find((e) => e.command.includes('log --all --reflog'));
    expect(listing).toEqual({
      host: 'vultr',
      command:
        "git -C '/srv/o4o/apps/api-server' log --all --reflog --date-order --format='%h %ad %s' --date=short -n 30 | awk -v head=\"$(git -C '/srv/o4o/apps/api-server' rev-parse --short HEAD)\" '$1 == head { print $0 \" (current)\"; next } { print }'",
    });
    await key(s, 'runform.down');
    expect(frame(s)).toMatch(/› e4f5a6b 2026-01-02 feat: device groups/);
    await key(s, 'runform.submit'); // commit → installer
    expect(frame(s)).toMatch(/› installer:/);
    await key(s, 'runform.down'); // npm
    await key(s, 'runform.submit'); // installer → app
    expect(frame(s)).toMatch(/› app:\s+doai-orchestrator/);
    await key(s, 'runform.submit'); // last field: start
    expect(s.starts).toEqual([
      {
        runbookId: 'git-rollback',
        target: 'doai-orchestrator',
        opts: { dryRun: false, params: { repo_dir: '/srv/o4o/apps/api-server', commit: 'e4f5a6b', installer: 'npm', app: 'doai-orchestrator' } },
      },
    ]);
    // The run screen shows the run, waiting at its approval; the START line is on disk.
    f = await waitForFrame(s.lastFrame, (x) => x.includes('Roll back to an earlier commit and rebuild · doai-orchestrator · orion'));
    expect(f).toContain('Roll back to an earlier commit and rebuild · doai-orchestrator · orion');
    expect(s.engine.activeRuns().map((r) => r.runbook)).toEqual(['git-rollback']);
  });

  it('a listing that fails says why in words, offers no free-text field, and r lists again', async () => {
    const s = await setup();
    s.shell.answers.push({ match: /test -d "\$d"/, answer: { code: 1, stderr: ['no directory /data/backups/sqlite/daily'] } });
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'sqlite-restore');
    await key(s, 'runbooks.choose');
    await key(s, 'runform.next', 3); // db_path → backup_dir → as_of → backup
    let f = await waitForFrame(s.lastFrame, (x) => x.includes('cannot list the choices'));
    expect(f).toMatch(/› backup:/);
    const words = f.replace(/\s+/g, ' ');
    expect(words).toContain('cannot list the choices (press r to try again): listing the choices of "backup" on vultr failed (exit code 1)');
    expect(words).toContain('no directory /data/backups/sqlite/daily');
    // Typed text goes nowhere: the field is a list, never a text box.
    await type(s, '/etc/passwd');
    expect(frame(s)).not.toContain('/etc/passwd');
    await key(s, 'runform.submit');
    expect(s.starts).toEqual([]);
    s.shell.answers[0] = { match: /test -d "\$d"/, answer: { code: 0, stdout: ['/data/backups/sqlite/daily/refserver_20260103.db.gz 2026-01-03 03:00 1.2MB'] } };
    await key(s, 'runform.reload');
    f = await waitForFrame(s.lastFrame, (x) => x.includes('refserver_20260103'));
    expect(f).toContain('1 listed by vultr');
    expect(f).not.toContain('cannot list the choices');
  });

  it('d in the picker dry-runs: the run screen shows every command with its host, nothing runs', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'l2-service-reset');
    await key(s, 'runbooks.dryrun');
    expect(s.starts).toEqual([{ runbookId: 'l2-service-reset', target: 'doai-orchestrator', opts: { dryRun: true } }]);
    const f = await waitForFrame(s.lastFrame, (x) => x.includes('dry run: nothing ran') && x.includes('systemctl start'));
    expect(f).toContain('DRY RUN — nothing is executed');
    expect(f).toMatch(/\[dry-run\] ssh root@vultr: systemctl stop 'doai-orchestrator'/);
    expect(s.shell.execs).toEqual([]);
  });

  it('d on a runbook that needs a typed value opens the form as a dry run; the plan shows the listed pick as a placeholder', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'postgres-restore');
    await key(s, 'runbooks.dryrun');
    let f = frame(s);
    expect(s.starts).toEqual([]);
    expect(f).toContain('DRY RUN · L2 · PostgreSQL restore from dump (name swap) — nothing runs');
    expect(f).toContain('picked from the list on vultr when it runs');
    await type(s, 'o4o_platform');
    await key(s, 'runform.submit', 4);
    expect(s.starts).toEqual([
      { runbookId: 'postgres-restore', target: 'doai-orchestrator', opts: { dryRun: true, params: { database: 'o4o_platform', db_user: 'postgres', backup_dir: '/var/backups/doai' } } },
    ]);
    f = await waitForFrame(s.lastFrame, (x) => x.includes('[dry-run]'));
    expect(f).toContain('DRY RUN — nothing is executed');
    expect(f).toMatch(/\[dry-run\] parameter backup: would be picked from the list `ls -1td -- '\/var\/backups\/doai'/);
    expect(f).toContain("ssh root@vultr: u='postgres'; r='o4o_platform'_restore;");
    // A dry run lists nothing on the host either.
    expect(s.shell.execs).toEqual([]);
  });

  it('the target list offers the services the runbook fits; changing it refills the defaults', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'postgres-restore');
    await key(s, 'runbooks.choose');
    await key(s, 'runform.prev'); // to the target
    let f = frame(s);
    expect(f).toMatch(/› target \(service\):\s+doai-orchestrator/);
    expect(f).toMatch(/› doai-orchestrator/);
    expect(f).toMatch(/ postgresql/);
    // caddy is a proxy: postgres-restore does not fit it, so it is not offered.
    expect(f).not.toMatch(/^\s+caddy\s*$/m);
    expect(f).toMatch(/backup_dir:\s+\/var\/backups\/doai/);
    await key(s, 'runform.down');
    f = frame(s);
    expect(f).toMatch(/› target \(service\):\s+postgresql/);
    // postgresql's host keeps its dumps elsewhere: the default follows the target.
    expect(f).toMatch(/backup_dir:\s+\/srv\/pgdumps/);
    await key(s, 'runform.down');
    expect(frame(s)).toMatch(/› target \(service\):\s+postgresql/);
  });

  it('a proxy selected: only the runbooks that fit it (L1, and L3 on its host); a shows all, and a misfit is refused with the reason', async () => {
    const s = await setup();
    await key(s, 'select.down');
    expect(frame(s)).toMatch(/› caddy\s+UP/);
    await key(s, 'runbooks.show');
    let f = frame(s);
    expect(f).toContain('Runbooks for caddy — 2 of 10');
    expect(f).toMatch(/L1\s+l1-soft-reset\s+auto\s+service caddy/);
    expect(f).toMatch(/L3\s+l3-box-reset\s+two-step\s+host vultr/);
    for (const id of BUILTINS.filter((b) => b !== 'l1-soft-reset' && b !== 'l3-box-reset')) expect(f, id).not.toContain(id);
    await key(s, 'runbooks.scope');
    f = frame(s);
    expect(f).toContain('All runbooks — 10');
    // Not for caddy: the row names the kind it fits instead of the selected service.
    expect(f).toMatch(/l2-service-reset\s+code\s+any orchestrator service/);
    expect(s.starts).toEqual([]);
    // The engine refuses the misfit whoever asks (headless run, r, an old form), saying why.
    expect(s.engine.start('l2-service-reset', 'caddy')).toEqual({ ok: false, error: 'l2-service-reset fits an orchestrator service; caddy is a proxy' });
    expect(s.engine.start('pm2-restart', 'caddy', { dryRun: true })).toEqual({ ok: false, error: expect.stringContaining('pm2-restart fits a pm2 service; caddy is a proxy') });
  });

  it('starting from the form on a service that is UP asks first; n keeps the form and starts nothing', async () => {
    const s = await setup();
    await key(s, 'select.down'); // caddy, UP (services worst first, then by name)
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'l1-soft-reset');
    await key(s, 'runbooks.choose');
    expect(frame(s)).toMatch(/target \(service\):\s+caddy/);
    await key(s, 'runform.submit');
    expect(frame(s)).toContain('caddy is UP — restart anyway with L1 Soft Reset? (y/n)');
    expect(s.starts).toEqual([]);
    await key(s, 'confirm.no');
    expect(s.starts).toEqual([]);
    expect(frame(s)).toMatch(/target \(service\):\s+caddy/);
    await key(s, 'runform.submit');
    await key(s, 'confirm.yes');
    expect(s.starts).toEqual([{ runbookId: 'l1-soft-reset', target: 'caddy', opts: { dryRun: false, params: {} } }]);
  });

  it('a start the engine refuses (target locked by another operator) keeps the form and says why', async () => {
    const s = await setup();
    const held = acquireLock(s.lockDir, 'doai-orchestrator', { operator: 'kim', runbook: 'l2-service-reset', level: 'L2', since: T0.toISOString(), runId: 'r-kim' });
    expect(held.ok).toBe(true);
    await key(s, 'runbooks.show');
    await selectRunbook(s, 'l1-soft-reset');
    await key(s, 'runbooks.choose');
    expect(frame(s)).toMatch(/› target \(service\):\s+doai-orchestrator/);
    await key(s, 'runform.submit');
    const f = frame(s).replace(/\s+/g, ' ');
    expect(s.starts).toHaveLength(1);
    expect(f).toContain('Not started: L2 in progress by kim since');
    expect(f).toContain('L1 · L1 Soft Reset · auto approval');
    expect(s.engine.activeRuns()).toEqual([]);
  });

  it('? lists the picker and form keys; no key is bound twice on either screen', async () => {
    const s = await setup();
    await key(s, 'runbooks.show');
    await key(s, 'help');
    let f = frame(s);
    expect(f).toContain('Runbooks');
    expect(f).toContain('Dry run of the selected runbook');
    await key(s, 'help.close');
    await key(s, 'runbooks.choose');
    await key(s, 'runform.next');
    const state: CommandState = { readOnly: false, demo: false, hasRecommendation: false, hasRuns: false };
    for (const screen of ['runbooks', 'runbook-form'] as const) {
      for (const field of ['text', 'list', 'listed'] as const) {
        // The screen's own back key shadows the global q (q backs out): count the keys that act.
        const st = { ...state, runbooks: { canScope: true, field } };
        const keys = commandsFor(commands, screen, st).flatMap((c) => keysShown(commands, screen, c, st));
        expect(new Set(keys).size, `${screen}/${field}: ${keys.join(' ')}`).toBe(keys.length);
      }
    }
    f = frame(s);
    expect(f).toMatch(/› compose_service:/);
  });

  it.each(['en', 'ko'] as const)('picker and form fit 80 × 24 in %s', async (lang) => {
    const s = await setup({ lang, width: 80, height: 24 });
    await key(s, 'runbooks.show');
    const check = (f: string) => {
      const lines = f.split('\n');
      expect(lines.length).toBeLessThanOrEqual(23);
      for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(80);
    };
    let f = frame(s);
    check(f);
    for (const id of BUILTINS) expect(f, id).toContain(id);
    expect(f).toContain(lang === 'ko' ? 'L1 소프트 리셋' : 'L1 Soft Reset');
    expect(f).toContain(lang === 'ko' ? '도움말' : 'help');
    const footer = commands.find((c) => c.id === 'runbooks.dryrun')!.label[lang];
    expect(f).toContain(footer);
    await selectRunbook(s, 'git-rollback');
    s.shell.answers.push({ match: /log --format/, answer: { code: 0, stdout: Array.from({ length: 20 }, (_, i) => `${(0xa1b2c30 + i).toString(16)} 2026-01-${String(i + 1).padStart(2, '0')} change ${i}`) } });
    await key(s, 'runbooks.choose');
    await key(s, 'runform.submit');
    f = await waitForFrame(s.lastFrame, (x) => x.includes('change 0'));
    check(f);
    expect(f).toContain(lang === 'ko' ? '승인: 승인 코드' : 'code approval');
    expect(f).toMatch(/› commit:/);
    expect(f).toMatch(/installer:/);
    expect(f).toMatch(/app:/);
    // The footer is still on screen under a 20-commit list.
    expect(f.split('\n').at(-1)).toContain(lang === 'ko' ? '뒤로' : 'back');
  });
});
