// Whether the full-screen console (or the wall screen) can draw on this terminal (R-UI-5). A pipe
// or a TERM=dumb terminal gets a clear message naming the commands that work there instead.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface TerminalLike {
  isTTY?: boolean;
}

export function terminalProblem(
  what: 'console' | 'watch',
  streams: { stdout: TerminalLike; stdin: TerminalLike },
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const name = what === 'watch' ? 'the wall screen (watch)' : 'the interactive console';
  const instead =
    '  For scripts and plain terminals use:\n' +
    '    doai-console status [--json]                     probe every service once\n' +
    '    doai-console run <runbook> --target <name>       plain streaming output\n' +
    '    doai-console log [--json]                        the audit log and run journals';
  if (!streams.stdout.isTTY || !streams.stdin.isTTY) {
    return `doai-console: ${name} needs a terminal (stdout/stdin is not a TTY).\n${instead}`;
  }
  if ((env.TERM ?? '').toLowerCase() === 'dumb') {
    return (
      `doai-console: ${name} cannot draw on this terminal (TERM=dumb: no cursor movement).\n${instead}\n` +
      '  Or set a capable terminal type, e.g. TERM=xterm-256color.'
    );
  }
  return undefined;
}

// --- crash guard (R-UI-5: "the terminal is always restored, even after a crash") --------------

/** Attributes off, main screen back, cursor shown, mouse and bracketed paste off. */
export const RESTORE_SEQUENCE = '\x1b[0m\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?2004l';

export interface RestorableStreams {
  stdout: { write(s: string): unknown };
  stdin: { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
}

/** Gives the terminal back: raw mode off (echo and line editing return), main screen, cursor. Never throws. */
export function restoreTerminal(streams: RestorableStreams): void {
  try {
    if (streams.stdin.isTTY && typeof streams.stdin.setRawMode === 'function') streams.stdin.setRawMode(false);
  } catch {
    // stdin already closed
  }
  try {
    streams.stdout.write(RESTORE_SEQUENCE);
  } catch {
    // the terminal is gone (SSH dropped): nothing to restore
  }
}

/**
 * The one line an operator sees after a crash; the whole stack goes to `logFile` (appended, 0600).
 * When the log cannot be written, the line says so and the stack follows it on stderr.
 */
export function crashMessage(err: unknown, logFile: string | undefined, what: string, now = new Date()): { line: string; detail?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const first = (e.message || e.name).split('\n')[0]!.slice(0, 300);
  const stack = e.stack ?? `${e.name}: ${e.message}`;
  if (logFile) {
    try {
      mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
      appendFileSync(logFile, `[${now.toISOString()}] ${what} pid ${process.pid} crashed\n${stack}\n\n`, { mode: 0o600 });
      return { line: `doai-console: ${what} stopped on an internal error: ${first} — details in ${logFile}; please report it. Start it again to go on.` };
    } catch (logErr) {
      return {
        line: `doai-console: ${what} stopped on an internal error: ${first} (could not write ${logFile}: ${(logErr as Error).message}; details below). Start it again to go on.`,
        detail: stack,
      };
    }
  }
  return { line: `doai-console: ${what} stopped on an internal error: ${first}. Start it again to go on.`, detail: stack };
}

export interface CrashGuardOptions extends RestorableStreams {
  stderr?: { write(s: string): unknown };
  /** Where the stack goes (stateDir/crash.log). */
  logFile?: string;
  /** 'the console' / 'the wall screen': said in the line. */
  what: string;
  /** Last words before exit (interrupt and record active runs); bounded by graceMs. */
  onCrash?(): Promise<unknown> | void;
  graceMs?: number;
  exit?(code: number): void;
}

export interface CrashGuard {
  /** Restore, report, run onCrash (bounded), exit 1. Used by the handlers and by a failed render. */
  crash(err: unknown): void;
  dispose(): void;
}

/** Catches what nothing else caught (a throw in a timer or event handler, a rejected promise). */
export function installCrashGuard(opts: CrashGuardOptions): CrashGuard {
  let crashed = false;
  const crash = (err: unknown) => {
    if (crashed) return;
    crashed = true;
    restoreTerminal(opts);
    const msg = crashMessage(err, opts.logFile, opts.what);
    const stderr = opts.stderr ?? process.stderr;
    try {
      stderr.write(msg.line + '\n' + (msg.detail ? msg.detail + '\n' : ''));
    } catch {
      // nowhere left to say it
    }
    const exit = opts.exit ?? ((code: number) => process.exit(code));
    let last: Promise<unknown> = Promise.resolve();
    try {
      last = Promise.resolve(opts.onCrash?.());
    } catch {
      // the last words failed too; exit anyway
    }
    // Not unref'd: this timer is what keeps the process alive until it exits 1.
    const grace = new Promise((r) => setTimeout(r, opts.graceMs ?? 3000));
    void Promise.race([last.catch(() => undefined), grace]).finally(() => exit(1));
  };
  const onError = (err: unknown) => crash(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    crash,
    dispose: () => {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}
