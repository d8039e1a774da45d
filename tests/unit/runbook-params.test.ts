// Parameter validation (R-RUN-8): every typed parameter refuses injection attempts with a message
// saying why; values that reach a shell are inert (proved with a real /bin/sh); choices from the
// target are parsed and checked; bad parameter definitions are refused when the file loads.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/loader';
import { paramTypeProblem, parseChoices, resolveParamValues, validateParamValue, type ParamType } from '../../src/runbook/params';
import type { Runbook, RunbookParam } from '../../src/runbook/schema';
import { renderTemplate } from '../../src/runbook/template';

const INJECTIONS = ['; rm -rf /', '$(id)', '`id`', 'ok\nrm -rf /', 'ok\rrm', 'a && b', 'a | b', '-rf', '--upload-pack=x', '\u001b[2J', 'a\u0000b'];
const names = { services: ['api-server', 'postgresql'], hosts: ['api-1'] };

function param(p: Partial<RunbookParam>): RunbookParam {
  return { type: 'string', ...p } as RunbookParam;
}

describe('each typed parameter refuses injection attempts with a reason', () => {
  const typed: ParamType[] = ['int', 'unit', 'name', 'service', 'host', 'path', 'file', 'commit', 'database'];
  for (const type of typed) {
    it(type, () => {
      for (const bad of INJECTIONS) {
        const why = validateParamValue('x', param({ type }), bad, names);
        expect(why, `${type} accepted ${JSON.stringify(bad)}`).toMatch(new RegExp(`^parameter "x" (\\(${type}\\) rejects .+: .+|must be .+, got .+)`));
      }
    });
  }

  it('string refuses control characters (newline, CR, ESC, NUL) and names them', () => {
    expect(validateParamValue('note', param({}), 'ok\nrm -rf /')).toBe('parameter "note" (string) rejects "ok\\nrm -rf /": it contains a newline');
    expect(validateParamValue('note', param({}), 'a\rb')).toMatch(/a carriage return$/);
    expect(validateParamValue('note', param({}), '\u001b[2J')).toMatch(/a control character \(U\+001B\)$/);
    expect(validateParamValue('note', param({}), '')).toMatch(/it is empty$/);
  });

  it('string accepts shell metacharacters, which arrive at a real shell as inert data', () => {
    for (const value of ['; rm -rf /', '$(id)', '`id`', "it's", 'a && b > /tmp/x', '-rf', '"$HOME"']) {
      expect(validateParamValue('note', param({}), value)).toBeUndefined();
      const line = renderTemplate('printf %s {{params.note}}', () => value, 'shell');
      expect(execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' })).toBe(value);
    }
  });
});

describe('type checks', () => {
  it.each([
    ['commit', 'a1b2c3d', undefined],
    ['commit', 'A1B2C3D4E5F60718293a4b5c6d7e8f9012345678', undefined],
    ['commit', 'a1b2c3', /7 to 40 hex digits/],
    ['commit', 'a'.repeat(41), /7 to 40 hex digits/],
    ['commit', 'HEAD~1', /7 to 40 hex digits/],
    ['database', 'o4o_platform', undefined],
    ['database', 'O4O', /PostgreSQL database name/],
    ['database', '1db', /PostgreSQL database name/],
    ['database', 'a'.repeat(41), /at most 40 characters, found 41/],
    ['database', 'db"; DROP', /PostgreSQL database name/],
    ['unit', 'postgresql@14-main.service', undefined],
    ['unit', 'nginx service', /systemd unit name/],
    ['path', '/data/ROUTING AUTO TEST.accdb', undefined],
    ['path', 'data/x', /does not start with \//],
    ['path', '/data/../etc/shadow', /\.\." segment/],
    ['path', '/data/$HOME', /contains "\$"/],
    ['path', "/data/it's", /contains "'"/],
    ['file', '/data/backups/', /directory path/],
    ['name', 'api-server', undefined],
    ['name', '-rf', /not starting with -/],
    ['service', 'api-server', undefined],
    ['service', 'nope', /no service named "nope" in the config \(known: api-server, postgresql\)/],
    ['host', 'api-2', /no host named "api-2"/],
    ['int', '42', undefined],
    ['int', '4.2', /whole number/],
  ] as [ParamType, string, RegExp | undefined][])('%s %j', (type, value, expected) => {
    const why = paramTypeProblem(type, value, names);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });

  it('a plain type mismatch says what the value must be', () => {
    expect(validateParamValue('commit', param({ type: 'commit' }), 'HEAD~1')).toBe('parameter "commit" must be a git commit hash of 7 to 40 hex digits, got "HEAD~1"');
  });

  it('pattern and static choices apply on top of the type', () => {
    expect(validateParamValue('app', param({ type: 'name', pattern: 'api-.*' }), 'web')).toBe('parameter "app" must match api-.*, got "web"');
    expect(validateParamValue('pm', param({ type: 'choice', choices: ['pnpm', 'npm'] }), 'yarn')).toBe('parameter "pm" must be one of: pnpm, npm; got "yarn"');
    expect(validateParamValue('pm', param({ type: 'choice', choices: ['pnpm', 'npm'] }), 'npm')).toBeUndefined();
  });
});

describe('choices listed on the target', () => {
  const backup = param({ type: 'file', choices_from: { run: 'ls -1t', timeout_s: 20, value: 'line', default: 'first' } });
  const commit = param({ type: 'commit', choices_from: { run: 'git log', timeout_s: 20, value: 'first-word', default: 'none' } });

  it('keeps valid lines in order, drops duplicates and says which lines were not valid', () => {
    const r = parseChoices('backup', backup, ['/b/new.sql.gz', '', '/b/old.sql.gz', '/b/new.sql.gz', '/b/x$(id).sql.gz', 'relative.sql']);
    expect(r.choices.map((c) => c.value)).toEqual(['/b/new.sql.gz', '/b/old.sql.gz']);
    expect(r.rejected).toEqual(['/b/x$(id).sql.gz', 'relative.sql']);
  });

  it('first-word: the commit hash is the value, the whole line the label', () => {
    const r = parseChoices('commit', commit, ['a1b2c3d 2026-01-03 fix: login', 'e4f5a6b 2026-01-02 feat: cart']);
    expect(r.choices).toEqual([
      { value: 'a1b2c3d', label: 'a1b2c3d 2026-01-03 fix: login' },
      { value: 'e4f5a6b', label: 'e4f5a6b 2026-01-02 feat: cart' },
    ]);
  });

  const rb = {
    id: 'restore',
    params: { dir: param({ type: 'path', default: '{{host.backup_dir}}' }), backup },
  } as unknown as Runbook;

  it('a value must be in the list the host printed; the default is the first (newest)', () => {
    const ctx = { resolveRef: () => '/b', listed: (n: string) => (n === 'backup' ? ['/b/new.sql.gz', '/b/old.sql.gz'] : undefined) };
    expect(resolveParamValues(rb, {}, ctx)).toEqual({ ok: true, params: { dir: '/b', backup: '/b/new.sql.gz' }, placeholders: [] });
    expect(resolveParamValues(rb, { backup: '/b/old.sql.gz' }, ctx)).toMatchObject({ ok: true, params: { backup: '/b/old.sql.gz' } });
    const typed = resolveParamValues(rb, { backup: '/etc/passwd' }, ctx);
    expect(typed).toEqual({ ok: false, error: 'parameter "backup": "/etc/passwd" is not in the list the target printed (/b/new.sql.gz, /b/old.sql.gz); pick one of those' });
  });

  it('without a listing the value is refused, never taken blind', () => {
    const r = resolveParamValues(rb, { backup: '/b/new.sql.gz' }, { resolveRef: () => '/b' });
    expect(r).toEqual({ ok: false, error: 'parameter "backup" must be picked from the list the target prints (ls -1t); list the choices first' });
  });

  it('a dry run shows a placeholder instead of listing', () => {
    const r = resolveParamValues(rb, {}, { resolveRef: () => '/b', dryRun: true });
    expect(r).toEqual({ ok: true, params: { dir: '/b', backup: "<backup: picked from the host's list>" }, placeholders: ['backup'] });
  });

  it('an unknown parameter name is refused with the list of known ones', () => {
    expect(resolveParamValues(rb, { bakup: '/x' }, {})).toEqual({ ok: false, error: 'restore has no parameter "bakup" (it takes: dir, backup)' });
  });

  it('a template default that cannot be filled says so and how to fix it', () => {
    const r = resolveParamValues(rb, {}, {});
    expect(r).toEqual({ ok: false, error: 'parameter "dir": its default "{{host.backup_dir}}" cannot be filled: {{host.backup_dir}} cannot be filled here; pass a value for "dir"' });
  });
});

describe('parameter definitions are checked when the file loads, with file:line:col', () => {
  const base = ['id: x', 'level: L1', 'audit_name: X', 'title: { ko: 가, en: x }', 'approval: auto', 'target: service'];
  const steps = ['steps:', '  - { id: a, kind: ssh, run: "echo {{params.b}}" }', ''];

  function problems(params: string[]): string[] {
    const r = parseRunbook([...base, 'params:', ...params, ...steps].join('\n'), 'x.yaml');
    return r.ok ? [] : r.problems;
  }

  it('unknown type lists the types', () => {
    expect(problems(['  b: { type: filename }'])).toEqual([expect.stringMatching(/^x\.yaml:8:\d+: params\.b\.type: expected one of: .*"commit".*found "filename"/)]);
  });

  it('choice needs choices; a bad literal default is refused', () => {
    expect(problems(['  b: { type: choice }'])).toEqual([expect.stringMatching(/^x\.yaml:8:\d+: params\.b(\.choices)?: a list of choices/)]);
    expect(problems(['  b: { type: commit, default: "HEAD~1" }'])).toEqual([expect.stringMatching(/^x\.yaml:8:\d+: params\.b\.default: a valid default: parameter "b" must be a git commit hash of 7 to 40 hex digits, got "HEAD~1"/)]);
  });

  it('choices_from may only use parameters declared before it', () => {
    const p = problems(['  b: { type: file, choices_from: { run: "ls {{params.c}}" } }', '  c: { type: path, default: /x }']);
    expect(p).toEqual([expect.stringMatching(/^x\.yaml:8:\d+: params\.b\.choices_from\.run: \{\{params\.c\}\} must name a parameter declared before "b" \(earlier: none\)/)]);
  });

  it('a step using an undeclared parameter is refused', () => {
    const r = parseRunbook([...base, 'steps:', '  - { id: a, kind: ssh, run: "echo {{params.nope}}" }', ''].join('\n'), 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/^x\.yaml:8:\d+: steps\[0\]\.run: unknown parameter \{\{params\.nope\}\}; declare it under params:/);
  });
});
