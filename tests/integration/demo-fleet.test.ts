// The demo fleet over real loopback sockets: the written config, the orchestrator's HTTP
// service, the ssh2 server simulating systemd, the fake Vultr API and the control endpoint.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { WebSocket } from 'undici';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { DemoControlError, fetchDemoState, sendFault } from '../../src/demo/control';
import { FAULT_NAMES } from '../../src/demo/faults';

const SCALE = 50;
const NODES = 40;

let dir: string;
let fleet: DemoFleet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-demo-test-'));
  fleet = await startDemoFleet({ dir, timeScale: SCALE, nodeCount: NODES });
});

// Tests share one fleet; each starts from a healthy one so a failure does not cascade.
beforeEach(() => fleet.injectFault('clear'));

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

// --- helpers -------------------------------------------------------------------------------------

type HttpResult = { status: number; body: string; ms: number } | { error: string; ms: number };

/** One GET on a fresh connection (no pool), so a dropped socket shows as an error. */
function get(url: string, timeoutMs = 3_000): Promise<HttpResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: Date.now() - t0 }));
  });
}

function request(method: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const config = () => parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, any>;
const healthUrl = () => config().services[0].health_url as string;

/** The host key the demo's known_hosts file pins, as the raw key blob. */
function pinnedHostKey(): { pattern: string; blob: Buffer } {
  const [pattern, , b64] = readFileSync(join(dir, 'known_hosts'), 'utf8').trim().split(/\s+/);
  return { pattern: pattern!, blob: Buffer.from(b64!, 'base64') };
}

interface ExecOutcome {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

function sshConnect(opts: { privateKey?: Buffer; hostKey?: Buffer; port?: number } = {}): Promise<ssh2.Client> {
  const expected = opts.hostKey ?? pinnedHostKey().blob;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', (e) => {
      client.end();
      reject(e);
    });
    client.connect({
      host: '127.0.0.1',
      port: opts.port ?? fleet.state().ports.ssh,
      username: 'root',
      privateKey: opts.privateKey ?? readFileSync(join(dir, 'id_ed25519')),
      hostVerifier: (key: Buffer) => key.equals(expected),
      readyTimeout: 3_000,
    });
  });
}

function execOn(client: ssh2.Client, command: string, onStart?: (ch: ssh2.ClientChannel) => void): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      const out: ExecOutcome = { code: null, stdout: '', stderr: '' };
      ch.on('data', (d: Buffer) => (out.stdout += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
      ch.on('exit', (code: number | null, signal?: string) => {
        out.code = code;
        if (signal) out.signal = signal;
      });
      ch.on('close', () => resolve(out));
      onStart?.(ch);
    });
  });
}

