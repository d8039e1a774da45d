// `check`: what the runbooks need on each host (issue 12 item 23) and the _broken_ copies that
// postgres-restore keeps (issue 12 item 20). One SSH command per host tests every command the
// runbooks that fit its services (or the host) declare under `needs:`; a missing one names the
// runbooks that will fail, on which target, and why.
import type { Config } from '../config/schema';
import { fittingTargets, serviceKinds } from '../runbook/fit';
import type { Runbook } from '../runbook/schema';
import type { RemoteShell } from '../ssh/types';
import type { CheckRow } from './check';

const NEED = /^[A-Za-z0-9._+-]+( [A-Za-z0-9._+-]+)*$/;

/** Which runbooks need what on this host: need → ["git-rollback on api-server", …]. */
export function needsOnHost(runbooks: Iterable<Runbook>, config: Pick<Config, 'services' | 'hosts'>, host: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rb of runbooks) {
    if (!rb.needs?.length) continue;
    const targets = fittingTargets(rb, config).filter((t) => (rb.target === 'host' ? t === host : config.services.find((s) => s.name === t)?.host === host));
    for (const t of targets) {
      const service = rb.target === 'service' ? config.services.find((s) => s.name === t) : undefined;
      const kinds = service ? serviceKinds(service) : [];
      for (const entry of rb.needs) {
        // A need by kind (`when_kind: compose`) holds only on services of that kind, or not of it.
        const need = typeof entry === 'string' ? entry : entry.need;
        if (typeof entry !== 'string' && (entry.when_kind ? !kinds.includes(entry.when_kind) : kinds.includes(entry.unless_kind!))) continue;
        if (!NEED.test(need)) continue; // the schema refuses these; never put one in a shell line
        out.set(need, [...(out.get(need) ?? []), `${rb.id} on ${t}`]);
      }
    }
  }
  return out;
}

/** One shell line testing each need: `ok<TAB>need` or `no<TAB>need` per line. */
export function needsCommand(needs: string[]): string {
  return needs
    .map((n) => {
      const test = n.includes(' ') ? `${n} >/dev/null 2>&1 </dev/null` : `command -v ${n} >/dev/null 2>&1`;
      return `${test} && printf 'ok\\t%s\\n' '${n}' || printf 'no\\t%s\\n' '${n}'`;
    })
    .join('; ');
}

export async function checkNeeds(shell: Pick<RemoteShell, 'exec'>, host: string, runbooks: Iterable<Runbook>, config: Pick<Config, 'services' | 'hosts'>, timeoutMs: number): Promise<CheckRow[]> {
  const needs = needsOnHost(runbooks, config, host);
  if (needs.size === 0) return [];
  const names = [...needs.keys()].sort();
  const lines: string[] = [];
  const res = await shell.exec(host, needsCommand(names), { timeoutMs, onLine: (stream, line) => stream === 'stdout' && lines.push(line) });
  const found = new Map(lines.map((l) => l.split('\t')).filter((p) => p.length === 2).map(([v, n]) => [n!, v === 'ok']));
  if (res.code !== 0 || found.size !== names.length) {
    return [{ check: 'commands', subject: host, verdict: 'WARN', detail: `could not test the commands the runbooks need (exit ${res.code ?? res.signal ?? '?'})`, hint: 'run check again; if it persists, test the commands by hand over ssh' }];
  }
  const missing = names.filter((n) => !found.get(n));
  if (missing.length === 0) return [{ check: 'commands', subject: host, verdict: 'OK', detail: `every command the fitting runbooks need is there: ${names.join(', ')}` }];
  return missing.map((n) => {
    const what = n.includes(' ') ? `\`${n}\` fails` : `${n} is not on the PATH of an SSH session`;
    const plugin = n === 'docker compose version' ? ' (docker or its compose plugin is missing: install docker-compose-plugin)' : '';
    return {
      check: 'commands' as const,
      subject: host,
      verdict: 'WARN' as const,
      detail: `${what}${plugin}: ${needs.get(n)!.join(', ')} will fail`,
      hint: `install ${n.split(' ')[0]} on ${host} (or put it on the PATH sshd gives sessions), then run check again`,
    };
  });
}

/** Databases postgres-restore kept (<db>_broken_<stamp>) on each postgres service of the host, with their size. */
export async function checkKeptCopies(shell: Pick<RemoteShell, 'exec'>, host: string, config: Pick<Config, 'services'>, timeoutMs: number): Promise<CheckRow[]> {
  const services = config.services.filter((s) => s.host === host && [s.kind].flat().includes('postgres'));
  const rows: CheckRow[] = [];
  for (const s of services) {
    const lines: string[] = [];
    const errors: string[] = [];
    const sql = "SELECT datname || ' (' || pg_size_pretty(pg_database_size(datname)) || ')' FROM pg_database WHERE datname ~ '_broken_[0-9]{8}_[0-9]{6}$' ORDER BY datname";
    const res = await shell.exec(host, `psql -X -U postgres -d postgres -At -v ON_ERROR_STOP=1 -c "${sql}" </dev/null`, { timeoutMs, onLine: (stream, line) => (stream === 'stdout' ? lines : errors).push(line) });
    if (res.code !== 0) {
      rows.push({ check: 'pg-kept', subject: s.name, verdict: 'WARN', detail: `could not list kept copies: ${errors.at(-1) ?? `psql exit ${res.code ?? res.signal}`}`, hint: 'psql as the postgres role must work over SSH for postgres-restore too' });
      continue;
    }
    const kept = lines.filter(Boolean);
    rows.push({ check: 'pg-kept', subject: s.name, verdict: 'OK', detail: kept.length ? `kept by postgres-restore (drop with dropdb when no longer needed): ${kept.join(', ')}` : 'no _broken_ copies kept' });
  }
  return rows;
}
