// Runs the built binary (npm test builds it first) as a child process.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../bin/doai-console.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `uid`: run as that user (and the group of the same number) instead of as the test process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; uid?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`doai-console ${args.join(' ')}${opts.uid !== undefined ? ` as uid ${opts.uid}` : ''} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Waits (bounded) until no process has `marker` (a test's own temporary folder) in its command
 * line: consoles killed with their terminal finish writing their state before it is removed.
 */
export async function waitForProcessesGone(marker: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      execFileSync('pgrep', ['-f', marker], { stdio: 'ignore' });
    } catch {
      return; // pgrep exits 1: none left
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A child whose stdout and stderr are collected as they come, to wait for a line in them. */
export interface WatchedProcess {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  exit: Promise<number>;
  /** The first match of `re` in the output so far or to come; throws when the child exits or `ms` passes without one. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export function watchOutput(child: ChildProcessWithoutNullStreams, defaultMs = 20_000): WatchedProcess {
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exit = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return {
    child,
    out: () => text,
    exit,
    async waitFor(re, ms = defaultMs) {
      const end = Date.now() + ms;
      for (;;) {
        const m = text.match(re);
        if (m) return m;
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in output:\n${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
