// Two-person integrity with the BUILT binary and real OS users (R-APR-4, R-RUN-9): a headless
// `run` without a terminal prints its request and waits; `doai-console approve` refuses the
// requester itself (exit 1) and an unknown id (exit 2, with the pending list), ignores a forged
// approval file, and an approval by `nobody` lets the run go on. L3: both steps from two other
// users, never the same one twice; the reason and `yes`/`no` piped up front answer only after
// both approvals. Needs root (to spawn as other uids) and the built dist/.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { requireRoot, requireTools } from '../helpers/requirements';
import { watchOutput, type WatchedProcess } from '../helpers/cli';

const REPO = resolve(__dirname, '../..');
const BIN = join(REPO, 'bin', 'doai-console.js');
const NOBODY = 65534;
const THIRD = 65533;

let base = '';
let fleet: DemoFleet | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `node scripts/build.mjs` first');
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fleet?.stop();
  fleet = undefined;
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

async function setup(): Promise<{ config: string; approvals: string; audit: string }> {
  base = mkdtempSync(join(tmpdir(), 'doai-approve-cli-'));
  // Other users must reach the approvals directory inside (traverse only).
  chmodSync(base, 0o711);
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 5 });
  return { config: fleet.configPath, approvals: join(base, 'demo', 'approvals'), audit: join(base, 'demo', 'emergency.log') };
}

type Running = WatchedProcess;

function start(args: string[], uid?: number, env: NodeJS.ProcessEnv = {}, gid = uid): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: base,
    env: { ...process.env, HOME: base, NO_COLOR: '1', DOAI_CONSOLE_CONFIG: '', ...env },
    stdio: 'pipe',
    ...(uid !== undefined ? { uid, gid } : {}),
  });
  children.push(child);
  return watchOutput(child, 20_000);
}

async function cli(args: string[], uid?: number): Promise<{ code: number; out: string }> {
  const r = start(args, uid);
  const code = await r.exit;
  return { code, out: r.out() };
}

function auditLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\[[^\]]+\] /, ''));
}

requireRoot('the approvals come from other OS users (nobody, uid 65533)');

