// Seed 002 (Routing ML) procedures run for real over OpenSSH's sshd: model files checked with the
// real md5sum and swapped, a real process holding a real port found with ss and ended, a local
// uvicorn (a node stand-in named so) restarted and judged by its JSON health body. docker is a
// recording stand-in with state (tests/helpers/seed-host.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort, requireSshd } from '../helpers/sshd';
import { requireTools } from '../helpers/requirements';
import { sh, startSeedHost, type SeedHost } from '../helpers/seed-host';

requireSshd();
requireTools(['/usr/bin/md5sum', '/usr/bin/ss', '/usr/bin/curl'], 'apt-get install -y coreutils iproute2 curl');

// Real SSH sessions on a shared 2-core machine: generous bounds, never fixed sleeps.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let host: SeedHost;
let uvicornPort: number;
const children: ChildProcess[] = [];

/** A real process listening on a port: node, with a command line the tests can recognise. */
function holdPort(port: number, tag: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000); // ${tag}`], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listening(port: number): boolean {
  return sh(`ss -ltnH 'sport = :${port}'`).trim() !== '';
}

beforeAll(async () => {
  uvicornPort = await freePort();
  host = await startSeedHost({
    services: {
      predictor: { health: '/api/health', app: 'routing', kind: ['uvicorn', 'model', 'access-db', 'compose'] },
      'routing-api': { health: `http://127.0.0.1:${uvicornPort}/api/health`, app: 'routing-local', kind: ['uvicorn'] },
    },
  });
  mkdirSync(join(host.dir, 'routing', 'deploy', 'docker'), { recursive: true });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // A uvicorn the runbook started (detached, so not our child) ends with the test.
  spawnSync('/usr/bin/pkill', ['-f', 'fake-uvicorn.js uvicorn']);
  await host?.close();
});

beforeEach(() => {
  host.resetCalls();
  host.answer('/api/health', { status: 200, body: '{"status":"ok","version":"1.0"}' });
  host.answer('/api/predict', { status: 422, body: '{"detail":"empty request"}' });
});

