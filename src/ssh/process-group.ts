// Ending a remote command for real. OpenSSH honours the "signal" channel request only for
// privilege-separated sessions, and refuses it for root logins ("session signalling requires
// privilege separation"), and closing the channel does not stop a command that prints nothing.
// So each command runs as the leader of its own process group (sshd already setsid()s a
// non-pty session; `exec` keeps that pid through both shells) and prints its pid first; to end
// it we run a second command that signals the whole group: TERM, then KILL after 2 s.
import { shellQuote } from './quote';

export const PID_MARKER = '__doai_pid';
const WRAPPER_SCRIPT = `echo "${PID_MARKER} $$"; exec sh -c "$1"`;
const WRAPPER_PREFIX = `exec sh -c ${shellQuote(WRAPPER_SCRIPT)} doai-run `;

/** The line sent over SSH for `command`: prints `__doai_pid <pid>` on stdout, then runs it. */
export function wrapCommand(command: string): string {
  return WRAPPER_PREFIX + shellQuote(command);
}

/** The original command if `wire` is a wrapped one (for ssh2-based test and demo servers). */
export function unwrapCommand(wire: string): string | undefined {
  if (!wire.startsWith(WRAPPER_PREFIX)) return undefined;
  return unquoteSingle(wire.slice(WRAPPER_PREFIX.length));
}

/** The pid from the wrapper's first stdout line, or undefined if the line is not one. */
export function parsePidLine(line: string): number | undefined {
  const m = /^__doai_pid (\d+)$/.exec(line);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
}

const KILL_PREFIX = 'exec sh -c ';

/** The command that ends process group `pid`: TERM, wait up to ~2 s, then KILL. */
export function killCommand(pid: number): string {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`not a process id: ${pid}`);
  // dash's kill builtin has no `--`, but takes `-SIG -PGID`; `kill -0` tests that any remain.
  const script =
    `kill -TERM -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null; ` +
    `i=0; while [ $i -lt 20 ] && kill -0 -${pid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL -${pid} 2>/dev/null; exit 0`;
  return KILL_PREFIX + shellQuote(script);
}

/** The pid a kill command targets (for ssh2-based test and demo servers). */
export function parseKillCommand(wire: string): number | undefined {
  if (!wire.startsWith(KILL_PREFIX)) return undefined;
  const script = unquoteSingle(wire.slice(KILL_PREFIX.length));
  const m = script === undefined ? null : /^kill -TERM -(\d+) /.exec(script);
  return m ? Number(m[1]) : undefined;
}

// Reverses shellQuote: one '...' word where ' appears as '\''.
function unquoteSingle(word: string): string | undefined {
  if (!word.startsWith("'") || !word.endsWith("'") || word.length < 2) return undefined;
  const inner = word.slice(1, -1);
  const parts = inner.split(`'\\''`);
  if (parts.some((p) => p.includes("'"))) return undefined;
  return parts.join("'");
}
