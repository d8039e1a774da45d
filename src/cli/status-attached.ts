// `status` through a server: no config, no probes here; the server answers from what it watches.
import { Attached, AttachError } from '../attach/client';
import { statusReportJson, statusReportText } from '../attach/status-format';
import { UserError } from './exit';

/** Undefined when the default socket turned out stale: the caller then stands alone. */
export async function attachedStatus(choice: { socket: string; explicit: boolean }, opts: { json: boolean }): Promise<{ text: string; exitCode: 0 | 1 } | undefined> {
  let link: Attached;
  try {
    link = await Attached.open(choice.socket, { reconnectForMs: 0 });
  } catch (err) {
    if (err instanceof AttachError && err.kind === 'unreachable' && !choice.explicit) return undefined;
    if (err instanceof AttachError) throw new UserError(err.kind === 'unreachable' ? `server not running: ${err.message}` : err.message, 2);
    throw err;
  }
  try {
    const report = await link.request('status', {});
    return { text: opts.json ? statusReportJson(report) : statusReportText(report), exitCode: report.healthy ? 0 : 1 };
  } finally {
    link.close();
  }
}
