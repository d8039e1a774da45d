// Runs belong to the server (R-SRV-3), on the BUILT binary in real terminals (tmux) against the
// demo fleet: a console attached to `doai-console serve` starts L1, is killed (SIGKILL) while L1
// verifies, and the run goes on in the server; the next console shows it running, its output from
// the start, and sees it end. An L2 approval form left open by a console that lost its session
// (SIGHUP) comes back in the next console with the same code, and is answered there; another one
// advances by itself when another OS user approves it with `doai-console approve` on the socket. A server
// killed mid-run (SIGKILL) records the run INTERRUPTED when it starts again and any console can
// resume it. Every action carries the identity the socket proved (root here), not a typed name.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { commands, type CommandScreen } from '../../src/commands/registry';
import { BIN, runCli, waitForProcessesGone } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';
import { startServer, waitUntil, type RunningServer } from '../helpers/console-server';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let dir: string;
let base: string;
let socket: string;
let server: RunningServer | undefined;
const terms: TmuxSession[] = [];

function key(id: string, screen: CommandScreen): string {
  const k = commands.find((c) => c.id === id && c.screen === screen)?.keys[0];
  if (!k) throw new Error(`no command ${id} on ${screen}`);
  return ({ enter: 'Enter', esc: 'Escape' } as Record<string, string>)[k] ?? k;
}

