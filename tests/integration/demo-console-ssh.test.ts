// The console's own SSH client (src/ssh/shell.ts) against the demo fleet, configured only from
// the console.yaml the demo writes: host key pinning, exec streaming, cancel in both kill
// modes, and probe across a box-down and provider reboot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, type Config } from '../../src/config/schema';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { createSshShell, type SshShell } from '../../src/ssh/shell';

let dir: string;
let fleet: DemoFleet;
let cfg: Config;
const shells: SshShell[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-demo-ssh-'));
  fleet = await startDemoFleet({ dir, timeScale: 50, nodeCount: 5 });
  cfg = configSchema.parse(parse(readFileSync(fleet.configPath, 'utf8')));
});

afterAll(async () => {
  for (const s of shells) s.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function shell(killMode: 'auto' | 'process-group' | 'signal' = 'auto'): SshShell {
  // knownHostsPath is a decoy: the host's own known_hosts from the demo config must be used.
  const s = createSshShell({ hosts: cfg.hosts, knownHostsPath: join(dir, 'no-such-known-hosts'), killMode, connectTimeoutMs: 3_000 });
  shells.push(s);
  return s;
}

async function run(s: SshShell, command: string, opts: { timeoutMs?: number; signal?: AbortSignal; onLine?: (line: string) => void } = {}) {
  const lines: string[] = [];
  const result = await s.exec('demo-vm', command, {
    timeoutMs: opts.timeoutMs ?? 10_000,
    signal: opts.signal,
    onLine: (stream, line) => {
      lines.push(`${stream === 'stderr' ? '!' : ''}${line}`);
      opts.onLine?.(line);
    },
  });
  return { ...result, lines };
}

describe('console SSH client against the demo box', () => {
  it('runs the L1 restart and status lines, streaming output', async () => {
    const s = shell();
    const restart = await run(s, "systemctl restart 'doai-orchestrator'");
    expect(restart.code).toBe(0);
    expect(restart.lines).toEqual(['Stopping doai-orchestrator.service - DoAI Orchestrator...', 'Starting doai-orchestrator.service - DoAI Orchestrator...']);
    const status = await run(s, "systemctl status 'doai-orchestrator' --no-pager");
    expect(status.code).toBe(0);
    expect(status.lines[0]).toBe('● doai-orchestrator.service - DoAI Orchestrator');
    expect(status.lines.some((l) => /^ {5}Active: active \(running\)/.test(l))).toBe(true);
    const missing = await run(s, 'nosuchtool');
    expect(missing).toMatchObject({ code: 127, lines: ['!sh: nosuchtool: command not found'] });
  });

  for (const mode of ['signal', 'process-group'] as const) {
    it(`cancelling a sleep ends it on the box (${mode} kill mode)`, async () => {
      const s = shell(mode);
      const ac = new AbortController();
      let abortedAt = 0;
      // Cancelled once the command has printed its first line (the sleep is running), however
      // long the login took: without ssh2's native crypto addon the handshake alone can take 300 ms.
      const pending = run(s, `echo started; sleep 600; echo late > '/tmp/late-${mode}'`, {
        signal: ac.signal,
        onLine: (line) => {
          if (line !== 'started') return;
          abortedAt = Date.now();
          ac.abort();
        },
      });
      const r = await pending;
      expect(r.cancelled).toBe(true);
      expect(abortedAt).toBeGreaterThan(0);
      expect(Date.now() - abortedAt).toBeLessThan(5_000);
      // The command really ran (and, wrapped, its pid line was consumed by the client).
      expect(r.lines).toEqual(['started']);
      // Give a not-really-stopped command the time it would need to reach the echo.
      await new Promise((res) => setTimeout(res, 100));
      expect(fleet.state().files).not.toContain(`/tmp/late-${mode}`);
    });
  }

  it('probe fails while the box is down and succeeds once the provider reboot is done', async () => {
    const s = shell();
    expect(await s.probe('demo-vm', 3_000)).toEqual({ ok: true });
    fleet.injectFault('box-down');
    const down = await s.probe('demo-vm', 2_000);
    expect(down.ok).toBe(false);
    const base = cfg.hosts[0]!.provider!.base_url;
    const res = await fetch(`${base}/v2/instances/demo-instance/reboot`, { method: 'POST', headers: { authorization: `Bearer ${process.env.DOAI_DEMO_PROVIDER_KEY}` } });
    expect(res.status).toBe(204);
    let up = false;
    for (let i = 0; i < 60 && !up; i++) {
      up = (await s.probe('demo-vm', 1_000)).ok;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up).toBe(true);
    const echo = await run(s, 'echo OK');
    expect(echo).toMatchObject({ code: 0, lines: ['OK'] });
  });
});