async function ssh(command: string): Promise<ExecOutcome> {
  const client = await sshConnect();
  try {
    return await execOn(client, command);
  } finally {
    client.end();
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  for (let i = 0; i < 500 && Date.now() < end; i++) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not reached within ${ms} ms (last: ${JSON.stringify(last)})`);
}

const isOk = (r: HttpResult) => 'status' in r && r.status === 200;

// --- tests ---------------------------------------------------------------------------------------

describe('demo fleet files', () => {
  it('writes a console.yaml that the config schema accepts, pointing at the fleet', () => {
    const text = readFileSync(fleet.configPath, 'utf8');
    expect(text.startsWith('# Generated by `doai-console demo`')).toBe(true);
    expect(text).toContain('DOAI_DEMO_PROVIDER_KEY');
    const parsed = configSchema.safeParse(parse(text));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const cfg = parsed.data!;
    const ports = fleet.state().ports;
    expect(cfg.hosts[0]).toMatchObject({
      name: 'demo-vm',
      address: '127.0.0.1',
      port: ports.ssh,
      user: 'root',
      identity_file: join(dir, 'id_ed25519'),
      known_hosts: join(dir, 'known_hosts'),
      provider: { kind: 'vultr', instance_id: 'demo-instance', api_key_env: 'DOAI_DEMO_PROVIDER_KEY', base_url: `http://127.0.0.1:${ports.provider}` },
    });
    // The second host: its own sshd port, the same client key and known_hosts file, no provider.
    expect(cfg.hosts[1]).toEqual(
      expect.objectContaining({ name: 'demo-db', address: '127.0.0.1', port: ports.dbSsh, user: 'root', identity_file: join(dir, 'id_ed25519'), known_hosts: join(dir, 'known_hosts') }),
    );
    expect(cfg.hosts[1]!.provider).toBeUndefined();
    expect(ports.dbSsh).not.toBe(ports.ssh);
    expect(cfg.services.map((s) => [s.name, s.host, s.unit])).toEqual([
      ['doai-orchestrator', 'demo-vm', 'doai-orchestrator'],
      ['caddy', 'demo-vm', 'caddy'],
      ['db-proxy', 'demo-db', 'caddy'],
    ]);
    expect(cfg.services[2]).toMatchObject({ health_url: `http://127.0.0.1:${ports.dbCaddy}/` });
    expect(cfg.services[0]).toMatchObject({ health_url: `http://127.0.0.1:${ports.orchestrator}/health`, websocket_url: `ws://127.0.0.1:${ports.orchestrator}/ws`, app_dir: '/opt/aifarm' });
    expect(cfg.node_sources[0]).toMatchObject({ name: 'devices', url: `http://127.0.0.1:${ports.orchestrator}/nodes` });
    expect(cfg.paths.audit_log).toBe(join(dir, 'emergency.log'));
    for (const p of [cfg.paths.journal_dir, cfg.paths.snapshots_dir, cfg.paths.incidents_dir, cfg.paths.state_dir]) expect(p!.startsWith(dir)).toBe(true);
    expect(cfg.health).toMatchObject({ interval_s: 30, timeout_s: 10, failure_threshold: 3 });
    expect(cfg.demo).toEqual({ time_scale: SCALE, control_url: `http://127.0.0.1:${ports.control}` });
  });

  it('keeps secrets owner-only and pins the host key in known_hosts', () => {
    for (const f of ['control.token', 'provider.key', 'id_ed25519', 'ssh_host_ed25519_key', 'ssh_host_ed25519_key.demo-db']) {
      expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'provider.key'), 'utf8').trim()).toBe(process.env.DOAI_DEMO_PROVIDER_KEY);
    // One line per host, each with its own key.
    const lines = readFileSync(join(dir, 'known_hosts'), 'utf8').split('\n');
    const { ssh: vmPort, dbSsh: dbPort } = fleet.state().ports;
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${vmPort} ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`));
    expect(lines[1]).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${dbPort} ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`));
    expect(lines[2]).toBe('');
    expect(lines[0]!.split(' ')[2]).not.toBe(lines[1]!.split(' ')[2]);
  });
});

describe('demo orchestrator HTTP', () => {
  it('answers /health 200 and lists heartbeating nodes', async () => {
    const h = await get(healthUrl());
    expect(h).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    const n = await get(config().node_sources[0].url);
    expect('status' in n && n.status).toBe(200);
    const nodes = JSON.parse((n as { body: string }).body).nodes as { id: string; last_heartbeat: string; errors: number; requests: number; labels: string }[];
    expect(nodes).toHaveLength(NODES);
    expect(nodes[0]).toMatchObject({ id: 'node-001', labels: 'rack-a' });
    for (const node of nodes) expect(Date.now() - Date.parse(node.last_heartbeat)).toBeLessThan(60_000);
    expect(await get(config().services[1].health_url)).toMatchObject({ status: 200 });
  });

  it('accepts a WebSocket (RFC 6455 handshake) while healthy', async () => {
    const ws = new WebSocket(config().services[0].websocket_url);
    const outcome = await new Promise<string>((resolve) => {
      ws.addEventListener('open', () => resolve('open'));
      ws.addEventListener('error', () => resolve('error'));
    });
    expect(outcome).toBe('open');
    const close = await new Promise<{ code: number; wasClean: boolean }>((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, wasClean: e.wasClean })));
    expect(close).toEqual({ code: 1000, wasClean: true });
  });
});

describe('demo SSH box', () => {
  it('runs systemctl status over SSH after verifying the pinned host key', async () => {
    const r = await ssh("systemctl status 'doai-orchestrator' --no-pager");
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('● doai-orchestrator.service - DoAI Orchestrator');
    expect(r.stdout).toMatch(/\n {5}Active: active \(running\) since /);
  });

  it('refuses a key other than the demo client key, and a client refuses a wrong host key', async () => {
    const stranger = Buffer.from(ssh2.utils.generateKeyPairSync('ed25519').private);
    await expect(sshConnect({ privateKey: stranger })).rejects.toThrow(/authentication methods failed/i);
    const otherHost = ssh2.utils.parseKey(ssh2.utils.generateKeyPairSync('ed25519').public) as ssh2.ParsedKey;
    await expect(sshConnect({ hostKey: otherHost.getPublicSSH() })).rejects.toThrow(/verification failed/i);
  });

  it('streams output, reports unknown commands with 127, and stops sleep when signalled', async () => {
    const unknown = await ssh('frobnicate');
    expect(unknown).toMatchObject({ code: 127, stderr: 'sh: frobnicate: command not found\n' });
    const client = await sshConnect();
    try {
      const t0 = Date.now();
      const r = await execOn(client, 'echo started; sleep 600; echo done > /tmp/after-sleep', (ch) => {
        ch.once('data', () => ch.signal('TERM'));
      });
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(r.stdout).toBe('started\n');
      expect(r.signal).toBe('SIGTERM');
    } finally {
      client.end();
    }
    expect(fleet.state().files).not.toContain('/tmp/after-sleep');
  });
});