describe('model-restore (seed 002 Type 5 "모델 파일 손상")', () => {
  let models: string;

  function version(name: string, content: string): void {
    const d = join(models, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'model.pkl'), content);
    writeFileSync(join(d, 'features.json'), `{"v":"${name}"}`);
    sh(`cd '${d}' && md5sum model.pkl features.json > MD5SUMS`);
  }

  beforeEach(() => {
    models = join(host.dir, 'routing', 'deliverables', 'models');
    sh(`rm -rf '${models}'`);
    version('v20250825', 'weights of the 25th');
    version('v20250901', 'weights of the 1st');
    sh(`touch -d '2025-08-25 10:00' '${models}/v20250825' && touch -d '2025-09-01 10:00' '${models}/v20250901'`);
    // latest/ is a copy of v20250901 whose model file was damaged afterwards.
    cpSync(join(models, 'v20250901'), join(models, 'latest'), { recursive: true });
    writeFileSync(join(models, 'latest', 'model.pkl'), 'weights of the 1st, truncat');
  });

  it('a wrong checksum: the chosen version is verified, copied, swapped in (broken one kept), verified, predictor restarted, /api/predict answers', async () => {
    const e = host.engine();
    const listed = await e.listChoices('model-restore', 'predictor', 'version');
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices.map((c) => c.label)).toEqual(['v20250901 2025-09-01 10:00', 'v20250825 2025-08-25 10:00']);
    const port = new URL(host.healthUrl('/')).port;
    const r = await host.run(e, 'model-restore', 'predictor', { port });
    expect(r.outcome, JSON.stringify(r.steps) + r.detail('swap') + r.output('predict')).toBe('success');
    expect(r.steps).toEqual(['check-latest:failed', 'check-version:ok', 'stage:ok', 'swap:ok', 'restart:ok', 'predict:ok']);
    expect(r.output('check-latest')).toContain('model.pkl: FAILED');
    expect(readFileSync(join(models, 'latest', 'model.pkl'), 'utf8')).toBe('weights of the 1st');
    expect(sh(`cd '${models}/latest' && md5sum -c MD5SUMS`)).toContain('model.pkl: OK');
    const kept = readdirSync(models).filter((f) => /^latest\.corrupted\.\d{8}_\d{6}$/.test(f));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(models, kept[0], 'model.pkl'), 'utf8')).toBe('weights of the 1st, truncat');
    expect(r.output('predict')).toContain('POST /api/predict: HTTP 422');
    const compose = join(host.dir, 'routing', 'deploy', 'docker');
    expect(host.calls()).toEqual([`docker|${compose}|compose restart predictor`, `docker|${compose}|compose ps -q --status running predictor`]);
    expect(host.audit('MODEL_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'MODEL_RESTORED', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('a backup version that fails its own checksums is never copied: latest/ untouched, nothing restarted', async () => {
    writeFileSync(join(models, 'v20250825', 'model.pkl'), 'bit rot');
    const e = host.engine();
    await e.listChoices('model-restore', 'predictor', 'version');
    const r = await host.run(e, 'model-restore', 'predictor', { version: 'v20250825' });
    expect(r.outcome).toBe('failed');
    expect(r.steps.slice(0, 3)).toEqual(['check-latest:failed', 'check-version:failed', 'stage:skipped']);
    expect(r.message).toContain('the chosen version fails its checksums too: latest/ was not touched');
    expect(r.message).not.toContain('latest.corrupted');
    expect(readFileSync(join(models, 'latest', 'model.pkl'), 'utf8')).toBe('weights of the 1st, truncat');
    expect(readdirSync(models).sort()).toEqual(['latest', 'v20250825', 'v20250901']);
    expect(host.calls()).toEqual([]);
  });

  it('/api/predict failing after the swap: the run fails, the broken latest/ is kept and the message says how to put it back', async () => {
    host.answer('/api/predict', { status: 500, body: '{"detail":"Failed to load model"}' });
    const e = host.engine();
    await e.listChoices('model-restore', 'predictor', 'version');
    const port = new URL(host.healthUrl('/')).port;
    const r = await host.run(e, 'model-restore', 'predictor', { port });
    expect(r.outcome).toBe('failed');
    expect(r.steps, JSON.stringify(r.steps)).toEqual(['check-latest:failed', 'check-version:ok', 'stage:ok', 'swap:ok', 'restart:ok', 'predict:failed']);
    const kept = readdirSync(models).find((f) => /^latest\.corrupted\.\d{8}_\d{6}$/.test(f))!;
    const stamp = kept.slice('latest.corrupted.'.length);
    const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
    expect(r.message).toContain(`the previous latest/ is ${models}/${kept}. To put it back: \`mv ${q(models)}/latest ${q(models)}/latest.failed.${stamp} && mv ${q(models)}/latest.corrupted.${stamp} ${q(models)}/latest\``);
    // Following the message's command (run as printed) puts the previous latest/ back, byte for byte.
    sh(/`([^`]+)`/.exec(r.message!)![1]!);
    expect(readFileSync(join(models, 'latest', 'model.pkl'), 'utf8')).toBe('weights of the 1st, truncat');
    expect(readFileSync(join(models, `latest.failed.${stamp}`, 'model.pkl'), 'utf8')).toBe('weights of the 1st');
  });

  it('an intact latest/: nothing is copied or restarted', async () => {
    writeFileSync(join(models, 'latest', 'model.pkl'), 'weights of the 1st');
    const e = host.engine();
    await e.listChoices('model-restore', 'predictor', 'version');
    const r = await host.run(e, 'model-restore', 'predictor');
    expect(r.outcome).toBe('success');
    expect(r.steps[0]).toBe('check-latest:ok');
    expect(host.calls()).toEqual([]);
  });

  it('model-retrain streams train_model output while it runs', async () => {
    const app = join(host.dir, 'routing');
    mkdirSync(join(app, '.venv', 'bin'), { recursive: true });
    mkdirSync(join(app, 'data'), { recursive: true });
    writeFileSync(join(app, 'data', 'training_dataset.csv'), 'a,b\n1,2\n');
    const gate = join(host.dir, 'train-gate');
    // `python` of the virtualenv: prints an epoch, then waits for the test to have seen it.
    writeFileSync(join(app, '.venv', 'bin', 'python'), `#!/bin/sh\necho "train_model $*"\necho "epoch 1/2 loss=0.41"\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\necho "epoch 2/2 loss=0.22"\n`, { mode: 0o755 });
    writeFileSync(join(app, '.venv', 'bin', 'activate'), `PATH='${join(app, '.venv', 'bin')}':$PATH; export PATH\n`);
    const e = host.engine();
    e.on((ev) => {
      if (ev.type === 'step.output' && ev.line.startsWith('epoch 1/2')) writeFileSync(gate, '');
    });
    const r = await host.run(e, 'model-retrain', 'predictor');
    expect(r.outcome, r.output('train')).toBe('success');
    expect(r.output('train').split('\n')).toEqual(['train_model -m backend.cli.train_model data/training_dataset.csv --name emergency-retrain', 'epoch 1/2 loss=0.41', 'epoch 2/2 loss=0.22']);
  });
});

