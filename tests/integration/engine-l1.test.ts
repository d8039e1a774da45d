// The engine running the built-in L1 runbook against a real ssh2 server that simulates systemd
// and a real node:http health endpoint, both on loopback. Waits and poll intervals go through a
// FakeClock; SSH and HTTP timeouts are real.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { readJournal } from '../../src/audit/journal';
import { configSchema, type Config } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import { createRunEngine, type RunEngine } from '../../src/runbook/engine';
import type { RunEvent, RunOutcome } from '../../src/runbook/events';
import { loadRunbooks, parseRunbook } from '../../src/runbook/loader';
import { FileLockStore, lockPath, readLock } from '../../src/runbook/locks';
import type { Runbook } from '../../src/runbook/schema';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import { startTestSshServer, type ExecContext, type TestSshServer } from '../helpers/ssh-server';

const UNIT = 'doai-orchestrator';
const RESTART = `systemctl restart '${UNIT}'`;
const STATUS = `systemctl status '${UNIT}' --no-pager`;

/** What the simulated box does; tests flip these. */
interface Box {
  healthy: boolean;
  healthyAfterRestart: boolean;
  hangRestart: boolean;
  restarts: number;
  healthHits: number;
}

let box: Box;
let ssh: TestSshServer;
let http: Server;
let httpPort: number;
let dir: string;
let shell: SshShell;
let clock: FakeClock;
let runbooks: Map<string, Runbook>;
let engines: RunEngine[];

function simulateSystemd(ctx: ExecContext): void | Promise<void> {
  if (ctx.command === RESTART) {
    if (box.hangRestart) {
      // A restart stuck on a unit that will not stop: only the client ending it finishes this.
      return ctx.closed;
    }
    box.restarts++;
    box.healthy = box.healthyAfterRestart;
    return ctx.exit(0);
  }
  if (ctx.command === STATUS) {
    ctx.stdout(`● ${UNIT}.service - DoAI orchestrator\n`);
    ctx.stdout(`     Active: ${box.healthy ? 'active (running)' : 'failed (Result: exit-code)'}\n`);
    ctx.stderr('Warning: journal has been rotated since unit was started.\n');
    return ctx.exit(box.healthy ? 0 : 3);
  }
  ctx.stderr(`sh: ${ctx.command}: not found\n`);
  return ctx.exit(127);
}

function makeConfig(): Config {
  return configSchema.parse({
    hosts: [{ name: 'vultr-1', address: '127.0.0.1', port: ssh.port, user: 'root', identity_file: ssh.clientKeyPath }],
    services: [{ name: 'orchestrator', host: 'vultr-1', unit: UNIT, health_url: `http://127.0.0.1:${httpPort}/health` }],
  });
}

function makeEngine(opts: { operator?: string; runbooks?: Map<string, Runbook> } = {}): { engine: RunEngine; events: RunEvent[] } {
  const engine = createRunEngine({
    config: makeConfig(),
    runbooks: opts.runbooks ?? runbooks,
    shell,
    clock,
    operator: opts.operator ?? 'orion',
    audit: new AuditLog(join(dir, 'log', 'emergency.log')),
    journalDir: join(dir, 'journal'),
    locks: new FileLockStore(join(dir, 'locks')),
  });
  engines.push(engine);
  const events: RunEvent[] = [];
  engine.on((e) => events.push(e));
  return { engine, events };
}

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Advances the fake clock while real SSH/HTTP work proceeds, until the run ends (bounded). */
async function drive(engine: RunEngine, runId: string, stepMs = 500): Promise<RunOutcome> {
  let outcome: RunOutcome | undefined;
  void engine.waitFor(runId).then((o) => (outcome = o));
  for (let i = 0; i < 3000 && outcome === undefined; i++) {
    await clock.advance(stepMs);
    await realSleep(3);
  }
  if (outcome === undefined) throw new Error('the run did not finish');
  return outcome;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await realSleep(10);
  }
}

function auditMessages(): string[] {
  const path = join(dir, 'log', 'emergency.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      expect(l).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\] L1_SOFT_RESET: /);
      return l.replace(/^\[[^\]]+\] L1_SOFT_RESET: /, '');
    });
}

