// The single-user side of approval requests: runs as any user (the cross-uid cases are in
// tests/integration/approval-requests.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import {
  ApprovalRequestError,
  approveRequest,
  cancelRequest,
  createRequest,
  ensureApprovalsDir,
  formatPendingRequest,
  listRequests,
  userNameForUid,
  waitForApproval,
} from '../../src/approval/requests';

let base = '';
let dir = '';

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'doai-approval-unit-'));
  dir = join(base, 'approvals');
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

function request(clock = new FakeClock(Date.now()), ttlMs = 5 * 60_000) {
  return createRequest(dir, {
    runbook: 'l2-service-reset',
    level: 'L2',
    target: 'doai-orchestrator',
    requester: 'orion',
    step: 1,
    summary: 'orchestrator down',
    expiresAt: new Date(clock.now().getTime() + ttlMs),
    clock,
  });
}

describe('ensureApprovalsDir', () => {
  it('creates the directory with exactly mode 1777 despite the umask, and fixes an existing own dir', () => {
    ensureApprovalsDir(dir);
    expect(lstatSync(dir).mode & 0o7777).toBe(0o1777);
    chmodSync(dir, 0o755);
    ensureApprovalsDir(dir);
    expect(lstatSync(dir).mode & 0o7777).toBe(0o1777);
  });

  it('refuses a symlink in place of the directory', () => {
    mkdirSync(join(base, 'elsewhere'));
    symlinkSync(join(base, 'elsewhere'), dir);
    expect(() => ensureApprovalsDir(dir)).toThrow(/not a plain directory/);
  });
});

describe('createRequest / listRequests / cancelRequest', () => {
  it('writes a whole 0644 request that lists as pending with age and expiry', async () => {
    const clock = new FakeClock(Date.now());
    const req = request(clock);
    expect(readdirSync(dir)).toEqual([`${req.id}.request.json`]);
    expect(lstatSync(join(dir, `${req.id}.request.json`)).mode & 0o777).toBe(0o644);
    await clock.advance(30_000);
    const [p] = listRequests(dir, clock.now());
    expect(p).toMatchObject({ id: req.id, runbook: 'l2-service-reset', step: 1, ageMs: 30_000, expiresInMs: 270_000 });
    expect(formatPendingRequest(p!)).toMatch(new RegExp(`^${req.id}  L2 l2-service-reset → doai-orchestrator  step 1  by orion .* age 30 s  expires in 4 m 30 s`));
    // Expired requests are not pending.
    expect(listRequests(dir, new Date(clock.now().getTime() + 270_000))).toEqual([]);
    expect(cancelRequest(dir, req.id)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(cancelRequest(dir, req.id)).toBe(false);
  });

  it('refuses a request that is already expired', () => {
    expect(() => request(new FakeClock(Date.now()), 0)).toThrow(ApprovalRequestError);
  });

  it('never crashes on garbage in the directory, and warns', () => {
    const good = request();
    writeFileSync(join(dir, '0badf00d.request.json'), '{"version":1}', { mode: 0o644 });
    writeFileSync(join(dir, '0badf00e.request.json'), Buffer.from([0xff, 0xfe, 0x00]), { mode: 0o644 });
    writeFileSync(join(dir, '0badf00f.request.json'), '{}', { mode: 0o666 });
    chmodSync(join(dir, '0badf00f.request.json'), 0o666);
    mkdirSync(join(dir, '0badf010.request.json'));
    writeFileSync(join(dir, 'README'), 'not ours');
    const warnings: string[] = [];
    const list = listRequests(dir, new Date(), { onWarning: (w) => warnings.push(w) });
    expect(list.map((r) => r.id)).toEqual([good.id]);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toMatch(/0badf00d.*invalid field/);
    expect(warnings.join('\n')).toMatch(/0badf00e.*not valid JSON/);
    expect(warnings.join('\n')).toMatch(/0badf00f.*world-writable/);
    expect(warnings.join('\n')).toMatch(/0badf010.*not a regular file/);
  });

  it('strips terminal control codes from what it shows the approver', () => {
    const clock = new FakeClock(Date.now());
    createRequest(dir, {
      runbook: 'l1-soft-reset\x1b[2K\rl3-box-reset',
      level: 'L1',
      target: 'x',
      requester: 'orion',
      step: 1,
      summary: 'harmless\x1b]0;title\x07',
      expiresAt: new Date(clock.now().getTime() + 60_000),
      clock,
    });
    const [p] = listRequests(dir, clock.now());
    const line = formatPendingRequest(p!);
    expect(line).not.toMatch(/[\x00-\x1f\x7f](?!    )/u);
    expect(line).toContain('l1-soft-reset [2K l3-box-reset');
  });
});

describe('approveRequest by the requester itself', () => {
  it('is refused as self-approval: no approval file, only a refused- record the requester audits', () => {
    const req = request();
    expect(() => approveRequest(dir, req.id)).toThrow(/^self-approval refused: you \(.+\) made this request/);
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => n.includes('.approval-'))).toEqual([]);
    expect(names).toEqual([expect.stringMatching(new RegExp(`^${req.id}\\.refused-1\\.${process.getuid!()}\\.[0-9a-f]{8}\\.json$`)), `${req.id}.request.json`]);
  });

  it('an unknown id lists what is pending', () => {
    expect(() => approveRequest(dir, 'deadbeef')).toThrow('no pending request deadbeef; pending: none');
  });
});