describe('container-recreate and port-kill (seed 002 Type 4 "Docker 컨테이너 오류", "포트 충돌 해결")', () => {
  it('a port held by a real process stops the recreate after down, naming it; port-kill ends exactly it; the recreate then passes', async () => {
    const port = await freePort();
    const holder = holdPort(port, 'stray-dev-server');
    await until('the holder to listen', () => listening(port));
    const e = host.engine();
    const blocked = await host.run(e, 'container-recreate', 'predictor', { ports: String(port) });
    expect(blocked.outcome).toBe('failed');
    expect(blocked.steps.slice(0, 3)).toEqual(['status:ok', 'down:ok', 'ports-free:failed']);
    expect(blocked.output('status')).toMatch(new RegExp(`port ${port}: .*users:\\(\\("node",pid=${holder.pid},`));
    expect(blocked.output('ports-free')).toContain(`port ${port} is held by pid ${holder.pid} (node): ${process.execPath} -e`);
    expect(blocked.output('ports-free')).toContain('stray-dev-server');
    expect(blocked.message).toContain('port-kill');

    const listed = await e.listChoices('port-kill', 'predictor', 'process', { port: String(port) });
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices).toHaveLength(1);
    expect(listed.choices[0].value).toMatch(new RegExp(`^${holder.pid} node ${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} -e .*stray-dev-server$`));
    const killed = await host.run(e, 'port-kill', 'predictor', { port: String(port), process: listed.choices[0].value });
    expect(killed.outcome, JSON.stringify(killed.steps) + killed.output('kill')).toBe('success');
    expect(killed.output('kill')).toContain(`SIGTERM sent to ${holder.pid}`);
    await until('the holder to exit', () => holder.exitCode !== null || holder.signalCode !== null);
    expect(holder.signalCode).toBe('SIGTERM');
    expect(listening(port)).toBe(false);
    expect(host.audit('PORT_KILL')).toEqual(['START', 'STEP1_APPROVED by vega', 'PROCESS_ENDED', 'SUCCESS']);

    host.resetCalls();
    const again = await host.run(e, 'container-recreate', 'predictor', { ports: String(port) });
    expect(again.outcome, JSON.stringify(again.steps)).toBe('success');
    const compose = join(host.dir, 'routing', 'deploy', 'docker');
    expect(host.calls()).toEqual([
      `docker|${process.env.HOME ?? '/root'}|ps -a`,
      `docker|${compose}|compose down --remove-orphans`,
      `docker|${compose}|compose ps -q -a`,
      `docker|${compose}|compose up -d`,
      `docker|${compose}|compose ps -q --status running`,
    ]);
  });

  it('port-kill never ends a pid that is no longer the listed process', async () => {
    const port = await freePort();
    const first = holdPort(port, 'first-holder');
    await until('the holder to listen', () => listening(port));
    const e = host.engine();
    const listed = await e.listChoices('port-kill', 'predictor', 'process', { port: String(port) });
    if (!listed.ok) throw new Error(listed.error);
    // The listed process goes away and another takes the port before the approval.
    first.kill('SIGKILL');
    await until('the port to be free', () => !listening(port));
    const second = holdPort(port, 'second-holder');
    await until('the second holder to listen', () => listening(port));
    const r = await host.run(e, 'port-kill', 'predictor', { port: String(port), process: listed.choices[0].value });
    expect(r.outcome).toBe('failed');
    expect(r.output('kill')).toContain(`pid ${first.pid} is no longer that process`);
    expect(second.exitCode).toBeNull();
    expect(listening(port)).toBe(true);
    second.kill('SIGKILL');
  });
});

