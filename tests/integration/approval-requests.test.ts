// Cross-session approvals with REAL different OS users (R-APR-4, R-SEC-4). The test process is
// the requester (root here and in CI); approvers are child `node` processes started with another
// uid: `nobody` (65534) and a uid with no passwd entry (65533, named `uid65533`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeClock, realClock } from '../../src/core/clock';
import { ApprovalFlow } from '../../src/approval/policy';
import {
  ApprovalRequestError,
  approveRequest,
  cancelRequest,
  createRequest,
  ensureApprovalsDir,
  listRequests,
  waitForApproval,
  type ApprovalRequest,
} from '../../src/approval/requests';
import { approveFromOtherSession } from '../../src/approval/session';
import { requireRoot } from '../helpers/requirements';

const REPO = resolve(__dirname, '../..');
const MODULE = join(REPO, 'src/approval/requests.ts');
const NOBODY = 65534;
const THIRD = 65533;

const CHILD = `
import { pathToFileURL } from 'node:url';
import * as fs from 'node:fs';
const [modPath, op, json] = process.argv.slice(2);
const args = JSON.parse(json);
const m = await import(pathToFileURL(modPath).href);
let out;
try {
  switch (op) {
    case 'approve': out = m.approveRequest(args.dir, args.id, args.opts ?? {}); break;
    case 'list': out = m.listRequests(args.dir, new Date()).map((r) => r.id); break;
    case 'unlink': fs.unlinkSync(args.path); out = 'removed'; break;
    case 'rename': fs.renameSync(args.from, args.to); out = 'renamed'; break;
    case 'write': fs.writeFileSync(args.path, args.content, { flag: 'wx', mode: 0o644 }); out = 'written'; break;
    case 'symlink': fs.symlinkSync(args.target, args.path); out = 'linked'; break;
    default: throw new Error('unknown op ' + op);
  }
  console.log(JSON.stringify({ ok: true, out, uid: process.getuid() }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, name: e.name, message: e.message, uid: process.getuid() }));
}
`;

interface ChildResult {
  ok: boolean;
  out?: unknown;
  code?: string;
  name?: string;
  message?: string;
  uid: number;
}

let base = '';
let dir = '';
let childPath = '';

function runAs(uid: number, op: string, args: Record<string, unknown>): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childPath, MODULE, op, JSON.stringify(args)], {
      cwd: REPO,
      uid,
      gid: uid,
      env: { ...process.env, HOME: base, TMPDIR: base },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`child as uid ${uid} exited ${code} without a result:\n${out}\n${err}`));
      }
    });
  });
}

function newRequest(overrides: Partial<Parameters<typeof createRequest>[1]> = {}): ApprovalRequest {
  return createRequest(dir, {
    runbook: 'l2-service-reset',
    level: 'L2',
    target: 'doai-orchestrator',
    requester: 'orion',
    step: 1,
    summary: 'orchestrator not answering (3/3 failures)',
    expiresAt: new Date(Date.now() + 5 * 60_000),
    ...overrides,
  });
}

requireRoot('it starts processes as nobody to approve');

