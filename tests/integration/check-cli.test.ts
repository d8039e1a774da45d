// `doai-console check` against real loopback servers: the demo fleet (all OK), a closed port
// (TCP refused), an ssh2 server whose key is unknown (verdict with fingerprint and the way to
// trust it; --accept-new writes known_hosts), a changed key (refused, even with --accept-new),
// a failing login, a failing health URL, and invalid config or runbooks (exit 2).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCheck, type CheckRow } from '../../src/cli/check';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { fingerprint } from '../../src/ssh/known-hosts';
import { runCli } from '../helpers/cli';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';

let dir: string;
let ssh: TestSshServer;
let http: HttpServer;
let httpPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-check-'));
  ssh = await startTestSshServer();
  http = createHttpServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 503;
    res.end('x');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  await ssh.close();
  await new Promise((r) => http.close(r));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function writeConfig(name: string, cfg: Record<string, unknown>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const path = join(d, 'console.yaml');
  writeFileSync(path, stringify({ paths: { state_dir: join(d, 'state'), known_hosts: join(d, 'known_hosts') }, ...cfg }));
  return path;
}

async function check(configPath: string, opts: { acceptNew?: boolean } = {}): Promise<{ code: number; text: string; rows: CheckRow[] }> {
  let text = '';
  const out = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  const code = await runCheck({ configPath, acceptNew: opts.acceptNew, out, timeoutMs: 3000 });
  let json = '';
  const jout = { write: (s: string) => ((json += s), true) } as unknown as NodeJS.WritableStream;
  await runCheck({ configPath, json: true, out: jout, timeoutMs: 3000 });
  return { code, text, rows: (JSON.parse(json) as { rows: CheckRow[] }).rows };
}

const row = (rows: CheckRow[], check: string, subject: string) => rows.find((r) => r.check === check && r.subject === subject);

function sshHost(name: string, extra: Record<string, unknown> = {}) {
  return { name, address: '127.0.0.1', port: ssh.port, user: 'root', identity_file: ssh.clientKeyPath, ...extra };
}

