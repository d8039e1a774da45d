// `status` through a server: no config, no probes here; the server answers from what it watches.
import { openForCommand } from './attach-open';
import { statusReportJson, statusReportText } from '../attach/status-format';

/** Undefined when the default socket turned out stale: the caller then stands alone. */
export async function attachedStatus(choice: { socket: string; explicit: boolean }, opts: { json: boolean }): Promise<{ text: string; exitCode: 0 | 1 } | undefined> {
  const link = await openForCommand(choice);
  if (!link) return undefined;
  try {
    const report = await link.request('status', {});
    return { text: opts.json ? statusReportJson(report) : statusReportText(report), exitCode: report.healthy ? 0 : 1 };
  } finally {
    link.close();
  }
}