describe('demo faults', () => {
  it('crash: /health stops answering; systemctl restart fixes it', async () => {
    fleet.injectFault('crash');
    const down = await get(healthUrl());
    expect('error' in down && down.error).toBe('ECONNRESET');
    expect(await get(config().node_sources[0].url)).toMatchObject({ error: 'ECONNRESET' });
    const status = await ssh("systemctl status 'doai-orchestrator' --no-pager");
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('Active: failed (Result: signal)');
    const restart = await ssh("systemctl restart 'doai-orchestrator'");
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain('Starting doai-orchestrator.service - DoAI Orchestrator...');
    await waitFor('health back', () => get(healthUrl()), isOk);
  });

  it('a WebSocket is refused while the orchestrator is down', async () => {
    fleet.injectFault('crash');
    const ws = new WebSocket(config().services[0].websocket_url);
    const outcome = await new Promise<string>((resolve) => {
      ws.addEventListener('open', () => resolve('open'));
      ws.addEventListener('error', () => resolve('error'));
    });
    expect(outcome).toBe('error');
    fleet.injectFault('clear');
    expect(await get(healthUrl())).toMatchObject({ status: 200 });
  });

  it('crash-loop: restart does not help; the L2 cache clearing then start does', async () => {
    fleet.injectFault('crash-loop');
    expect(fleet.state().cacheExists).toBe(true);
    expect(await get(healthUrl())).toMatchObject({ error: 'ECONNRESET' });
    expect((await ssh("systemctl restart 'doai-orchestrator'")).code).toBe(0);
    // It comes up (503 while starting) and dies again before it is ever healthy.
    const seen = new Set<string>();
    await waitFor(
      'dies again',
      async () => {
        const r = await get(healthUrl());
        seen.add('status' in r ? String(r.status) : r.error);
        return fleet.state().units['doai-orchestrator'].state;
      },
      (s) => s === 'failed',
    );
    expect(seen.has('200')).toBe(false);
    expect((await get(healthUrl())).hasOwnProperty('error')).toBe(true);

    const stop = await ssh("systemctl stop 'doai-orchestrator' && systemctl stop 'caddy' && sleep 3");
    expect(stop.code).toBe(0);
    const clear = await ssh("find '/opt/aifarm' -type d -name __pycache__ -exec rm -rf {} + 2>/dev/null; rm -rf /tmp/doai_* 2>/dev/null");
    expect(clear.code).toBe(0);
    expect(fleet.state().cacheExists).toBe(false);
    const start = await ssh("systemctl start 'caddy' && sleep 2 && systemctl start 'doai-orchestrator'");
    expect(start.code).toBe(0);
    await waitFor('healthy after L2', () => get(healthUrl()), isOk);
    // Well past the ~1 s (scaled) at which a looping process died: it stays up.
    await new Promise((r) => setTimeout(r, (2 * 1_000) / SCALE + 50));
    expect(await get(healthUrl())).toMatchObject({ status: 200 });
    expect(fleet.state().units['doai-orchestrator'].state).toBe('active');
  });

  it('box-down: SSH and HTTP stop answering until an authorised provider reboot', async () => {
    fleet.injectFault('box-down');
    await expect(sshConnect()).rejects.toThrow();
    expect(await get(healthUrl())).toMatchObject({ error: 'ECONNRESET' });
    expect(await get(config().services[1].health_url)).toMatchObject({ error: 'ECONNRESET' });

    const base = config().hosts[0].provider.base_url as string;
    const key = process.env.DOAI_DEMO_PROVIDER_KEY!;
    const noAuth = await request('POST', `${base}/v2/instances/demo-instance/reboot`);
    expect(noAuth.status).toBe(401);
    expect(JSON.parse(noAuth.body)).toMatchObject({ status: 401 });
    expect((await request('POST', `${base}/v2/instances/demo-instance/reboot`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await request('POST', `${base}/v2/instances/other/reboot`, { authorization: `Bearer ${key}` })).status).toBe(404);
    const before = await request('GET', `${base}/v2/instances/demo-instance`, { authorization: `Bearer ${key}` });
    expect(JSON.parse(before.body).instance).toMatchObject({ id: 'demo-instance', power_status: 'running', server_status: 'none' });

    const reboot = await request('POST', `${base}/v2/instances/demo-instance/reboot`, { authorization: `Bearer ${key}` });
    expect(reboot).toEqual({ status: 204, body: '' });
    expect(fleet.state().power).toBe('rebooting');
    const during = await request('GET', `${base}/v2/instances/demo-instance`, { authorization: `Bearer ${key}` });
    expect(JSON.parse(during.body).instance.power_status).toBe('stopped');

    // ~20 s scaled later SSH answers again, with both units stopped (L3 starts them).
    const hello = await waitFor(
      'ssh back',
      () => ssh('echo OK').catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }) as ExecOutcome),
      (r) => r.code === 0,
    );
    expect(hello.stdout).toBe('OK\n');
    expect(fleet.state().units['doai-orchestrator'].state).toBe('inactive');
    expect(fleet.state().units.caddy.state).toBe('inactive');
    expect(await get(healthUrl())).toMatchObject({ error: 'ECONNRESET' });
    const after = await request('GET', `${base}/v2/instances/demo-instance`, { authorization: `Bearer ${key}` });
    expect(JSON.parse(after.body).instance).toMatchObject({ power_status: 'running', server_status: 'ok' });

    const start = await ssh("systemctl start 'caddy' && sleep 2 && systemctl start 'doai-orchestrator' && sleep 5 && systemctl status 'doai-orchestrator' --no-pager");
    expect(start.code).toBe(0);
    await waitFor('healthy after L3', () => get(healthUrl()), isOk);
    expect(await get(config().services[1].health_url)).toMatchObject({ status: 200 });
  });

  it('nodes-offline and error-spike show in /nodes; caddy restart reconnects nodes', async () => {
    fleet.injectFault('nodes-offline');
    fleet.injectFault('error-spike');
    const nodesNow = async () => JSON.parse(((await get(config().node_sources[0].url)) as { body: string }).body).nodes as { last_heartbeat: string; errors: number; requests: number }[];
    const nodes = await nodesNow();
    const stale = nodes.filter((n) => Date.now() - Date.parse(n.last_heartbeat) > 5 * 60_000).length;
    const spiking = nodes.filter((n) => n.errors / n.requests > 0.1).length;
    // A third of 40 (rounded up): 14, i.e. 35 %, over the 0.3 mass-offline ratio.
    expect(stale).toBe(14);
    expect(spiking).toBeGreaterThan(0);
    expect(spiking / NODES).toBeLessThan(0.4);
    expect((await ssh("systemctl restart 'caddy'")).code).toBe(0);
    await waitFor('nodes reconnected', nodesNow, (ns) => ns.every((n) => Date.now() - Date.parse(n.last_heartbeat) < 60_000));
    fleet.injectFault('clear');
    expect((await nodesNow()).filter((n) => n.errors / n.requests > 0.1)).toHaveLength(0);
  });
});

