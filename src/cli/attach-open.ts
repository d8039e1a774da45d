// How a one-shot command (status, run, log, report, stats) reaches the server: open the socket
// without reconnecting. A default socket that does not answer means "no server here" (undefined:
// the caller stands alone); one named with --socket that does not answer, or any other refusal
// (version, identity), is an error said in words, exit 2.
import { Attached, AttachError } from '../attach/client';
import { UserError } from './exit';

export async function openForCommand(choice: { socket: string; explicit: boolean }): Promise<Attached | undefined> {
  try {
    return await Attached.open(choice.socket, { reconnectForMs: 0 });
  } catch (err) {
    if (err instanceof AttachError && err.kind === 'unreachable' && !choice.explicit) return undefined;
    if (err instanceof AttachError) throw new UserError(err.kind === 'unreachable' ? `server not running: ${err.message}` : err.message, 2);
    throw err;
  }
}
