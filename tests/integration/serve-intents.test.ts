// The server's intents for runs (R-SRV-3) and the printing commands (R-SRV-2), against the built
// server on the demo fleet, spoken by hand on the wire: bad arguments are refused in words and
// the connection stays; the operator recorded is the one the socket proved, whatever the client
// names; a run that is not the server's cannot be cancelled. `log`, `report` and `stats` through
// the server print exactly what the standalone commands print, with the same exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../helpers/cli';
import type { ServedDemo } from '../helpers/demo-serve';
import { attachedDemo, rawClient, waitUntil, type AttachedDemo, type RawClient, type RunningServer } from '../helpers/console-server';

let demo: ServedDemo;
let base: string;
let socket: string;
let server: RunningServer;
let c: RawClient;
let served: AttachedDemo;

const intent = (name: string, args: unknown): Promise<Record<string, unknown>> => served.intent(name, args);

type RunLite = { runId: string; state: string; operator: string; message?: string };
function lastRuns(): RunLite[] {
  const snaps = c.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console');
  return ((snaps.at(-1)?.data as { runs?: RunLite[] } | undefined)?.runs ?? []) as RunLite[];
}

beforeAll(async () => {
  served = await attachedDemo('doai-serve-intents-', ['console', 'runbooks']);
  ({ demo, base, socket, server, client: c } = served);
}, 40_000);

afterAll(async () => {
  await served?.stop();
});