describe('doai-console approve across OS users (built CLI)', () => {
  it('L2 headless without a terminal: self-approval refused, unknown id exit 2, forged file ignored, nobody approves → SUCCESS', async () => {
    const { config, approvals, audit } = await setup();
    fleet!.injectFault('crash-loop');
    const run = start(['run', 'l2-service-reset', '--target', 'doai-orchestrator', '--config', config]);
    const [, id] = await run.waitFor(/doai-console approve ([0-9a-f]{8}) --approvals-dir (\S+)/);
    expect(run.out()).toContain(`doai-console approve ${id} --approvals-dir ${approvals}`);
    expect(run.out()).toMatch(/waiting up to 5 min for that approval/);
    // No code is shown where nobody can type it.
    expect(run.out()).not.toMatch(/code: [0-9A-F]{6}/);

    const self = await cli(['approve', id!, '--approvals-dir', approvals]);
    expect(self.code).toBe(1);
    expect(self.out).toMatch(/self-approval refused: you \(root\) made this request — another person must approve it from their own account/);

    const unknown = await cli(['approve', 'ffffffff', '--approvals-dir', approvals], NOBODY);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(new RegExp(`no pending request ffffffff; pending: ${id} \\(L2 l2-service-reset on doai-orchestrator by root, step 1\\)`));

    const listed = await cli(['approve', '--approvals-dir', approvals], NOBODY);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${id}  L2 l2-service-reset → doai-orchestrator  step 1  by root \\(root, uid 0\\)  age \\d+ s  expires in [45] m \\d+ s`));
    // The plan the approver agrees to (hosts and commands), and what kind of identity it needs.
    expect(listed.out).toContain('    approval: L2 policy declared: step 1 needs no proven identity');
    expect(listed.out).toContain('    will run, in order (host: command):');
    expect(listed.out).toMatch(/\n      1\. .+\n         ssh root@demo-vm: mkdir -p '\/var\/log\/doai\/snapshots\/\d+_\d+'\n         ssh root@demo-vm: sh -c 'journalctl/);

    // A forged approval "by uid 65533" written by the requester's own uid: ignored and recorded.
    writeFileSync(
      join(approvals, `${id}.approval-1.${THIRD}.json`),
      JSON.stringify({ version: 1, requestId: id, step: 1, requestDigest: '0'.repeat(64), approverUid: THIRD, approverUser: 'mallory', pid: 1, at: new Date().toISOString() }),
      { mode: 0o644 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(run.child.exitCode).toBeNull();

    const ok = await cli(['approve', id!, '--approvals-dir', approvals], NOBODY);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(new RegExp(`approved request ${id} as nobody \\(uid ${NOBODY}\\)`));
    expect(await run.exit).toBe(0);
    expect(run.out()).toMatch(/approval step 1 granted \(session\) by nobody/);
    expect(run.out()).toMatch(/SUCCESS — ✅ L2 recovery succeeded/);
    const lines = auditLines(audit);
    // R-APR-5: the refused self-approval is in the requester's audit log, with who and how known
    // (before or after the forged file's line: the console scans both whenever it looks). Both
    // came while the code still approved, so before the START line that holds it.
    expect(lines.slice(0, 2)).toContain('L2_SERVICE_RESET: STEP1_REJECTED - Self-approval (doai-console approve): root (os-user root uid 0)');
    expect(lines[2]).toMatch(/^L2_SERVICE_RESET: START - Confirm: [0-9A-F]{6}$/);
    expect(lines.slice(0, 2).find((l) => l.includes('Approval file ignored'))).toMatch(new RegExp(`^L2_SERVICE_RESET: STEP1_REJECTED - Approval file ignored: approval file ${id}\\.approval-1\\.${THIRD}\\.json was written by the requester's own uid 0`));
    expect(lines.slice(3)).toEqual([
      'L2_SERVICE_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)',
      'L2_SERVICE_RESET: SNAPSHOT_SAVED',
      'L2_SERVICE_RESET: SERVICES_STOPPED',
      'L2_SERVICE_RESET: CACHE_CLEARED',
      'L2_SERVICE_RESET: SERVICES_RESTARTED',
      'L2_SERVICE_RESET: SUCCESS',
    ]);
    expect(fleet!.state().health).toBe('ok');
  }, 60_000);

  it('L3 box-down: step 1 by nobody, step 2 refused for nobody again, approved by another uid after the wait; reason and yes from stdin', async () => {
    const { config, approvals, audit } = await setup();
    fleet!.injectFault('box-down');
    const run = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', config]);
    const [, id1] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    // The demo config chose declared approvals for L3, and says so.
    expect(run.out()).toContain('approval policy: declared — a name typed here is recorded as declared, not proven (demo: declared approvals)');
    expect((await cli(['approve', id1!, '--approvals-dir', approvals], NOBODY)).code).toBe(0);
    await run.waitFor(/step 2 opens in \d+ s/);
    // The step-2 request exists only once the 30 s wait is over.
    const [, id2] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 2\)/, 45_000);
    expect(id2).not.toBe(id1);
    const again = await cli(['approve', id2!, '--approvals-dir', approvals], NOBODY);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/you \(nobody\) approved step 1 of this request; step 2 needs a different person/);
    expect((await cli(['approve', id2!, '--approvals-dir', approvals], THIRD)).code).toBe(0);
    await run.waitFor(/reason for this box reset:/);
    run.child.stdin.write('box hung, SSH refused\n');
    await run.waitFor(/execute\? type yes/);
    run.child.stdin.write('yes\n');
    expect(await run.exit).toBe(0);
    expect(run.out()).toMatch(/Step 1 approver: nobody \(.*, os-user nobody uid 65534\)/);
    expect(run.out()).toMatch(/Step 2 approver: uid65533/);
    expect(auditLines(audit)).toEqual([
      expect.stringMatching(/^L3_BOX_RESET: START - Confirm: [0-9A-F]{6}$/),
      'L3_BOX_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)',
      // R-APR-5: the same person trying step 2 is recorded, not only told.
      'L3_BOX_RESET: STEP2_REJECTED - Same approver (doai-console approve): nobody (os-user nobody uid 65534)',
      'L3_BOX_RESET: STEP2_APPROVED by uid65533 (os-user uid65533 uid 65533)',
      'L3_BOX_RESET: REASON: box hung, SSH refused',
      'L3_BOX_RESET: EXECUTING',
      'L3_BOX_RESET: SUCCESS',
    ]);
    expect(fleet!.state()).toMatchObject({ power: 'up', health: 'ok', reboots: 1 });
  }, 120_000);

  it("L3 with the reason and the answer piped up front (printf 'disk full\\nyes\\n' |): yes executes, no cancels, the pipe approves nothing; summary times in local time like the audit log", async () => {
    const { config, approvals, audit } = await setup();
    fleet!.injectFault('box-down');
    // The `no` run gets a fleet of its own (own audit log, lock and approvals): both wait the
    // real 30 s between the steps at the same time instead of one after the other.
    const noFleet = await startDemoFleet({ dir: join(base, 'demo-no'), timeScale: 20, nodeCount: 5 });
    try {
      const noApprovals = join(base, 'demo-no', 'approvals');
      const tz = { TZ: 'Asia/Seoul' };
      const yes = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', config], undefined, tz);
      const no = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', noFleet.configPath], undefined, tz);
      // Everything is in the pipe, and the pipe is closed, before anyone has approved.
      yes.child.stdin.end('disk full\nyes\n');
      no.child.stdin.end('disk full\nno\n');
      const [, y1] = await yes.waitFor(/doai-console approve ([0-9a-f]{8})/);
      const [, n1] = await no.waitFor(/doai-console approve ([0-9a-f]{8})/);
      await new Promise((r) => setTimeout(r, 1000));
      for (const r of [yes, no]) {
        expect(r.child.exitCode).toBeNull();
        expect(r.out()).toMatch(/waiting for another user to approve \(stdin is not a terminal, so no code can be typed here\)/);
        expect(r.out()).not.toMatch(/approval step 1 granted|reason for this box reset/);
      }
      expect((await cli(['approve', y1!, '--approvals-dir', approvals], NOBODY)).code).toBe(0);
      expect((await cli(['approve', n1!, '--approvals-dir', noApprovals], NOBODY)).code).toBe(0);
      const [, y2] = await yes.waitFor(/approval request ([0-9a-f]{8}) \(step 2\)/, 45_000);
      const [, n2] = await no.waitFor(/approval request ([0-9a-f]{8}) \(step 2\)/, 45_000);
      expect((await cli(['approve', y2!, '--approvals-dir', approvals], THIRD)).code).toBe(0);
      expect((await cli(['approve', n2!, '--approvals-dir', noApprovals], THIRD)).code).toBe(0);

      expect(await yes.exit).toBe(0);
      expect(yes.out()).toContain('reason for this box reset: disk full\n');
      expect(yes.out()).toContain('execute? type yes (anything else cancels): yes\n');
      expect(yes.out()).toMatch(/SUCCESS — ✅ L3 Box Reset complete/);
      expect(yes.out()).not.toMatch(/stdin closed/);
      // The summary box in local time with its offset, as in emergency.log, not UTC.
      const local = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00/.source;
      const [, at1] = yes.out().match(new RegExp(`  Step 1 approver: nobody \\((${local}), os-user nobody uid 65534\\)\n`))!;
      const [, at2] = yes.out().match(new RegExp(`  Step 2 approver: uid65533 \\((${local}), os-user uid65533 uid 65533\\)\n`))!;
      expect(yes.out()).toContain('  Reason: disk full\n');
      expect(yes.out()).not.toMatch(/approver: .*\d\d\.\d{3}Z/);
      const raw = readFileSync(audit, 'utf8');
      const stamp = (what: string) => new RegExp(`^\\[(${local})\\] L3_BOX_RESET: ${what}$`, 'm').exec(raw)![1]!;
      // The same instant the audit log recorded, give or take the second it was written in.
      expect(Math.abs(Date.parse(at1!) - Date.parse(stamp('STEP1_APPROVED by nobody \\(os-user nobody uid 65534\\)')))).toBeLessThanOrEqual(1000);
      expect(Math.abs(Date.parse(at2!) - Date.parse(stamp('STEP2_APPROVED by uid65533 \\(os-user uid65533 uid 65533\\)')))).toBeLessThanOrEqual(1000);
      expect(auditLines(audit)).toEqual([
        expect.stringMatching(/^L3_BOX_RESET: START - Confirm: [0-9A-F]{6}$/),
        'L3_BOX_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)',
        'L3_BOX_RESET: STEP2_APPROVED by uid65533 (os-user uid65533 uid 65533)',
        'L3_BOX_RESET: REASON: disk full',
        'L3_BOX_RESET: EXECUTING',
        'L3_BOX_RESET: SUCCESS',
      ]);
      expect(fleet!.state()).toMatchObject({ power: 'up', health: 'ok', reboots: 1 });

      expect(await no.exit).toBe(1);
      expect(no.out()).toContain('execute? type yes (anything else cancels): no\n');
      expect(no.out()).toMatch(/✗ Cancelled — only the word yes executes/);
      expect(no.out()).toMatch(/CANCELLED — Cancelled — only the word yes executes/);
      expect(no.out()).not.toMatch(/> Back up config and logs|EXECUTING/);
      expect(auditLines(join(base, 'demo-no', 'emergency.log'))).toEqual([
        expect.stringMatching(/^L3_BOX_RESET: START - Confirm: [0-9A-F]{6}$/),
        'L3_BOX_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)',
        'L3_BOX_RESET: STEP2_APPROVED by uid65533 (os-user uid65533 uid 65533)',
        'L3_BOX_RESET: REASON: disk full',
        'L3_BOX_RESET: CANCELLED by user',
      ]);
      expect(noFleet.state().reboots).toBe(0);
    } finally {
      await noFleet.stop();
    }
  }, 120_000);

  it('L3 without a terminal and stdin closed: after both approvals the missing reason cancels the run', async () => {
    const { config, approvals, audit } = await setup();
    const run = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', config]);
    run.child.stdin.end();
    const [, id1] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    expect((await cli(['approve', id1!, '--approvals-dir', approvals], NOBODY)).code).toBe(0);
    const [, id2] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 2\)/, 45_000);
    expect((await cli(['approve', id2!, '--approvals-dir', approvals], THIRD)).code).toBe(0);
    expect(await run.exit).toBe(1);
    expect(run.out()).toMatch(/stdin closed before the approval was complete — cancelling/);
    expect(auditLines(audit).slice(1)).toEqual(['L3_BOX_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)', 'L3_BOX_RESET: STEP2_APPROVED by uid65533 (os-user uid65533 uid 65533)', 'L3_BOX_RESET: CANCELLED by user']);
    expect(fleet!.state().reboots).toBe(0);
  }, 120_000);
  it('R-APR-5/6: approve by someone outside the requester\'s approvers list is refused before writing (exit 1) and recorded in the audit log, journal and incident', async () => {
    const { config, approvals, audit } = await setup();
    // uid 65533 has no passwd entry: its name is uid65533. nobody is not listed.
    writeFileSync(config, readFileSync(config, 'utf8') + 'approvers: [orion, uid65533]\n');
    const run = start(['run', 'l2-service-reset', '--target', 'doai-orchestrator', '--config', config]);
    const [, id] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    const listed = await cli(['approve', '--approvals-dir', approvals], NOBODY);
    expect(listed.out).toContain('approvers: orion, uid65533');
    // nobody passes only --approvals-dir (no config of their own): the list travels in the request.
    const refused = await cli(['approve', id!, '--approvals-dir', approvals], NOBODY);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("doai-console approve: you (nobody) are not in the approvers list of the requesting console's config — ask a listed approver; nothing was approved");
    expect(refused.out).not.toMatch(/^approved/m);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(approvals).filter((n) => n.startsWith(`${id}.approval-`))).toEqual([]);
    const line = 'L2_SERVICE_RESET: STEP1_REJECTED - Approver not allowed (doai-console approve): nobody (os-user nobody uid 65534)';
    const deadline = Date.now() + 15_000;
    while (!auditLines(audit).includes(line) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(auditLines(audit)).toContain(line);
    // Files under the demo folder whose path has `part` (the journal, the incident records).
    const grepDir = (part: string, text: string): boolean =>
      readdirSync(join(base, 'demo'), { recursive: true, withFileTypes: true }).some(
        (e) => e.isFile() && join(e.parentPath, e.name).includes(`/${part}/`) && readFileSync(join(e.parentPath, e.name), 'utf8').includes(text),
      );
    const reason = 'Approver not allowed (doai-console approve): nobody (os-user nobody uid 65534)';
    const journalDeadline = Date.now() + 10_000;
    while (!grepDir('journal', reason) && Date.now() < journalDeadline) await new Promise((r) => setTimeout(r, 100));
    expect(grepDir('journal', reason)).toBe(true);
    expect(run.child.exitCode).toBeNull();
    // A listed approver goes on; the incident the run opens carries the refused attempt.
    expect((await cli(['approve', id!, '--approvals-dir', approvals], THIRD)).code).toBe(0);
    expect(await run.exit).toBe(0);
    expect(auditLines(audit)).toContain('L2_SERVICE_RESET: STEP1_APPROVED by uid65533 (os-user uid65533 uid 65533)');
    expect(grepDir('incidents', reason)).toBe(true);
  }, 90_000);

  it('R-APR-8: the request file rewritten by the requester\'s account ("L1 … harmless") voids the request: approved or not, nothing runs, and the audit log says so', async () => {
    const { config, approvals, audit } = await setup();
    const run = start(['run', 'l2-service-reset', '--target', 'doai-orchestrator', '--config', config]);
    const [, id] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    const path = join(approvals, `${id}.request.json`);
    // The requester's own account (root here) rewrites its request in place after writing it.
    const forged = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    forged.level = 'L1';
    forged.summary = 'harmless';
    forged.plan = ['1. echo harmless'];
    writeFileSync(path, JSON.stringify(forged, null, 2) + '\n');
    // Whatever the approver does next, the run ends without running a step.
    await cli(['approve', id!, '--approvals-dir', approvals], NOBODY);
    expect(await run.exit).toBe(1);
    const lines = auditLines(audit);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^L2_SERVICE_RESET: STEP1_REJECTED - Request ${id} voided \\(.*changed after the console wrote it`)));
    expect(lines.filter((l) => /APPROVED|SNAPSHOT_SAVED|SERVICES_STOPPED|SUCCESS/.test(l))).toEqual([]);
    expect(run.out()).not.toMatch(/SUCCESS/);
  }, 60_000);

  it('R-APR-6: L3 under the default proven policy: no code anywhere, the run says how to approve, the listing says each step needs a proven identity', async () => {
    const { config, approvals, audit } = await setup();
    // A real config: the demo's declared L3 removed, so the default (proven) applies.
    writeFileSync(config, readFileSync(config, 'utf8').replace(/\n {2}L3: declared/, ''));
    const run = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', config]);
    const [, id1] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    expect(run.out()).toContain('approval policy: proven — another person runs `doai-console approve <id>` as their own OS user; a name typed here does not count');
    expect(run.out()).not.toMatch(/code: [0-9A-F]{6}|Confirm: /);
    expect(auditLines(audit)[0]).toBe('L3_BOX_RESET: START');
    const listed = await cli(['approve', '--approvals-dir', approvals], NOBODY);
    expect(listed.out).toContain(`${id1}  L3 l3-box-reset → demo-vm  step 1 of 2`);
    expect(listed.out).toContain("approval: L3 policy proven: steps 1 and 2 each need a proven identity (another OS user running doai-console approve); a name typed in the requester's console does not count");
    const ok = await cli(['approve', id1!, '--approvals-dir', approvals], NOBODY);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`approved request ${id1} as nobody (uid ${NOBODY}), recorded as proven (os-user nobody uid ${NOBODY}):`);
    expect(ok.out).toContain('will run, in order (host: command):');
    await run.waitFor(/step 2 opens in \d+ s/);
    expect(auditLines(audit)[1]).toBe('L3_BOX_RESET: STEP1_APPROVED by nobody (os-user nobody uid 65534)');
    run.child.kill('SIGINT');
    await run.exit;
  }, 60_000);
});

/** libfaketime's preload library (Debian package faketime), wherever the architecture puts it. */
function libfaketime(): string {
  requireTools(['/usr/bin/faketime'], 'apt-get install -y faketime');
  const lib = readdirSync('/usr/lib', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('/usr/lib', d.name, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime: apt-get install -y faketime (.ci/run installs it)');
  return lib;
}

describe('waits on a monotonic clock (R-APR-7), with the wall clock of the real process stepped', () => {
  it('a +40 s wall-clock jump during the L3 wait does not open step 2 early; audit lines keep wall time', async () => {
    const { config, approvals, audit } = await setup();
    fleet!.injectFault('box-down');
    // The console's own wall clock is read through libfaketime from this file (re-read on every
    // call): "+0" now, "+40" mid-wait, as an NTP step or `date -s` would do. CLOCK_MONOTONIC is left alone, as the kernel does.
    const offset = join(base, 'wall-offset');
    writeFileSync(offset, '+0\n');
    const run = start(['run', 'l3-box-reset', '--target', 'demo-vm', '--config', config], undefined, {
      LD_PRELOAD: libfaketime(),
      FAKETIME_TIMESTAMP_FILE: offset,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
    const [, id1] = await run.waitFor(/doai-console approve ([0-9a-f]{8})/);
    expect((await cli(['approve', id1!, '--approvals-dir', approvals], NOBODY)).code).toBe(0);
    await run.waitFor(/step 2 opens in \d+ s/);
    const granted = Date.now();
    writeFileSync(offset, '+40\n');
    const [, id2] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 2\)/, 60_000);
    // Real time since step 1 was granted: the full wait, not 30 s minus the 40 s jump.
    expect(Date.now() - granted).toBeGreaterThanOrEqual(28_000);
    expect((await cli(['approve', id2!, '--approvals-dir', approvals], THIRD)).code).toBe(0);
    await run.waitFor(/reason for this box reset:/);
    run.child.stdin.write('clock test\n');
    await run.waitFor(/execute\? type yes/);
    run.child.stdin.write('yes\n');
    expect(await run.exit).toBe(0);
    // The audit timestamps are wall time: the step-2 line is stamped with the jumped clock.
    const stamp = (what: string) => Date.parse(new RegExp(`^\\[([^\\]]+)\\] L3_BOX_RESET: ${what}$`, 'm').exec(readFileSync(audit, 'utf8'))![1]!);
    expect(stamp('STEP2_APPROVED by uid65533 .*') - stamp('STEP1_APPROVED by nobody .*')).toBeGreaterThanOrEqual(68_000);
  }, 150_000);
});

describe('one recovery per target across OS users (R-RUN-7): the system state dir', () => {
  it('init --system sets it up; alice\'s L2 holding the target stops bob\'s L1, whatever user each runs as', async () => {
    const { config } = await setup();
    // Operators share a group; the system dir is pointed into the test's folder.
    const GROUP = 65533;
    const system = join(base, 'system');
    const env = { DOAI_CONSOLE_SYSTEM_DIR: system };
    const init = start(['init', '--system', '--group', String(GROUP)], undefined, env);
    expect(await init.exit).toBe(0);
    expect(statSync(system).mode & 0o7777).toBe(0o2770);
    expect(statSync(join(system, 'approvals')).mode & 0o7777).toBe(0o3770);
    expect(statSync(join(system, 'emergency.log'))).toMatchObject({ gid: GROUP });
    // The fleet's config without its own paths: each user's console falls back to the defaults,
    // which the system dir now overrides for locks, approvals and the audit log.
    const shared = parse(readFileSync(config, 'utf8')) as { paths: Record<string, string> };
    shared.paths = { known_hosts: shared.paths.known_hosts! };
    const sharedConfig = join(base, 'shared.yaml');
    writeFileSync(sharedConfig, stringify(shared), { mode: 0o644 });
    const home = (name: string, uid: number) => {
      const dir = join(base, name);
      mkdirSync(dir);
      chownSync(dir, uid, GROUP);
      return { ...env, HOME: dir, XDG_STATE_HOME: '', XDG_CACHE_HOME: '' };
    };
    const alice = start(['run', 'l2-service-reset', '--target', 'doai-orchestrator', '--config', sharedConfig], NOBODY, home('alice', NOBODY), GROUP);
    await alice.waitFor(/doai-console approve ([0-9a-f]{8})/);
    const bob = start(['run', 'l1-soft-reset', '--target', 'doai-orchestrator', '--config', sharedConfig], THIRD, home('bob', THIRD), GROUP);
    expect(await bob.exit).toBe(1);
    expect(bob.out()).toMatch(/L2 in progress by nobody since \d\d:\d\d \(run [^)]+\)/);
    expect(bob.out()).toContain(`rm '${join(system, 'locks', 'doai-orchestrator.lock')}'`);
    const lock = statSync(join(system, 'locks', 'doai-orchestrator.lock'));
    expect({ uid: lock.uid, gid: lock.gid, mode: lock.mode & 0o777 }).toEqual({ uid: NOBODY, gid: GROUP, mode: 0o660 });
    alice.child.kill('SIGTERM');
    await alice.exit;
    // One audit log for the machine: alice's START (written once her code was dead: the run was
    // cancelled) is in it, written by her into the group's file.
    expect(auditLines(join(system, 'emergency.log')).slice(0, 2)).toEqual([expect.stringMatching(/^L2_SERVICE_RESET: START - Confirm: [0-9A-F]{6}$/), 'L2_SERVICE_RESET: CANCELLED by user']);
  }, 90_000);
});
