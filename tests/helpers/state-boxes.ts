// Two (or more) `serve` boxes on one throwaway PostgreSQL cluster, for the state-backend suites
// (issue 15): the cluster (one per test file, started in beforeAll), a loopback health endpoint
// whose answer the test sets, a counting webhook receiver, each box's config, state folder and
// socket, and processes holding PgLockStore locks. useStateBoxes() registers the hooks; `fx` holds
// what tests read and set.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { runCli } from './cli';
import { startServer, waitUntil, type RunningServer } from './console-server';
import { startTestCluster, type TestCluster } from './postgres';
import type { TmuxSession } from './tmux';

const REPO = resolve(__dirname, '../..');

export const fx = {
  cluster: undefined as unknown as TestCluster,
  /** What the health endpoint answers on every path… */
  healthy: true,
  /** …except these, which answer 503 (one box's view of the service). */
  downPaths: new Set<string>(),
  /** Bodies the webhook receiver got, in order. */
  received: [] as { text: string; dedup_key?: string }[],
  servers: [] as RunningServer[],
  terms: [] as TmuxSession[],
};

let base = '';
let health: Server | undefined;
let receiver: Server | undefined;
let dbCount = 0;
const drivers: ChildProcessWithoutNullStreams[] = [];

export function useStateBoxes(): void {
  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
    fx.cluster = await startTestCluster();
    base = mkdtempSync(join(tmpdir(), 'doai-ha-'));
    health = createServer((req, res) => {
      const up = fx.healthy && !fx.downPaths.has(req.url ?? '');
      res.statusCode = up ? 200 : 503;
      res.end(up ? 'ok' : 'down');
    });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        fx.received.push(JSON.parse(body) as { text: string; dedup_key?: string });
        res.end('ok');
      });
    });
    await Promise.all([new Promise<void>((r) => health!.listen(0, '127.0.0.1', r)), new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r))]);
  }, 120_000);

  afterAll(async () => {
    for (const s of fx.servers.splice(0)) await s.stop('SIGKILL');
    await fx.cluster?.stop();
    await Promise.all([new Promise((r) => (health ? health.close(r) : r(undefined))), new Promise((r) => (receiver ? receiver.close(r) : r(undefined)))]);
    if (base) rmSync(base, { recursive: true, force: true, maxRetries: 5 });
  });

  afterEach(async () => {
    for (const t of fx.terms.splice(0)) t.kill();
    for (const s of fx.servers.splice(0)) await s.stop('SIGKILL');
    for (const d of drivers.splice(0)) if (d.exitCode === null) d.kill('SIGKILL');
    fx.healthy = true;
    fx.downPaths.clear();
    fx.received = [];
  });
}

/** A box: its own config, state folder and socket; the database is shared. */
export function box(name: string, extra: Record<string, unknown> = {}, healthPath = '/health'): { config: string; socket: string; dir: string } {
  const dir = join(base, `${name}-${++dbCount}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    health: { interval_s: 1, timeout_s: 0.5, failure_threshold: 2 },
    hosts: [{ name: 'local', address: '127.0.0.1', port: 9 }],
    services: [{ name: 'api', host: 'local', unit: 'api.service', health_url: `http://127.0.0.1:${(health!.address() as AddressInfo).port}${healthPath}` }],
    alerts: [{ name: 'api_down', kind: 'service_down', action: 'notify_oncall' }],
    notifications: { webhooks: [{ name: 'oncall', url_env: 'TEST_HOOK_URL', retries: 3, timeout_s: 2 }] },
    paths: { state_dir: join(dir, 'state'), approvals_dir: join(dir, 'approvals') },
    state: { backend: 'postgres', url_env: 'DOAI_PG_URL' },
    ...extra,
  };
  writeFileSync(join(dir, 'console.yaml'), stringify(config));
  // A runbook that stays running until confirmed: something to watch from the other box.
  boxRunbook(dir, {
    id: 'hold-test',
    audit_name: 'HOLD_TEST',
    title: { ko: '대기 시험', en: 'Hold test' },
    description: { ko: '확인할 때까지 대기', en: 'Waits for a confirmation' },
    steps: [HEALTH_CHECK_STEP, { id: 'hold', kind: 'confirm', title: { ko: '확인 대기', en: 'Wait for a yes' }, prompt: { ko: '계속할까요?', en: 'Go on?' } }],
  });
  // The same behind an L2 one-time code: the code must never leave this box.
  boxRunbook(dir, {
    id: 'hold-code',
    level: 'L2',
    audit_name: 'HOLD_CODE',
    title: { ko: '코드 시험', en: 'Code test' },
    description: { ko: '코드 승인 후 대기', en: 'Waits for a code approval' },
    approval: 'code',
    steps: [HEALTH_CHECK_STEP],
  });
  return { config: join(dir, 'console.yaml'), socket: join(dir, 'run', 'console.sock'), dir };
}

