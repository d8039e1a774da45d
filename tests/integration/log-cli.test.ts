// `doai-console log` on the built binary: emergency.log and journals together, each filter, JSON
// lines, one run's timeline, and every bad input with a message saying what to type instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { formatIsoLocal } from '../../src/audit/emergency-log';

let dir: string;
let config: string;
let emptyConfig: string;
const now = Date.now();
const ago = (min: number) => new Date(now - min * 60_000);

const L1 = '20260104T150000-l1-soft-reset-aaaa';
const L2 = '20260104T160000-l2-service-reset-bbbb';
const DEAD = '20260104T170000-l1-soft-reset-cccc';
const API = '20260104T153000-l1-soft-reset-dddd';

function journal(runId: string, lines: Record<string, unknown>[]): void {
  writeFileSync(join(dir, 'journal', `${runId}.jsonl`), lines.map((l) => JSON.stringify({ runId, ...l }) + '\n').join(''));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-log-'));
  mkdirSync(join(dir, 'journal'));
  config = join(dir, 'console.yaml');
  writeFileSync(config, `paths:\n  audit_log: ${dir}/emergency.log\n  journal_dir: ${dir}/journal\n  state_dir: ${dir}/state\n`);
  emptyConfig = join(dir, 'empty.yaml');
  writeFileSync(emptyConfig, `paths:\n  audit_log: ${dir}/none/emergency.log\n  journal_dir: ${dir}/none/journal\n  state_dir: ${dir}/none/state\n`);
  const a = (at: Date, name: string, msg: string) => `[${formatIsoLocal(at)}] ${name}: ${msg}`;
  writeFileSync(
    join(dir, 'emergency.log'),
    [
      a(ago(180), 'L1_SOFT_RESET', 'START'),
      a(ago(180), 'L1_SOFT_RESET', 'STEP1_APPROVED by auto'),
      a(ago(179), 'L1_SOFT_RESET', 'SUCCESS'),
      a(ago(120), 'L1_SOFT_RESET', 'START'),
      a(ago(120), 'L1_SOFT_RESET', 'STEP1_APPROVED by auto'),
      a(ago(119), 'L1_SOFT_RESET', 'SERVICE_RESTARTED'),
      a(ago(118), 'L1_SOFT_RESET', 'SUCCESS'),
      a(ago(30), 'L2_SERVICE_RESET', 'START'),
      a(ago(30), 'L2_SERVICE_RESET', 'STEP1_APPROVED by vega'),
      'garbage line written by hand',
      a(ago(29), 'L2_SERVICE_RESET', 'FAILED - Escalate to L3'),
      a(ago(5), 'L1_SOFT_RESET', 'START'),
      a(ago(5), 'L1_SOFT_RESET', 'INTERRUPTED - SIGHUP during step "verify"'),
    ].join('\n') + '\n',
  );
  const started = (runbook: string, level: string, auditName: string, target: string, operator: string, at: Date) => ({
    type: 'run.started', runbook, level, auditName, target, operator, dryRun: false, at: at.toISOString(),
  });
  journal(L1, [
    started('l1-soft-reset', 'L1', 'L1_SOFT_RESET', 'caddy', 'orion', ago(180)),
    { type: 'step.started', stepId: 'restart', at: ago(180).toISOString() },
    { type: 'step.output', stepId: 'restart', stream: 'stdout', line: 'Started caddy.service\r', at: ago(180).toISOString() },
    { type: 'step.finished', stepId: 'restart', outcome: 'ok', at: ago(180).toISOString() },
    { type: 'run.finished', outcome: 'success', message: 'L1 recovery succeeded', at: ago(179).toISOString() },
  ]);
  journal(L2, [
    started('l2-service-reset', 'L2', 'L2_SERVICE_RESET', 'doai-orchestrator', 'vega', ago(30)),
    { type: 'approval.granted', step: 1, approver: 'vega', how: 'code', at: ago(30).toISOString() },
    { type: 'step.started', stepId: 'snapshot', at: ago(30).toISOString() },
    { type: 'step.output', stepId: 'snapshot', stream: 'stderr', line: 'journalctl: permission denied', at: ago(30).toISOString() },
    { type: 'step.finished', stepId: 'snapshot', outcome: 'failed', message: 'exit code 1', at: ago(29).toISOString() },
    { type: 'run.finished', outcome: 'failed', escalateTo: 'l3-box-reset', at: ago(29).toISOString() },
  ]);
  // A restart a minute and more after its start: its audit lines come between start and end.
  journal(API, [
    started('l1-soft-reset', 'L1', 'L1_SOFT_RESET', 'api', 'orion', ago(120)),
    { type: 'step.started', stepId: 'restart', at: ago(120).toISOString() },
    { type: 'step.finished', stepId: 'restart', outcome: 'ok', at: ago(119).toISOString() },
    { type: 'run.finished', outcome: 'success', message: 'api answers again', at: ago(118).toISOString() },
  ]);
  journal(DEAD, [started('l1-soft-reset', 'L1', 'L1_SOFT_RESET', 'doai-orchestrator', 'orion', ago(5)), { type: 'step.started', stepId: 'verify', at: ago(5).toISOString() }]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

const log = (...args: string[]) => runCli(['log', '--config', config, ...args]);

describe('doai-console log', () => {
  it('shows audit lines and runs together, oldest first, with the target each audit line belongs to', async () => {
    const r = await log();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SOURCE\s+LEVEL\s+RUNBOOK\s+TARGET\s+OPERATOR\s+WHAT/);
    expect(r.stdout).toMatch(/audit\s+L2\s+l2-service-reset\s+doai-orchestrator\s+vega\s+STEP1_APPROVED by vega/);
    expect(r.stdout).toMatch(/run\s+L1\s+l1-soft-reset\s+caddy\s+orion\s+SUCCESS/);
    expect(r.stdout).toMatch(/NO END RECORDED.*run 20260104T170000-l1-soft-reset-cccc/);
    // A line not in the seed format is shown, not dropped.
    expect(r.stdout).toContain('garbage line written by hand');
    const firstL1 = lines.findIndex((l) => l.includes('L1_SOFT_RESET') || /l1-soft-reset/.test(l));
    const firstL2 = lines.findIndex((l) => /l2-service-reset/.test(l));
    expect(firstL1).toBeLessThan(firstL2);
  });

  it("a run's row sits where it ended, below the audit lines it wrote, so the table reads in time order", async () => {
    const r = await log('--target', 'api');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows.map((l) => l.replace(/^\S+\s+(audit|run)\s+\S+\s+\S+\s+api\s+orion\s+/, '$1 '))).toEqual([
      'audit START',
      'audit STEP1_APPROVED by auto',
      'audit SERVICE_RESTARTED',
      'audit SUCCESS',
      `run SUCCESS · api answers again · in 120s (run ${API})`,
    ]);
    expect(rows[4]!.slice(0, 25)).toBe(formatIsoLocal(ago(118)));
    // The whole table too: every row's time at or after the one above it.
    const all = await log();
    const times = all.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => !l.startsWith('(unparsed line)'))
      .map((l) => new Date(l.slice(0, 25)).getTime());
    expect(times.length).toBeGreaterThan(10);
    times.forEach((t, i) => expect(t, all.stdout).toBeGreaterThanOrEqual(times[i - 1] ?? t));
    // Scripts get both ends of a run.
    const json = await log('--json', '--target', 'api');
    const run = json.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    expect(run).toMatchObject({ source: 'run', runId: API, at: formatIsoLocal(ago(118)), startedAt: formatIsoLocal(ago(120)) });
  });

  it('filters by target, level, runbook, time and text', async () => {
    const target = await log('--target', 'caddy');
    expect(target.stdout).toContain('caddy');
    expect(target.stdout).not.toContain('doai-orchestrator');
    expect(target.stdout).toMatch(/audit\s+L1\s+l1-soft-reset\s+caddy\s+orion\s+START/);

    const level = await log('--level', 'l2');
    expect(level.stdout).toContain('FAILED - Escalate to L3');
    expect(level.stdout).not.toMatch(/\bL1\b/);

    const runbook = await log('--runbook', 'L1_SOFT_RESET');
    expect(runbook.stdout).not.toContain('l2-service-reset');
    expect(runbook.stdout).toContain('INTERRUPTED - SIGHUP');

    const since = await log('--since', '1h');
    expect(since.stdout).not.toContain('caddy');
    expect(since.stdout).toContain('STEP1_APPROVED by vega');

    const grep = await log('--grep', 'PERMISSION DENIED');
    expect(grep.stdout).toMatch(/run\s+L2.*matched snapshot: journalctl: permission denied/);
    expect(grep.stdout).not.toContain('caddy');
  });

  it('--json prints one JSON object per line for scripts', async () => {
    const r = await log('--json', '--target', 'doai-orchestrator');
    expect(r.code).toBe(0);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects.length).toBeGreaterThan(3);
    expect(objects.every((o) => o.target === 'doai-orchestrator')).toBe(true);
    const run = objects.find((o) => o.runId === L2 && o.source === 'run');
    expect(run).toMatchObject({ level: 'L2', runbook: 'l2-service-reset', operator: 'vega', outcome: 'failed' });
    expect(run.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });

  it('--run prints one run as a timeline and says when no end was recorded', async () => {
    const ok = await log('--run', L1);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/START l1-soft-reset \(L1\) on caddy by orion/);
    expect(ok.stdout).toMatch(/✓ restart ok/);
    expect(ok.stdout).toContain('Started caddy.service');
    expect(ok.stdout).toMatch(/END SUCCESS/);
    const dead = await log('--run', DEAD);
    expect(dead.stdout).toMatch(/▶ verify/);
    expect(dead.stdout).toMatch(/no end recorded/);
  });

  it('--limit keeps the last entries', async () => {
    const r = await log('--limit', '2');
    expect(r.stdout.trim().split('\n')).toHaveLength(3); // header + 2
    expect(r.stdout).toContain('INTERRUPTED - SIGHUP');
  });

  it('says so when nothing is recorded yet, or nothing matches', async () => {
    const none = await runCli(['log', '--config', emptyConfig]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/nothing recorded yet: no audit log at .*none\/emergency\.log/);
    const nomatch = await log('--target', 'no-such-service');
    expect(nomatch.code).toBe(0);
    expect(nomatch.stdout).toMatch(/no entries match the filters/);
  });

  it.each([
    [['--since', 'yesterday'], /--since expects a duration like 30m, 1h, 2d or a date.*found "yesterday"/],
    [['--level', 'L9x'], /--level expects L1, L2 or L3, found "L9x"/],
    [['--runbook', 'l9-nope'], /unknown runbook "l9-nope"; known: .*l1-soft-reset/],
    [['--limit', '0'], /--limit expects a whole number of entries ≥ 1, found "0"/],
    [['--run', 'nope'], /no journal for run "nope" in .*journal\. List runs with `doai-console log`/],
    [['--run', '../../etc/passwd'], /--run expects a run id like/],
  ])('refuses %j with exit 2 and a message', async (args, message) => {
    const r = await log(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
