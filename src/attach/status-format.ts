// How a console prints the server's status report: a table for people, JSON (with each fact's
// age in seconds) for scripts.
import { isMute, type StatusReport } from '../protocol/health';
import type { StateView } from '../state/backend';

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
        server: { pid: r.server.pid, socket: r.server.socket, startedAt: r.server.startedAt.toISOString(), evaluatesAlerts: r.server.evaluatesAlerts, ...(r.server.state ? { state: stateJson(r.server.state) } : {}) },
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
  // Silences and maintenance windows are listed, not counted among what is healthy.
  const watched = r.items.filter((i) => !isMute(i));
  const bad = watched.filter((i) => !i.healthy).length;
  const verdict = watched.length === 0 ? 'The server watches nothing yet (no services in its config).' : bad === 0 ? `All ${watched.length} healthy.` : `${bad} of ${watched.length} not healthy.`;
  const st = r.server.state;
  const evaluated = !r.server.evaluatesAlerts ? 'nowhere' : st && st.backend !== 'files' ? (st.leading ? 'here, the leader' : `by the leader${st.leader ? `, ${st.leader}` : ''}`) : 'here, once';
  return `server pid ${r.server.pid} on ${r.server.socket} (alerts evaluated ${evaluated})\n${st ? `${stateLine(st, r.at)}\n` : ''}${table}\n\n${verdict}\n`;
}

/** `state: postgres://… — leader: box (this server)`, or `state store unreachable: …`. */
export function stateLine(st: StateView, now: Date): string {
  if (st.backend === 'files') return `state: ${st.where}`;
  const leader = st.leading ? `${st.box} (this server)` : st.leader ? `${st.leader}${st.leaderSeenAt ? `, seen ${age(st.leaderSeenAt, now)}` : ''}` : 'none yet';
  return `state: ${st.where} — ${st.reachable ? '' : `state store unreachable${st.problem ? ` (${st.problem.replace(/^state store unreachable: /, '')})` : ''} — `}leader: ${leader}`;
}

function stateJson(st: StateView): Record<string, unknown> {
  return { ...st, ...(st.leaderSeenAt ? { leaderSeenAt: st.leaderSeenAt.toISOString() } : {}) };
}
