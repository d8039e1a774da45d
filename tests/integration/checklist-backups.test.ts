// "Backups present" (R-CHK-3): a real SSH `ls` of the host's backup directory (the ssh2 server
// on loopback), the newest entry's age from its name, pass / fail / unknown on the checklist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { checkBackups } from '../../src/checklist/backups';
import { evaluateAuto } from '../../src/checklist/facts';
import { createChecklistStore } from '../../src/checklist/store';
import { FakeClock } from '../../src/core/clock';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';

const NOW = new Date(2026, 0, 4, 15, 30, 0);
const listings: Record<string, { out: string[]; err?: string; code: number }> = {
  "ls -1 -- '/var/backups/doai'": { out: ['20260103_030000', '20260104_030000', 'README'], code: 0 },
  "ls -1 -- '/var/backups/old'": { out: ['20251201_030000'], code: 0 },
  "ls -1 -- '/var/backups/empty'": { out: [], code: 0 },
  "ls -1 -- '/var/backups/missing'": { out: [], err: "ls: cannot access '/var/backups/missing': No such file or directory", code: 2 },
};

let ssh: TestSshServer;
let shell: SshShell;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chk-bak-'));
  ssh = await startTestSshServer({
    onExec: (ctx) => {
      const l = listings[ctx.command];
      if (!l) {
        ctx.stderr(`sh: unexpected command ${ctx.command}\n`);
        return ctx.exit(127);
      }
      for (const line of l.out) ctx.stdout(`${line}\n`);
      if (l.err) ctx.stderr(`${l.err}\n`);
      ctx.exit(l.code);
    },
  });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${ssh.knownHostsLine}\n`);
  const config = configSchema.parse({ hosts: [{ name: 'vultr', address: '127.0.0.1', port: ssh.port, user: 'root', identity_file: ssh.clientKeyPath }] });
  shell = createSshShell({ hosts: config.hosts, knownHostsPath: knownHosts, env: {} });
}, 30_000);

afterAll(async () => {
  shell?.close();
  await ssh?.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

const check = { check: 'backups_present', max_age_h: 24 } as const;
const scope = { services: [], hosts: ['vultr'] };

describe('backups present over SSH', () => {
  it('a backup from 12 h ago passes; the dated name is what counts, not README', async () => {
    const fact = await checkBackups(shell, 'vultr', '/var/backups/doai', { now: NOW });
    expect(fact).toMatchObject({ count: 3, newestName: '20260104_030000', newestAt: new Date(2026, 0, 4, 3, 0, 0) });
    expect(evaluateAuto(check, { services: [], backups: { vultr: fact } }, scope, NOW)).toMatchObject({ status: 'pass', detail: { en: 'vultr: 20260104_030000 (12 h 30 min old)' } });
  });

  it('only an old backup fails with its age; an empty or missing directory fails with why', async () => {
    const old = await checkBackups(shell, 'vultr', '/var/backups/old', { now: NOW });
    expect(evaluateAuto(check, { services: [], backups: { vultr: old } }, scope, NOW)).toMatchObject({ status: 'fail', detail: { en: 'vultr: newest backup 20251201_030000 is 34 d old > 24 h' } });
    const empty = await checkBackups(shell, 'vultr', '/var/backups/empty', { now: NOW });
    expect(evaluateAuto(check, { services: [], backups: { vultr: empty } }, scope, NOW)).toMatchObject({ status: 'fail', detail: { en: 'vultr:/var/backups/empty is empty' } });
    const missing = await checkBackups(shell, 'vultr', '/var/backups/missing', { now: NOW });
    expect(evaluateAuto(check, { services: [], backups: { vultr: missing } }, scope, NOW)).toMatchObject({
      status: 'fail',
      detail: { en: "vultr:/var/backups/missing: ls: cannot access '/var/backups/missing': No such file or directory" },
    });
  });

  it('the checklist store runs the check for an open checklist and shows the verdict', async () => {
    const store = createChecklistStore({
      dir: join(dir, 'checklists'),
      definitions: [{ id: 'weekly', title: { en: 'Weekly', ko: '주간' }, post_recovery: false, sections: [{ id: 'w', title: { en: 'W', ko: 'W' }, items: [{ id: 'backups', text: { en: 'Backups', ko: '백업' }, auto: check }] }] }],
      clock: new FakeClock(NOW),
      operator: 'orion',
      facts: () => ({ services: [] }),
      scopeOf: () => scope,
      backups: { check: (host) => checkBackups(shell, host, '/var/backups/doai', { now: NOW }) },
      pollMs: 0,
    });
    store.start();
    store.open('weekly');
    const deadline = Date.now() + 10_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      status = store.getSnapshot().instances[0]?.sections[0]!.items[0]!.auto?.status;
      if (status === 'pass') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    store.stop();
    expect(status).toBe('pass');
  });
});