const strip = (events: RunEvent[]) => events.map((e) => JSON.parse(JSON.stringify(e)));

beforeEach(async () => {
  box = { healthy: false, healthyAfterRestart: true, hangRestart: false, restarts: 0, healthHits: 0 };
  dir = mkdtempSync(join(tmpdir(), 'doai-engine-'));
  ssh = await startTestSshServer({ onExec: simulateSystemd });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${ssh.knownHostsLine}\n`);
  http = createServer((req, res) => {
    if (req.url === '/health') box.healthHits++;
    res.statusCode = req.url === '/health' && box.healthy ? 200 : 503;
    res.end(box.healthy ? '{"status":"ok"}' : '{"status":"down"}');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  clock = new FakeClock();
  engines = [];
  runbooks = loadRunbooks({ builtinDir: resolve(__dirname, '../../actions') });
  shell = createSshShell({ hosts: makeConfig().hosts, knownHostsPath: knownHosts, env: {} });
});

afterEach(async () => {
  for (const e of engines) for (const r of e.activeRuns()) e.cancel(r.runId);
  shell.close();
  await ssh.close();
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('L1 soft reset against a simulated box', () => {
  it('recovers a down service: START, SERVICE_RESTARTED, SUCCESS; the journal has every event', async () => {
    const { engine, events } = makeEngine();
    const started = engine.start('l1-soft-reset', 'orchestrator');
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    // The lock is held while the run is on.
    expect(readLock(join(dir, 'locks'), 'orchestrator')).toMatchObject({ runId: started.runId, operator: 'orion', level: 'L1', alive: true });

    expect(await drive(engine, started.runId)).toBe('success');
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'SERVICE_RESTARTED', 'SUCCESS']);
    expect(ssh.execs.map((e) => e.command)).toEqual([RESTART, STATUS]);
    expect(box.restarts).toBe(1);
    // Health check (503, may fail) + the first verify attempt.
    expect(box.healthHits).toBe(2);

    const view = engine.getSnapshot().runs.find((r) => r.runId === started.runId)!;
    expect(view.state).toBe('success');
    expect(view.steps.map((s) => `${s.id}:${s.state}`)).toEqual(['health-check:failed', 'restart:ok', 'settle:ok', 'status:ok', 'verify:ok']);
    expect(view.steps[0].detail).toMatch(/HTTP 503/);
    expect(view.steps.every((s) => s.startedAt && s.finishedAt)).toBe(true);
    expect(view.message).toBe('✅ L1 recovery succeeded');

    // Output streamed line by line, stderr marked.
    const out = engine.getOutput(started.runId, 100).filter((l) => l.stepId === 'status');
    expect(out).toEqual([
      { stepId: 'status', stream: 'stdout', line: `● ${UNIT}.service - DoAI orchestrator` },
      { stepId: 'status', stream: 'stdout', line: '     Active: active (running)' },
      { stepId: 'status', stream: 'stderr', line: 'Warning: journal has been rotated since unit was started.' },
    ]);

    // The 5 s settle counted down on the clock, one progress event per second.
    const progress = events.filter((e) => e.type === 'step.progress' && e.stepId === 'settle').map((e) => (e as { detail: string }).detail);
    expect(progress).toEqual(['5 s left', '4 s left', '3 s left', '2 s left', '1 s left']);

    expect(events[0]).toMatchObject({ type: 'run.started', runbook: 'l1-soft-reset', target: 'orchestrator', operator: 'orion', auditName: 'L1_SOFT_RESET', dryRun: false });
    expect(events[1]).toMatchObject({ type: 'approval.granted', how: 'auto', approver: 'auto', step: 1 });
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'success' });

    const journal = readJournal(join(dir, 'journal', `${started.runId}.jsonl`));
    expect(strip(journal)).toEqual(strip(events));
    expect(journal[0].at).toBeInstanceOf(Date);

    // Released on finish.
    expect(existsSync(lockPath(join(dir, 'locks'), 'orchestrator'))).toBe(false);
  });

  // Issue 12 item 6: L2 and L3 connect the same way, so a refused host key must not offer them.
  for (const refusal of ['changed', 'unknown'] as const) {
    it(`${refusal === 'changed' ? 'a' : 'an'} ${refusal} host key ends the run "FAILED - host key ${refusal} for vultr-1" with what to do, and offers no L2`, async () => {
      const knownHosts = join(dir, `known_hosts_${refusal}`);
      const other = generateEd25519KeyPair().public.split(' ')[1];
      writeFileSync(knownHosts, refusal === 'changed' ? `[127.0.0.1]:${ssh.port} ssh-ed25519 ${other}\n` : '');
      shell.close();
      shell = createSshShell({ hosts: makeConfig().hosts, knownHostsPath: knownHosts, env: {}, configPath: '/etc/doai/console.yaml' });
      const { engine, events } = makeEngine();
      const started = engine.start('l1-soft-reset', 'orchestrator');
      if (!started.ok) throw new Error(started.error);
      expect(await drive(engine, started.runId)).toBe('failed');
      expect(ssh.execs).toEqual([]);
      expect(ssh.authenticatedConnections()).toBe(0);

      const finished = events.at(-1) as Extract<RunEvent, { type: 'run.finished' }>;
      expect(finished.escalateTo).toBeUndefined();
      expect(finished.trust?.summary).toBe(`host key ${refusal} for vultr-1`);
      const advice =
        refusal === 'changed'
          ? new RegExp(`ssh-keygen -f '${knownHosts}' -R '\\[127\\.0\\.0\\.1\\]:${ssh.port}'.*doai-console check --accept-new --config '/etc/doai/console.yaml'`)
          : /record it with `doai-console check --accept-new --config '\/etc\/doai\/console\.yaml'`/;
      // emergency.log: the reason and the advice, not "Escalate to L2".
      const audit = auditMessages();
      expect(audit.slice(0, 2)).toEqual(['START', 'STEP1_APPROVED by auto']);
      expect(audit).toHaveLength(3);
      expect(audit[2]).toMatch(new RegExp(`^FAILED - host key ${refusal} for vultr-1: `));
      expect(audit[2]).toMatch(advice);
      expect(audit.join('\n')).not.toMatch(/Escalate/);
      // On screen: the run's final message and the step's output say the same.
      const view = engine.getSnapshot().runs.find((r) => r.runId === started.runId)!;
      expect(view.escalateTo).toBeUndefined();
      expect(view.message).toMatch(new RegExp(`^host key ${refusal} for vultr-1: `));
      expect(view.message).toMatch(advice);
      expect(view.steps.map((st) => `${st.id}:${st.state}`)).toEqual(['health-check:failed', 'restart:failed', 'settle:skipped', 'status:skipped', 'verify:skipped']);
      const out = engine.getOutput(started.runId, 100).filter((l) => l.stepId === 'restart').map((l) => l.line);
      expect(out.join('\n')).toMatch(refusal === 'changed' ? /REMOTE HOST IDENTIFICATION HAS CHANGED for vultr-1/ : /authenticity of host vultr-1 .* can't be established/);
    });
  }

  it('verify failing 6 times: FAILED - Escalate to L2, escalateTo l2-service-reset', async () => {
    box.healthyAfterRestart = false;
    const { engine, events } = makeEngine();
    const started = engine.start('l1-soft-reset', 'orchestrator');
    if (!started.ok) throw new Error(started.error);
    const t0 = clock.now().getTime();
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'SERVICE_RESTARTED', expect.stringMatching(/^STEP_FAILED verify - still failing after 6 attempts: GET http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503$/), 'FAILED - Escalate to L2']);
    expect(box.healthHits).toBe(1 + 6);
    const finished = events.at(-1)!;
    expect(finished).toMatchObject({ type: 'run.finished', outcome: 'failed', escalateTo: 'l2-service-reset' });
    expect((finished as { message: string }).message).toMatch(/L1 recovery failed → proceed to L2 \(step "verify" .* failed: still failing after 6 attempts: GET http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503\)/);
    const view = engine.getSnapshot().runs[0];
    expect(view.escalateTo).toBe('l2-service-reset');
    expect(view.steps.map((s) => s.state)).toEqual(['failed', 'ok', 'ok', 'failed', 'failed']);
    // systemctl status exits 3 for a failed unit: shown, but may fail.
    expect(view.steps[3].detail).toBe('(allowed) exit code 3 — this step may fail; the run goes on');
    const attempts = events.filter((e) => e.type === 'step.progress' && e.stepId === 'verify').map((e) => (e as { detail: string }).detail);
    expect(attempts).toEqual(['attempt 1/6', 'attempt 2/6', 'attempt 3/6', 'attempt 4/6', 'attempt 5/6', 'attempt 6/6']);
    // 5 s settle + 5 intervals of 5 s between the 6 attempts, on the clock.
    const verifyStart = events.find((e) => e.type === 'step.started' && e.stepId === 'verify')!.at.getTime();
    const verifyEnd = events.find((e) => e.type === 'step.finished' && e.stepId === 'verify')!.at.getTime();
    expect(verifyEnd - verifyStart).toBeGreaterThanOrEqual(25_000);
    expect(verifyEnd - verifyStart).toBeLessThan(30_000);
    expect(verifyStart - t0).toBeGreaterThanOrEqual(5_000);
  });

  it('a hanging restart times out: the remote command is ended and the step fails "timed out after 1 s"', async () => {
    box.hangRestart = true;
    const l1 = structuredClone(runbooks.get('l1-soft-reset')!);
    (l1.steps[1] as { timeout_s: number }).timeout_s = 1;
    const { engine, events } = makeEngine({ runbooks: new Map([[l1.id, l1]]) });
    const started = engine.start('l1-soft-reset', 'orchestrator');
    if (!started.ok) throw new Error(started.error);
    const t = Date.now();
    expect(await drive(engine, started.runId)).toBe('failed');
    expect(Date.now() - t).toBeLessThan(10_000);
    const restart = events.find((e) => e.type === 'step.finished' && e.stepId === 'restart');
    expect(restart).toMatchObject({ outcome: 'failed', message: 'timed out after 1 s' });
    await until('the remote restart to end', () => ssh.execs.some((x) => x.command === RESTART && x.closed));
    const rec = ssh.execs.find((x) => x.command === RESTART)!;
    expect(rec.groupKilled || rec.closedByClient).toBe(true);
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'STEP_FAILED restart - timed out after 1 s', 'FAILED - Escalate to L2']);
    const view = engine.getSnapshot().runs[0];
    expect(view.steps.map((s) => s.state)).toEqual(['failed', 'failed', 'skipped', 'skipped', 'skipped']);
    expect(ssh.execs.filter((x) => x.command === STATUS)).toHaveLength(0);
  });

  it('cancel mid-step ends the remote command: CANCELLED by user, the rest skipped', async () => {
    box.hangRestart = true;
    const { engine, events } = makeEngine();
    const started = engine.start('l1-soft-reset', 'orchestrator');
    if (!started.ok) throw new Error(started.error);
    const outcome = drive(engine, started.runId);
    await until('the restart to reach the host', () => ssh.execs.some((x) => x.command === RESTART));
    engine.cancel(started.runId);
    expect(await outcome).toBe('cancelled');
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'CANCELLED by user']);
    await until('the remote restart to end', () => ssh.execs.find((x) => x.command === RESTART)!.closed);
    const view = engine.getSnapshot().runs[0];
    expect(view.state).toBe('cancelled');
    expect(view.steps.map((s) => s.state)).toEqual(['failed', 'cancelled', 'skipped', 'skipped', 'skipped']);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'cancelled', message: 'cancelled by orion' });
    expect(existsSync(lockPath(join(dir, 'locks'), 'orchestrator'))).toBe(false);
  });

  it('dry run shows every command and host in order and runs nothing', async () => {
    const { engine, events } = makeEngine();
    const started = engine.start('l1-soft-reset', 'orchestrator', { dryRun: true });
    if (!started.ok) throw new Error(started.error);
    expect(await drive(engine, started.runId)).toBe('success');
    expect(ssh.execs).toHaveLength(0);
    expect(ssh.authenticatedConnections()).toBe(0);
    expect(box.healthHits).toBe(0);
    const lines = events.filter((e) => e.type === 'step.output').map((e) => (e as { line: string }).line);
    expect(lines).toEqual([
      `[dry-run] http GET http://127.0.0.1:${httpPort}/health → expect 200 (timeout 10 s)`,
      `[dry-run] ssh root@vultr-1: systemctl restart 'doai-orchestrator'`,
      '[dry-run] wait 5 s',
      `[dry-run] ssh root@vultr-1: systemctl status 'doai-orchestrator' --no-pager`,
      `[dry-run] poll up to 6 × every 5 s: http GET http://127.0.0.1:${httpPort}/health → expect 200 (timeout 5 s)`,
    ]);
    expect(engine.getSnapshot().runs[0].steps.every((s) => s.state === 'skipped')).toBe(true);
    expect(auditMessages()).toEqual(['DRY_RUN']);
  });

  it('a second start on the same target is refused with who and since, from another console too', async () => {
    box.hangRestart = true;
    const first = makeEngine({ operator: 'orion' });
    const a = first.engine.start('l1-soft-reset', 'orchestrator');
    if (!a.ok) throw new Error(a.error);
    const since = clock.now();
    const hhmm = `${String(since.getHours()).padStart(2, '0')}:${String(since.getMinutes()).padStart(2, '0')}`;

    const again = first.engine.start('l1-soft-reset', 'orchestrator');
    expect(again).toMatchObject({ ok: false, error: `L1 in progress by orion since ${hhmm} (run ${a.runId})` });
    // Another console process (another engine object, same lock directory).
    const other = makeEngine({ operator: 'vega' });
    const b = other.engine.start('l1-soft-reset', 'orchestrator');
    expect(b).toMatchObject({ ok: false, error: `L1 in progress by orion since ${hhmm} (run ${a.runId})` });
    // A dry run changes nothing and is allowed meanwhile.
    expect(other.engine.start('l1-soft-reset', 'orchestrator', { dryRun: true }).ok).toBe(true);

    first.engine.cancel(a.runId);
    expect(await drive(first.engine, a.runId)).toBe('cancelled');
    box.hangRestart = false;
    const c = other.engine.start('l1-soft-reset', 'orchestrator');
    expect(c.ok).toBe(true);
    if (c.ok) expect(await drive(other.engine, c.runId)).toBe('success');
  });

  it('a lock left by a dead process is stale and replaced', async () => {
    const deadPid = await new Promise<number>((res) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('exit', () => res(child.pid!));
    });
    const lockDir = join(dir, 'locks');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(
      lockPath(lockDir, 'orchestrator'),
      JSON.stringify({ pid: deadPid, operator: 'ghost', runbook: 'l2-service-reset', level: 'L2', since: new Date().toISOString(), runId: 'old-run', hostname: hostname() }),
    );
    expect(readLock(lockDir, 'orchestrator')).toMatchObject({ operator: 'ghost', alive: false });
    const { engine } = makeEngine();
    const started = engine.start('l1-soft-reset', 'orchestrator');
    if (!started.ok) throw new Error(started.error);
    expect(readLock(lockDir, 'orchestrator')).toMatchObject({ runId: started.runId, pid: process.pid, alive: true });
    expect(await drive(engine, started.runId)).toBe('success');
    expect(readLock(lockDir, 'orchestrator')).toBeUndefined();
  });

  it('a live lock of another process is respected', async () => {
    const lockDir = join(dir, 'locks');
    mkdirSync(lockDir, { recursive: true });
    // pid 1 always exists (and belongs to another user here: EPERM means alive too).
    writeFileSync(
      lockPath(lockDir, 'orchestrator'),
      JSON.stringify({ pid: 1, operator: 'vega', runbook: 'l2-service-reset', level: 'L2', since: new Date(2026, 0, 4, 15, 31).toISOString(), runId: 'r-vega', hostname: hostname() }),
    );
    const { engine } = makeEngine();
    expect(engine.start('l1-soft-reset', 'orchestrator')).toMatchObject({ ok: false, error: 'L2 in progress by vega since 15:31 (run r-vega)', hint: expect.stringContaining(`rm '${lockPath(lockDir, 'orchestrator')}'`) });
    expect(auditMessages()).toEqual([]);
  });

  it('a box-level run on the service\'s host blocks a service restart there, and leaves no lock behind', async () => {
    const lockDir = join(dir, 'locks');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(
      lockPath(lockDir, 'vultr-1'),
      JSON.stringify({ pid: 1, operator: 'vega', runbook: 'l3-box-reset', level: 'L3', since: new Date(2026, 0, 4, 15, 40).toISOString(), runId: 'r-box', hostname: hostname() }),
    );
    const { engine } = makeEngine();
    expect(engine.start('l1-soft-reset', 'orchestrator')).toMatchObject({
      ok: false,
      error: 'L3 in progress by vega since 15:40 (run r-box) on vultr-1, which shares the host with orchestrator',
    });
    expect(existsSync(lockPath(lockDir, 'orchestrator'))).toBe(false);
    expect(ssh.execs).toHaveLength(0);
  });
});

