// A parameter placeholder inside double quotes in a user runbook's `run:` line: the value is
// single-quoted for the shell, but inside double quotes those single quotes are literal, so
// `$(…)` in the value runs. Proven against OpenSSH's sshd and a real /bin/sh: the loader must
// refuse the runbook with file:line:col and the fix before anything reaches the host.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbook } from '../../src/runbook/loader';
import { refContexts } from '../../src/runbook/template';
import { runCli } from '../helpers/cli';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';

requireSshd();

let dir: string;
let sshd: RunningSshd;
let configPath: string;

const runbookText = (run: string, paramType = 'string') => `id: note
level: L1
audit_name: NOTE
title: { ko: 메모, en: Note }
approval: auto
target: service
params:
  msg: { type: ${paramType} }
steps:
  - id: say
    kind: ssh
    run: ${run}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-rb-quoted-'));
  sshd = await startSshd();
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`);
  configPath = join(dir, 'console.yaml');
  writeFileSync(
    configPath,
    stringify({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath }],
      services: [{ name: 'api', host: 'box', health_url: 'http://127.0.0.1:9/health' }],
      paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts'), audit_log: join(dir, 'emergency.log'), approvals_dir: join(dir, 'approvals') },
    }),
  );
  mkdirSync(join(dir, 'runbooks'));
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('a placeholder inside double quotes in run:', () => {
  it('is refused at load with file:line:col and the fix; the $(…) in the value never runs on the host', async () => {
    const file = join(dir, 'runbooks', 'note.yaml');
    writeFileSync(file, runbookText(String.raw`"echo \"note: {{params.msg}}\""`));
    const pwned = join(dir, 'pwned');
    const r = await runCli(['run', 'note', '--target', 'api', '--param', `msg=$(touch ${pwned})`, '--config', configPath], { timeoutMs: 30_000 });
    expect(existsSync(pwned)).toBe(false);
    expect(r.code).toBe(2);
    // Line 12 is the run: line; column 24 is where {{params.msg}} starts in the file.
    expect(r.stderr).toContain(`${file}:12:24: steps[0].run: {{params.msg}} is inside double quotes`);
    expect(r.stderr).toContain('use it bare: it is quoted for you');
  }, 40_000);

  it('written bare, the same value reaches the host as one literal word', async () => {
    writeFileSync(join(dir, 'runbooks', 'note.yaml'), runbookText(String.raw`"echo note: {{params.msg}} > ${join(dir, 'said')}"`));
    const pwned = join(dir, 'pwned-bare');
    const r = await runCli(['run', 'note', '--target', 'api', '--param', `msg=$(touch ${pwned})`, '--config', configPath], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    expect(readFileSync(join(dir, 'said'), 'utf8')).toBe(`note: $(touch ${pwned})\n`);
  }, 40_000);
});

describe('the loader', () => {
  const load = (run: string, type?: string) => parseRunbook(runbookText(run, type), '/rb/note.yaml');

  it('refuses single quotes, backticks and $(…) around a placeholder too, each at its own column', () => {
    for (const [run, context, col] of [
      [`"echo '{{params.msg}}'"`, 'single quotes', 17],
      ['"echo `cat {{params.msg}}`"', 'backticks', 21],
      ['"echo $(cat {{params.msg}})"', '$(…)', 22],
      [`"echo ok; echo \\"{{ params.msg }}\\""`, 'double quotes', 27],
    ] as const) {
      const r = load(run);
      expect(r.ok, run).toBe(false);
      if (!r.ok) expect(r.problems[0]).toContain(`/rb/note.yaml:12:${col}: steps[0].run: {{params.msg}} is inside ${context}`);
    }
  });

  it('accepts a quoted placeholder whose type cannot carry shell characters, and bare ones of any type', () => {
    expect(load(String.raw`"echo \"count: {{params.msg}}\""`, 'int').ok).toBe(true);
    expect(load(String.raw`"cd \"{{params.msg}}\""`, 'path').ok).toBe(true);
    expect(load(`"echo note: {{params.msg}} | tee -a /tmp/x"`).ok).toBe(true);
    expect(load(`"echo \\"done\\" {{params.msg}} '$HOME'"`).ok).toBe(true);
  });

  it('tells each context apart', () => {
    expect(refContexts(`a "b {{x.y}}" {{x.z}} '{{p.q}}' "$(c {{r.s}})" \`{{t.u}}\` $(d "e" {{v.w}}) "\\"{{k.l}}"`).map((c) => c.context)).toEqual([
      'double quotes',
      undefined,
      'single quotes',
      'double quotes',
      'backticks',
      '$(…)',
      'double quotes',
    ]);
  });
});
