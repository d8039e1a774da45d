// A loopback "host" for the seed 002/003 runbooks: OpenSSH's sshd (one per test file), the real
// tar, gzip, rsync, md5sum, sqlite3, ss and /bin/sh, and a docker stand-in (docker is not installed
// here; the seeds' commands are docker's) that records each call and keeps a little state: `compose
// down` removes the project's containers, `compose up -d`/`restart` creates them, `compose ps -q`
// lists them, so a runbook that checks what it claims sees the effect. Health endpoints are a real
// node:http server whose answer each test sets.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { engineInDir } from './engine-in-dir';
import { expect } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema';
import type { RunEngine } from '../../src/runbook/engine';
import type { RunOutcome } from '../../src/runbook/events';
import { loadRunbooks } from '../../src/runbook/loader';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { startSshd, type RunningSshd } from './sshd';

/** What a health endpoint answers: status and body, per path. */
export type HttpAnswer = { status: number; body: string };

export interface SeedHost {
  dir: string;
  /** The stand-ins' folder (first on the session PATH). */
  bin: string;
  /** Services declared for the runbooks: name → app_dir. */
  config(): Config;
  /** Sets what GET <path> answers (default 200 "ok"). */
  answer(path: string, a: HttpAnswer): void;
  healthUrl(path: string): string;
  engine(): RunEngine;
  /** Runs a runbook to its end, confirming every confirm prompt; the step states and details. */
  run(engine: RunEngine, runbook: string, target: string, params?: Record<string, string>): Promise<RunResult>;
  /** docker stand-in calls since the last reset: "docker|<cwd>|<args>". */
  calls(): string[];
  resetCalls(): void;
  /** The last engine's emergency.log lines of this audit name, without time and name (every line must be well formed). */
  audit(name: string): string[];
  close(): Promise<void>;
}

export interface RunResult {
  outcome: RunOutcome;
  message?: string;
  escalateTo?: string;
  steps: string[];
  detail(step: string): string;
  output(step: string): string;
}

export interface SeedHostOptions {
  /** Services: name → health path on the shared server (or a full URL), app_dir below the host's folder. */
  services: Record<string, { health: string; app?: string; kind?: string[]; unit?: string }>;
  /** More stand-in scripts: name → shell body (after #!/bin/sh). */
  standIns?: Record<string, string>;
}

function dockerStandIn(callLog: string, state: string): string {
  // Containers per compose project (the working directory); `rm -f` and `ps -a` for seed 002 Type 4.
  return `#!/bin/sh
printf 'docker|%s|%s\\n' "$(pwd)" "$*" >> '${callLog}'
p='${state}'/$(pwd | tr / _)
[ -e "$p.fail.$2" ] && { echo "docker compose $2: simulated failure" >&2; exit 1; }
case "$1 $2" in
  "compose down") rm -f "$p" ;;
  "compose up"|"compose restart"|"compose start") echo c0ffee$(date +%s) > "$p" ;;
  "compose ps") [ -e "$p" ] && cat "$p" ;;
esac
exit 0
`;
}

export async function startSeedHost(opts: SeedHostOptions): Promise<SeedHost> {
  const dir = mkdtempSync(join(tmpdir(), 'doai-seed-host-'));
  const bin = join(dir, 'bin');
  const state = join(dir, 'docker-state');
  mkdirSync(bin);
  mkdirSync(state);
  const callLog = join(dir, 'calls.log');
  writeFileSync(join(bin, 'docker'), dockerStandIn(callLog, state), { mode: 0o755 });
  for (const [name, body] of Object.entries(opts.standIns ?? {})) writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const answers = new Map<string, HttpAnswer>();
  const http: HttpServer = createHttpServer((req, res) => {
    const a = answers.get((req.url ?? '/').split('?')[0]) ?? { status: 200, body: 'ok' };
    res.statusCode = a.status;
    res.end(a.body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  // TZ=UTC: point-in-time listings compare file times with what the tests write.
  const sshd: RunningSshd = await startSshd({ maxSessions: 30, extraConfig: [`SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin TZ=UTC`] });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  const healthUrl = (path: string): string => `http://127.0.0.1:${httpPort}${path}`;
  const config = (): Config =>
    configSchema.parse({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: sshd.clientKeyPath, known_hosts: knownHosts, backup_dir: join(dir, 'backups') }],
      services: Object.entries(opts.services).map(([name, s]) => ({ name, host: 'box', health_url: s.health.startsWith('http') ? s.health : healthUrl(s.health), app_dir: join(dir, s.app ?? name), ...(s.kind ? { kind: s.kind } : {}), ...(s.unit ? { unit: s.unit } : {}) })),
    });
  const shell: SshShell = createSshShell({ hosts: config().hosts, knownHostsPath: knownHosts });
  const runbooks = loadRunbooks({ builtinDir: join(__dirname, '../../actions') });
  let auditPath = '';

  return {
    dir,
    bin,
    config,
    answer: (path, a) => answers.set(path, a),
    healthUrl,
    engine() {
      // Waits and poll intervals compressed; SSH commands and their timeouts are real. Approval
      // flows have their own tests; here the approver says yes at once.
      const made = engineInDir(dir, { config: config(), runbooks, shell, approve: async () => ({ ok: true, approver: 'vega' }) });
      auditPath = made.auditPath;
      return made.engine;
    },
    async run(engine, runbook, target, params = {}) {
      const output = new Map<string, string[]>();
      let finished: { message?: string; escalateTo?: string } = {};
      const off = engine.on((e) => {
        // The prompt is announced just before the step starts waiting: confirm on the next turn.
        if (e.type === 'run.prompt' && e.prompt?.kind === 'confirm') setImmediate(() => engine.confirm(e.runId));
        if (e.type === 'step.output') output.set(e.stepId, [...(output.get(e.stepId) ?? []), e.line]);
        if (e.type === 'run.finished') finished = { message: e.message, escalateTo: e.escalateTo };
      });
      const started = engine.start(runbook, target, { params });
      if (!started.ok) throw new Error(started.error);
      const outcome = await engine.waitFor(started.runId);
      off();
      const view = engine.getSnapshot().runs.find((r) => r.runId === started.runId)!;
      return {
        outcome,
        ...finished,
        steps: view.steps.map((s) => `${s.id}:${s.state}`),
        detail: (id) => view.steps.find((s) => s.id === id)?.detail ?? '',
        output: (id) => (output.get(id) ?? []).join('\n'),
      };
    },
    calls: () => (existsSync(callLog) ? readFileSync(callLog, 'utf8').trim().split('\n').filter(Boolean) : []),
    resetCalls: () => rmSync(callLog, { force: true }),
    audit(name) {
      return readFileSync(auditPath, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => {
          expect(l).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\] [A-Z0-9_]+: /);
          return l.includes(`] ${name}: `);
        })
        .map((l) => l.replace(/^\[[^\]]+\] [A-Z0-9_]+: /, ''));
    },
    async close() {
      shell.close();
      await new Promise((r) => http.close(r));
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}

/** Runs a command on the local machine (the same files the "host" sees). */
export function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}