describe('fit: the seed 002 runbooks start only on services of their kind', () => {
  it('a plain uvicorn API is refused the model and database runbooks, with the reason', () => {
    const e = host.engine();
    for (const rb of ['model-restore', 'predictor-db-restore', 'predictor-read-only', 'container-recreate']) {
      const r = e.start(rb, 'routing-api');
      expect(r.ok, rb).toBe(false);
      if (!r.ok) expect(r.error).toMatch(new RegExp(`^${rb} fits an? [a-z+ -]+ service; routing-api is a uvicorn`));
    }
  });
});

describe('api-restart (seed 002 Type 1 "Backend API 서버 다운")', () => {
  it('docker (its kind includes compose): restarted, but /api/health says {"status":"degraded"}: failed, and git-rollback is offered', async () => {
    host.answer('/api/health', { status: 200, body: '{"status":"degraded"}' });
    const e = host.engine();
    const r = await host.run(e, 'api-restart', 'predictor');
    expect(r.outcome).toBe('failed');
    expect(r.steps).toEqual(['cause:ok', 'restart:ok', 'health:failed']);
    expect(r.detail('health')).toContain('the JSON field "status" is "degraded", expected "ok"');
    // The predictor's kind includes compose: restarted with docker compose, not as a local process.
    expect(r.output('restart')).toContain('mode: docker (service kind uvicorn,model,access-db,compose)');
    expect(host.calls()).toContain(`docker|${join(host.dir, 'routing', 'deploy', 'docker')}|compose restart predictor`);
    expect(r.escalateTo).toBe('git-rollback');
    expect(host.audit('API_RESTART')).toEqual(['START', 'STEP1_APPROVED by auto', 'SERVICE_RESTARTED', expect.stringMatching(/^STEP_FAILED health - still failing after 12 attempts: .*"status" is "degraded", expected "ok"$/), 'FAILED - Rollback offered']);
  });

  it('local (its kind has no compose): the old uvicorn of this app is ended, a new one started detached from the virtualenv, status ok', async () => {
    const app = join(host.dir, 'routing-local');
    const venvBin = join(app, '.venv', 'bin');
    mkdirSync(venvBin, { recursive: true });
    // uvicorn of the virtualenv: a node HTTP server answering /api/health with {"status":"ok"}.
    const server = join(app, 'fake-uvicorn.js');
    writeFileSync(
      server,
      `const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ status: 'ok', pid: process.pid })); }).listen(port, '127.0.0.1');
console.log('Uvicorn running on port ' + port);\n`,
    );
    writeFileSync(join(venvBin, 'uvicorn'), `#!/bin/sh\nexec '${process.execPath}' '${server}' uvicorn "$@"\n`, { mode: 0o755 });
    writeFileSync(join(venvBin, 'activate'), `PATH='${venvBin}':$PATH; export PATH\n`);
    // The old one: alive, holding the port, but hung (it answers nothing useful).
    const old = spawn(process.execPath, [server, 'uvicorn', 'backend.run_api:app', '--port', String(await freePort())], { stdio: 'ignore' });
    children.push(old);
    await until('the old uvicorn to run', () => spawnSync('/usr/bin/pgrep', ['-f', 'uvicorn backend.run_api:app'], { encoding: 'utf8' }).stdout.includes(String(old.pid)));
    const log = join(app, 'backend.log');
    const e = host.engine();
    // No mode given: routing-api's kind is uvicorn alone, so it runs as a local process.
    const r = await host.run(e, 'api-restart', 'routing-api', { port: String(uvicornPort), log_file: log });
    expect(r.outcome, JSON.stringify(r.steps) + r.output('restart') + r.detail('health')).toBe('success');
    expect(r.output('restart')).toContain('mode: local (service kind uvicorn)');
    expect(host.calls()).toEqual([]);
    expect(r.output('restart')).toContain(`ended uvicorn pid ${old.pid}`);
    await until('the old uvicorn to exit', () => old.exitCode !== null || old.signalCode !== null);
    const body = JSON.parse(await (await fetch(`http://127.0.0.1:${uvicornPort}/api/health`)).text()) as { status: string; pid: number };
    expect(body.status).toBe('ok');
    expect(r.output('restart')).toContain(`started uvicorn pid ${body.pid}, log ${log}`);
    expect(readFileSync(log, 'utf8')).toContain(`Uvicorn running on port ${uvicornPort}`);
    process.kill(body.pid, 'SIGTERM');
  });
});

