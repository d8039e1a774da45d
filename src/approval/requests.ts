// Two-person integrity across OS users on the jump box (R-APR-4, R-SEC-4).
//
// The requesting console writes `<id>.request.json` into a shared sticky directory (mode 1777,
// like /tmp); `doai-console approve`, run by ANOTHER OS user, writes
// `<id>.approval-<step>.<uid>.json` beside it. Trust comes from the kernel, not from the file
// contents: a file's owner uid (lstat) is who wrote it, and in a sticky directory nobody but the
// owner (or the directory owner/root) can delete or rename it. So the requester accepts an
// approval only from a regular file owned by a uid other than its own, whose contents agree with
// that owner and are bound to this exact request, and never from a symlink.
//
// What the approver reads is what runs (R-APR-8): the request carries the plan (every command and
// host), and the requester keeps the sha256 of the bytes it wrote IN MEMORY. The file is owned by
// the requester's uid, which could rewrite it; so the requester never re-reads it to learn the
// digest: an approval must name the digest of the bytes written, and a request file whose bytes
// no longer match is void. An approval file counts only for the uid that owns it, so a file
// another user put there under someone else's uid neither approves nor blocks (R-APR-4). An
// approver who is refused leaves a `refused-` file the requester records (R-APR-5).
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { realClock, type Clock } from '../core/clock';
import { requirementFor, type ApprovalRequirement } from './identity';
import { judgeApprover } from './rules';
import { APPROVAL_FILE, type ApprovalGrant, type ApprovalRequest, ApprovalRequestError, ID_PATTERN, MAX_REFUSALS_PER_UID, REFUSAL_FILE, type RefusedAttempt, approvalSchema, currentUid, ensureApprovalsDir, listNames, parseJson, planLinesFor, readOwnedFile, refusalSchema, requestSchema, userNameForUid, writeExclusive } from './request-files';

// The files, the listing and the answering live beside this module; their public parts are here too.
export { type ApprovalRequestErrorCode, ApprovalRequestError, type ApprovalRequest, type ApprovalRecordFile, type RefusedAttempt, type PendingRequest, type ApprovalGrant, userNameForUid, ensureApprovalsDir, toPending } from './request-files';
export { listRequests, describeRequirement, formatPendingRequest } from './request-listing';
export { type ApproveOptions, type ApprovedRequest, approveRequest } from './request-answer';

export interface CreateRequestInput {
  runbook: string;
  level: string;
  target: string;
  /** The operator name shown in the console. */
  requester: string;
  step: 1 | 2;
  summary: string;
  expiresAt: Date;
  /** Step 2 only: who approved step 1 (that person may not approve step 2). uid is known when
   * step 1 was approved from another session, only the name when it was a typed code. */
  step1Approver?: { uid?: number; name: string };
  /** Steps of the whole approval (L3: 2); default: this step's number. */
  steps?: 1 | 2;
  /** The level's policy; default from the level (R-APR-6: L2 declared, L3 proven). */
  requires?: ApprovalRequirement;
  /** Config `approvers` of the requester. */
  approvers?: readonly string[];
  /** The plan lines (host: command) the approver must read. */
  plan?: readonly string[];
  clock?: Clock;
}

/** What the requester remembers of a request it wrote: the bytes, not the file. */
interface Written {
  digest: string;
  bytes: Buffer;
  ino: number;
  dev: number;
}

/** Requests this process created, keyed by the object createRequest returned. */
const written = new WeakMap<ApprovalRequest, Written>();


