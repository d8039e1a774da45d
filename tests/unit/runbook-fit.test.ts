// Runbooks fit kinds of service (issue 12 item 1): the config says what each service is (kind:,
// proxy:), the built-ins say what they fit (fits:), and the engine, the recommendation and the
// picker's summaries offer and start only fitting runbooks. The built-in runbooks of actions/ and
// the real config parser; the engine runs dry (nothing reaches a host).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { ConfigError, parseConfig } from '../../src/config/load';
import { configSchema, type Config } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import type { Recommendation } from '../../src/core/views';
import { createRunEngine } from '../../src/runbook/engine';
import { FileLockStore } from '../../src/runbook/locks';
import { fitProblem, fitRecommendation, fittingTargets } from '../../src/runbook/fit';
import { parseRunbook } from '../../src/runbook/loader';
import type { ExecResult, RemoteShell } from '../../src/ssh/types';
import { builtinRunbook } from '../helpers/recovery-rig';

// The built-ins of seeds 000-003 (each file parsed on its own: another runbook's problem is not this file's).
const BUILTINS = ['compose-restart', 'git-rollback', 'l1-soft-reset', 'l2-service-reset', 'l3-box-reset', 'nginx-restart', 'pm2-restart', 'postgres-restart', 'postgres-restore', 'sqlite-restore'];
const runbooks = new Map(BUILTINS.map((id) => [id, builtinRunbook(id)] as const));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(): Config {
  return configSchema.parse({
    hosts: [
      { name: 'vm', address: '127.0.0.1' },
      { name: 'db', address: '127.0.0.2' },
    ],
    services: [
      { name: 'doai-orchestrator', host: 'vm', kind: 'orchestrator', proxy: 'caddy', unit: 'doai-orchestrator', health_url: 'http://127.0.0.1:1/health' },
      { name: 'caddy', host: 'vm', kind: 'proxy', unit: 'caddy', health_url: 'http://127.0.0.1:2/' },
      { name: 'api-server', host: 'vm', kind: ['pm2', 'git'], health_url: 'http://127.0.0.1:3/health', app_dir: '/srv/api' },
      { name: 'pg', host: 'db', kind: 'postgres', unit: 'postgresql', health_url: 'http://127.0.0.2:1/' },
      { name: 'worker', host: 'db', unit: 'worker' },
    ],
  });
}

class NoShell implements RemoteShell {
  executed: string[] = [];
  async exec(_host: string, command: string): Promise<ExecResult> {
    this.executed.push(command);
    return { code: 0 };
  }
  async probe(): Promise<{ ok: true }> {
    return { ok: true };
  }
  close(): void {}
}

function engine(cfg = config()) {
  const dir = mkdtempSync(join(tmpdir(), 'doai-fit-'));
  dirs.push(dir);
  const shell = new NoShell();
  const e = createRunEngine({
    config: cfg,
    runbooks,
    shell,
    clock: new FakeClock(new Date('2026-03-01T10:00:00Z')),
    operator: 'orion',
    audit: new AuditLog(join(dir, 'emergency.log')),
    journalDir: join(dir, 'journal'),
    locks: new FileLockStore(join(dir, 'locks')),
    approve: async () => ({ ok: true, approver: 'vega' }),
    batchMs: 0,
  });
  return { e, shell, dir };
}