describe('run intents on the wire', () => {
  it('never writes an approval code or passphrase to the intent history: it records that one was given and the outcome', async () => {
    const res = await intent('run.answer', { runId: '20260101T000000-l2-x-0000', answer: { kind: 'approve', name: 'kim', code: '482913' }, passphrase: 'hunter2-secret' });
    expect(res).toMatchObject({ ok: false });
    const file = join(dirname(demo.configPath), 'state', 'history', 'intents.jsonl');
    const line = await waitUntil('the answer in the intent history', () => {
      try {
        return readFileSync(file, 'utf8').split('\n').find((l) => l.includes('"run.answer"') && l.includes('20260101T000000-l2-x-0000'));
      } catch {
        return undefined;
      }
    }, 10_000);
    expect(line).not.toContain('482913');
    expect(line).not.toContain('hunter2-secret');
    const rec = JSON.parse(line) as { user: string; args: { answer: { name: string; code: string }; passphrase: string }; outcome: string };
    expect(rec.user).toBe('root');
    expect(rec.args.answer).toEqual({ kind: 'approve', name: 'kim', code: '[given]' });
    expect(rec.args.passphrase).toBe('[given]');
    expect(rec.outcome).toMatch(/^refused: /);
  });

  it('publishes the runbooks; refuses malformed arguments in words and keeps the connection', async () => {
    const rb = await c.next((f) => f.t === 'snapshot' && f.topic === 'runbooks');
    expect((rb.data as { runbooks: { id: string }[] }).runbooks.map((r) => r.id)).toContain('l1-soft-reset');
    expect(await intent('run.start', { runbook: 'l1-soft-reset', target: 5 })).toMatchObject({ ok: false, error: 'intent needs "target" as a non-empty string' });
    expect(await intent('run.start', { runbook: 'l1-soft-reset', target: 'doai-orchestrator', params: { x: 1 } })).toMatchObject({ ok: false, error: 'intent field "params.x" must be a string' });
    expect(await intent('run.answer', { runId: 'x', answer: { kind: 'rm -rf' } })).toMatchObject({ ok: false, error: 'intent needs an "answer" with a known kind' });
    expect(await intent('run.cancel', { runId: '20260101T000000-l1-soft-reset-0000' })).toMatchObject({ ok: false, error: 'no run 20260101T000000-l1-soft-reset-0000 on this server' });
    expect(await intent('incident.severity', { id: 'x', severity: 'P9' })).toMatchObject({ ok: false, error: 'intent field "severity" must be one of P0, P1, P2, P3' });
    // Still connected and answering.
    expect(await intent('run.defaults', { runbook: 'l1-soft-reset', target: 'doai-orchestrator' })).toMatchObject({ ok: true, value: { ok: true } });
    expect(c.socket.destroyed).toBe(false);
  });

  it('sends a pending L2 approval code only to the requester: another uid on the socket gets the form without it', async () => {
    const other = await rawClient(socket);
    try {
      const hello = await other.next((f) => f.t === 'hello');
      const proof = join(dirname(socket), 'auth', String(hello.nonce));
      writeFileSync(proof, '', { flag: 'wx', mode: 0o600 });
      chownSync(proof, 65534, 65534); // the kernel-visible owner is the proof: this client is nobody
      other.send({ t: 'auth', client: hello.server });
      expect(await other.next((f) => f.t === 'welcome' || f.t === 'refused')).toMatchObject({ t: 'welcome', identity: { user: 'nobody' } });
      other.send({ t: 'subscribe', topics: ['console'] });
      const res = await intent('run.start', { runbook: 'l2-service-reset', target: 'doai-orchestrator' });
      expect(res).toMatchObject({ ok: true });
      type R = { runId: string; operator: string; prompt?: { kind: string; code?: string } };
      const mine = await waitUntil('the requester\'s form with its code', () => lastRuns().map((r) => r as unknown as R).find((r) => r.prompt?.kind === 'approval' && r.prompt.code), 30_000);
      const code = mine.prompt!.code!;
      const theirs = await waitUntil('the other console\'s form', () => {
        const snaps = other.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console');
        return ((snaps.at(-1)?.data as { runs?: R[] } | undefined)?.runs ?? []).find((r) => r.runId === mine.runId && r.prompt?.kind === 'approval');
      }, 30_000);
      expect(theirs.operator).toBe('root');
      expect(theirs.prompt).not.toHaveProperty('code');
      expect(JSON.stringify(other.frames)).not.toContain(code);
      expect(theirs.prompt).toMatchObject({ message: { en: expect.stringContaining('Approval requested by root') } });
    } finally {
      other.socket.destroy();
      const open = lastRuns().find((r) => r.state === 'running');
      if (open) {
        await intent('run.cancel', { runId: open.runId });
        await waitUntil('the L2 run to end', () => lastRuns().find((r) => r.runId === open.runId && r.state !== 'running'), 30_000);
      }
    }
  });

  it('starts a run as the proven user, whatever name the client sends; the run is the server\'s and ends there', async () => {
    const res = await intent('run.start', { runbook: 'l1-soft-reset', target: 'doai-orchestrator', operator: 'mallory' });
    expect(res).toMatchObject({ ok: true, value: { ok: true } });
    const runId = (res.value as { runId: string }).runId;
    const done = await waitUntil('the run to end', () => lastRuns().find((r) => r.runId === runId && r.state !== 'running'), 60_000);
    expect(done).toMatchObject({ state: 'success', operator: 'root' });
    const journal = readFileSync(join(dirname(demo.configPath), 'journal', `${runId}.jsonl`), 'utf8');
    expect(journal).toContain('"operator":"root"');
    expect(journal).not.toContain('mallory');
    expect(server.log()).toMatch(/intent run\.start by root \(uid 0\)/);
    // A finished run's output is asked for once (snapshots carry only running runs' output).
    const lastConsole = c.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console').at(-1)!.data as { output: Record<string, unknown> };
    expect(lastConsole.output[runId]).toBeUndefined();
    const out = await intent('run.output', { runId });
    expect((out.value as { line: string }[]).map((l) => l.line).join('\n')).toMatch(/doai-orchestrator/);
    // Over: nothing to cancel.
    expect(await intent('run.cancel', { runId })).toMatchObject({ ok: false, error: `run ${runId} is over (SUCCESS)` });
  }, 90_000);
});

