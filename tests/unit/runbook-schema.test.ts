import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineInDir } from '../helpers/engine-in-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { builtinActionsDir, loadRunbooks, parseRunbook, RunbookLoadError } from '../../src/runbook/loader';
import { renderSteps, resolveTarget, type RunScope } from '../../src/runbook/render';
import type { Runbook, SshStep } from '../../src/runbook/schema';
import type { RemoteShell } from '../../src/ssh/types';

const repoActions = resolve(__dirname, '../../actions');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rb-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function config(overrides: { unit?: string; app_dir?: string } = {}): Config {
  const c = configSchema.parse({
    hosts: [{ name: 'vultr-1', address: '127.0.0.1', user: 'root' }],
    services: [{ name: 'orchestrator', host: 'vultr-1', unit: 'doai-orchestrator', health_url: 'http://127.0.0.1:9/health', app_dir: overrides.app_dir ?? '/opt/aifarm' }],
  });
  // Config objects can come from elsewhere than the YAML loader: the engine checks again.
  if (overrides.unit !== undefined) c.services[0].unit = overrides.unit;
  return c;
}

const shellThatMustNotRun: RemoteShell = {
  exec: () => {
    throw new Error('the shell must not be called');
  },
  probe: async () => ({ ok: false, error: 'no' }),
  close: () => {},
};

function engineFor(cfg: Config, runbooks: Map<string, Runbook>) {
  const { engine, base } = engineInDir(dir, {
    config: cfg,
    runbooks,
    shell: shellThatMustNotRun,
    clock: new FakeClock(),
    httpProbe: async () => {
      throw new Error('no http');
    },
  });
  return { base, engine };
}

const minimal = (steps: string, extra = '') => `id: t\nlevel: L1\naudit_name: T_RUN\ntitle: { ko: 테스트, en: Test }\napproval: auto\ntarget: service\n${extra}steps:\n${steps}`;

describe('the built-in L1 runbook', () => {
  it('validates and follows seed 000 step for step', () => {
    const books = loadRunbooks({ builtinDir: repoActions });
    const l1 = books.get('l1-soft-reset')!;
    expect(l1).toBeDefined();
    expect(l1).toMatchObject({ level: 'L1', audit_name: 'L1_SOFT_RESET', approval: 'auto', target: 'service' });
    expect(l1.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['health-check:http', 'restart:ssh', 'settle:wait', 'status:ssh', 'verify:poll']);
    const [health, restart, settle, status, verify] = l1.steps;
    expect(health).toMatchObject({ timeout_s: 10, may_fail: true, expect_status: 200 });
    expect(restart).toMatchObject({ run: 'systemctl restart {{service.unit}}', audit: 'SERVICE_RESTARTED', may_fail: false });
    expect(settle).toMatchObject({ seconds: 5 });
    expect(status).toMatchObject({ run: 'systemctl status {{service.unit}} --no-pager', may_fail: true });
    expect(verify).toMatchObject({ attempts: 6, interval_s: 5, check: { kind: 'http', url: '{{service.health_url}}', expect_status: 200 } });
    expect(l1.on_success.audit).toBe('SUCCESS');
    expect(l1.on_failure).toMatchObject({ audit: 'FAILED - Escalate to L2', escalate_to: 'l2-service-reset' });
    for (const s of l1.steps) expect(s.title?.ko && s.title?.en).toBeTruthy();
  });

  it('finds actions/ from the source tree and from the bundle in dist/', () => {
    expect(builtinActionsDir()).toBe(repoActions);
    expect(builtinActionsDir('file://' + resolve(__dirname, '../../dist/cli.js'))).toBe(repoActions);
  });
});

