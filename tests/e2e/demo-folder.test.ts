// `doai-console demo` (the built binary, in tmux) keeps one folder under the user's state
// directory: owner-only, reused by the next start (which then offers to resume a run the terminal
// dropped), its path said on quit, nothing left in /tmp on SIGHUP, and `demo --reset` starts
// clean (issue 12 item 9). The approve command its L2 form prints works as printed for another
// OS user, with no flags (item 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli';
import { startTmux, type TmuxSession } from '../helpers/tmux';
import { requireRoot } from '../helpers/requirements';

requireRoot('the approve command is run as another OS user (nobody)');

const NOBODY = 65534;
let base: string;
let demoDir: string;
let term: TmuxSession | undefined;

// TMPDIR is the test's own: whatever the demo would leave in "/tmp" lands there, where it is checked.
const env = () => ({ HOME: base, XDG_STATE_HOME: join(base, 'state'), TMPDIR: join(base, 'tmp'), DOAI_OPERATOR: 'orion', DOAI_CONSOLE_CONFIG: '' });
const open = (...args: string[]) => startTmux(`node ${BIN} demo --lang en ${args.join(' ')}`, { cols: 110, rows: 32, env: env() });

/** Waits for the demo process that owns the folder to be gone (its pid is in demo.pid while it runs). */
async function demoGone(pid: number): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`demo pid ${pid} still running`);
}

const me = userInfo().username;
const ownerPid = () => (JSON.parse(readFileSync(join(demoDir, 'demo.pid'), 'utf8')) as { pid: number }).pid;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'doai-demo-folder-'));
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'tmp'));
  demoDir = join(base, 'state', 'doai-console', 'demo');
});

afterAll(async () => {
  term?.kill();
  if (existsSync(join(demoDir, 'demo.pid'))) await demoGone(ownerPid()).catch(() => undefined);
  rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

describe('the demo folder', () => {
  it('kept under the state dir, owner-only; a SIGHUP mid-run leaves nothing in /tmp and the next start offers resume; quit says where it is', async () => {
    term = open();
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
    expect(statSync(demoDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(demoDir, readdirSync(demoDir).find((n) => /key/.test(n) && !n.endsWith('.pub') && !/known/.test(n))!)).mode & 0o777).toBe(0o600);
    const fault = await runCli(['demo', 'fault', 'crash-loop', '--config', join(demoDir, 'console.yaml')]);
    expect(fault.code, fault.stderr).toBe(0);
    await term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
    term.send('1');
    // Attached to the demo's server, a run is the proven OS user's, not DOAI_OPERATOR's.
    await term.waitFor(new RegExp(`L1 Soft Reset · doai-orchestrator · ${me} · RUNNING`, 'i'), 20_000);
    const pid = ownerPid();
    term.kill(); // the terminal drops: SIGHUP
    term = undefined;
    await demoGone(pid);
    expect(readdirSync(join(base, 'tmp'))).toEqual([]);

    term = open();
    await term.waitFor(/Interrupted: l1-soft-reset on doai-orchestrator/, 30_000);
    expect(readFileSync(join(demoDir, 'emergency.log'), 'utf8')).toMatch(/L1_SOFT_RESET: START/);
    term.send('Escape');
    term.send('q');
    const quit = await term.waitFor(/\[exit 0\]/, 20_000);
    expect(quit.replace(/\n/g, '')).toContain(`Demo folder kept: ${demoDir}`);
    term.kill();
    term = undefined;
  }, 150_000);

  it('demo --reset starts clean: no audit log, nothing to resume', async () => {
    term = open('--reset');
    const s = await term.waitFor(/doai-orchestrator\s+(UP|SUSPECT|DOWN)/, 30_000);
    expect(s).not.toContain('Interrupted');
    expect(existsSync(join(demoDir, 'emergency.log'))).toBe(false);
    expect(readdirSync(join(demoDir, 'journal'))).toEqual([]);
    term.send('q');
    await term.waitFor(/\[exit 0\]/, 20_000);
    term.kill();
    term = undefined;
  }, 60_000);

  it('with --lang ko the quit line is Korean too, naming the folder', async () => {
    term = open('--lang', 'ko');
    await term.waitFor(/doai-orchestrator\s+(UP|SUSPECT|DOWN)/, 30_000);
    term.send('q');
    const quit = await term.waitFor(/\[exit 0\]/, 20_000);
    expect(quit.replace(/\n/g, '')).toContain(`데모 폴더를 남겨 둡니다: ${demoDir}`);
    expect(quit).not.toContain('Demo folder kept');
    term.kill();
    term = undefined;
  }, 60_000);

  it('the L2 form prints `doai-console approve <id>`; run as another OS user with no flags, it approves and the run goes on', async () => {
    term = open();
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
    const fault = await runCli(['demo', 'fault', 'crash-loop', '--config', join(demoDir, 'console.yaml')]);
    expect(fault.code, fault.stderr).toBe(0);
    await term.waitFor(/doai-orchestrator\s+DOWN/, 40_000);
    term.send('2');
    const form = await term.waitFor(/or approve from another session: doai-console approve [0-9a-f]{8}/, 20_000);
    const line = form.split('\n').find((l) => l.includes('doai-console approve'))!;
    // Nothing to add: the command works as printed.
    expect(line).not.toContain('--approvals-dir');
    const id = /doai-console approve ([0-9a-f]{8})/.exec(line)![1]!;
    const approver = spawn(process.execPath, [BIN, 'approve', id], { cwd: base, env: { PATH: process.env.PATH, HOME: base, NO_COLOR: '1' }, uid: NOBODY, gid: NOBODY });
    let out = '';
    approver.stdout.on('data', (d) => (out += d));
    approver.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number>((r) => approver.on('close', (c) => r(c ?? -1)));
    expect(code, out).toBe(0);
    expect(out).toMatch(new RegExp(`approved request ${id} as nobody`));
    await term.waitFor(new RegExp(`L2 Service Reset · doai-orchestrator · ${me} · (RUNNING|SUCCESS)`, 'i'), 30_000);
    await term.waitFor(/SUCCESS/, 60_000);
    expect(readFileSync(join(demoDir, 'emergency.log'), 'utf8')).toMatch(/L2_SERVICE_RESET: STEP1_APPROVED by nobody/);
    term.send('Escape');
    term.send('q');
    await term.waitFor(/\[exit 0\]/, 20_000);
  }, 150_000);
});