/** A runbook step checking the target service's health URL (200 within 5 s). */
export const HEALTH_CHECK_STEP = { id: 'check', kind: 'http', title: { ko: '상태 확인', en: 'Health check' }, url: '{{service.health_url}}', timeout_s: 5, expect_status: 200 };

/** Writes a runbook into a box's runbooks folder: L1, approval auto, on a service unless it says otherwise. */
export function boxRunbook(dir: string, runbook: { id: string } & Record<string, unknown>): void {
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(join(dir, 'runbooks', `${runbook.id}.yaml`), stringify({ level: 'L1', approval: 'auto', target: 'service', ...runbook }));
}

/**
 * Boxes that take each other's approvals: each has its own Ed25519 key file (owner-only) and its
 * `state.box_name`, and pins the others' public keys in `state.peers`.
 */
export function peeredBoxes(names: string[], extra: Record<string, Record<string, unknown>> = {}): { config: string; socket: string; dir: string; keyFile: string; publicKey: string }[] {
  const keys = names.map((n) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(base, `${n}-${++dbCount}.key`);
    writeFileSync(keyFile, String(privateKey.export({ format: 'pem', type: 'pkcs8' })), { mode: 0o600 });
    return { keyFile, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
  });
  return names.map((n, i) => {
    const peers = Object.fromEntries(names.flatMap((m, j) => (j === i ? [] : [[m, keys[j]!.publicKey]])));
    const b = box(n, { ...extra[n], state: { backend: 'postgres', url_env: 'DOAI_PG_URL', box_name: n, server_key_file: keys[i]!.keyFile, peers } });
    return { ...b, ...keys[i]! };
  });
}

export async function serve(b: { config: string; socket: string }, url: string): Promise<RunningServer> {
  const s = await startServer(b.config, b.socket, [], { DOAI_PG_URL: url, TEST_HOOK_URL: `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}/hook` });
  fx.servers.push(s);
  return s;
}

export async function statusOf(socket: string): Promise<{ server: { pid: number; state?: { leading: boolean; leader?: string; box: string; reachable: boolean } }; items: { kind: string; name: string; state: string }[] }> {
  const r = await runCli(['status', '--json', '--socket', socket]);
  return JSON.parse(r.stdout);
}


/** A process holding PgLockStore locks (tests/helpers/pg-lock-driver.ts): commands in, JSON answers out. */
export interface LockDriver {
  child: ChildProcessWithoutNullStreams;
  /** The driver's own pid, as it reports it. */
  pid: number;
  ask(line: string): Promise<{ ok?: boolean; message?: string; hint?: string; error?: string; holder?: { pid: number; alive: boolean; runId: string } | null }>;
}

export async function lockDriver(url: string): Promise<LockDriver> {
  // `node --import tsx`, not the tsx CLI: the CLI keeps an IPC pipe in /tmp/tsx-<uid>/ that a killed
  // driver (the takeover tests SIGKILL it) leaves behind.
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'tests/helpers/pg-lock-driver.ts')], { cwd: REPO, env: { ...process.env, DOAI_PG_URL: url }, stdio: 'pipe' });
  drivers.push(child);
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const next = () => waitUntil(`a line from the lock driver (stderr: ${err})`, () => lines.shift(), 20_000, 10).then((l) => JSON.parse(l));
  const ready = (await next()) as { pid: number };
  return {
    child,
    pid: ready.pid,
    ask(line) {
      child.stdin.write(line + '\n');
      return next();
    },
  };
}

export async function waitUntilAsync(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