describe('waitForApproval', () => {
  it('gives up when the request expires (clock time)', async () => {
    const clock = new FakeClock(Date.now());
    const req = request(clock, 60_000);
    const waiting = waitForApproval(dir, req, { step: 1, clock, pollMs: 1000 });
    const outcome = waiting.catch((e: Error) => e);
    await clock.advance(60_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(ApprovalRequestError);
    expect((err as ApprovalRequestError).code).toBe('expired');
  });

  it('stops when the request file is withdrawn', async () => {
    const clock = new FakeClock(Date.now());
    const req = request(clock);
    const outcome = waitForApproval(dir, req, { step: 1, clock, pollMs: 1000 }).catch((e: Error) => e);
    cancelRequest(dir, req.id);
    await clock.advance(1000);
    expect(((await outcome) as Error).message).toMatch(/was removed/);
  });

  it('a forged approval written in pieces is reported once, not once per write', async () => {
    const clock = new FakeClock(Date.now());
    const req = request(clock);
    const rejected: string[] = [];
    const ac = new AbortController();
    const waiting = waitForApproval(dir, req, { step: 1, clock, pollMs: 1000, signal: ac.signal, onRejected: (r) => rejected.push(r) }).catch((e: Error) => e);
    // Written by the requester's own uid, claiming another: forged, and grown in three writes.
    const forged = join(dir, `${req.id}.approval-1.65533.json`);
    writeFileSync(forged, '{"approverUid":');
    await clock.advance(1000);
    writeFileSync(forged, '{"approverUid": 65533, "approverName":');
    await clock.advance(1000);
    writeFileSync(forged, '{"approverUid": 65533, "approverName": "vega"}');
    await clock.advance(3000);
    expect(rejected.length).toBe(1);
    expect(rejected[0]).toMatch(/own uid|forg/i);
    ac.abort(new Error('test over'));
    expect(((await waiting) as Error).message).toBe('test over');
  });

  it('refuses to wait on the wrong step or a request it did not create', async () => {
    const req = request();
    await expect(waitForApproval(dir, req, { step: 2 })).rejects.toThrow(/is for step 1, not step 2/);
    // Only the request object this process created (its bytes are in memory) can be waited on.
    await expect(waitForApproval(dir, { ...req }, { step: 1 })).rejects.toThrow(/was not created by this process/);
  });
});

describe('userNameForUid', () => {
  it('reads the passwd file and falls back to uid<N>', () => {
    const passwd = join(base, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nvega:x:4242:4242::/home/vega:/bin/sh\n');
    expect(userNameForUid(4242, passwd)).toBe('vega');
    expect(userNameForUid(0, passwd)).toBe('root');
    expect(userNameForUid(59999, join(base, 'missing'))).toBe('uid59999');
  });
});
