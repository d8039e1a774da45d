// `doai-console log`: browse emergency.log and the run journals together (R-AUD-4), filtered by
// runbook, target, level, time and text; a plain table for people, JSON lines for scripts.
// `--run <id>` prints one run's journal as a timeline ("what happened" after an interruption).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load';
import { formatIsoLocal } from '../audit/emergency-log';
import { listJournals, readJournal } from '../audit/journal';
import { OTHER_BOXES_DIR } from '../state/pg-journal';
import type { RunEvent } from '../runbook/events';
import { builtinActionsDir, loadRunbooks } from '../runbook/loader';
import type { Runbook } from '../runbook/schema';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError } from './exit';

export interface LogFlags {
  config?: string;
  json?: boolean;
  runbook?: string;
  target?: string;
  level?: string;
  since?: string;
  grep?: string;
  run?: string;
  limit?: string;
}

export interface LogEntry {
  /** When it happened: an audit line's time; for a run, when it ended (or was last heard of). */
  at: Date;
  /** A run's start (its row sorts at its end, below the audit lines written while it ran). */
  startedAt?: Date;
  source: 'audit' | 'run';
  level?: string;
  /** The runbook id (runs) or the audit name (audit lines, e.g. L1_SOFT_RESET). */
  runbook?: string;
  auditName?: string;
  target?: string;
  operator?: string;
  outcome?: string;
  runId?: string;
  /** The audit message, or the run's final message. */
  message: string;
  /** A journal output line that matched --grep. */
  match?: string;
}

const AUDIT_LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\] ([A-Za-z0-9_]+): (.*)$/;

