// Attach or stand alone (R-SRV-2): --standalone always stands alone; a socket given with --socket
// or DOAI_CONSOLE_SOCKET must answer (its absence is an error, said); otherwise the default
// socket is used when a server is there and the console stands alone when none is.
import { UserError } from '../cli/exit';
import { resolveSocket, socketProblem } from '../protocol/socket-path';

export type ServerChoice = { mode: 'standalone' } | { mode: 'attach'; socket: string; explicit: boolean };

export function chooseServer(flags: { socket?: string; standalone?: boolean }, env: NodeJS.ProcessEnv = process.env): ServerChoice {
  if (flags.standalone) return { mode: 'standalone' };
  const choice = resolveSocket(flags.socket, env);
  const problem = socketProblem(choice.path);
  if (!problem) return { mode: 'attach', socket: choice.path, explicit: choice.explicit };
  if (problem.kind === 'missing' && !choice.explicit) return { mode: 'standalone' };
  if (problem.kind === 'missing') throw new UserError(`server not running: ${problem.message} — start it with \`doai-console serve\`, or add --standalone to work without it`, 2);
  throw new UserError(problem.message, 2);
}
