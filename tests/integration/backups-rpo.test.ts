// Backup freshness against the RPO (seed 002 "복구 목표", seed 003 RTO/RPO) read over OpenSSH's
// sshd from real folders whose files have real modification times: the same fact in `check`, the
// hosts store and its pane summary, and the checklist's "backups present" item.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { evaluateAuto } from '../../src/checklist/facts';
import { factsFrom } from '../../src/checklist/live-facts';
import { runCheck, type CheckRow } from '../../src/cli/check';
import { configSchema } from '../../src/config/schema';
import { realClock } from '../../src/core/clock';
import type { HostsSnapshot, ServiceHealth } from '../../src/core/views';
import { backupSpecsFor, readFreshness } from '../../src/health/backup-freshness';
import { createHostsStore } from '../../src/health/hosts-store';
import { createSshShell } from '../../src/ssh/shell';
import { hostsSummary } from '../../screens/dashboard/hosts-pane';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';

requireSshd();
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

let dir: string;
let sshd: RunningSshd;
let configPath: string;

const HOUR = 3_600_000;

function backupFile(path: string, ageMs: number): void {
  writeFileSync(path, 'backup');
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
}

function rawConfig() {
  return {
    paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts') },
    hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath }],
    services: [
      // Seed 003: hourly backups, RPO 1 h; the newest is 30 min old.
      { name: 'refserver', host: 'box', backups: [{ dir: join(dir, 'backups', 'sqlite'), pattern: '*.db.gz', rpo_h: 1 }, { dir: join(dir, 'backups', 'chromadb'), pattern: 'chromadb_*_full.tar.gz', rpo_h: 1 }] },
      // Seed 002: daily backups, RPO 24 h; the newest is 30 h old; the model folder does not exist.
      { name: 'routing-api', host: 'box', backups: [{ dir: join(dir, 'mnt', 'backup'), pattern: 'routing_db_*.accdb' }, { dir: join(dir, 'nowhere') }] },
    ],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rpo-'));
  sshd = await startSshd();
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`);
  mkdirSync(join(dir, 'backups', 'sqlite'), { recursive: true });
  mkdirSync(join(dir, 'backups', 'chromadb'), { recursive: true });
  mkdirSync(join(dir, 'mnt', 'backup'), { recursive: true });
  backupFile(join(dir, 'backups', 'sqlite', 'refserver_old.db.gz'), 5 * HOUR);
  backupFile(join(dir, 'backups', 'sqlite', 'refserver_new.db.gz'), 0.5 * HOUR);
  backupFile(join(dir, 'backups', 'chromadb', 'chromadb_20250120_full.tar.gz'), 0.2 * HOUR);
  // A file that does not match the pattern is not a backup, however new.
  backupFile(join(dir, 'mnt', 'backup', 'notes.txt'), 0);
  backupFile(join(dir, 'mnt', 'backup', 'routing_db_20250103.accdb'), 30 * HOUR);
  configPath = join(dir, 'console.yaml');
  writeFileSync(configPath, stringify(rawConfig()));
});

afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('backup freshness against the RPO over real SSH', () => {
  it('reads every folder of a host in one command: fresh, stale, missing folder', async () => {
    const config = configSchema.parse(rawConfig());
    const shell = createSshShell({ hosts: config.hosts, knownHostsPath: join(dir, 'known_hosts') });
    try {
      const found = await readFreshness(shell, 'box', backupSpecsFor(config, 'box'), 20_000);
      expect(found.map((f) => [f.service, f.verdict, f.newestName, f.count])).toEqual([
        ['refserver', 'ok', 'refserver_new.db.gz', 2],
        ['refserver', 'ok', 'chromadb_20250120_full.tar.gz', 1],
        ['routing-api', 'stale', 'routing_db_20250103.accdb', 1],
        ['routing-api', 'missing', undefined, 0],
      ]);
      expect(Math.abs(found[2]!.ageS! - 30 * 3600)).toBeLessThan(120);
    } finally {
      shell.close();
    }
  });

  it('check flags the stale and the missing folder (exit 1) and passes the fresh ones', async () => {
    let json = '';
    const out = { write: (s: string) => ((json += s), true) } as unknown as NodeJS.WritableStream;
    const code = await runCheck({ configPath, json: true, out, timeoutMs: 5000 });
    const rows = (JSON.parse(json) as { rows: CheckRow[] }).rows.filter((r) => r.check === 'backups');
    expect(code).toBe(1);
    expect(rows.map((r) => [r.subject, r.verdict])).toEqual([
      ['refserver', 'OK'],
      ['refserver', 'OK'],
      ['routing-api', 'FAIL'],
      ['routing-api', 'FAIL'],
    ]);
    expect(rows[0]!.detail).toMatch(/^refserver .*\/backups\/sqlite\/\*\.db\.gz: newest refserver_new\.db\.gz (29|30) min old ≤ RPO 1 h$/);
    expect(rows[2]!.detail).toMatch(/^routing-api .*\/mnt\/backup\/routing_db_\*\.accdb: newest routing_db_20250103\.accdb 30 h \d+ min old > RPO 24 h$/);
    expect(rows[3]!.detail).toMatch(/\/nowhere\/\*: no backup folder \(RPO 24 h\)$/);
    expect(rows[2]!.hint).toContain('services.routing-api.backups');
  });

  it('the hosts store reads it with the metrics; the pane summary and the checklist item use the same fact', async () => {
    const config = configSchema.parse(rawConfig());
    const shell = createSshShell({ hosts: config.hosts, knownHostsPath: join(dir, 'known_hosts') });
    const hosts = createHostsStore({ config, shell, clock: realClock(), timeoutMs: 20_000 });
    try {
      await hosts.checkNow();
      await hosts.readMetricsNow();
      const snap: HostsSnapshot = hosts.getSnapshot();
      expect(snap.hosts[0]!.backups?.map((b) => b.verdict)).toEqual(['ok', 'ok', 'stale', 'missing']);
      expect(hostsSummary(snap, 'en')).toEqual({ text: expect.stringContaining('backups over RPO on box'), bad: true });
      expect(hostsSummary(snap, 'ko').text).toContain('RPO 초과 백업: box');

      const facts = factsFrom({ fleet: { getSnapshot: () => ({ services: [] as ServiceHealth[] }) } as never, hosts })();
      const item = { check: 'backups_present', max_age_h: 24 } as const;
      expect(evaluateAuto(item, facts, { services: ['refserver'], hosts: ['box'] }, new Date())).toMatchObject({ status: 'pass', detail: { en: expect.stringContaining('newest refserver_new.db.gz') } });
      expect(evaluateAuto(item, facts, { services: ['routing-api'], hosts: ['box'] }, new Date())).toMatchObject({
        status: 'fail',
        detail: { en: expect.stringMatching(/routing_db_20250103\.accdb 30 h \d+ min old > RPO 24 h \(\+1\)$/), ko: expect.stringContaining('> RPO 24시간 (+1)') },
      });
    } finally {
      hosts.stop();
      shell.close();
    }
  });
});