describe('what a runbook fits', () => {
  it('the engine refuses a runbook on a service it does not fit, saying what it fits and what the target is', () => {
    const { e, shell } = engine();
    expect(e.start('l2-service-reset', 'caddy')).toEqual({ ok: false, error: 'l2-service-reset fits an orchestrator service; caddy is a proxy' });
    expect(e.start('pm2-restart', 'caddy', { dryRun: true })).toMatchObject({ ok: false, error: expect.stringContaining('pm2-restart fits a pm2 service; caddy is a proxy') });
    expect(e.start('git-rollback', 'pg', { dryRun: true })).toMatchObject({ ok: false, error: expect.stringContaining('git-rollback fits a pm2 + git service; pg is a postgres') });
    expect(e.start('sqlite-restore', 'api-server', { dryRun: true })).toMatchObject({ ok: false, error: expect.stringContaining('sqlite-restore fits a sqlite + compose service; api-server is a pm2 + git') });
    // A service without kind: is a plain systemd unit: L1 fits it, L2 does not.
    expect(e.start('l2-service-reset', 'worker', { dryRun: true })).toMatchObject({ ok: false, error: expect.stringContaining('worker is a plain systemd service (set kind: in the config)') });
    expect(shell.executed).toEqual([]);
  });

  it("L2 takes the proxy from the orchestrator's proxy: in the config, never from the target's name", async () => {
    const { e } = engine();
    const started = e.start('l2-service-reset', 'doai-orchestrator', { dryRun: true });
    if (!started.ok) throw new Error(started.error);
    await e.waitFor(started.runId);
    const plan = e.getOutput(started.runId, 500).map((l) => l.line).join('\n');
    expect(plan).toContain("systemctl stop 'doai-orchestrator' && systemctl stop 'caddy'");
    expect(plan).toContain("journalctl -u '\\''caddy'\\'' -n 200 --no-pager' > '/var/log/doai/snapshots/20260301_100000/caddy.log'");
    expect(plan).toContain("systemctl start 'caddy'");
    // An orchestrator whose proxy is another unit gets that unit.
    const other = config();
    other.services[1] = { ...other.services[1]!, unit: 'nginx-edge' };
    const { e: e2 } = engine(other);
    const s2 = e2.start('l2-service-reset', 'doai-orchestrator', { dryRun: true });
    if (!s2.ok) throw new Error(s2.error);
    await e2.waitFor(s2.runId);
    expect(e2.getOutput(s2.runId, 500).map((l) => l.line).join('\n')).toContain("systemctl stop 'doai-orchestrator' && systemctl stop 'nginx-edge'");
    // No proxy declared: refused before anything runs, saying what to add.
    const bare = config();
    delete bare.services[0]!.proxy;
    expect(engine(bare).e.start('l2-service-reset', 'doai-orchestrator', { dryRun: true })).toMatchObject({ ok: false, error: expect.stringContaining('service "doai-orchestrator" has no proxy; add proxy: <the name of its proxy service> to it in the config') });
  });

  it("L3's units default to the host's orchestrator and its proxy", () => {
    const { e } = engine();
    expect(e.paramDefaults?.('l3-box-reset', 'vm')).toEqual({ ok: true, values: { service_unit: 'doai-orchestrator', proxy_unit: 'caddy' } });
  });

  it('summaries list the targets each runbook fits', () => {
    const { e } = engine();
    const targets = Object.fromEntries(e.listRunbooks().map((r) => [r.id, r.targets]));
    expect(targets['l1-soft-reset']).toEqual(['doai-orchestrator', 'caddy', 'worker']);
    expect(targets['l2-service-reset']).toEqual(['doai-orchestrator']);
    expect(targets['pm2-restart']).toEqual(['api-server']);
    expect(targets['git-rollback']).toEqual(['api-server']);
    expect(targets['postgres-restart']).toEqual(['pg']);
    expect(targets['nginx-restart']).toEqual([]);
    expect(targets['l3-box-reset']).toEqual(['vm', 'db']);
    expect(fittingTargets(runbooks.get('sqlite-restore')!, config())).toEqual([]);
  });

  it('a runbook without fits: fits any service; fits: needs a service target', () => {
    const custom = parseRunbook('id: mine\nlevel: L1\naudit_name: MINE\ntitle: { ko: "내것", en: "Mine" }\napproval: auto\ntarget: service\nsteps:\n  - { id: a, kind: wait, seconds: 1 }\n', 'mine.yaml');
    if (!custom.ok) throw new Error(custom.problems.join('\n'));
    expect(fitProblem(custom.runbook, { name: 'x', kind: 'anything' })).toBeUndefined();
    const bad = parseRunbook('id: mine\nlevel: L1\naudit_name: MINE\ntitle: { ko: "내것", en: "Mine" }\napproval: auto\ntarget: host\nfits: [pm2]\nsteps:\n  - { id: a, kind: wait, seconds: 1 }\n', 'mine.yaml');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toContain('fits: only with target: service');
  });
});

describe('config: kind and proxy', () => {
  it('kind defaults to systemd; a proxy must name another service on the same host with a unit', () => {
    const base = 'hosts:\n  - { name: vm, address: 127.0.0.1 }\n  - { name: db, address: 127.0.0.2 }\nservices:\n';
    const ok = parseConfig(`${base}  - { name: o, host: vm, kind: orchestrator, proxy: c, unit: o }\n  - { name: c, host: vm, kind: proxy, unit: c }\n  - { name: w, host: vm }\n`, 'c.yaml');
    expect(ok.config.services.map((s) => s.kind)).toEqual(['orchestrator', 'proxy', 'systemd']);
    const problem = (text: string) => {
      try {
        parseConfig(base + text, 'c.yaml');
      } catch (err) {
        return (err as ConfigError).message;
      }
      return 'accepted';
    };
    expect(problem('  - { name: o, host: vm, kind: orchestrator, proxy: nope }\n')).toContain('expected another service declared under services (the proxy in front of "o"), found "nope"');
    expect(problem('  - { name: o, host: vm, proxy: c }\n  - { name: c, host: db, unit: c }\n')).toContain('expected a service on the same host as "o" (vm), found "c" on db');
    expect(problem('  - { name: o, host: vm, proxy: c }\n  - { name: c, host: vm }\n')).toContain('expected a service with a unit: (L2 stops and starts it), found "c" without one');
    expect(problem('  - { name: o, host: vm, kind: Orchestrator }\n')).toContain('a service kind such as orchestrator');
  });
});

describe('recommendation: only a runbook that fits', () => {
  const cfg = config();
  const rec = (level: Recommendation['level'], runbook: string, target: string): Recommendation => ({ level, runbook, target, reason: { ko: `${target} 무응답 → X`, en: `${target} down → X` } });

  it('kept when it fits', () => {
    const r = rec('L1', 'l1-soft-reset', 'caddy');
    expect(fitRecommendation(r, cfg, runbooks)).toBe(r);
  });

  it("L2 on a proxy goes to the orchestrator behind it, saying so", () => {
    expect(fitRecommendation(rec('L2', 'l2-service-reset', 'caddy'), cfg, runbooks)).toEqual({
      level: 'L2',
      runbook: 'l2-service-reset',
      target: 'doai-orchestrator',
      reason: { ko: 'caddy 무응답 (caddy은(는) doai-orchestrator의 프록시) → L2 서비스 리셋', en: "caddy down (caddy is doai-orchestrator's proxy) → L2 Service Reset" },
    });
  });

  it("a service's own runbook at that level or the next: pm2-restart for a pm2 app, postgres-restart (not the restore) for a database", () => {
    expect(fitRecommendation(rec('L1', 'l1-soft-reset', 'api-server'), cfg, runbooks)).toMatchObject({ level: 'L1', runbook: 'pm2-restart', target: 'api-server', reason: { en: 'api-server down → pm2 API server restart' } });
    expect(fitRecommendation(rec('L1', 'l1-soft-reset', 'pg'), cfg, runbooks)).toMatchObject({ level: 'L2', runbook: 'postgres-restart', target: 'pg' });
    expect(fitRecommendation(rec('L2', 'l2-service-reset', 'worker'), cfg, runbooks)).toBeUndefined();
  });
});