describe('runbook validation errors', () => {
  it('reports an unknown key with file:line:col and the known keys', () => {
    const r = parseRunbook(minimal('  - id: restart\n    kind: ssh\n    run: "systemctl restart {{service.unit}}"\n    timout_s: 60\n'), 'my.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^my\.yaml:11:5: steps\[0\]\.timout_s: unknown key "timout_s" \(expected one of: .*timeout_s.*\)$/);
  });

  it('says expected X, found Y for wrong types, kinds and enums', () => {
    const r = parseRunbook(minimal('  - id: a\n    kind: wait\n    seconds: soon\n  - id: b\n    kind: reboot\n').replace('approval: auto', 'approval: automatic'), 'x.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.stringMatching(/^x\.yaml:5:11: approval: expected one of: "auto", "code", "two-step", found "automatic"$/),
      expect.stringMatching(/^x\.yaml:10:14: steps\[0\]\.seconds: expected a number, found "soon"$/),
      expect.stringMatching(/^x\.yaml:12:11: steps\[1\]\.kind: expected one of: http, ssh, wait, poll, confirm, snapshot, provider-reboot, found "reboot"$/),
    ]);
  });

  it('refuses unknown template variables and undeclared params at load time', () => {
    const r = parseRunbook(minimal('  - id: a\n    kind: ssh\n    run: "echo {{service.unti}} {{params.count}}"\n'), 'y.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatch(/^y\.yaml:10:10: steps\[0\]\.run: unknown template variable \{\{service\.unti\}\}; known: .*service\.unit/);
    expect(r.problems[1]).toMatch(/unknown parameter \{\{params\.count\}\}; declare it under params:/);
    const ok = parseRunbook(minimal('  - id: a\n    kind: ssh\n    run: "echo {{params.count}}"\n', 'params:\n  count: { type: int, default: 3 }\n'), 'z.yaml');
    expect(ok.ok).toBe(true);
  });

  it('refuses {{service.*}} in a runbook that targets a host', () => {
    const r = parseRunbook(minimal('  - id: a\n    kind: ssh\n    run: "systemctl restart {{service.unit}}"\n').replace('target: service', 'target: host'), 'h.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/needs a service target/);
  });

  it('loadRunbooks lists every problem, including duplicate ids and missing extra paths', () => {
    const extra = join(dir, 'extra');
    mkdirSync(extra, { recursive: true });
    writeFileSync(join(extra, 'dup.yaml'), readFileSync(join(repoActions, 'l1-soft-reset.yaml'), 'utf8'));
    writeFileSync(join(extra, 'bad.yml'), 'id: [unclosed\n');
    writeFileSync(join(extra, 'notes.txt'), 'ignored');
    let err: unknown;
    try {
      loadRunbooks({ builtinDir: repoActions, extraPaths: [extra, join(dir, 'missing.yaml')] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookLoadError);
    const problems = (err as RunbookLoadError).problems.join('\n');
    expect(problems).toMatch(/dup\.yaml:1:1: id: runbook id "l1-soft-reset" is already defined in .*actions\/l1-soft-reset\.yaml/);
    expect(problems).toMatch(/bad\.yml:\d+:\d+: YAML syntax error/);
    expect(problems).toMatch(/missing\.yaml: no such file or directory/);
    expect(problems).not.toMatch(/notes\.txt/);
  });
});

describe('start-time checks and quoting (R-RUN-8)', () => {
  const books = () => loadRunbooks({ builtinDir: repoActions });

  it('refuses to start when the unit is not a systemd unit name, and runs nothing', () => {
    const { engine, base } = engineFor(config({ unit: 'a;rm -rf /' }), books());
    const r = engine.start('l1-soft-reset', 'orchestrator');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/cannot start l1-soft-reset on orchestrator: step "restart": service "orchestrator": unit "a;rm -rf \/" is not a valid systemd unit name/);
    expect(r.error).toMatch(/fix unit: in the config/);
    // Nothing happened: no audit line, no lock.
    expect(() => readFileSync(join(base, 'emergency.log'))).toThrow();
    expect(engine.getSnapshot().runs).toHaveLength(0);
  });

  it('refuses an unknown target and an unknown runbook with what exists', () => {
    const { engine } = engineFor(config(), books());
    const t = engine.start('l1-soft-reset', 'orchestrater');
    expect(t).toEqual({ ok: false, error: expect.stringMatching(/no service named "orchestrater" in the config.*known: orchestrator/) });
    const rb = engine.start('l9-nuke', 'orchestrator');
    expect(rb).toEqual({ ok: false, error: expect.stringMatching(/unknown runbook "l9-nuke"; available: .*l1-soft-reset/) });
  });

  it('quotes every value in a command; a quote inside a value stays literal text', () => {
    const cfg = config({ app_dir: "/opt/it's here; rm -rf /" });
    const r = parseRunbook(minimal('  - id: clear\n    kind: ssh\n    run: "find {{service.app_dir}} -name __pycache__ | wc -l && echo {{params.note}}"\n', 'params:\n  note: { default: "$(reboot) `id`" }\n'), 'q.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const target = resolveTarget(cfg, r.runbook, 'orchestrator');
    if (!target.ok) throw new Error(target.error);
    const scope: RunScope = { ...target.scope, params: { note: '$(reboot) `id`' }, run: { stamp: '20260104_153000', id: 'x', operator: 'orion' } };
    const [step] = renderSteps(r.runbook, scope) as SshStep[];
    expect(step.run).toBe(`find '/opt/it'\\''s here; rm -rf /' -name __pycache__ | wc -l && echo '$(reboot) \`id\`'`);
    expect(step.host).toBe('vultr-1');
    // What a real shell makes of the quoted values: exactly the original text, nothing executed.
    const echoed = execFileSync('/bin/sh', ['-c', `printf '%s|' ${step.run.split(' -name')[0].replace(/^find /, '')} ${step.run.split('echo ')[1]}`], { encoding: 'utf8' });
    expect(echoed).toBe("/opt/it's here; rm -rf /|$(reboot) `id`|");
  });

  it('a url must stay http(s) after substitution', () => {
    const cfg = config();
    (cfg.services[0] as { health_url?: string }).health_url = 'file:///etc/passwd';
    const { engine } = engineFor(cfg, books());
    const r = engine.start('l1-soft-reset', 'orchestrator');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/step "health-check": url "file:\/\/\/etc\/passwd" must start with http:\/\/ or https:\/\//);
  });

  it('a parameter is checked against its type before the run starts', () => {
    const r = parseRunbook(minimal('  - id: a\n    kind: ssh\n    run: "systemctl restart {{params.unit}}"\n', 'params:\n  unit: { type: unit }\n'), 'p.yaml');
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const { engine } = engineFor(config(), new Map([['t', r.runbook]]));
    const bad = engine.start('t', 'orchestrator', { params: { unit: 'x y' } });
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/parameter "unit" must be a systemd unit name/) });
    const missing = engine.start('t', 'orchestrator');
    expect(missing).toEqual({ ok: false, error: expect.stringMatching(/needs the parameter "unit"/) });
  });
});