describe('log, report and stats through the server', () => {
  const both = async (args: string[]) => {
    const [attached, alone] = await Promise.all([runCli([...args, '--config', demo.configPath, '--socket', socket]), runCli([...args, '--config', demo.configPath, '--standalone'])]);
    return { attached, alone };
  };

  it('log, log --json, log --runbook (unknown: the usage error) print the same as standalone', async () => {
    for (const args of [['log'], ['log', '--json', '--limit', '5'], ['log', '--runbook', 'l1-soft-reset'], ['log', '--runbook', 'nope']]) {
      const { attached, alone } = await both(args);
      expect(attached.code, args.join(' ')).toBe(alone.code);
      expect(attached.stdout, args.join(' ')).toBe(alone.stdout);
      expect(attached.stderr.trim(), args.join(' ')).toBe(alone.stderr.trim());
    }
    const { attached } = await both(['log']);
    expect(attached.stdout).toMatch(/l1-soft-reset +doai-orchestrator +root +SUCCESS/);
    expect(server.log()).toMatch(/intent cli\.log by root/);
  }, 60_000);

  it('stats and report: the same text and exit code as standalone', async () => {
    const stats = await both(['stats', '--since', '1d']);
    expect(stats.attached.code).toBe(stats.alone.code);
    expect(stats.attached.stdout).toBe(stats.alone.stdout);
    const report = await both(['report']);
    expect(report.attached.code).toBe(report.alone.code);
    expect(report.attached.stdout).toBe(report.alone.stdout);
    expect(server.log()).toMatch(/intent cli\.report by root/);
  }, 60_000);

  it('a --socket where no server listens is an error, said, exit 2', async () => {
    const r = await runCli(['log', '--config', demo.configPath, '--socket', join(base, 'run', 'nobody.sock')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/server not running/);
    expect(r.stdout).toBe('');
  });
});

describe('run through the server', () => {
  /** Times, durations, run ids and the simulated host's own output differ between two runs; the lines `run` makes must not. */
  const norm = (s: string) =>
    s
      .split('\n')
      .filter((l) => !/^  [|!] /.test(l))
      .join('\n')
      .replace(/\d+ ms\b/g, 'N ms')
      .replace(/\b\d\d:\d\d:\d\d\b/g, 'HH:MM:SS')
      .replace(/\(\d+\.\d+s\)/g, '(N.Ns)')
      .replace(/in \d+(\.\d+)?s/g, 'in Ns')
      .replace(/\d{8}T\d{6}-[a-z0-9-]+-[0-9a-f]{4}/g, 'RUNID');

  it('L1: the same lines and exit code as the standalone run; the run is the server\'s (its log names the intent)', async () => {
    const attached = await runCli(['run', 'l1-soft-reset', '--target', 'doai-orchestrator', '--config', demo.configPath, '--socket', socket], { timeoutMs: 60_000 });
    const alone = await runCli(['run', 'l1-soft-reset', '--target', 'doai-orchestrator', '--config', demo.configPath, '--standalone'], { timeoutMs: 60_000 });
    expect(attached.code, attached.stderr).toBe(0);
    expect(alone.code, alone.stderr).toBe(0);
    expect(norm(attached.stdout)).toBe(norm(alone.stdout));
    // Output lines are printed too (the host's, as they came).
    expect(attached.stdout).toMatch(/^ {2}\| Starting doai-orchestrator\.service/m);
    expect(attached.stdout).toMatch(/L1 Soft Reset \(l1-soft-reset\) on doai-orchestrator by root/);
    expect(attached.stdout).toMatch(/SUCCESS/);
    expect(server.log()).toMatch(/intent run\.start by root/);
    // Its polling of the events is not logged (nor kept in the history) line by line.
    expect(server.log()).not.toMatch(/intent run\.events/);
  }, 120_000);

  it('refusals: an unknown runbook and a misfit target, same message and exit code as standalone', async () => {
    for (const args of [
      ['run', 'nope', '--target', 'doai-orchestrator'],
      ['run', 'l2-service-reset', '--target', 'caddy'],
    ]) {
      const attached = await runCli([...args, '--config', demo.configPath, '--socket', socket]);
      const alone = await runCli([...args, '--config', demo.configPath, '--standalone']);
      expect(attached.code, args.join(' ')).toBe(alone.code);
      expect(attached.code).not.toBe(0);
      expect(attached.stderr.trim()).toBe(alone.stderr.trim());
      expect(attached.stdout).toBe(alone.stdout);
    }
  }, 60_000);

  it('L2 waits for an approval from another session (said with the command); SIGTERM cancels it in the server, exit 143', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli');
    const child = spawn(process.execPath, [BIN, 'run', 'l2-service-reset', '--target', 'doai-orchestrator', '--config', demo.configPath, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitUntil(`the approval request line\n${out}`, () => /approval request \S+ \(step 1\) is pending; another user approves it with:\n {2}doai-console approve \S+/.test(out), 30_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(out).toMatch(/received SIGTERM: cancelling the run/);
    expect(out).toMatch(/CANCELLED/);
    const audit = readFileSync(join(dirname(demo.configPath), 'emergency.log'), 'utf8');
    expect(audit).toMatch(/L2_SERVICE_RESET: CANCELLED/);
  }, 60_000);
});
