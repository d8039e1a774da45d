import { EXIT_USAGE, UserError } from './exit';

export function requireTty(): void {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UserError(
      'doai-console: the interactive console needs a terminal (stdout/stdin is not a TTY).\n' +
        '  For scripts use `doai-console status [--json]` (probe once) or\n' +
        '  `doai-console run <runbook> --target <name>` (plain streaming output).',
      EXIT_USAGE,
    );
  }
}
