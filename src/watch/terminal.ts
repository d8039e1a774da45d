// Whether the full-screen console (or the wall screen) can draw on this terminal (R-UI-5). A pipe
// or a TERM=dumb terminal gets a clear message naming the commands that work there instead.
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