describe('demo-db, the second host', () => {
  /** The key known_hosts pins for a port. */
  const pinnedFor = (port: number) => {
    const line = readFileSync(join(dir, 'known_hosts'), 'utf8').split('\n').find((l) => l.startsWith(`[127.0.0.1]:${port} `))!;
    return Buffer.from(line.split(' ')[2]!, 'base64');
  };

  it('answers on its own SSH listener with its own host key; its disk is over 80 %; box-down leaves it alone', async () => {
    const { dbSsh, dbCaddy } = fleet.state().ports;
    // The orchestrator host's key is refused on the db listener: each host is pinned separately.
    await expect(sshConnect({ port: dbSsh, hostKey: pinnedHostKey().blob })).rejects.toThrow();
    const run = async (command: string) => {
      const client = await sshConnect({ port: dbSsh, hostKey: pinnedFor(dbSsh) });
      try {
        return await execOn(client, command);
      } finally {
        client.end();
      }
    };
    expect(await run('hostname')).toMatchObject({ code: 0, stdout: 'demo-db\n' });
    const df = await run('df -P');
    expect(df.stdout).toMatch(/\n\/dev\/vda1 +\d+ +\d+ +\d+ +87% \/\n/);
    expect((await ssh('df -P')).stdout).toMatch(/\n\/dev\/vda1 +\d+ +\d+ +\d+ +42% \/\n/);

    fleet.injectFault('box-down');
    try {
      await expect(sshConnect()).rejects.toThrow();
      expect(await run('hostname')).toMatchObject({ code: 0, stdout: 'demo-db\n' });
      expect(await get(`http://127.0.0.1:${dbCaddy}/`)).toMatchObject({ status: 200 });
      expect(fleet.state().db).toMatchObject({ hostName: 'demo-db', power: 'up' });
    } finally {
      fleet.injectFault('clear');
    }
  });
});

