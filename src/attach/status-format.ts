// How a console prints the server's status report: a table for people, JSON (with each fact's
// age in seconds) for scripts.
import type { StatusReport } from '../protocol/health';

function age(at: Date | null, now: Date): string {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function statusReportJson(r: StatusReport): string {
  const ageS = (at: Date | null) => (at ? Math.max(0, Math.round((r.at.getTime() - at.getTime()) / 100) / 10) : null);
  return (
    JSON.stringify(
      {
        server: { pid: r.server.pid, socket: r.server.socket, startedAt: r.server.startedAt.toISOString(), evaluatesAlerts: r.server.evaluatesAlerts },
        at: r.at.toISOString(),
        healthy: r.healthy,
        items: r.items.map((i) => ({ kind: i.kind, name: i.name, state: i.state, healthy: i.healthy, lastFactAt: i.lastFactAt?.toISOString() ?? null, ageS: ageS(i.lastFactAt), ...(i.detail ? { detail: i.detail } : {}) })),
      },
      null,
      2,
    ) + '\n'
  );
}

export function statusReportText(r: StatusReport): string {
  const rows = [['KIND', 'NAME', 'STATE', 'LAST FACT', 'DETAIL'], ...r.items.map((i) => [i.kind, i.name, i.state, age(i.lastFactAt, r.at), i.detail ?? ''])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
  const bad = r.items.filter((i) => !i.healthy).length;
  const verdict = r.items.length === 0 ? 'The server watches nothing yet (no services in its config).' : bad === 0 ? `All ${r.items.length} healthy.` : `${bad} of ${r.items.length} not healthy.`;
  return `server pid ${r.server.pid} on ${r.server.socket} (alerts evaluated ${r.server.evaluatesAlerts ? 'here, once' : 'nowhere'})\n${table}\n\n${verdict}\n`;
}