export function createRequest(dir: string, input: CreateRequestInput): ApprovalRequest {
  const uid = currentUid();
  const now = (input.clock ?? realClock()).now();
  if (input.expiresAt.getTime() <= now.getTime()) {
    throw new ApprovalRequestError('expired', 'the approval request would already be expired — give it a future expiry');
  }
  ensureApprovalsDir(dir);
  for (let attempt = 0; attempt < 5; attempt++) {
    const request: ApprovalRequest = {
      version: 2,
      id: randomBytes(4).toString('hex'),
      runbook: input.runbook,
      level: input.level,
      target: input.target,
      requester: input.requester,
      step: input.step,
      summary: input.summary,
      requesterUid: uid,
      requesterUser: userNameForUid(uid),
      pid: process.pid,
      created: now.toISOString(),
      expires: input.expiresAt.toISOString(),
      nonce: randomBytes(16).toString('hex'),
      ...(input.step1Approver ? { step1Approver: input.step1Approver } : {}),
      steps: input.steps ?? input.step,
      requires: input.requires ?? requirementFor(input.level, (input.steps ?? input.step) === 2 ? 'two-step' : 'code'),
      approvers: [...(input.approvers ?? [])],
      plan: planLinesFor(input.plan ?? []),
    };
    requestSchema.parse(request);
    const bytes = Buffer.from(JSON.stringify(request, null, 2) + '\n', 'utf8');
    try {
      const file = writeExclusive(dir, `${request.id}.request.json`, bytes);
      // R-APR-8: the digest of the bytes written, kept here; the file is never read back for it.
      written.set(request, { digest: createHash('sha256').update(bytes).digest('hex'), bytes, ino: file.ino, dev: file.dev });
      return request;
    } catch (err) {
      // An id collision (EEXIST) draws a new id; anything else is a real failure.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`could not create a unique approval request in ${dir}`);
}


export interface WaitOptions {
  step: 1 | 2;
  signal?: AbortSignal;
  /** Fallback poll interval (clock time) in case fs.watch misses an event. */
  pollMs?: number;
  clock?: Clock;
  /** Config `approvers`: the approving OS user must be listed when non-empty. */
  approvers?: readonly string[];
  /** Called once per approval file that fails a check; the file is ignored. */
  onRejected?: (reason: string) => void;
  /** Called once per refused attempt another OS user left (`refused-` file), for the audit log. */
  onRefused?: (attempt: RefusedAttempt) => void;
}

/**
 * Resolves when another OS user approves the request's step (see the file header for the rules),
 * rejects when the request expires, disappears, is voided (its file changed) or the signal
 * aborts. Run by the requester, with the request object createRequest returned in this process.
 */
export function waitForApproval(dir: string, request: ApprovalRequest, opts: WaitOptions): Promise<ApprovalGrant> {
  const clock = opts.clock ?? realClock();
  const uid = currentUid();
  const id = request.id;
  const own = written.get(request);
  if (!own) {
    return Promise.reject(new ApprovalRequestError('forged', `approval request ${id} was not created by this process; only its requester can wait for it`));
  }
  if (request.requesterUid !== uid) {
    return Promise.reject(
      new ApprovalRequestError('forged', `approval request ${id} belongs to uid ${request.requesterUid}, not to you (uid ${uid})`),
    );
  }
  if (request.step !== opts.step) {
    return Promise.reject(new ApprovalRequestError('wrong-step', `approval request ${id} is for step ${request.step}, not step ${opts.step}`));
  }
  const { digest } = own;
  const requestPath = join(dir, `${id}.request.json`);
  const expiresAt = new Date(request.expires);
  const judged = new Set<string>();
  const reported = new Set<string>();
  const refusalsByUid = new Map<number, number>();

  /** Why the request file no longer holds the bytes written (R-APR-8), or undefined. */
  const tampered = (): string | undefined => {
    const file = readOwnedFile(requestPath);
    if (!file.ok) return file.missing ? undefined : `its file ${file.reason}`;
    if (file.stat.ino !== own.ino || file.stat.dev !== own.dev) return 'its file was replaced by another file';
    if (!file.bytes.equals(own.bytes)) return 'its file was changed after the console wrote it';
    return undefined;
  };
  let lastStat = '';

  const check = (name: string, approverUid: number): { ok: true; grant: ApprovalGrant } | { ok: false; reason: string; voided?: string } => {
    const path = join(dir, name);
    const file = readOwnedFile(path);
    if (!file.ok) return { ok: false, reason: `approval file ${name} ${file.reason}` };
    const owner = file.stat.uid;
    if (owner === request.requesterUid) {
      return {
        ok: false,
        reason: `approval file ${name} was written by the requester's own uid ${owner} — self-approval or forgery, ignored`,
      };
    }
    if (owner !== approverUid) return { ok: false, reason: `approval file ${name} is owned by uid ${owner}, not the uid in its name (forged)` };
    const parsed = parseJson(file.bytes, approvalSchema);
    if (!parsed.ok) return { ok: false, reason: `approval file ${name} ${parsed.reason}` };
    const rec = parsed.value;
    if (rec.approverUid !== owner) {
      return { ok: false, reason: `approval file ${name} claims uid ${rec.approverUid} but is owned by uid ${owner} (forged)` };
    }
    if (rec.requestId !== id || rec.step !== opts.step) {
      return { ok: false, reason: `approval file ${name} is for request ${rec.requestId} step ${rec.step} (replayed)` };
    }
    if (rec.requestDigest !== digest) {
      // The approver read other bytes than were written: if the file changed, the request is void.
      const why = tampered();
      return { ok: false, reason: `approval file ${name} approves a different version of the request`, ...(why ? { voided: why } : {}) };
    }
    const approverName = userNameForUid(owner);
    const refusal = judgeApprover(
      { name: approverName, source: { kind: 'os-user', uid: owner, user: approverName } },
      { step: opts.step, requirement: request.requires, requester: { names: [], uid: request.requesterUid }, step1: request.step1Approver, approvers: opts.approvers ?? [] },
    );
    if (refusal?.code === 'same-approver') {
      return { ok: false, reason: `approval file ${name}: ${approverName} already approved step 1; step 2 needs a different person` };
    }
    if (refusal) return { ok: false, reason: `approval file ${name}: ${approverName} is not in the approvers list` };
    return {
      ok: true,
      grant: { approverUid: owner, approverName, declaredName: rec.declaredName, at: new Date(rec.at), file: path },
    };
  };

  /** A `refused-` file: counted once, for the uid that owns it, and only a few per uid. */
  const refusedAttempt = (name: string, m: RegExpExecArray): RefusedAttempt | { ignored: string } | undefined => {
    const path = join(dir, name);
    const file = readOwnedFile(path);
    if (!file.ok) return file.missing ? undefined : { ignored: `refusal record ${name} ${file.reason}` };
    const owner = file.stat.uid;
    if (owner !== Number(m[3])) return { ignored: `refusal record ${name} is owned by uid ${owner}, not the uid in its name (forged)` };
    const parsed = parseJson(file.bytes, refusalSchema);
    if (!parsed.ok) return { ignored: `refusal record ${name} ${parsed.reason}` };
    const rec = parsed.value;
    if (rec.approverUid !== owner || rec.requestId !== id || rec.step !== opts.step) {
      return { ignored: `refusal record ${name} does not match its owner or this request (forged)` };
    }
    const count = (refusalsByUid.get(owner) ?? 0) + 1;
    refusalsByUid.set(owner, count);
    if (count > MAX_REFUSALS_PER_UID) return undefined;
    return { uid: owner, user: userNameForUid(owner), refusal: rec.refusal, file: path };
  };

  return new Promise<ApprovalGrant>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let stopInterval: (() => void) | undefined;
    let settled = false;
    // The clock's timers are unref'd and the watcher may fail: this keeps a headless run alive
    // while it waits for another person.
    const keepAlive = setInterval(() => {}, 60_000);

    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      watcher?.close();
      stopInterval?.();
      clearInterval(keepAlive);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      const reason = opts.signal?.reason;
      finish(() => reject(reason instanceof Error ? reason : new Error('aborted')));
    };
    const voidRequest = (why: string) =>
      finish(() => reject(new ApprovalRequestError('voided', `approval request ${id} is void: ${why} — nothing was approved; start the run again`, why)));
    const report = (key: string, reason: string) => {
      if (reported.has(key)) return;
      reported.add(key);
      try {
        opts.onRejected?.(reason);
      } catch {
        // A reporting callback must not break the wait.
      }
    };

    const scan = () => {
      if (settled) return;
      if (clock.now().getTime() >= expiresAt.getTime()) {
        finish(() =>
          reject(new ApprovalRequestError('expired', `approval request ${id} expired at ${expiresAt.toISOString()} without an approval — request again`)),
        );
        return;
      }
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      if (!names.includes(`${id}.request.json`)) {
        finish(() => reject(new ApprovalRequestError('not-found', `approval request ${id} was removed`)));
        return;
      }
      // The request file must still hold the bytes written (checked whenever its stat moves).
      try {
        const st = lstatSync(requestPath);
        const key = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}`;
        if (key !== lastStat) {
          const why = tampered();
          if (why) return voidRequest(why);
          lastStat = key;
        }
      } catch {
        // Removed between readdir and lstat: the next scan says so.
      }
      for (const name of names.sort()) {
        const r = REFUSAL_FILE.exec(name);
        if (r && r[1] === id && Number(r[2]) === opts.step) {
          if (judged.has(`refused:${name}`)) continue;
          judged.add(`refused:${name}`);
          const attempt = refusedAttempt(name, r);
          if (attempt && 'ignored' in attempt) report(`refused:${name}`, attempt.ignored);
          else if (attempt) {
            try {
              opts.onRefused?.(attempt);
            } catch {
              // As for onRejected.
            }
          }
          continue;
        }
        const m = APPROVAL_FILE.exec(name);
        if (!m || m[1] !== id || Number(m[2]) !== opts.step) continue;
        let key: string;
        let fileKey: string;
        try {
          const st = lstatSync(join(dir, name));
          key = `${name}:${st.ino}:${st.size}:${st.mtimeMs}:${st.uid}`;
          fileKey = `${name}:${st.ino}:${st.uid}`;
        } catch {
          continue;
        }
        if (judged.has(key)) continue;
        const result = check(name, Number(m[3]));
        if (result.ok) {
          finish(() => resolve(result.grant));
          return;
        }
        if (result.voided) {
          report(`${fileKey}:${result.reason}`, result.reason);
          return voidRequest(result.voided);
        }
        judged.add(key);
        // A file written in several writes is judged again as it grows (a real approval is
        // linked into place whole), but the same refusal of the same file is reported, and
        // audited, once; a replaced file or a new reason is reported again.
        report(`${fileKey}:${result.reason}`, result.reason);
      }
    };

    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(dir, { persistent: false }, () => scan());
      watcher.on('error', () => {
        // Polling carries on without the watcher.
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
    stopInterval = clock.setInterval(scan, Math.max(10, opts.pollMs ?? 1000));
    scan();
  });
}

/** The requester withdraws its request: removes the files it owns for that id. */
export function cancelRequest(dir: string, id: string): boolean {
  const uid = currentUid();
  if (!ID_PATTERN.test(id)) return false;
  let removed = false;
  for (const name of listNames(dir)) {
    if (!name.startsWith(`${id}.`)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.uid !== uid) continue;
      unlinkSync(path);
      removed = true;
    } catch {
      // Already gone.
    }
  }
  return removed;
}