describe('demo control from another process', () => {
  it('sendFault injects through the control endpoint; the state shows it', async () => {
    await sendFault(fleet.configPath, 'error-spike');
    expect(fleet.state().faults.errorSpike).toBe(true);
    const remote = await fetchDemoState(fleet.configPath);
    expect(remote).toMatchObject({ faults: { errorSpike: true }, power: 'up' });
    await sendFault(fleet.configPath, 'clear');
    expect(fleet.state().faults.errorSpike).toBe(false);
  });

  it('sendFault rejects an unknown fault, listing the valid ones', async () => {
    const err = await sendFault(fleet.configPath, 'meltdown').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DemoControlError);
    expect((err as Error).message).toBe(`unknown fault 'meltdown': use one of ${FAULT_NAMES.join(', ')}`);
  });

  it('the control endpoint wants the token; sendFault explains a missing fleet', async () => {
    const control = config().demo.control_url as string;
    expect((await request('POST', `${control}/fault/crash`)).status).toBe(403);
    expect((await request('POST', `${control}/fault/crash`, { 'x-doai-token': 'nope' })).status).toBe(403);
    expect(fleet.state().health).toBe('ok');

    const other = mkdtempSync(join(tmpdir(), 'doai-demo-gone-'));
    try {
      // A config left behind by a fleet that is no longer running.
      const port = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      writeFileSync(join(other, 'console.yaml'), `demo:\n  time_scale: 10\n  control_url: http://127.0.0.1:${port}\n`);
      writeFileSync(join(other, 'control.token'), 'x\n', { mode: 0o600 });
      await expect(sendFault(join(other, 'console.yaml'), 'crash')).rejects.toThrow(/no demo fleet answers .*doai-console demo --serve/);
      await expect(sendFault(join(other, 'missing.yaml'), 'crash')).rejects.toThrow(/cannot read the demo config/);
    } finally {
      rmSync(other, { recursive: true, force: true, maxRetries: 10 });
    }
  });

  it('slow: /health answers after ~6 s real time (over 5 s, under the 10 s timeout)', async () => {
    await sendFault(fleet.configPath, 'slow');
    const r = await get(healthUrl(), 9_000);
    expect(r).toMatchObject({ status: 200 });
    expect(r.ms).toBeGreaterThanOrEqual(5_900);
    expect(r.ms).toBeLessThan(9_000);
    // A fresh process is fast again: the restart of L1 cures it.
    expect((await ssh("systemctl restart 'doai-orchestrator'")).code).toBe(0);
    await waitFor('fast again', () => get(healthUrl()), (x) => isOk(x) && x.ms < 1_000);
    expect(fleet.state().faults.slow).toBe(false);
  });
});

describe('demo stop', () => {
  it('stops every listener', async () => {
    const d = mkdtempSync(join(tmpdir(), 'doai-demo-stop-'));
    try {
      const f = await startDemoFleet({ dir: d, timeScale: 100, nodeCount: 3 });
      const ports = Object.values(f.state().ports);
      const client = await new Promise<net.Socket>((resolve) => {
        const s = net.connect(f.state().ports.ssh, '127.0.0.1', () => resolve(s));
      });
      client.on('error', () => {});
      client.resume(); // read the SSH banner so the server's FIN is seen
      const clientClosed = new Promise<boolean>((resolve) => client.once('close', () => resolve(true)));
      await f.stop();
      await f.stop(); // idempotent
      for (const port of ports) {
        const err = await new Promise<string>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          s.on('connect', () => {
            s.destroy();
            resolve('connected');
          });
          s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
        expect(err, `port ${port}`).toBe('ECONNREFUSED');
      }
      // An open SSH connection is dropped, not left to hold the process.
      expect(await clientClosed).toBe(true);
    } finally {
      rmSync(d, { recursive: true, force: true, maxRetries: 10 });
    }
  });
});
