// `doai-console approve` attached to a real `serve` (R-APR-4, R-APR-8, R-SRV-2, R-ID-2): the built
// CLI as clients running as other OS users (root, nobody, uid 65533), the approval proven by the
// uid the kernel gives the server for each connection. Another user's approval lets the
// requester's attached `run` go on and is audited as proven by that user; the starter approving
// their own run, a viewer, an unknown id and an expired request are refused in words with the
// standalone command's exit codes, and audited where they are attempts. The server's wall clock
// is stepped with libfaketime (as an NTP step would) to let a request's five minutes run out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { BIN, waitForProcessesGone, watchOutput, type WatchedProcess } from '../helpers/cli';
import { startServer, type RunningServer } from '../helpers/console-server';
import { requireRoot, requireTools } from '../helpers/requirements';

requireRoot('clients run as nobody (uid 65534) and uid 65533 to prove identity comes from the kernel');
requireTools(['/usr/bin/faketime'], 'apt-get install -y faketime');

const ROOT = 0;
const NOBODY = 65534;
const STRANGER = 65533; // no passwd entry, no operator: a viewer

let base = '';
let fleet: DemoFleet | undefined;
let server: RunningServer | undefined;
let socket = '';
let audit = '';
let offset = '';
const children: ChildProcessWithoutNullStreams[] = [];