describe('predictor-db-restore and the read-only measure (seed 002 Type 2 "Access Database 접근 불가")', () => {
  let data: string;
  let backups: string;
  let db: string;
  const accdb = (body: string): Buffer => Buffer.concat([Buffer.from([0, 1, 0, 0]), Buffer.from('Standard ACE DB'), Buffer.from(body)]);

  beforeEach(() => {
    data = join(host.dir, `mnt-${Date.now()}`);
    backups = join(data, 'backup');
    db = join(data, 'routing_data', 'ROUTING AUTO TEST.accdb');
    mkdirSync(backups, { recursive: true });
    mkdirSync(join(data, 'routing_data'));
    writeFileSync(join(backups, 'routing_db_20250103.accdb'), accdb('rows of the 3rd'));
    writeFileSync(join(backups, 'routing_db_20250104.accdb'), accdb('rows of the 4th'));
    sh(`touch -d '2025-01-03 02:00' '${backups}/routing_db_20250103.accdb' && touch -d '2025-01-04 02:00' '${backups}/routing_db_20250104.accdb'`);
  });

  it('a damaged file (a path with spaces): kept as .corrupted.<stamp>, the newest backup copied in and compared, predictor restarted, status ok', async () => {
    writeFileSync(db, Buffer.alloc(4096));
    const e = host.engine();
    const listed = await e.listChoices('predictor-db-restore', 'predictor', 'backup', { db_file: db, backup_dir: backups });
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices.map((c) => c.label)).toEqual([`${backups}/routing_db_20250104.accdb 2025-01-04 02:00 34B`, `${backups}/routing_db_20250103.accdb 2025-01-03 02:00 34B`]);
    const r = await host.run(e, 'predictor-db-restore', 'predictor', { db_file: db, backup_dir: backups });
    expect(r.outcome, JSON.stringify(r.steps) + r.output('restore')).toBe('success');
    expect(r.steps).toEqual(['check:failed', 'check-backup:ok', 'keep-current:ok', 'restore:ok', 'restart:ok', 'health:ok']);
    expect(r.output('check')).toContain('not an Access database');
    expect(readFileSync(db).equals(accdb('rows of the 4th'))).toBe(true);
    const kept = readdirSync(join(data, 'routing_data')).filter((f) => /^ROUTING AUTO TEST\.accdb\.corrupted\.\d{8}_\d{6}$/.test(f));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(data, 'routing_data', kept[0])).equals(Buffer.alloc(4096))).toBe(true);
    expect(host.audit('PREDICTOR_DB_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'CURRENT_DB_KEPT', 'DB_RESTORED', 'SERVICE_RESTARTED', 'SUCCESS']);
  });

  it('still not ok after the restore: the run fails, the file it replaced is kept and the message gives the command that puts it back', async () => {
    writeFileSync(db, Buffer.alloc(4096, 7));
    host.answer('/api/health', { status: 200, body: '{"status":"degraded","detail":"Database connection failed"}' });
    const e = host.engine();
    await e.listChoices('predictor-db-restore', 'predictor', 'backup', { db_file: db, backup_dir: backups });
    const r = await host.run(e, 'predictor-db-restore', 'predictor', { db_file: db, backup_dir: backups });
    expect(r.outcome).toBe('failed');
    expect(r.steps).toEqual(['check:failed', 'check-backup:ok', 'keep-current:ok', 'restore:ok', 'restart:ok', 'health:failed']);
    const kept = readdirSync(join(data, 'routing_data')).find((f) => /^ROUTING AUTO TEST\.accdb\.corrupted\.\d{8}_\d{6}$/.test(f))!;
    const keptPath = join(data, 'routing_data', kept);
    expect(r.message).toContain(`To put it back: \`cp -p '${db}'.corrupted.${kept.slice(-15)} '${db}'\``);
    // The command as printed (the path has spaces), run through sh -c.
    sh(/`([^`]+)`/.exec(r.message!)![1]!);
    expect(readFileSync(db).equals(Buffer.alloc(4096, 7))).toBe(true);
  });

  it('a missing file whose chosen backup is not an Access file: nothing is written', async () => {
    writeFileSync(join(backups, 'routing_db_20250105.accdb'), 'HTML error page saved as a backup');
    const e = host.engine();
    await e.listChoices('predictor-db-restore', 'predictor', 'backup', { db_file: db, backup_dir: backups });
    const r = await host.run(e, 'predictor-db-restore', 'predictor', { db_file: db, backup_dir: backups, backup: join(backups, 'routing_db_20250105.accdb') });
    expect(r.outcome).toBe('failed');
    expect(r.steps.slice(0, 3)).toEqual(['check:failed', 'check-backup:failed', 'keep-current:skipped']);
    expect(r.message).not.toContain('.corrupted');
    expect(readdirSync(join(data, 'routing_data'))).toEqual([]);
    expect(host.calls()).toEqual([]);
  });

  it('read-only: the diff is shown and confirmed before the edit, the original kept; the revert runbook puts it back', async () => {
    const cfg = join(host.dir, 'routing', 'config', 'predictor_config.yaml');
    mkdirSync(join(host.dir, 'routing', 'config'), { recursive: true });
    const original = 'model_dir: deliverables/models/latest\nread_only_mode: false\nworkers: 4\n';
    writeFileSync(cfg, original);
    const e = host.engine();
    // The file must still be unchanged when the confirm prompt shows the diff.
    let atConfirm = '';
    e.on((ev) => {
      if (ev.type === 'run.prompt' && ev.prompt?.kind === 'confirm') atConfirm = readFileSync(cfg, 'utf8');
    });
    const on = await host.run(e, 'predictor-read-only', 'predictor');
    expect(on.outcome, JSON.stringify(on.steps) + on.output('apply')).toBe('success');
    expect(atConfirm).toBe(original);
    expect(on.output('diff')).toMatch(/-read_only_mode: false\n\+read_only_mode: true/);
    expect(readFileSync(cfg, 'utf8')).toBe('model_dir: deliverables/models/latest\nread_only_mode: true\nworkers: 4\n');
    const keptName = readdirSync(join(host.dir, 'routing', 'config')).find((f) => /\.before-read-only\.\d{8}_\d{6}$/.test(f))!;
    expect(readFileSync(join(host.dir, 'routing', 'config', keptName), 'utf8')).toBe(original);
    expect(host.audit('PREDICTOR_READ_ONLY')).toEqual(['START', 'STEP1_APPROVED by auto', 'READ_ONLY_ON', 'SERVICE_RESTARTED', 'SUCCESS']);

    const listed = await e.listChoices('predictor-read-only-revert', 'predictor', 'kept');
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices.map((c) => c.value)).toEqual([join(host.dir, 'routing', 'config', keptName)]);
    const off = await host.run(e, 'predictor-read-only-revert', 'predictor');
    expect(off.outcome, JSON.stringify(off.steps)).toBe('success');
    expect(off.output('diff')).toMatch(/-read_only_mode: true\n\+read_only_mode: false/);
    expect(readFileSync(cfg, 'utf8')).toBe(original);
    expect(readdirSync(join(host.dir, 'routing', 'config')).filter((f) => f.includes('.before-revert.'))).toHaveLength(1);
  });
});
