// `check` tests what api-restart needs on the host for the mode each service's kind picks
// (docker compose where the kind includes compose, else a local uvicorn started with setsid and
// nohup), and pgrep and ss in either mode. Real OpenSSH sshd on loopback; the SSH session's PATH
// is one directory the test fills with links to the real tools (and a docker stand-in: docker is
// not installed here), so a missing tool is really missing on the "host".
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, type CheckRow } from '../../src/cli/check';
import { parseRunbook } from '../../src/runbook/loader';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';

requireSshd();

let dir: string;
let bin: string;
let sshd: RunningSshd;
let configPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-check-kinds-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  sshd = await startSshd({ extraConfig: [`SetEnv PATH=${bin}`] });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  configPath = join(dir, 'console.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath, known_hosts: knownHosts }],
      services: [
        { name: 'api-docker', host: 'box', kind: ['uvicorn', 'compose'] },
        { name: 'api-local', host: 'box', kind: 'uvicorn' },
      ],
      paths: { state_dir: join(dir, 'state'), known_hosts: knownHosts },
    }),
  );
});

afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function link(tool: string): void {
  const real = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, tool)).find((p) => existsSync(p));
  if (!real) throw new Error(`${tool} is not installed here`);
  symlinkSync(real, join(bin, tool));
}

/** What check says api-restart lacks: need → the targets named. */
async function apiRestartMissing(): Promise<Record<string, string>> {
  let json = '';
  const out = { write: (s: string) => ((json += s), true) } as unknown as NodeJS.WritableStream;
  await runCheck({ configPath, json: true, out, timeoutMs: 10_000 });
  const rows = (JSON.parse(json) as { rows: CheckRow[] }).rows.filter((r) => r.check === "commands");
  expect(rows.length, JSON.stringify(rows)).toBeGreaterThan(0);
  const missing: Record<string, string> = {};
  for (const r of rows) {
    const m = /^(?:`(.+)` fails|(\S+) is not on the PATH of an SSH session)(?: \([^)]*\))?: (.*) will fail$/.exec(r.detail);
    if (!m) continue;
    const named = m[3]!.split(', ').filter((t) => t.startsWith('api-restart on '));
    if (named.length) missing[m[1] ?? m[2]!] = named.map((t) => t.slice('api-restart on '.length)).join(', ');
  }
  return missing;
}

describe('check: api-restart needs per mode, on a real OpenSSH host', { timeout: 60_000 }, () => {
  it('names what each service lacks for its own mode, and nothing once the tools are there', async () => {
    // Only sh (every command runs under it), pgrep and setsid on the session's PATH: ss, tail,
    // nohup and docker are missing.
    link('sh');
    link('pgrep');
    link('setsid');
    expect(await apiRestartMissing()).toEqual({
      ss: 'api-docker, api-local',
      tail: 'api-docker, api-local',
      'docker compose version': 'api-docker',
      nohup: 'api-local',
    });

    // docker without its compose plugin: still failing for the docker service only.
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "docker: unknown command: docker $1" >&2; exit 1\n', { mode: 0o755 });
    link('ss');
    link('tail');
    expect(await apiRestartMissing()).toEqual({ 'docker compose version': 'api-docker', nohup: 'api-local' });

    // Every tool of both modes there: api-restart is named nowhere.
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\n[ "$1 $2" = "compose version" ] && echo "Docker Compose version v2" && exit 0; exit 1\n', { mode: 0o755 });
    link('nohup');
    expect(await apiRestartMissing()).toEqual({});
  });

  it('a need by kind is refused on a host runbook and without exactly one of when_kind / unless_kind', () => {
    const rb = (target: string, need: string) => `id: by-kind
level: L1
audit_name: BY_KIND
title: { ko: "t", en: "t" }
approval: auto
target: ${target}
needs: [${need}]
steps:
  - id: a
    kind: ssh
    run: "true"
`;
    expect(parseRunbook(rb('service', '{ need: ss, when_kind: compose }'), 'a.yaml').ok).toBe(true);
    const host = parseRunbook(rb('host', '{ need: ss, when_kind: compose }'), 'b.yaml');
    expect(host.ok ? '' : host.problems.join('\n')).toContain('when_kind / unless_kind: only with target: service');
    const both = parseRunbook(rb('service', '{ need: ss, when_kind: compose, unless_kind: compose }'), 'c.yaml');
    expect(both.ok ? '' : both.problems.join('\n')).toContain('exactly one of when_kind or unless_kind');
    const bad = parseRunbook(rb('service', '{ need: "ss; rm -rf /", when_kind: compose }'), 'd.yaml');
    expect(bad.ok).toBe(false);
  });
});