function libfaketime(): string {
  const lib = readdirSync('/usr/lib', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('/usr/lib', d.name, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime: apt-get install -y faketime');
  return lib;
}

type Proc = WatchedProcess;

/** The built CLI as `uid`, with no config of its own (HOME nowhere): only the socket. */
function cli(uid: number, args: string[], shell?: string): Proc {
  const argv = shell ? ['/bin/sh', ['-c', shell]] : [process.execPath, [BIN, ...args]];
  const child = spawn(argv[0] as string, argv[1] as string[], {
    uid,
    gid: uid,
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1', DOAI_CONSOLE_CONFIG: '' },
    stdio: 'pipe',
  });
  children.push(child);
  return watchOutput(child, 30_000);
}

async function done(p: Proc): Promise<{ code: number; out: string }> {
  const code = await p.exit;
  return { code, out: p.out() };
}

const approve = (uid: number, ...args: string[]) => done(cli(uid, ['approve', ...args, '--socket', socket]));
const auditText = () => (existsSync(audit) ? readFileSync(audit, 'utf8') : '');

async function auditLine(re: RegExp, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const line = auditText().split('\n').find((l) => re.test(l));
    if (line) return line;
    if (Date.now() > end) throw new Error(`no audit line ${re} in:\n${auditText()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An attached `run` of L2 as `uid`, up to its pending request's id. */
async function requestAs(uid: number): Promise<{ run: Proc; id: string }> {
  const run = cli(uid, ['run', 'l2-service-reset', '--target', 'doai-orchestrator', '--socket', socket, '--lang', 'en']);
  const [, id] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 1\) is pending/);
  return { run, id: id! };
}

beforeAll(async () => {
  if (!existsSync(join(__dirname, '../../dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  base = mkdtempSync(join(tmpdir(), 'doai-approve-attached-'));
  chmodSync(base, 0o711);
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 3 });
  const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  doc.operators = {
    unknown: 'viewer',
    people: [
      { name: 'root', os_users: ['root'], roles: ['operator', 'approver'] },
      { name: 'nobody', os_users: ['nobody'], roles: ['operator', 'approver'] },
    ],
  };
  writeFileSync(fleet.configPath, YAML.stringify(doc));
  audit = join(base, 'demo', 'emergency.log');
  socket = join(base, 'run', 'console.sock');
  offset = join(base, 'wall-offset');
  writeFileSync(offset, '+0\n');
  server = await startServer(fleet.configPath, socket, [], { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: offset, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
}, 60_000);

afterAll(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await server?.stop('SIGTERM');
  await fleet?.stop();
  if (base) {
    await waitForProcessesGone(base);
    rmSync(base, { recursive: true, force: true, maxRetries: 10 });
  }
});

describe('doai-console approve attached to the server', () => {
  it('another user approves with the plan shown; the requester\'s run goes on; viewers and unknown ids are refused', async () => {
    expect(await approve(NOBODY)).toEqual({ code: 0, out: `no pending approvals on the server at ${socket}\n` });

    const { run, id } = await requestAs(ROOT);

    // Listed for anyone who may look (a viewer too), with the requester, the plan and its digest.
    const listed = await approve(STRANGER);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toContain(`pending approvals on the server at ${socket}:`);
    expect(listed.out).toMatch(new RegExp(`^${id}  L2 l2-service-reset → doai-orchestrator  step 1  by root \\(uid 0\\)  age \\d+ s  run \\S+$`, 'm'));
    expect(listed.out).toMatch(/^ {4}plan sha256 [0-9a-f]{64}$/m);
    expect(listed.out).toContain('    will run, in order (host: command):');
    expect(listed.out).toContain(`approve one with: doai-console approve <id> --socket ${socket}`);

    // `approve | head -3`: three lines, no EPIPE trace.
    const head = await done(cli(NOBODY, [], `'${process.execPath}' '${BIN}' approve --socket '${socket}' | head -3`));
    expect(head.out.trimEnd().split('\n')).toHaveLength(3);
    expect(head.out).not.toMatch(/EPIPE|unexpected error|at .*\.js:\d+/);

    // A viewer may not approve: refused by role, audited.
    const viewer = await approve(STRANGER, id);
    expect(viewer.code).toBe(1);
    expect(viewer.out).toContain('refused: approvals.approve needs the approver role; uid65533 is not a configured operator (unknown identities are viewer)');
    await auditLine(/ACCESS: REFUSED approvals\.approve by uid65533 \(os-user uid65533 uid 65533\) - role viewer, needs approver/);

    // An id nobody asked for: exit 2, naming what is pending.
    const unknown = await approve(NOBODY, 'ffffffff');
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain(`doai-console approve: no pending approval ffffffff on this server; pending on the server at ${socket}: ${id} (L2 l2-service-reset on doai-orchestrator by root, step 1)`);

    const ok = await approve(NOBODY, id);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`approved ${id} step 1 as nobody (uid ${NOBODY}), recorded as proven (os-user nobody uid ${NOBODY}) by the server at ${socket}:`);
    expect(ok.out).toContain('    will run, in order (host: command):');
    // Proven by the uid the kernel gave, in the run's own audit lines.
    await auditLine(/L2_SERVICE_RESET: STEP1_APPROVED by nobody \(os-user nobody uid 65534\)$/);
    // The requester's attached run goes on by itself, to its end.
    expect(await run.exit, run.out()).toBe(0);
    expect(run.out()).toMatch(/SUCCESS/);
    // Approved already: that id is over.
    const again = await approve(NOBODY, id);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`approval request ${id} is no longer open`);
    // The intent history records who approved, by uid.
    const intents = readFileSync(join(base, 'demo', 'state', 'history', 'intents.jsonl'), 'utf8');
    expect(intents).toMatch(/"uid":65534,"user":"nobody","via":"local-socket","intent":"approvals\.approve","args":\{"id":"[0-9a-f]{8}"\},"outcome":"ok"/);
  }, 120_000);

  it('the starter cannot approve their own run (refused and audited by identity); someone else can', async () => {
    const linesBefore = auditText().split('\n').filter(Boolean).length;
    const { run, id } = await requestAs(NOBODY);
    const self = await approve(NOBODY, id);
    expect(self.code).toBe(1);
    expect(self.out).toContain('refused: you started this run — another approver must approve it');
    await auditLine(/L2_SERVICE_RESET: STEP1_REJECTED - Self-approval: nobody \(os-user nobody uid 65534\)$/);
    // Through the approvals folder instead (the server's requests are files there too): the
    // request names the server's account, but the run's flow knows its starter's uid and refuses.
    const selfLines = () => auditText().split('\n').filter((l) => l.includes('STEP1_REJECTED - Self-approval: nobody')).length;
    await done(cli(NOBODY, ['approve', id, '--approvals-dir', join(base, 'demo', 'approvals')]));
    const end = Date.now() + 15_000;
    while (selfLines() < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(selfLines()).toBe(2);
    // Nothing approved since this run started (its START line waits for its code to be spent).
    const sinceStart = auditText().split('\n').filter(Boolean).slice(linesBefore);
    expect(sinceStart.filter((l) => l.includes('_APPROVED') || l.includes('L2_SERVICE_RESET: START'))).toEqual([]);
    const [, next] = await run.waitFor(new RegExp(`approval request ((?!${id})[0-9a-f]{8}) \\(step 1\\) is pending`), 20_000);
    // root runs the server, yet is not the requester here: its approval counts.
    const byRoot = await approve(ROOT, next!);
    expect(byRoot.code, byRoot.out).toBe(0);
    await auditLine(/STEP1_APPROVED by root \(os-user root uid 0\)$/);
    expect(await run.exit, run.out()).toBe(0);
  }, 120_000);

  it('L3: step 2 waits out the 30 s (said), then the step-1 approver is refused for step 2 by identity, audited; the approval ends', async () => {
    fleet!.injectFault('box-down');
    try {
      const run = cli(ROOT, ['run', 'l3-box-reset', '--target', 'demo-vm', '--socket', socket, '--lang', 'en']);
      const [, id1] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 1\) is pending/);
      expect((await approve(NOBODY, id1!)).code).toBe(0);
      await auditLine(/L3_BOX_RESET: STEP1_APPROVED by nobody \(os-user nobody uid 65534\)$/);
      // During the enforced wait the listing says so, and approving is refused in words.
      const waiting = await approve(NOBODY);
      expect(waiting.out).toMatch(/step 2 of 2  by root \(uid 0\)/);
      expect(waiting.out).toMatch(/step 2 opens in \d+ s \(the enforced wait after step 1\)/);
      expect(waiting.out).toContain('step 1 was approved by nobody (os-user nobody uid 65534); step 2 needs someone else');
      const runId = /^(\S+)  L3 l3-box-reset/m.exec(waiting.out)![1]!;
      const early = await approve(NOBODY, runId);
      expect(early.code).toBe(1);
      expect(early.out).toMatch(/step 2 of \S+ opens in \d+ s \(the enforced wait after step 1\) — approve it then/);
      const [, id2] = await run.waitFor(/approval request ([0-9a-f]{8}) \(step 2\) is pending/, 45_000);
      const twice = await approve(NOBODY, id2!);
      expect(twice.code).toBe(1);
      expect(twice.out).toMatch(/refused: .*nobody/);
      await auditLine(/L3_BOX_RESET: STEP2_REJECTED - Same approver: nobody \(os-user nobody uid 65534\)$/);
      expect(auditText()).not.toMatch(/L3_BOX_RESET: STEP2_APPROVED/);
      expect(await run.exit).toBe(1);
    } finally {
      fleet!.injectFault('clear');
    }
  }, 120_000);

  it('an expired request is said to be expired, naming the request that replaced it', async () => {
    const approvedBefore = auditText().match(/_APPROVED/g)?.length ?? 0;
    const { run, id } = await requestAs(ROOT);
    // The server's wall clock steps past the request's five minutes: a new request replaces it.
    writeFileSync(offset, '+330\n');
    const [, next] = await run.waitFor(new RegExp(`approval request ((?!${id})[0-9a-f]{8}) \\(step 1\\) is pending`), 30_000);
    const old = await approve(NOBODY, id);
    expect(old.code).toBe(1);
    expect(old.out).toMatch(new RegExp(`doai-console approve: approval request ${id} expired at \\S+ without an approval — the run now waits on ${next}: doai-console approve ${next}`));
    // Nothing was approved.
    expect(auditText().match(/_APPROVED/g)?.length ?? 0).toBe(approvedBefore);
    // The run still waits: SIGTERM on the attached run cancels it in the server.
    run.child.kill('SIGTERM');
    expect(await run.exit).not.toBe(0);
  }, 90_000);
});