describe('confirm and interrupt', () => {
  const manual = `id: manual-reboot
level: L3
audit_name: L1_SOFT_RESET
title: { ko: 수동 재부팅, en: Manual reboot }
approval: auto
target: host
steps:
  - id: reboot
    kind: confirm
    prompt: { ko: "콘솔에서 {{host.name}} 재부팅 후 Enter", en: "Reboot {{host.name}} in the console, then press Enter" }
  - id: wait-ssh
    kind: poll
    interval_s: 10
    deadline_s: 600
    check: { kind: ssh, run: "systemctl status {{params.unit}} --no-pager", timeout_s: 5 }
    audit: SERVICES_RESTARTED
params:
  unit: { type: unit, default: doai-orchestrator }
`;

  it('waits for confirm(), carries the prompt in the run view, then goes on', async () => {
    box.healthy = true;
    const parsed = parseRunbook(manual, 'manual.yaml');
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const { engine } = makeEngine({ runbooks: new Map([[parsed.runbook.id, parsed.runbook]]) });
    const started = engine.start('manual-reboot', 'vultr-1');
    if (!started.ok) throw new Error(started.error);
    let outcome: RunOutcome | undefined;
    void engine.waitFor(started.runId).then((o) => (outcome = o));
    await until('the prompt', () => engine.getSnapshot().runs[0]?.prompt !== undefined);
    expect(engine.getSnapshot().runs[0].prompt).toEqual({ kind: 'confirm', stepId: 'reboot', message: { ko: '콘솔에서 vultr-1 재부팅 후 Enter', en: 'Reboot vultr-1 in the console, then press Enter' } });
    await clock.advance(60_000);
    expect(outcome).toBeUndefined();
    engine.confirm(started.runId);
    expect(await drive(engine, started.runId)).toBe('success');
    expect(engine.getSnapshot().runs[0].prompt).toBeUndefined();
    expect(ssh.execs.map((e) => e.command)).toEqual([STATUS]);
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'SERVICES_RESTARTED', 'SUCCESS']);
  });

  it('interrupt (SIGTERM) ends the run as interrupted and flushes the journal', async () => {
    const parsed = parseRunbook(manual, 'manual.yaml');
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const { engine } = makeEngine({ runbooks: new Map([[parsed.runbook.id, parsed.runbook]]) });
    const started = engine.start('manual-reboot', 'vultr-1');
    if (!started.ok) throw new Error(started.error);
    await until('the prompt', () => engine.getSnapshot().runs[0]?.prompt !== undefined);
    engine.interrupt(started.runId, 'SIGTERM');
    expect(await engine.waitFor(started.runId)).toBe('interrupted');
    expect(auditMessages()).toEqual(['START', 'STEP1_APPROVED by auto', 'INTERRUPTED - SIGTERM']);
    const journal = readJournal(join(dir, 'journal', `${started.runId}.jsonl`));
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'interrupted', message: 'SIGTERM' });
    expect(journal.filter((e) => e.type === 'step.finished').map((e) => (e as { outcome: string }).outcome)).toEqual(['cancelled', 'skipped']);
  });
});
