// An audit log that becomes unwritable mid-run (ENOSPC: emergency.log swapped for a link to
// /dev/full, whose writes fail with "no space left on device"): the run's outcome says so
// (SUCCESS, audit incomplete), the lines not written are kept in the journal, and they are
// appended, marked LATE with their own time, as soon as the log takes lines again (R-AUD-2).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/audit/journal';
import type { RunEvent } from '../../src/runbook/events';
import { startDemoFleet } from '../../src/demo/fleet';
import { BIN } from '../helpers/cli';
import { started, startRig, type Rig } from '../helpers/recovery-rig';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('an unwritable audit log mid-run', () => {
  it('ENOSPC after START: SUCCESS, audit incomplete; the lines kept in the journal are appended LATE once the log is writable', async () => {
    rig = await startRig();
    rig.fleet.injectFault('crash');
    const first = started(rig.engine.start('l1-soft-reset', 'doai-orchestrator'));
    // The START line is on disk; from now on every write fails with ENOSPC.
    renameSync(rig.auditPath, `${rig.auditPath}.kept`);
    symlinkSync('/dev/full', rig.auditPath);
    expect(await rig.drive(first)).toBe('success');
    const finished = rig.events.find((e) => e.type === 'run.finished' && e.runId === first) as Extract<RunEvent, { type: 'run.finished' }>;
    expect(finished.auditIncomplete).toBe(true);
    expect(finished.message).toMatch(/; audit incomplete: 3 line\(s\) not written to .*emergency\.log, kept in the journal/);
    const journal = readJournal(join(rig.dir, 'journal', `${first}.jsonl`));
    const kept = journal.flatMap((e) => (e.type === 'step.output' && e.line.startsWith('AUDIT LINE KEPT') ? [e.line] : []));
    expect(kept).toEqual([expect.stringMatching(/L1_SOFT_RESET: STEP1_APPROVED by auto$/), expect.stringMatching(/L1_SOFT_RESET: SERVICE_RESTARTED$/), expect.stringMatching(/L1_SOFT_RESET: SUCCESS$/)]);
    expect(journal.some((e) => e.type === 'step.output' && /AUDIT LOG NOT WRITTEN: cannot write the audit log .*no space left on device/i.test(e.line))).toBe(true);

    // The log is writable again: the next line written first appends the missing ones.
    unlinkSync(rig.auditPath);
    renameSync(`${rig.auditPath}.kept`, rig.auditPath);
    rig.fleet.injectFault('crash');
    const second = started(rig.engine.start('l1-soft-reset', 'doai-orchestrator'));
    expect(await rig.drive(second)).toBe('success');
    expect(rig.audit()).toEqual([
      'L1_SOFT_RESET: START',
      expect.stringMatching(/^L1_SOFT_RESET: STEP1_APPROVED by auto \(LATE: /),
      expect.stringMatching(/^L1_SOFT_RESET: SERVICE_RESTARTED \(LATE: the log was not writable then; written \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\)$/),
      expect.stringMatching(/^L1_SOFT_RESET: SUCCESS \(LATE: /),
      'L1_SOFT_RESET: START',
      'L1_SOFT_RESET: STEP1_APPROVED by auto',
      'L1_SOFT_RESET: SERVICE_RESTARTED',
      'L1_SOFT_RESET: SUCCESS',
    ]);
    // The late lines keep the time they happened at, before the second run's START.
    const stamps = readFileSync(rig.auditPath, 'utf8').split('\n').filter(Boolean).map((l) => Date.parse(l.slice(1, l.indexOf(']'))));
    expect(stamps[3]!).toBeLessThanOrEqual(stamps[4]!);
    const finishedAgain = rig.events.find((e) => e.type === 'run.finished' && e.runId === second) as Extract<RunEvent, { type: 'run.finished' }>;
    expect(finishedAgain.auditIncomplete).toBeUndefined();
  }, 60_000);
});

describe('headless run with the audit log unwritable mid-run', () => {
  it('prints SUCCESS, audit incomplete and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doai-audit-enospc-'));
    const fleet = await startDemoFleet({ dir: join(dir, 'demo'), timeScale: 20, nodeCount: 5 });
    try {
      fleet.injectFault('crash');
      const audit = join(dir, 'demo', 'emergency.log');
      const child = spawn(process.execPath, [BIN, 'run', 'l1-soft-reset', '--target', 'doai-orchestrator', '--config', fleet.configPath], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exit = new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
      // Once the run has started (its START line is on disk), the disk is "full".
      const end = Date.now() + 20_000;
      const logged = () => {
        try {
          return readFileSync(audit, 'utf8');
        } catch {
          return ''; // not created yet
        }
      };
      while (!/L1_SOFT_RESET: START/.test(logged())) {
        if (Date.now() > end) throw new Error(`no START line; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      renameSync(audit, `${audit}.kept`);
      symlinkSync('/dev/full', audit);
      expect(await exit).toBe(1);
      expect(out).toMatch(/SUCCESS, audit incomplete — .*audit incomplete: \d line\(s\) not written to /);
      expect(out).toMatch(/AUDIT LOG NOT WRITTEN: cannot write the audit log/);
    } finally {
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  }, 60_000);
});
