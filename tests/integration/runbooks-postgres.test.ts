// postgres-restart and postgres-restore against a REAL PostgreSQL 15 cluster behind OpenSSH's sshd
// (issue 12 items 20, 24): the cluster is started by this file (initdb/pg_ctl as the postgres OS
// user, loopback port, temp dir removed after); the SSH sessions reach it with PGHOST/PGPORT set by
// sshd's SetEnv, and run the real psql, pg_dump, pg_restore, createdb, gzip. The only stand-in is
// systemctl, which runs pg_ctl on this cluster (there is no systemd here) and records its calls.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { configSchema, type Config } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import { createRunEngine, type RunEngine } from '../../src/runbook/engine';
import type { RunOutcome } from '../../src/runbook/events';
import { loadRunbooks } from '../../src/runbook/loader';
import { FileLockStore } from '../../src/runbook/locks';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';
import { requirePostgres, startPgCluster, type PgCluster } from '../helpers/pg-cluster';

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
  sshd = await startSshd({ maxSessions: 30, extraConfig: [`SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin PGHOST=127.0.0.1 PGPORT=${pg.port} TZ=UTC`] });
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
  const base = mkdtempSync(join(dir, 'run-'));
  auditPath = join(base, 'emergency.log');
  return createRunEngine({
    config: config(),
    runbooks,
    shell,
    clock: realClock(1000),
    operator: 'orion',
    audit: new AuditLog(auditPath),
    journalDir: join(base, 'journal'),
    locks: new FileLockStore(join(base, 'locks')),
    // The approver says yes at once; the plan it was shown is kept for the test.
    approve: async (ctx) => {
      plans.push(ctx.plan);
      return { ok: true, approver: 'vega' };
    },
  });
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