// Each step spawns a node process as another uid (seconds each on a loaded machine).
describe('approval requests across OS users', { timeout: 120_000 }, () => {
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'doai-approval-'));
    chmodSync(base, 0o777);
    childPath = join(base, 'child.mjs');
    writeFileSync(childPath, CHILD, { mode: 0o644 });
    dir = join(base, 'approvals');
    ensureApprovalsDir(dir);
  });

  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
  });

  it('creates the shared directory sticky and world-writable, and the request file 0644', () => {
    expect(lstatSync(dir).mode & 0o7777).toBe(0o1777);
    const req = newRequest();
    const st = lstatSync(join(dir, `${req.id}.request.json`));
    expect(st.mode & 0o777).toBe(0o644);
    expect(st.uid).toBe(0);
    expect(req).toMatchObject({ requesterUid: 0, requesterUser: 'root', pid: process.pid, step: 1 });
    expect(req.id).toMatch(/^[0-9a-f]{8}$/);
    // No temp file is left behind.
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    cancelRequest(dir, req.id);
  });

  it('an approval by another uid is accepted and waitForApproval resolves', async () => {
    const req = newRequest();
    const listed = await runAs(NOBODY, 'list', { dir });
    expect(listed.ok).toBe(true);
    expect(listed.out).toContain(req.id);

    const rejected: string[] = [];
    const waiting = waitForApproval(dir, req, { step: 1, pollMs: 50, clock: realClock(), onRejected: (r) => rejected.push(r) });
    const approved = await runAs(NOBODY, 'approve', { dir, id: req.id, opts: { approverName: 'Vega' } });
    expect(approved).toMatchObject({ ok: true, uid: NOBODY });
    const grant = await waiting;
    expect(grant).toMatchObject({ approverUid: NOBODY, approverName: 'nobody', declaredName: 'Vega' });
    expect(rejected).toEqual([]);
    const st = lstatSync(grant.file);
    expect(st.uid).toBe(NOBODY);
    expect(st.mode & 0o777).toBe(0o644);
    // Once approved it is no longer pending.
    expect(listRequests(dir, new Date()).map((r) => r.id)).not.toContain(req.id);
    expect(cancelRequest(dir, req.id)).toBe(true);
  });

  it('self-approval by the requesting uid is refused with a clear message', () => {
    const req = newRequest();
    let err: unknown;
    try {
      approveRequest(dir, req.id);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApprovalRequestError);
    expect((err as ApprovalRequestError).code).toBe('self-approval');
    expect((err as Error).message).toBe(
      'self-approval refused: you (root) made this request — another person must approve it from their own account',
    );
    expect(readdirSync(dir).filter((n) => n.startsWith(`${req.id}.approval`))).toEqual([]);
    cancelRequest(dir, req.id);
  });

  it('a forged approval file written by the requester uid (fake uid inside) is ignored and reported', async () => {
    const req = newRequest();
    const forged = {
      version: 1,
      requestId: req.id,
      step: 1,
      requestDigest: '0'.repeat(64),
      approverUid: NOBODY,
      approverUser: 'nobody',
      pid: 1,
      at: new Date().toISOString(),
    };
    writeFileSync(join(dir, `${req.id}.approval-1.${NOBODY}.json`), JSON.stringify(forged), { mode: 0o644 });

    const rejected: string[] = [];
    const ac = new AbortController();
    const waiting = waitForApproval(dir, req, { step: 1, pollMs: 50, signal: ac.signal, onRejected: (r) => rejected.push(r) });
    const outcome = await Promise.race([
      waiting.then(() => 'resolved'),
      new Promise((r) => setTimeout(() => r('still waiting'), 400)),
    ]);
    expect(outcome).toBe('still waiting');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/written by the requester's own uid 0.*ignored/);
    ac.abort(new Error('test over'));
    await expect(waiting).rejects.toThrow('test over');
    cancelRequest(dir, req.id);
  });

  it('a symlinked approval and a copied approval for another request are both refused', async () => {
    // nobody approves request A properly, then tries to reuse that approval for request B.
    const a = newRequest();
    const b = newRequest();
    const approvedA = await runAs(NOBODY, 'approve', { dir, id: a.id });
    expect(approvedA.ok).toBe(true);
    const aFile = (approvedA.out as { file: string }).file;
    expect(aFile).toMatch(new RegExp(`/${a.id}\\.approval-1\\.${NOBODY}\\.[0-9a-f]{8}\\.json$`));
    const bFile = join(dir, `${b.id}.approval-1.${NOBODY}.json`);
    expect((await runAs(NOBODY, 'symlink', { target: aFile, path: bFile })).ok).toBe(true);

    const rejected: string[] = [];
    const ac = new AbortController();
    const waiting = waitForApproval(dir, b, { step: 1, pollMs: 50, signal: ac.signal, onRejected: (r) => rejected.push(r) });
    await new Promise((r) => setTimeout(r, 300));
    expect(rejected.some((r) => /symbolic link/.test(r))).toBe(true);

    // Replace the symlink (nobody owns it) with a byte-for-byte copy of A's approval.
    expect((await runAs(NOBODY, 'unlink', { path: bFile })).ok).toBe(true);
    const { readFileSync } = await import('node:fs');
    expect((await runAs(NOBODY, 'write', { path: bFile, content: readFileSync(aFile, 'utf8') })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(rejected.some((r) => /is for request .* \(replayed\)/.test(r))).toBe(true);
    ac.abort(new Error('test over'));
    await expect(waiting).rejects.toThrow('test over');
    cancelRequest(dir, a.id);
    cancelRequest(dir, b.id);
  });

  it('a request id that does not exist gets a clear error listing what is pending', async () => {
    const req = newRequest();
    const res = await runAs(NOBODY, 'approve', { dir, id: 'deadbeef' });
    expect(res.ok).toBe(false);
    expect(res.code).toBe('not-found');
    expect(res.message).toMatch(/^no pending request deadbeef; pending: .*/);
    expect(res.message).toContain(`${req.id} (L2 l2-service-reset on doai-orchestrator by orion, step 1)`);
    const bad = await runAs(NOBODY, 'approve', { dir, id: '../../etc/passwd' });
    expect(bad).toMatchObject({ ok: false, code: 'bad-id' });
    cancelRequest(dir, req.id);
  });

  it('an expired request cannot be approved', async () => {
    const past = Date.now() - 10 * 60_000;
    const req = newRequest({ clock: new FakeClock(past), expiresAt: new Date(past + 5 * 60_000) });
    const res = await runAs(NOBODY, 'approve', { dir, id: req.id });
    expect(res.ok).toBe(false);
    expect(res.code).toBe('expired');
    expect(res.message).toMatch(new RegExp(`^request ${req.id} expired at .* — ask orion to request approval again$`));
    expect(listRequests(dir, new Date()).map((r) => r.id)).not.toContain(req.id);
    cancelRequest(dir, req.id);
  });

  it('the same uid approving both L3 steps is refused for step 2 (approve and direct write)', async () => {
    const s1 = newRequest({ runbook: 'l3-box-reset', level: 'L3', step: 1 });
    expect((await runAs(NOBODY, 'approve', { dir, id: s1.id })).ok).toBe(true);
    const g1 = await waitForApproval(dir, s1, { step: 1, pollMs: 50 });
    cancelRequest(dir, s1.id);

    const s2 = newRequest({
      runbook: 'l3-box-reset',
      level: 'L3',
      step: 2,
      step1Approver: { uid: g1.approverUid, name: g1.approverName },
    });
    const again = await runAs(NOBODY, 'approve', { dir, id: s2.id, opts: { step: 2 } });
    expect(again).toMatchObject({ ok: false, code: 'same-approver' });
    expect(again.message).toBe('you (nobody) approved step 1 of this request; step 2 needs a different person');

    // Bypassing approveRequest: nobody writes a well-formed step-2 approval file itself.
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const digest = createHash('sha256').update(readFileSync(join(dir, `${s2.id}.request.json`))).digest('hex');
    const record = { version: 1, requestId: s2.id, step: 2, requestDigest: digest, approverUid: NOBODY, approverUser: 'nobody', pid: 1, at: new Date().toISOString() };
    expect((await runAs(NOBODY, 'write', { path: join(dir, `${s2.id}.approval-2.${NOBODY}.json`), content: JSON.stringify(record) })).ok).toBe(true);

    const rejected: string[] = [];
    const waiting = waitForApproval(dir, s2, { step: 2, pollMs: 50, onRejected: (r) => rejected.push(r) });
    await new Promise((r) => setTimeout(r, 300));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/nobody already approved step 1/);

    // A third identity may approve step 2.
    expect((await runAs(THIRD, 'approve', { dir, id: s2.id, opts: { step: 2 } })).ok).toBe(true);
    const g2 = await waiting;
    expect(g2).toMatchObject({ approverUid: THIRD, approverName: `uid${THIRD}` });
    cancelRequest(dir, s2.id);
  });

  it('the other user cannot delete or replace the request file (sticky directory)', async () => {
    const req = newRequest();
    const path = join(dir, `${req.id}.request.json`);
    const rm = await runAs(NOBODY, 'unlink', { path });
    expect(rm).toMatchObject({ ok: false, code: 'EPERM' });
    const mv = await runAs(NOBODY, 'rename', { from: path, to: join(dir, 'stolen.json') });
    expect(mv).toMatchObject({ ok: false, code: 'EPERM' });
    const overwrite = await runAs(NOBODY, 'write', { path, content: '{}' });
    expect(overwrite.ok).toBe(false);
    expect(lstatSync(path).uid).toBe(0);
    cancelRequest(dir, req.id);
  });

  it('listRequests skips garbled and forged request files with a warning', async () => {
    const good = newRequest();
    writeFileSync(join(dir, 'abcdef01.request.json'), '{ not json', { mode: 0o644 });
    // nobody writes a request claiming to be from root: its owner uid gives it away.
    const fake = { ...good, id: 'abcdef02', nonce: 'f'.repeat(32) };
    expect((await runAs(NOBODY, 'write', { path: join(dir, 'abcdef02.request.json'), content: JSON.stringify(fake) })).ok).toBe(true);
    symlinkSync(join(dir, `${good.id}.request.json`), join(dir, 'abcdef03.request.json'));

    const warnings: string[] = [];
    const list = listRequests(dir, new Date(), { onWarning: (w) => warnings.push(w) });
    expect(list.map((r) => r.id)).toEqual([good.id]);
    expect(list[0]!.ageMs).toBeGreaterThanOrEqual(0);
    expect(list[0]!.expiresInMs).toBeGreaterThan(4 * 60_000);
    expect(warnings.join('\n')).toMatch(/abcdef01.request.json: it is not valid JSON/);
    expect(warnings.join('\n')).toMatch(/abcdef02.request.json: it is owned by uid 65534 but claims requester uid 0 \(forged\)/);
    expect(warnings.join('\n')).toMatch(/abcdef03.request.json: it is a symbolic link/);
    const viaApprove = await runAs(THIRD, 'approve', { dir, id: 'abcdef02' });
    expect(viaApprove).toMatchObject({ ok: false, code: 'forged' });
    rmSync(join(dir, 'abcdef01.request.json'));
    rmSync(join(dir, 'abcdef02.request.json'));
    rmSync(join(dir, 'abcdef03.request.json'));
    cancelRequest(dir, good.id);
  });

  it('an approver outside the configured list is refused on both sides', async () => {
    const req = newRequest();
    const early = await runAs(NOBODY, 'approve', { dir, id: req.id, opts: { approvers: ['orion', 'vega'] } });
    expect(early).toMatchObject({ ok: false, code: 'not-allowed' });
    expect((await runAs(NOBODY, 'approve', { dir, id: req.id })).ok).toBe(true);
    const rejected: string[] = [];
    const ac = new AbortController();
    const waiting = waitForApproval(dir, req, {
      step: 1,
      pollMs: 50,
      signal: ac.signal,
      approvers: ['orion', 'vega'],
      onRejected: (r) => rejected.push(r),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(rejected).toEqual([expect.stringMatching(/nobody is not in the approvers list/)]);
    ac.abort(new Error('test over'));
    await expect(waiting).rejects.toThrow('test over');
    cancelRequest(dir, req.id);
  });

  it('a session wait stops and withdraws its request when the console answers first', async () => {
    const clock = new FakeClock(Date.now());
    const flow = new ApprovalFlow({ mode: 'code', clock });
    flow.start();
    let id = '';
    const waiting = approveFromOtherSession({
      flow, dir, runbook: 'l2-service-reset', level: 'L2', target: 'doai-orchestrator', requester: 'orion',
      summary: 'x', clock, pollMs: 50, onRequest: (req) => (id = req.id),
    });
    const settled = waiting.catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir)).toContain(`${id}.request.json`);
    flow.cancel();
    const err = await settled;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/moved on in the console \(cancelled\)/);
    expect(readdirSync(dir)).not.toContain(`${id}.request.json`);
  });

  it('L3 end to end: two other OS users approve the two steps; step 2 is requested only after the wait', async () => {
    const clock = new FakeClock(Date.now());
    const audits: string[] = [];
    const flow = new ApprovalFlow({ mode: 'two-step', clock, onEffect: (e) => 'audit' in e && audits.push(e.audit) });
    flow.start();
    const children: Promise<ChildResult>[] = [];
    const common = { flow, dir, runbook: 'l3-box-reset', level: 'L3', target: 'vultr-main', requester: 'orion', summary: 'box unreachable', clock, pollMs: 50 };

    const r1 = await approveFromOtherSession({
      ...common,
      onRequest: (req) => children.push(runAs(NOBODY, 'approve', { dir, id: req.id })),
    });
    expect(r1.result.accepted).toBe(true);
    expect(flow.getSnapshot().phase).toBe('waiting');

    let step2Request: ApprovalRequest | undefined;
    const p2 = approveFromOtherSession({
      ...common,
      onRequest: (req) => {
        step2Request = req;
        children.push(runAs(THIRD, 'approve', { dir, id: req.id }));
      },
    });
    await clock.advance(29_000);
    // No step-2 request exists during the wait, so nobody can approve it early.
    expect(step2Request).toBeUndefined();
    expect(readdirSync(dir).filter((n) => n.endsWith('.request.json'))).toEqual([]);
    await clock.advance(1_000);
    const r2 = await p2;
    expect(r2.result.accepted).toBe(true);
    expect(step2Request!.step1Approver).toEqual({ uid: NOBODY, name: 'nobody' });
    expect(flow.getSnapshot()).toMatchObject({ phase: 'reason', step1: { name: 'nobody', uid: NOBODY }, step2: { uid: THIRD } });
    expect(audits).toEqual(['STEP1_APPROVED by nobody (os-user nobody uid 65534)', `STEP2_APPROVED by uid${THIRD} (os-user uid${THIRD} uid ${THIRD})`]);
    for (const c of await Promise.all(children)) expect(c.ok).toBe(true);
    // Requests are withdrawn once answered.
    expect(readdirSync(dir).filter((n) => n.endsWith('.request.json'))).toEqual([]);
    flow.dispose();
  });
  it('R-APR-4: an approval file pre-created by another user under the approver\'s uid neither blocks nor counts; it is reported', async () => {
    const req = newRequest();
    // uid 65533 squats on the name nobody (65534) would have used.
    const squat = join(dir, `${req.id}.approval-1.${NOBODY}.json`);
    const fake = { version: 1, requestId: req.id, step: 1, requestDigest: '0'.repeat(64), approverUid: NOBODY, approverUser: 'nobody', pid: 1, at: new Date().toISOString() };
    expect((await runAs(THIRD, 'write', { path: squat, content: JSON.stringify(fake) })).ok).toBe(true);
    const rejected: string[] = [];
    const waiting = waitForApproval(dir, req, { step: 1, pollMs: 50, onRejected: (r) => rejected.push(r) });
    // The squat is not anyone's approval: the request is still pending.
    expect(listRequests(dir, new Date()).map((r) => r.id)).toContain(req.id);
    const approved = await runAs(NOBODY, 'approve', { dir, id: req.id });
    expect(approved).toMatchObject({ ok: true, uid: NOBODY });
    const grant = await waiting;
    expect(grant).toMatchObject({ approverUid: NOBODY, approverName: 'nobody' });
    expect(grant.file).not.toBe(squat);
    expect(rejected).toEqual([`approval file ${req.id}.approval-1.${NOBODY}.json is owned by uid ${THIRD}, not the uid in its name (forged)`]);
    // nobody approving again is told it already did (its own file), not blocked by the squat.
    const again = await runAs(NOBODY, 'approve', { dir, id: req.id });
    expect(again).toMatchObject({ ok: false, code: 'already-approved' });
    cancelRequest(dir, req.id);
    rmSync(squat);
    for (const n of readdirSync(dir).filter((n) => n.startsWith(req.id))) await runAs(NOBODY, 'unlink', { path: join(dir, n) });
  });

  it('R-APR-8: the request file rewritten by the requester account after it was written voids the request, even when approved', async () => {
    const req = newRequest({ plan: ['1. Restart the orchestrator', '   demo-vm: systemctl restart doai-orchestrator'] });
    const path = join(dir, `${req.id}.request.json`);
    // The requester's own account rewrites its request in place: "L1 … harmless".
    const { readFileSync } = await import('node:fs');
    const forged = JSON.parse(readFileSync(path, 'utf8'));
    forged.level = 'L1';
    forged.summary = 'harmless';
    forged.plan = ['1. echo harmless'];
    writeFileSync(path, JSON.stringify(forged, null, 2) + '\n');
    // The approver reads (and lists) the rewritten bytes and approves them.
    const listed = await runAs(NOBODY, 'list', { dir });
    expect(listed.out).toContain(req.id);
    expect((await runAs(NOBODY, 'approve', { dir, id: req.id })).ok).toBe(true);
    const rejected: string[] = [];
    const err = await waitForApproval(dir, req, { step: 1, pollMs: 50, onRejected: (r) => rejected.push(r) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApprovalRequestError);
    expect((err as ApprovalRequestError).code).toBe('voided');
    expect((err as Error).message).toMatch(new RegExp(`^approval request ${req.id} is void: its file was changed after the console wrote it — nothing was approved`));
    cancelRequest(dir, req.id);
    for (const n of readdirSync(dir).filter((n) => n.startsWith(req.id))) await runAs(NOBODY, 'unlink', { path: join(dir, n) });
  });

  it('R-APR-8: a rewrite while waiting voids the request without any approval', async () => {
    const req = newRequest();
    const waiting = waitForApproval(dir, req, { step: 1, pollMs: 50 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const path = join(dir, `${req.id}.request.json`);
    const { readFileSync } = await import('node:fs');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"L2"', '"L1"'));
    const err = await waiting;
    expect((err as ApprovalRequestError).code).toBe('voided');
    cancelRequest(dir, req.id);
  });

  it('R-APR-5/6: approve checks the requester\'s approvers list before writing, and every refusal reaches the requester', async () => {
    const req = newRequest({ approvers: ['orion', 'vega'] });
    const refused: { uid: number; user: string; refusal: string }[] = [];
    const ac = new AbortController();
    const waiting = waitForApproval(dir, req, { step: 1, pollMs: 50, signal: ac.signal, onRefused: (a) => refused.push({ uid: a.uid, user: a.user, refusal: a.refusal }) });
    // nobody has no config of its own here: the list comes with the request.
    const notListed = await runAs(NOBODY, 'approve', { dir, id: req.id });
    expect(notListed).toMatchObject({ ok: false, code: 'not-allowed' });
    expect(notListed.message).toBe("you (nobody) are not in the approvers list of the requesting console's config — ask a listed approver; nothing was approved");
    expect(readdirSync(dir).filter((n) => n.startsWith(`${req.id}.approval-`))).toEqual([]);
    expect(() => approveRequest(dir, req.id)).toThrow(/^self-approval refused/);
    const deadline = Date.now() + 10_000;
    while (refused.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(refused.sort((a, b) => a.uid - b.uid)).toEqual([
      { uid: 0, user: 'root', refusal: 'self-approval' },
      { uid: NOBODY, user: 'nobody', refusal: 'not-allowed' },
    ]);
    ac.abort(new Error('test over'));
    await expect(waiting).rejects.toThrow('test over');
    cancelRequest(dir, req.id);
    for (const n of readdirSync(dir).filter((n) => n.startsWith(req.id))) await runAs(NOBODY, 'unlink', { path: join(dir, n) });
  });
});
