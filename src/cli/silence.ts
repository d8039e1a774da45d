// `doai-console silence rm <id>`: removes a silence (or ends a maintenance window, m-…) by the id
// `status` lists, through the server that keeps them. The server's dispatcher checks the role of
// the operator the socket proved (as for the `s` key) and audits `ALERTS: UNSILENCE <id> by …`;
// nothing is removed here. Without a server there is nothing to remove: said, exit 2.
import { chooseServer } from '../attach/choose';
import { openForCommand } from './attach-open';
import { EXIT_FAILED, EXIT_USAGE, UserError } from './exit';

const ID = /^[sm]-[A-Za-z0-9]{1,36}$/;

export async function removeSilence(
  id: string,
  flags: { socket?: string; standalone?: boolean },
  io: { out(t: string): void } = { out: (t) => process.stdout.write(t) },
): Promise<number> {
  if (!ID.test(id)) throw new UserError(`"${id}" is not a silence id: give the id status lists (s-… for a silence, m-… for a maintenance window)`, EXIT_USAGE);
  const choice = chooseServer(flags);
  const noServer = 'silences are kept by the server (doai-console serve); start it, or name its socket with --socket';
  if (choice.mode === 'standalone') throw new UserError(`no server to ask: ${noServer}`, EXIT_USAGE);
  const link = await openForCommand(choice);
  if (!link) throw new UserError(`no server answers at ${choice.socket}: ${noServer}`, EXIT_USAGE);
  const maintenance = id.startsWith('m-');
  try {
    if (maintenance) await link.request('alerts.maintenance.end', { id });
    else await link.request('alerts.unsilence', { id });
  } catch (err) {
    throw new UserError(`cannot remove ${id}: ${(err as Error).message}`, EXIT_FAILED);
  } finally {
    link.close();
  }
  io.out(maintenance ? `maintenance window ${id} ended\n` : `silence ${id} removed\n`);
  return 0;
}
