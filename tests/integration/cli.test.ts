import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCli } from '../helpers/cli';

let dir: string;
let server: Server;
let port: number;
let healthy = true;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-cli-'));
  server = createServer((req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function writeConfig(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('doai-console CLI surface', () => {
  it('prints the version and help with exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    for (const cmd of ['demo', 'status', 'run', 'init']) expect(h.stdout).toContain(cmd);
  });

  it('rejects an unknown command and an unknown flag with exit 2 and usage', async () => {
    const a = await runCli(['frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/too many arguments|unknown command/i);
    const b = await runCli(['status', '--frob']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown option/i);
  });

  it('refuses an invalid config with exit 2 naming file, line and column, starting nothing', async () => {
    const p = writeConfig('typo.yaml', `hosts:\n  - name: vm\n    adress: 127.0.0.1\n`);
    const r = await runCli(['status', '--config', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('typo.yaml:3:5');
    expect(r.stderr).toContain('adress');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses broken YAML with its position', async () => {
    const p = writeConfig('broken.yaml', `services:\n  - name: a\n   host: [oops\n`);
    const r = await runCli(['status', '--config', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+/);
  });

  it('tells a non-TTY caller what to use instead of the interactive console', async () => {
    const p = writeConfig('ok.yaml', `hosts:\n  - { name: vm, address: 127.0.0.1 }\nservices:\n  - { name: api, host: vm, health_url: "http://127.0.0.1:${port}/health" }\n`);
    const r = await runCli(['--config', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('doai-console status');
    expect(r.stderr).toContain('doai-console run');
  });

  it('status exits 0 when all services are UP and 1 otherwise, with --json', async () => {
    const p = writeConfig('status.yaml', `hosts:\n  - { name: vm, address: 127.0.0.1 }\nservices:\n  - { name: api, host: vm, health_url: "http://127.0.0.1:${port}/health" }\n`);
    healthy = true;
    const up = await runCli(['status', '--config', p, '--json']);
    expect(up.code).toBe(0);
    const parsed = JSON.parse(up.stdout);
    expect(parsed.services[0].state).toBe('UP');
    healthy = false;
    const down = await runCli(['status', '--config', p]);
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('api');
    expect(down.stdout).toContain('503');
    healthy = true;
  });

  it('init writes a commented starter config that validates, and refuses to overwrite', async () => {
    const p = join(dir, 'sub', 'console.yaml');
    const r = await runCli(['init', '--config', p]);
    expect(r.code).toBe(0);
    const text = readFileSync(p, 'utf8');
    expect(text).toMatch(/^#/m);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const again = await runCli(['init', '--config', p]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists|overwrite|--force/i);
    // An existing file is not an invalid config (issue 12 item 16): one line, no "invalid config".
    expect(again.stderr).not.toContain('invalid config');
    expect(again.stderr).toMatch(/^doai-console: config file already exists: /);
    expect(readFileSync(p, 'utf8')).toBe(text);
  });
});