/** One emergency.log line; undefined for a line not in seed 000's format. */
export function parseAuditLine(line: string): { at: Date; auditName: string; message: string } | undefined {
  const m = AUDIT_LINE.exec(line);
  if (!m) return undefined;
  const at = new Date(m[1]!);
  if (Number.isNaN(at.getTime())) return undefined;
  return { at, auditName: m[2]!, message: m[3]! };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30m`, `1h`, `2d`, `1w`, or an ISO date/time; the moment entries must be at or after. */
export function parseSince(value: string, now: Date): Date {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!);
  if (/^\d{4}-\d\d-\d\d/.test(value.trim())) {
    const d = new Date(value.trim());
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new UserError(
    `doai-console log: --since expects a duration like 30m, 1h, 2d or a date like 2026-01-04T15:00, found "${value}".`,
    EXIT_USAGE,
  );
}

export function parseLevel(value: string): string {
  const m = /^l?(\d)$/i.exec(value.trim());
  if (!m) throw new UserError(`doai-console log: --level expects L1, L2 or L3, found "${value}".`, EXIT_USAGE);
  return `L${m[1]}`;
}

function levelOfAuditName(name: string, byAudit: Map<string, Runbook>): string | undefined {
  return byAudit.get(name)?.level ?? /^(L\d)_/.exec(name)?.[1];
}

export interface CollectOptions {
  auditLog: string;
  journalDir: string;
  runbooks: Map<string, Runbook>;
  runbook?: string;
  target?: string;
  level?: string;
  since?: Date;
  grep?: string;
}

/** Every entry that passes the filters, oldest first. */
/** The other boxes' journals this box's server copied (postgres state); unreadable here: none. */
function otherBoxesJournals(journalDir: string): ReturnType<typeof listJournals> {
  try {
    return listJournals(join(journalDir, OTHER_BOXES_DIR));
  } catch {
    return [];
  }
}

/** When a run ended: its run.finished, else its last event with a time; its start when none says more. */
function endedAt(events: RunEvent[], startedAt: Date, finishedAt: Date | undefined): Date {
  const valid = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
  if (valid(finishedAt)) return finishedAt;
  let last = startedAt;
  for (const e of events) if (valid(e.at) && (!valid(last) || e.at.getTime() > last.getTime())) last = e.at;
  return last;
}

export function collectLog(opts: CollectOptions): LogEntry[] {
  const byAudit = new Map([...opts.runbooks.values()].map((r) => [r.audit_name, r]));
  const wantAudit = opts.runbook ? (opts.runbooks.get(opts.runbook)?.audit_name ?? opts.runbook) : undefined;
  const grep = opts.grep?.toLowerCase();
  const runs: LogEntry[] = [];
  // Audit lines do not name the target: a line belongs to the run of its audit name that was going
  // on when it was written (started at or before it, not finished more than a second before).
  const windows: { auditName: string; target: string; operator: string; runId: string; from: number; to: number }[] = [];
  // This box's journals, and (under a shared state backend) the other boxes' its server copied.
  for (const file of [...listJournals(opts.journalDir), ...otherBoxesJournals(opts.journalDir)]) {
    let events: RunEvent[];
    try {
      events = readJournal(file.path);
    } catch {
      continue;
    }
    const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    if (!started) continue;
    const finished = events.find((e): e is Extract<RunEvent, { type: 'run.finished' }> => e.type === 'run.finished');
    // The run's row says how it ended, so it sits where it ended: after the lines (restarts,
    // approvals) its audit name wrote while it ran. A run with no end recorded sits where it was
    // last heard of.
    const entry: LogEntry = {
      at: endedAt(events, started.at, finished?.at),
      startedAt: started.at,
      source: 'run',
      level: started.level,
      runbook: started.runbook,
      auditName: started.auditName,
      target: started.target,
      operator: started.operator,
      outcome: finished?.outcome ?? 'no end recorded',
      runId: started.runId,
      message: [started.dryRun ? 'dry run' : '', finished?.message ?? '', finished ? `in ${Math.round((finished.at.getTime() - started.at.getTime()) / 100) / 10}s` : '']
        .filter(Boolean)
        .join(' · '),
    };
    if (!started.dryRun) {
      windows.push({
        auditName: started.auditName,
        target: started.target,
        operator: started.operator,
        runId: started.runId,
        from: started.at.getTime() - 1000,
        to: (finished?.at ?? new Date(8.64e15)).getTime() + 1000,
      });
    }
    if (opts.runbook && started.runbook !== opts.runbook && started.auditName !== opts.runbook) continue;
    if (opts.level && started.level !== opts.level) continue;
    if (opts.target && started.target !== opts.target) continue;
    if (grep) {
      const summary = [entry.runbook, entry.target, entry.operator, entry.outcome, entry.message, entry.runId].join(' ').toLowerCase();
      if (!summary.includes(grep)) {
        const hit = events.find((e) => e.type === 'step.output' && e.line.toLowerCase().includes(grep)) as Extract<RunEvent, { type: 'step.output' }> | undefined;
        if (!hit) continue;
        entry.match = `${hit.stepId}: ${hit.line}`;
      }
    }
    runs.push(entry);
  }

  const audit: LogEntry[] = [];
  let text = '';
  try {
    text = readFileSync(opts.auditLog, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`doai-console log: cannot read the audit log ${opts.auditLog}: ${(err as Error).message}`, EXIT_FAILED);
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const parsed = parseAuditLine(line);
    const entry: LogEntry = parsed
      ? { at: parsed.at, source: 'audit', auditName: parsed.auditName, runbook: byAudit.get(parsed.auditName)?.id ?? parsed.auditName, level: levelOfAuditName(parsed.auditName, byAudit), message: parsed.message }
      : // Not in the seed format (hand-edited, or another tool): shown as it is, never dropped.
        { at: new Date(NaN), source: 'audit', message: line };
    if (parsed) {
      const t = entry.at.getTime();
      const run = windows.filter((w) => w.auditName === entry.auditName && t >= w.from && t <= w.to).sort((a, b) => b.from - a.from)[0];
      if (run) Object.assign(entry, { target: run.target, operator: run.operator, runId: run.runId });
    }
    if (wantAudit && entry.auditName !== wantAudit) continue;
    if (opts.level && entry.level !== opts.level) continue;
    if (opts.target && entry.target !== opts.target) continue;
    if (grep && !line.toLowerCase().includes(grep)) continue;
    audit.push(entry);
  }

  const since = opts.since?.getTime();
  return [...audit, ...runs]
    .filter((e) => since === undefined || (!Number.isNaN(e.at.getTime()) && e.at.getTime() >= since))
    .sort((a, b) => (a.at.getTime() || 0) - (b.at.getTime() || 0) || (a.source === b.source ? 0 : a.source === 'audit' ? -1 : 1));
}

/** Remote output may carry colour codes or carriage returns: a table row stays one plain line. */
function plain(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\x00-\x1f\x7f\x9b]/g, '');
}

function cell(text: string | undefined, width: number): string {
  const s = plain(text ?? '-');
  return s.length > width ? s.slice(0, width - 1) + '…' : s.padEnd(width);
}

function time(at: Date): string {
  return Number.isNaN(at.getTime()) ? '(unparsed line)'.padEnd(25) : formatIsoLocal(at);
}

export function formatTable(entries: LogEntry[]): string {
  const head = `${cell('TIME', 25)}  ${cell('SOURCE', 6)}  ${cell('LEVEL', 5)}  ${cell('RUNBOOK', 18)}  ${cell('TARGET', 18)}  ${cell('OPERATOR', 10)}  WHAT`;
  const rows = entries.map((e) => {
    const what =
      e.source === 'run'
        ? `${(e.outcome ?? '').toUpperCase()}${e.message ? ` · ${e.message}` : ''} (run ${e.runId})${e.match ? ` · matched ${e.match}` : ''}`
        : e.message;
    return `${time(e.at)}  ${cell(e.source, 6)}  ${cell(e.level, 5)}  ${cell(e.runbook, 18)}  ${cell(e.target, 18)}  ${cell(e.operator, 10)}  ${plain(what)}`;
  });
  return [head, ...rows].join('\n');
}

export function formatJsonLines(entries: LogEntry[]): string {
  return entries
    .map((e) => JSON.stringify({ ...e, at: Number.isNaN(e.at.getTime()) ? null : formatIsoLocal(e.at), ...(e.startedAt ? { startedAt: formatIsoLocal(e.startedAt) } : {}) }))
    .join('\n');
}

/** One run's journal as a timeline. */
export function formatRunTimeline(events: RunEvent[]): string {
  const out: string[] = [];
  for (const e of events) {
    const at = formatIsoLocal(e.at);
    switch (e.type) {
      case 'run.started':
        out.push(`${at}  START ${e.runbook} (${e.level}) on ${e.target} by ${e.operator}${e.dryRun ? ' — dry run' : ''}`);
        break;
      case 'approval.granted':
        out.push(`${at}  approval step ${e.step} granted by ${e.approver} (${e.how})`);
        break;
      case 'approval.rejected':
        out.push(`${at}  approval step ${e.step} rejected: ${e.reason}`);
        break;
      case 'step.started':
        out.push(`${at}  ▶ ${e.stepId}`);
        break;
      case 'step.finished':
        out.push(`${at}  ${e.outcome === 'ok' ? '✓' : e.outcome === 'failed' ? '✗' : '−'} ${e.stepId} ${e.outcome}${e.message ? `: ${e.message}` : ''}`);
        break;
      case 'step.output':
        out.push(`${at}      ${e.stream === 'stderr' ? '! ' : ''}${e.line}`);
        break;
      case 'audit':
        out.push(`${at}  audit: ${e.message}`);
        break;
      case 'run.finished':
        out.push(`${at}  END ${e.outcome.toUpperCase()}${e.message ? `: ${e.message}` : ''}${e.escalateTo ? ` (escalate to ${e.escalateTo})` : ''}`);
        break;
      default:
        break;
    }
  }
  if (!events.some((e) => e.type === 'run.finished')) out.push('(no end recorded: the run is still going, or its console stopped before it could say)');
  return out.join('\n');
}

export async function runLog(flags: LogFlags, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const loaded = loadConfig(resolveConfigPath({ flag: flags.config }));
  const { paths, config } = loaded;
  if (flags.run) {
    if (!/^[A-Za-z0-9._-]+$/.test(flags.run)) throw new UserError(`doai-console log: --run expects a run id like 20260104T153000-l1-soft-reset-ab12, found "${flags.run}".`, EXIT_USAGE);
    const own = `${paths.journalDir}/${flags.run}.jsonl`;
    const other = join(paths.journalDir, OTHER_BOXES_DIR, `${flags.run}.jsonl`);
    const file = existsSync(own) || !existsSync(other) ? own : other;
    if (!existsSync(file)) throw new UserError(`doai-console log: no journal for run "${flags.run}" in ${paths.journalDir}. List runs with \`doai-console log\`.`, EXIT_USAGE);
    const events = readJournal(file);
    out((flags.json ? events.map((e) => JSON.stringify(e)).join('\n') : formatRunTimeline(events)) + '\n');
    return EXIT_OK;
  }
  let runbooks = new Map<string, Runbook>();
  try {
    runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: config.runbooks, baseDir: dirname(loaded.path) });
  } catch {
    // filters by audit name still work
  }
  if (flags.runbook && !runbooks.has(flags.runbook) && ![...runbooks.values()].some((r) => r.audit_name === flags.runbook)) {
    throw new UserError(
      `doai-console log: unknown runbook "${flags.runbook}"; known: ${[...runbooks.keys()].sort().join(', ') || 'none'} (or their audit names, e.g. L1_SOFT_RESET).`,
      EXIT_USAGE,
    );
  }
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`doai-console log: --limit expects a whole number of entries ≥ 1, found "${flags.limit}".`, EXIT_USAGE);
  }
  const entries = collectLog({
    auditLog: paths.auditLog,
    journalDir: paths.journalDir,
    runbooks,
    runbook: flags.runbook,
    target: flags.target,
    level: flags.level !== undefined ? parseLevel(flags.level) : undefined,
    since: flags.since !== undefined ? parseSince(flags.since, new Date()) : undefined,
    grep: flags.grep,
  });
  const shown = limit !== undefined ? entries.slice(-limit) : entries;
  if (flags.json) {
    if (shown.length) out(formatJsonLines(shown) + '\n');
    return EXIT_OK;
  }
  if (!shown.length) {
    const none = !existsSync(paths.auditLog) && listJournals(paths.journalDir).length === 0 && otherBoxesJournals(paths.journalDir).length === 0;
    out(
      none
        ? `nothing recorded yet: no audit log at ${paths.auditLog} and no run journals in ${paths.journalDir}\n`
        : 'no entries match the filters (try a wider --since, or drop --target/--grep)\n',
    );
    return EXIT_OK;
  }
  out(formatTable(shown) + '\n');
  return EXIT_OK;
}