describe('check against the demo fleet', () => {
  let fleet: DemoFleet;
  beforeAll(async () => {
    fleet = await startDemoFleet({ dir: join(dir, 'demo') });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  it('every row is OK and the exit code is 0 (the built binary)', async () => {
    const r = await runCli(['check', '--config', fleet.configPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+SUBJECT\s+VERDICT\s+DETAIL$/);
    for (const [check, subject] of [
      ['config', ''],
      ['runbooks', ''],
      ['dns', 'demo-vm'],
      ['tcp', 'demo-vm'],
      ['host-key', 'demo-vm'],
      ['ssh-auth', 'demo-vm'],
      ['health', 'doai-orchestrator'],
      ['health', 'caddy'],
      // The demo's second host, with its own host key in the same known_hosts.
      ['dns', 'demo-db'],
      ['tcp', 'demo-db'],
      ['host-key', 'demo-db'],
      ['ssh-auth', 'demo-db'],
      ['health', 'db-proxy'],
    ]) {
      expect(lines.some((l) => new RegExp(`^${check}\\s+${subject}.*\\s+OK\\s+\\S`).test(l)), `${check} ${subject}\n${r.stdout}`).toBe(true);
    }
    expect(r.stdout).toMatch(/host-key\s+demo-vm\s+OK\s+ssh-ed25519 SHA256:\S+ known/);
    expect(r.stdout).toMatch(/host-key\s+demo-db\s+OK\s+ssh-ed25519 SHA256:\S+ known/);
    // What the fitting runbooks need on each host (issue 12 item 23): L1/L2 on the demo's services.
    expect(r.stdout).toMatch(/commands\s+demo-vm\s+OK\s+every command the fitting runbooks need is there: journalctl, ss, systemctl/);
    expect(r.stdout).toMatch(/commands\s+demo-db\s+OK\s+every command the fitting runbooks need is there: ss, systemctl/);
    // The demo host's backups, read over SSH as a real host's: last night's, within the RPO.
    expect(r.stdout).toMatch(/backups\s+doai-orchestrator\s+OK\s+doai-orchestrator \/var\/backups\/doai\/\*: newest \d{8}_\d{6} 6 h 0 min old ≤ RPO 24 h\n/);
    expect(lines.at(-1)).toBe('all 16 checks passed');
  });
});

describe('check against failures', () => {
  it('a closed port: TCP refused, with what to do; exit 1', async () => {
    const port = await closedPort();
    const path = writeConfig('closed', { hosts: [{ ...sshHost('box'), port }] });
    const r = await check(path);
    expect(r.code).toBe(1);
    expect(row(r.rows, 'dns', 'box')?.verdict).toBe('OK');
    expect(row(r.rows, 'tcp', 'box')).toMatchObject({ verdict: 'FAIL', detail: `127.0.0.1:${port}: connection refused` });
    expect(row(r.rows, 'ssh-auth', 'box')).toMatchObject({ verdict: 'SKIP', detail: 'TCP connect failed' });
    expect(r.text).toMatch(/tcp\s+box\s+FAIL\s+127\.0\.0\.1:\d+: connection refused\n\s+→ nothing listens there: is sshd running, and is port right in the config\?/);
    expect(r.text.trim().split('\n').at(-1)).toMatch(/^\d+ of \d+ checks failed \(exit 1\)$/);
  });

  it('an unknown host key: the fingerprint and how to trust it; --accept-new writes it; then all OK', async () => {
    const path = writeConfig('unknown', { hosts: [sshHost('box')] });
    const fp = fingerprint(ssh.hostKeyBlob);
    const r = await check(path);
    expect(r.code).toBe(1);
    expect(row(r.rows, 'host-key', 'box')).toMatchObject({ verdict: 'FAIL', detail: expect.stringContaining(`can't be established: its ED25519 key ${fp} is not in `) });
    expect(row(r.rows, 'host-key', 'box')?.hint).toMatch(/doai-console check --accept-new --config .*ssh-keyscan -p \d+ 127\.0\.0\.1 >> /);
    expect(row(r.rows, 'ssh-auth', 'box')?.verdict).toBe('SKIP');
    const knownHosts = join(dir, 'unknown', 'known_hosts');
    expect(() => readFileSync(knownHosts)).toThrow();

    const accepted = await check(path, { acceptNew: true });
    // The JSON run came after the accepting one: the key is known by then.
    expect(accepted.text).toMatch(new RegExp(`host-key\\s+box\\s+ADDED\\s+ssh-ed25519 ${fp.replace(/[+/]/g, '\\$&')} written to `));
    expect(accepted.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${ssh.knownHostsLine}\n`);
    const again = await check(path);
    expect(again.code).toBe(0);
    expect(row(again.rows, 'host-key', 'box')?.verdict).toBe('OK');
    expect(row(again.rows, 'ssh-auth', 'box')).toMatchObject({ verdict: 'OK', detail: `logged in as root with ${ssh.clientKeyPath}` });
  });

  it('a changed host key is refused loudly, and --accept-new does not override it', async () => {
    const path = writeConfig('changed', { hosts: [sshHost('box')] });
    const other = generateEd25519KeyPair();
    const otherBlob = Buffer.from(other.public.trim().split(/\s+/)[1], 'base64');
    writeFileSync(join(dir, 'changed', 'known_hosts'), `[127.0.0.1]:${ssh.port} ssh-ed25519 ${otherBlob.toString('base64')}\n`);
    for (const acceptNew of [false, true]) {
      const r = await check(path, { acceptNew });
      expect(r.code).toBe(1);
      const hk = row(r.rows, 'host-key', 'box')!;
      expect(hk.verdict).toBe('FAIL');
      expect(hk.detail).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
      expect(hk.detail).toContain(`The fingerprint for the ED25519 key sent by the remote host is ${fingerprint(ssh.hostKeyBlob)}`);
      expect(hk.detail).toContain(`Offending ED25519 key in ${join(dir, 'changed', 'known_hosts')}:1 (${fingerprint(otherBlob)})`);
      expect(hk.detail).toContain('--accept-new never overrides this');
      expect(hk.hint).toMatch(/ssh-keygen -f '.*known_hosts' -R '\[127\.0\.0\.1\]:\d+'/);
      expect(row(r.rows, 'ssh-auth', 'box')?.verdict).toBe('SKIP');
    }
    // Untouched: only the old line.
    expect(readFileSync(join(dir, 'changed', 'known_hosts'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('a refused login and a failing health URL each fail their row with a hint', async () => {
    const wrongKey = join(dir, 'wrong_key');
    writeFileSync(wrongKey, generateEd25519KeyPair().private, { mode: 0o600 });
    const path = writeConfig('auth', {
      hosts: [sshHost('box', { identity_file: wrongKey })],
      services: [
        { name: 'api', host: 'box', health_url: `http://127.0.0.1:${httpPort}/health` },
        { name: 'web', host: 'box', health_url: `http://127.0.0.1:${httpPort}/down` },
        { name: 'worker', host: 'box' },
      ],
    });
    writeFileSync(join(dir, 'auth', 'known_hosts'), `${ssh.knownHostsLine}\n`);
    const r = await check(path);
    expect(r.code).toBe(1);
    expect(row(r.rows, 'host-key', 'box')?.verdict).toBe('OK');
    expect(row(r.rows, 'ssh-auth', 'box')).toMatchObject({ verdict: 'FAIL', detail: expect.stringMatching(/authentication failed for root@127\.0\.0\.1/), hint: expect.stringMatching(/authorized_keys/) });
    expect(row(r.rows, 'health', 'api')).toMatchObject({ verdict: 'OK' });
    expect(row(r.rows, 'health', 'web')).toMatchObject({ verdict: 'FAIL', detail: expect.stringMatching(/HTTP 503 \(expected 200\)$/) });
    expect(row(r.rows, 'health', 'worker')).toMatchObject({ verdict: 'NONE' });
  });

  it('an invalid config exits 2 with file:line:col and probes nothing (the built binary)', async () => {
    const d = join(dir, 'bad');
    mkdirSync(d, { recursive: true });
    const path = join(d, 'console.yaml');
    writeFileSync(path, 'hosts:\n  - name: box\n    adress: 127.0.0.1\n');
    const r = await runCli(['check', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/config\s+.*console\.yaml\s+FAIL\s+.*console\.yaml:2:5: hosts\[0\]\.address: expected a string, found nothing/);
    expect(r.stdout).toMatch(/^\s+.*console\.yaml:3:5: hosts\[0\]\.adress: unknown key "adress" .* did you mean "address"\?$/m);
    expect(r.stdout).toMatch(/the configuration is invalid: nothing was probed \(exit 2\)/);
    expect(r.stdout).not.toMatch(/^tcp/m);
  });

  it('an invalid user runbook in <config dir>/runbooks/ exits 2 naming its line', async () => {
    const path = writeConfig('badrb', { hosts: [] });
    mkdirSync(join(dir, 'badrb', 'runbooks'));
    writeFileSync(join(dir, 'badrb', 'runbooks', 'mine.yaml'), 'id: mine\nlevel: L1\naudit_name: MINE\ntitle: { ko: 가, en: x }\napproval: sometimes\ntarget: service\nsteps: [{ id: a, kind: ssh, run: "true" }]\n');
    const r = await check(path);
    expect(r.code).toBe(2);
    expect(row(r.rows, 'runbooks', 'runbooks')?.detail).toMatch(/mine\.yaml:5:11: approval: expected one of: "auto", "code", "two-step", found "sometimes"/);
  });
});
