// R-UI-5 on the built binary in a real terminal: the operator's SSH session drops (SIGHUP), or the
// console is terminated (SIGTERM) or interrupted (kill -INT) in the middle of an L1 run against
// the demo fleet. The console leaves the alternate screen, ends the remote command, records the
// run INTERRUPTED with the step it was in (journal + audit line), releases the lock, leaves no
// half-written file, exits 128+n; the next start offers to show what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, runCli } from '../helpers/cli';
import { serveDemo, type ServedDemo } from '../helpers/demo-serve';

let demo: ServedDemo;
let dir: string;
const socket = `doai-sig-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

function startConsole(name: string, pidFile: string): void {
  // exec keeps the pid the shell wrote, so the test signals the console itself.
  const cmd = `sh -c 'echo $$ > ${pidFile}; exec env -u CI DOAI_OPERATOR=orion node ${BIN} --config ${demo.configPath} --lang en'; echo "[exit $?]"; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', cmd);
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', name);

async function waitFor(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen(name);
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`screen never showed ${pattern} within ${timeoutMs} ms:\n${last}`);
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const full = join(root, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

function audit(): string[] {
  try {
    return readFileSync(join(dir, 'emergency.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  demo = await serveDemo();
  dir = dirname(demo.configPath);
  // slow: /health answers after ~6 s, so L1's health-check step is still running when we signal.
  const r = await runCli(['demo', 'fault', 'slow', '--config', demo.configPath]);
  expect(r.code, r.stderr).toBe(0);
}, 30_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no session left
  }
  await demo?.stop();
});

describe('signals in the middle of a run', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: run recorded INTERRUPTED with its step, lock released, no half file, exit %i', async (signal, code) => {
    const name = signal.toLowerCase();
    const pidFile = join(dir, `${name}.pid`);
    startConsole(name, pidFile);
    await waitFor(name, /\[r\] Recommended: L1 Soft Reset on doai-orchestrator/, 40_000);
    const auditBefore = audit().length;
    tmux('send-keys', '-t', name, 'r');
    await waitFor(name, /L1 Soft Reset · doai-orchestrator · orion · RUNNING[\s\S]*▶ Health check/);
    const lockFiles = readdirSync(join(dir, 'state', 'locks'));
    expect(lockFiles).toContain('doai-orchestrator.lock');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, signal);
    const after = await waitFor(name, /\[exit \d+\]/, 15_000);
    expect(after).toContain(`[exit ${code}]`);
    // The alternate screen was left: the shell's screen shows no console frame any more.
    expect(after).not.toMatch(/q quit/);

    const journals = readdirSync(join(dir, 'journal'))
      .map((f) => join(dir, 'journal', f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    const lines = readFileSync(journals[0]!, 'utf8').split('\n').filter(Boolean);
    // Every line is whole JSON (nothing torn by the exit).
    const events = lines.map((l) => JSON.parse(l));
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'run.finished', outcome: 'interrupted' });
    expect(last.message).toContain(`${signal} during step "health-check"`);
    const newAudit = audit().slice(auditBefore);
    expect(newAudit[0]).toMatch(/L1_SOFT_RESET: START$/);
    expect(newAudit.at(-1)).toMatch(new RegExp(`L1_SOFT_RESET: INTERRUPTED - ${signal} during step "health-check"`));
    expect(readdirSync(join(dir, 'state', 'locks'))).toEqual([]);
    expect(filesUnder(dir).filter((f) => /\.tmp$|\.stale-|~$/.test(f))).toEqual([]);
  }, 90_000);

  it('the next start says a run was interrupted and Enter shows what happened', async () => {
    const name = 'again';
    startConsole(name, join(dir, 'again.pid'));
    const first = await waitFor(name, /Interrupted: l1-soft-reset on doai-orchestrator \(orion, \d\d:\d\d, during health-check\)/, 20_000);
    expect(first).toMatch(/INTERRUPTED/);
    tmux('send-keys', '-t', name, 'Enter');
    const run = await waitFor(name, /L1 Soft Reset · doai-orchestrator · orion · INTERRUPTED/);
    expect(run).toMatch(/SIGINT during step "health-check"/);
    // Watching an earlier session's run offers no control over it.
    tmux('send-keys', '-t', name, 'c');
    await waitFor(name, /another console's run — you can watch it, not control it/);
    // q backs out of the run screen; on the dashboard it quits.
    tmux('send-keys', '-t', name, 'q');
    await waitFor(name, /SERVICE\s+STATE/);
    tmux('send-keys', '-t', name, 'q');
    await waitFor(name, /\[exit 0\]/);
  }, 60_000);
});
