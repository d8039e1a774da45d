// `log`, `report` and `stats` beside a server (R-SRV-2): asked of the server, which owns the audit
// log, journals, incidents and history, and printed here exactly as the standalone command prints
// them, with its exit code. No server configured (or --standalone): undefined, the caller works
// on its own as before. A server named with --socket that does not answer is an error, said.
import { chooseServer } from '../attach/choose';
import { openForCommand } from './attach-open';
import type { CliIntents } from '../protocol/cli';
import { UserError } from './exit';

export async function attachedCli<N extends keyof CliIntents>(
  flags: { socket?: string; standalone?: boolean },
  name: N,
  args: CliIntents[N][0],
  io: { out(t: string): void; err(t: string): void } = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): Promise<number | undefined> {
  const choice = chooseServer(flags);
  if (choice.mode === 'standalone') return undefined;
  const link = await openForCommand(choice);
  if (!link) return undefined;
  try {
    let res: CliIntents[N][1];
    try {
      res = await link.request(name, args);
    } catch (err) {
      throw new UserError(`the server at ${choice.socket} did not answer ${name.slice(4)}: ${(err as Error).message}`, 1);
    }
    if (res.stdout) io.out(res.stdout);
    if (res.stderr) io.err(res.stderr);
    return res.code;
  } finally {
    link.close();
  }
}