function audit(): string[] {
  try {
    return readFileSync(join(dir, 'emergency.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

type Event = Record<string, unknown> & { type: string };
function journals(): { name: string; events: Event[] }[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return names.map((name) => ({
    name,
    events: readFileSync(join(dir, 'journal', name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Event];
        } catch {
          return [];
        }
      }),
  }));
}

function journalOf(runId: string): Event[] {
  return journals().find((j) => j.events.some((e) => e.type === 'run.started' && e.runId === runId))?.events ?? [];
}

let consoles = 0;
/** An attached console; its pid (exec keeps the shell's) so the test can signal it. */
function attachConsole(): { term: TmuxSession; pid(): number } {
  const pidFile = join(base, `console-${++consoles}.pid`);
  // DOAI_OPERATOR names someone else: the server must record the socket's proven user, not this.
  const term = startTmux(`sh -c 'echo $$ > ${pidFile}; exec node ${BIN} --config ${demo.configPath} --socket ${socket} --lang en'`, {
    cols: 110,
    rows: 32,
    env: { DOAI_OPERATOR: 'mallory', NO_COLOR: '1' },
  });
  terms.push(term);
  return { term, pid: () => Number(readFileSync(pidFile, 'utf8')) };
}

async function fault(name: string): Promise<void> {
  const r = await runCli(['demo', 'fault', name, '--config', demo.configPath]);
  expect(r.code, r.stderr).toBe(0);
}

/** The run whose journal shows `stepId` started, once it does. */
async function runInStep(runbook: string, stepId: string, after: Set<string>): Promise<string> {
  return waitUntil(
    `${runbook} in step ${stepId}`,
    () => {
      for (const j of journals()) {
        const started = j.events.find((e) => e.type === 'run.started' && e.runbook === runbook);
        if (started && !after.has(String(started.runId)) && j.events.some((e) => e.type === 'step.started' && e.stepId === stepId)) return String(started.runId);
      }
      return undefined;
    },
    30_000,
    20,
  );
}

const known = () => new Set(journals().flatMap((j) => j.events.filter((e) => e.type === 'run.started').map((e) => String(e.runId))));

type AttachedConsole = ReturnType<typeof attachConsole>;

/** crash-loop, a console attached, L1 started from the dashboard: returned once the run is in verify. */
async function l1InVerify(): Promise<{ a: AttachedConsole; runId: string }> {
  await fault('crash-loop');
  const a = attachConsole();
  await a.term.waitFor(/attached to \S*console\.sock/, 30_000);
  await a.term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
  const before = known();
  a.term.send(key('runbook.l1', 'dashboard'));
  return { a, runId: await runInStep('l1-soft-reset', 'verify', before) };
}

/** A console attached with the L2 form open on doai-orchestrator (the third service); the screen then. */
async function l2FormOpen(until: RegExp): Promise<{ a: AttachedConsole; form: string }> {
  const a = attachConsole();
  await a.term.waitFor(/doai-orchestrator\s+UP/, 30_000);
  a.term.send('Down');
  await new Promise((r) => setTimeout(r, 150));
  a.term.send('Down');
  await a.term.waitFor(/› doai-orchestrator/, 10_000);
  a.term.send(key('runbook.l2', 'dashboard'));
  const asked = await a.term.waitFor(/restart anyway with L2 Service Reset\? \(y\/n\)|SERVICE RESET CONFIRMATION/, 20_000);
  if (/restart anyway/.test(asked)) a.term.send('y');
  return { a, form: await a.term.waitFor(until, 20_000) };
}

/** The console's process gets `signal`; its screen once it has exited. */
async function kill(c: AttachedConsole, signal: NodeJS.Signals): Promise<string> {
  process.kill(c.pid(), signal);
  return c.term.waitFor(/\[exit \d+\]/, 15_000);
}

/** The next console: attached, then the run screen opened on the run the server has. */
async function reattach(): Promise<AttachedConsole> {
  const b = attachConsole();
  await b.term.waitFor(/attached to \S*console\.sock/, 30_000);
  b.term.send(key('run.open', 'dashboard'));
  return b;
}

beforeAll(async () => {
  demo = await serveDemo();
  dir = dirname(demo.configPath);
  base = mkdtempSync(join(tmpdir(), 'doai-runs-attached-'));
  chmodSync(base, 0o711);
  socket = join(base, 'run', 'console.sock');
  server = await startServer(demo.configPath, socket);
}, 40_000);

afterEach(() => {
  for (const t of terms.splice(0)) t.kill();
});

afterAll(async () => {
  for (const t of terms.splice(0)) t.kill();
  await server?.stop('SIGTERM');
  await demo?.stop();
  if (base) {
    await waitForProcessesGone(base);
    rmSync(base, { recursive: true, force: true, maxRetries: 10 });
  }
});

describe('runs belong to the server', () => {
  it('SIGKILL the console during L1 verify: the run goes on; the next console shows it with its output from the start and sees it end', async () => {
    const { a, runId } = await l1InVerify();
    await kill(a, 'SIGKILL');
    // The box comes back while nobody watches: the server's verify sees it.
    await fault('clear');

    const b = await reattach();
    // root: the proven user of the socket, not DOAI_OPERATOR.
    const shown = await b.term.waitFor(/L1 Soft Reset · doai-orchestrator · root · (RUNNING|SUCCESS)/, 20_000);
    // From the start: the restart step done before this console existed.
    expect(shown).toMatch(/✓ Restart the service/);
    await b.term.waitFor(/L1 Soft Reset · doai-orchestrator · root · SUCCESS/, 60_000);
    const events = journalOf(runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'success' });
    expect(events.find((e) => e.type === 'run.started')).toMatchObject({ operator: 'root' });
    expect(audit().filter((l) => l.includes('L1_SOFT_RESET')).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'L1_SOFT_RESET: START',
      'L1_SOFT_RESET: STEP1_APPROVED by auto',
      'L1_SOFT_RESET: SERVICE_RESTARTED',
      'L1_SOFT_RESET: SUCCESS',
    ]);
    // Quitting an attached console detaches: nothing to confirm, nothing cancelled.
    b.term.send(key('run.back', 'run'));
    await b.term.waitFor(/SERVICE\s+STATE/, 10_000);
    b.term.send(key('quit', 'global'));
    const out = await b.term.waitFor(/\[exit \d+\]/, 15_000);
    expect(out).toContain('[exit 0]');
    expect(out).not.toContain('quit anyway');
  }, 150_000);

  it('an L2 approval form left by a dropped session (SIGHUP) comes back in the next console with the same code, and is answered there', async () => {
    const { a, form } = await l2FormOpen(/Code ([0-9A-F]{6}) · valid/);
    const code = /Code ([0-9A-F]{6}) · valid/.exec(form)![1]!;
    expect(await kill(a, 'SIGHUP')).toContain('[exit 129]');
    // Nothing was decided: the request is still pending in the server.
    expect(audit().some((l) => /L2_SERVICE_RESET: (INTERRUPTED|CANCELLED|STEP1_REJECTED)/.test(l))).toBe(false);

    const b = await reattach();
    const back = await b.term.waitFor(/SERVICE RESET CONFIRMATION — doai-orchestrator/, 20_000);
    expect(back).toContain(`Code ${code}`);
    // Answered here: the code, then a name (declared by the proven operator).
    b.term.type(code.toLowerCase());
    await new Promise((r) => setTimeout(r, 150));
    b.term.send('Tab');
    await new Promise((r) => setTimeout(r, 150));
    b.term.type('kim');
    await new Promise((r) => setTimeout(r, 150));
    for (let i = 0; i < 20 && /more below/.test(b.term.screen()); i++) {
      b.term.send('NPage');
      await new Promise((r) => setTimeout(r, 150));
    }
    await b.term.waitFor('— end of plan —', 5_000);
    b.term.send('Enter');
    await b.term.waitFor(/L2 Service Reset · doai-orchestrator · root · SUCCESS/, 90_000);
    expect(audit().some((l) => /L2_SERVICE_RESET: STEP1_APPROVED by kim \(declared by root\)$/.test(l))).toBe(true);
    expect(audit().filter((l) => l.includes('L2_SERVICE_RESET')).at(-1)).toMatch(/L2_SERVICE_RESET: SUCCESS$/);
  }, 150_000);

  it('an L2 form in an attached console advances by itself when another OS user runs `doai-console approve <id>` against the server', async () => {
    const { a, form } = await l2FormOpen(/doai-console approve ([0-9a-f]{8})/);
    const id = /doai-console approve ([0-9a-f]{8})/.exec(form)![1]!;
    // nobody, on the server's socket (no config, no approvals folder of their own).
    const { spawn } = await import('node:child_process');
    const approver = spawn(process.execPath, [BIN, 'approve', id, '--socket', socket], { cwd: '/', env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' }, uid: 65534, gid: 65534 });
    let out = '';
    approver.stdout.on('data', (d) => (out += d));
    approver.stderr.on('data', (d) => (out += d));
    expect(await new Promise<number>((r) => approver.on('close', (c) => r(c ?? -1))), out).toBe(0);
    expect(out).toContain(`approved ${id} step 1 as nobody (uid 65534), recorded as proven (os-user nobody uid 65534)`);
    // No key pressed here: the form goes on to the run.
    await a.term.waitFor(/L2 Service Reset · doai-orchestrator · root · SUCCESS/, 90_000);
    expect(audit().some((l) => /L2_SERVICE_RESET: STEP1_APPROVED by nobody \(os-user nobody uid 65534\)$/.test(l))).toBe(true);
    expect(server!.log()).toMatch(/intent approvals\.approve by nobody \(uid 65534\)/);
  }, 150_000);

  it('u in an attached console puts an isolated device back: done by the server, recorded as the proven user', async () => {
    await fault('error-spike');
    const a = attachConsole();
    await a.term.waitFor(/node-\d+ +ISOLATED/, 60_000);
    a.term.send(key('pane.next', 'dashboard'));
    await new Promise((r) => setTimeout(r, 150));
    a.term.send(key('pane.next', 'dashboard'));
    const f = await a.term.waitFor(/▸ Nodes[\s\S]*› node-\d+ +ISOLATED/, 10_000);
    const first = /› (node-\d+) +ISOLATED/.exec(f)![1]!;
    a.term.send(key('device.unisolate', 'dashboard'));
    await a.term.waitFor(`Put back 1 device(s) (${first}); recorded in the alert`, 15_000);
    // The server records it, with the user the socket proved (not DOAI_OPERATOR=mallory).
    await waitUntil('the un-isolation in alerts.jsonl', () => {
      try {
        return readFileSync(join(dir, 'state', 'alerts.jsonl'), 'utf8').includes(`un-isolated 1 device by root: ${first}`);
      } catch {
        return false;
      }
    }, 10_000);
    expect(server!.log()).toMatch(/intent alerts\.unisolate by root/);
    await fault('clear');
  }, 120_000);

  it('SIGKILL the server mid-run: started again it records the run INTERRUPTED in its step, and a console resumes it', async () => {
    const { a, runId } = await l1InVerify();
    await server!.stop('SIGKILL');
    await a.term.waitFor(/reconnecting/, 15_000);
    await fault('clear');
    server = await startServer(demo.configPath, socket);
    await server.waitLog(new RegExp(`run ${runId} \\(l1-soft-reset on doai-orchestrator\\) was INTERRUPTED in step verify`));
    // The console that was open comes back by itself, and says what the new server found.
    await a.term.waitFor(/attached to \S*console\.sock/, 30_000);
    await a.term.waitFor(/Interrupted: l1-soft-reset on doai-orchestrator \(root, \d\d:\d\d, during verify\)/, 30_000);
    a.term.kill();

    const b = attachConsole();
    await b.term.waitFor(/Interrupted: l1-soft-reset on doai-orchestrator \(root, \d\d:\d\d, during verify\)/, 30_000);
    b.term.send(key('run.open', 'dashboard'));
    await b.term.waitFor(/L1 Soft Reset · doai-orchestrator · root · INTERRUPTED/, 15_000);
    b.term.send(key('run.resume', 'run'));
    const done = await b.term.waitFor(/L1 Soft Reset · doai-orchestrator · root · SUCCESS/, 60_000);
    expect(done).toMatch(new RegExp(`Restart the service\\s+done in run ${runId}`));
    // A killed server wrote no end (as a killed standalone console writes none): the run is
    // INTERRUPTED because its journal has no end and its lock's process is gone.
    expect(journalOf(runId).some((e) => e.type === 'run.finished')).toBe(false);
  }, 150_000);
});
