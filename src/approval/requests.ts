// Two-person integrity across OS users on the jump box (R-APR-4, R-SEC-4).
//
// The requesting console writes `<id>.request.json` into a shared sticky directory (mode 1777,
// like /tmp); `doai-console approve`, run by ANOTHER OS user, writes
// `<id>.approval-<step>.<uid>.json` beside it. Trust comes from the kernel, not from the file
// contents: a file's owner uid (lstat) is who wrote it, and in a sticky directory nobody but the
// owner (or the directory owner/root) can delete or rename it. So the requester accepts an
// approval only from a regular file owned by a uid other than its own, whose contents agree with
// that owner and are bound to this exact request (its sha256), and never from a symlink.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  chmodSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  unlinkSync,
  watch,
  writeSync,
  type FSWatcher,
  type Stats,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { realClock, type Clock } from '../core/clock';
import { fsyncDir } from '../core/atomic-file';
import { normalizeName } from './policy';

export type ApprovalRequestErrorCode =
  | 'bad-id'
  | 'not-found'
  | 'expired'
  | 'self-approval'
  | 'same-approver'
  | 'not-allowed'
  | 'wrong-step'
  | 'already-approved'
  | 'forged'
  | 'insecure-dir'
  | 'unsupported';

/** An error the operator caused or can fix; the message says what happened and what to do. */
export class ApprovalRequestError extends Error {
  constructor(
    readonly code: ApprovalRequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalRequestError';
  }
}

const MAX_FILE_BYTES = 64 * 1024;
const ID_PATTERN = /^[0-9a-f]{8}$/;
const REQUEST_FILE = /^([0-9a-f]{8})\.request\.json$/;
const APPROVAL_FILE = /^([0-9a-f]{8})\.approval-([12])\.(\d+)\.json$/;

const requestSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(ID_PATTERN),
  runbook: z.string().min(1).max(200),
  level: z.string().min(1).max(20),
  target: z.string().min(1).max(200),
  requester: z.string().min(1).max(200),
  step: z.union([z.literal(1), z.literal(2)]),
  summary: z.string().max(4000),
  requesterUid: z.number().int().min(0),
  requesterUser: z.string().min(1).max(200),
  pid: z.number().int().min(0),
  created: z.iso.datetime({ offset: true }),
  expires: z.iso.datetime({ offset: true }),
  /** Fresh per request, so an approval for one request can never be replayed for another. */
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  step1Approver: z.strictObject({ uid: z.number().int().min(0).optional(), name: z.string().min(1).max(200) }).optional(),
});

const approvalSchema = z.strictObject({
  version: z.literal(1),
  requestId: z.string().regex(ID_PATTERN),
  step: z.union([z.literal(1), z.literal(2)]),
  /** sha256 of the request file the approver saw. */
  requestDigest: z.string().regex(/^[0-9a-f]{64}$/),
  approverUid: z.number().int().min(0),
  approverUser: z.string().min(1).max(200),
  declaredName: z.string().max(200).optional(),
  pid: z.number().int().min(0),
  at: z.iso.datetime({ offset: true }),
});

export type ApprovalRequest = z.infer<typeof requestSchema>;
export type ApprovalRecordFile = z.infer<typeof approvalSchema>;

export interface PendingRequest extends ApprovalRequest {
  createdAt: Date;
  expiresAt: Date;
  ageMs: number;
  expiresInMs: number;
}

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
  clock?: Clock;
}

export interface ApprovalGrant {
  approverUid: number;
  /** The OS user name of the approving uid (from the passwd database, or `uid<N>`). */
  approverName: string;
  /** The name the approver typed, if any; for display only, never for checks. */
  declaredName?: string;
  at: Date;
  file: string;
}

// --- identities ---

function currentUid(): number {
  if (typeof process.getuid !== 'function') {
    throw new ApprovalRequestError(
      'unsupported',
      'Cross-session approvals need a POSIX system (user ids); approve with a code in the console instead',
    );
  }
  return process.getuid();
}

const nameCache = new Map<number, string>();

/**
 * The user name for a uid: /etc/passwd first, then `getent passwd` (NSS, LDAP), else `uid<N>`.
 * Names in the approvers list are compared with this, never with a name written in a file.
 */
export function userNameForUid(uid: number, passwdPath = '/etc/passwd'): string {
  const cached = passwdPath === '/etc/passwd' ? nameCache.get(uid) : undefined;
  if (cached) return cached;
  let name = lookupPasswd(uid, passwdPath) ?? lookupGetent(uid);
  if (!name && typeof process.getuid === 'function' && uid === process.getuid()) {
    try {
      name = userInfo().username;
    } catch {
      // A uid without a passwd entry (containers, tests) has no name.
    }
  }
  const result = name || `uid${uid}`;
  if (passwdPath === '/etc/passwd') nameCache.set(uid, result);
  return result;
}

function lookupPasswd(uid: number, passwdPath: string): string | undefined {
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {
    // No readable passwd file: fall through to getent.
  }
  return undefined;
}

function lookupGetent(uid: number): string | undefined {
  try {
    const out = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const name = out.split(':')[0]?.trim();
    return name || undefined;
  } catch {
    return undefined;
  }
}

// --- the directory ---

/**
 * Creates the shared approvals directory with mode 1777 (anyone may create files, nobody may
 * delete or rename another user's). Refuses a symlink, a world-writable directory without the
 * sticky bit, or one owned by another non-root user: there someone else could replace a request
 * or approval file. A sticky group-writable directory (1770, group-shared) is accepted as it is.
 */
export function ensureApprovalsDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o1777 });
  } catch (err) {
    throw new ApprovalRequestError(
      'insecure-dir',
      `cannot create the approvals directory ${dir}: ${(err as Error).message} — create it as root with \`install -d -m 1777 ${dir}\``,
    );
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new ApprovalRequestError(
      'insecure-dir',
      `${dir} is not a plain directory (a symlink or a file) — remove it and run again, or configure another approvals directory`,
    );
  }
  const mode = st.mode & 0o7777;
  const me = currentUid();
  // The owner of a directory may delete or rename any file in it, sticky bit or not: only root
  // (who can do that anyway) or the requester itself may own it.
  if (st.uid !== 0 && st.uid !== me) {
    throw new ApprovalRequestError(
      'insecure-dir',
      `${dir} is owned by ${userNameForUid(st.uid)} (uid ${st.uid}), who could delete or replace any approval file in it — use a directory owned by root: \`install -d -m 1777 -o root ${dir}\``,
    );
  }
  if (mode === 0o1777) return;
  // A sticky directory shared through a group (e.g. 1770 root:oncall) is as safe as 1777.
  if ((mode & 0o1000) !== 0 && (mode & 0o022) !== 0) return;
  if (st.uid === me) {
    // mkdir's mode is cut by the umask; set it exactly.
    chmodSync(dir, 0o1777);
    return;
  }
  if ((mode & 0o002) !== 0 && (mode & 0o1000) === 0) {
    throw new ApprovalRequestError(
      'insecure-dir',
      `${dir} is world-writable without the sticky bit, so anyone could replace approval files — its owner must run \`chmod 1777 ${dir}\``,
    );
  }
  if ((mode & 0o002) === 0) {
    throw new ApprovalRequestError(
      'insecure-dir',
      `${dir} is not writable by other users, so no one else can approve — its owner must run \`chmod 1777 ${dir}\``,
    );
  }
}

// --- writing ---

/**
 * Writes a whole file under a temp name, then links it to its final name: link() fails if the
 * name exists (O_EXCL semantics), and readers never see a half-written file.
 */
function writeExclusive(dir: string, name: string, content: string): string {
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    // The umask may have cut 0644; never group/world-writable, always readable by the other side.
    fchmodSync(fd, 0o644);
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, final);
  } finally {
    unlinkSync(tmp);
  }
  fsyncDir(dir);
  return final;
}

export function createRequest(dir: string, input: CreateRequestInput): ApprovalRequest {
  const uid = currentUid();
  const now = (input.clock ?? realClock()).now();
  if (input.expiresAt.getTime() <= now.getTime()) {
    throw new ApprovalRequestError('expired', 'the approval request would already be expired — give it a future expiry');
  }
  ensureApprovalsDir(dir);
  for (let attempt = 0; attempt < 5; attempt++) {
    const request: ApprovalRequest = {
      version: 1,
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
    };
    requestSchema.parse(request);
    try {
      writeExclusive(dir, `${request.id}.request.json`, JSON.stringify(request, null, 2) + '\n');
      return request;
    } catch (err) {
      // An id collision (EEXIST) draws a new id; anything else is a real failure.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`could not create a unique approval request in ${dir}`);
}

// --- reading ---

type ReadOk<T> = { ok: true; value: T; stat: Stats; bytes: Buffer };
type ReadFail = { ok: false; reason: string; missing?: boolean };

/**
 * Reads a small regular file without following symlinks, and returns its lstat (the owner is the
 * kernel's word on who wrote it). The fd's inode must be the one lstat saw (no swap in between).
 */
function readOwnedFile(path: string): ReadOk<null> | ReadFail {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'missing' : `cannot stat (${code})`, missing: code === 'ENOENT' };
  }
  if (st.isSymbolicLink()) return { ok: false, reason: 'is a symbolic link' };
  if (!st.isFile()) return { ok: false, reason: 'is not a regular file' };
  if ((st.mode & 0o022) !== 0) return { ok: false, reason: 'is group- or world-writable' };
  if (st.size > MAX_FILE_BYTES) return { ok: false, reason: `is too large (${st.size} bytes)` };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: `cannot open (${code})`, missing: code === 'ENOENT' };
  }
  try {
    const fst = fstatSync(fd);
    if (fst.ino !== st.ino || fst.dev !== st.dev) return { ok: false, reason: 'was replaced while being read' };
    const buf = Buffer.alloc(Math.min(fst.size, MAX_FILE_BYTES));
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { ok: true, value: null, stat: st, bytes: buf.subarray(0, off) };
  } finally {
    closeSync(fd);
  }
}

function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'is not valid JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `has an invalid field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}

interface VerifiedRequest {
  request: ApprovalRequest;
  digest: string;
  stat: Stats;
}

/** Reads a request and checks it is genuine: its owner uid is the uid it claims. */
function readRequest(dir: string, id: string): { ok: true; value: VerifiedRequest } | ReadFail {
  const name = `${id}.request.json`;
  const file = readOwnedFile(join(dir, name));
  if (!file.ok) return file;
  const parsed = parseJson(file.bytes, requestSchema);
  if (!parsed.ok) return parsed;
  const request = parsed.value;
  if (request.id !== id) return { ok: false, reason: `claims id ${request.id} (forged)` };
  if (file.stat.uid !== request.requesterUid) {
    return { ok: false, reason: `is owned by uid ${file.stat.uid} but claims requester uid ${request.requesterUid} (forged)` };
  }
  const digest = createHash('sha256').update(file.bytes).digest('hex');
  return { ok: true, value: { request, digest, stat: file.stat } };
}

function toPending(request: ApprovalRequest, now: Date): PendingRequest {
  const createdAt = new Date(request.created);
  const expiresAt = new Date(request.expires);
  return {
    ...request,
    createdAt,
    expiresAt,
    ageMs: Math.max(0, now.getTime() - createdAt.getTime()),
    expiresInMs: expiresAt.getTime() - now.getTime(),
  };
}

/** True when a file by someone other than the requester already answers this request's step. */
function hasApproval(dir: string, names: string[], request: ApprovalRequest): boolean {
  for (const name of names) {
    const m = APPROVAL_FILE.exec(name);
    if (!m || m[1] !== request.id || Number(m[2]) !== request.step) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (st.isFile() && st.uid !== request.requesterUid && st.uid === Number(m[3])) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new ApprovalRequestError('insecure-dir', `cannot read the approvals directory ${dir} (${code}) — check its permissions (mode 1777)`);
  }
}

/**
 * Pending, unexpired requests that nobody has approved yet, oldest first. Unreadable, garbled,
 * symlinked or forged files are skipped with a warning; this never throws for a bad file.
 */
export function listRequests(dir: string, now: Date, opts: { onWarning?: (message: string) => void } = {}): PendingRequest[] {
  const warn = opts.onWarning ?? (() => {});
  const names = listNames(dir);
  const out: PendingRequest[] = [];
  for (const name of names) {
    const m = REQUEST_FILE.exec(name);
    if (!m) continue;
    const read = readRequest(dir, m[1]!);
    if (!read.ok) {
      if (!read.missing) warn(`ignored approval request ${name}: it ${read.reason}`);
      continue;
    }
    const { request } = read.value;
    if (new Date(request.expires).getTime() <= now.getTime()) continue;
    if (hasApproval(dir, names, request)) continue;
    out.push(toPending(request, now));
  }
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * Text from a request file is another user's input: control codes are removed before it reaches
 * the approver's terminal, so escape sequences cannot disguise what is being approved.
 */
function plain(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/gu, ' ').trim();
}

function describePending(list: PendingRequest[]): string {
  if (list.length === 0) return 'none';
  return list
    .map((p) => `${p.id} (${plain(p.level)} ${plain(p.runbook)} on ${plain(p.target)} by ${plain(p.requester)}, step ${p.step})`)
    .join(', ');
}

/** One line per request for `doai-console approve` listings. */
export function formatPendingRequest(p: PendingRequest): string {
  const secs = (ms: number) => {
    const s = Math.max(0, Math.round(ms / 1000));
    return s >= 60 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${s} s`;
  };
  return (
    `${p.id}  ${plain(p.level)} ${plain(p.runbook)} → ${plain(p.target)}  step ${p.step}  ` +
    `by ${plain(p.requester)} (${plain(p.requesterUser)}, uid ${p.requesterUid})  age ${secs(p.ageMs)}  expires in ${secs(p.expiresInMs)}` +
    (p.summary ? `\n    ${plain(p.summary)}` : '')
  );
}

export interface ApproveOptions {
  /** A display name to record; checks use the OS user of this process. */
  approverName?: string;
  /** The step being approved; must be the step the request asks for. */
  step?: 1 | 2;
  /** Config `approvers`: refuse early when this OS user is not listed. */
  approvers?: readonly string[];
  clock?: Clock;
}

/**
 * Approves a pending request as the OS user running this process (`doai-console approve`).
 * Throws ApprovalRequestError with a message for the operator when it must refuse.
 */
export function approveRequest(dir: string, id: string, opts: ApproveOptions = {}): ApprovalGrant {
  const uid = currentUid();
  const me = userNameForUid(uid);
  const now = (opts.clock ?? realClock()).now();
  const pendingNow = () => describePending(listRequests(dir, now));
  const wanted = id.trim().toLowerCase();
  if (!ID_PATTERN.test(wanted)) {
    throw new ApprovalRequestError('bad-id', `"${id}" is not a request id (8 hex characters); pending: ${pendingNow()}`);
  }
  const read = readRequest(dir, wanted);
  if (!read.ok) {
    if (read.missing) throw new ApprovalRequestError('not-found', `no pending request ${wanted}; pending: ${pendingNow()}`);
    throw new ApprovalRequestError('forged', `request ${wanted} cannot be trusted: it ${read.reason} — ask the requester to start again`);
  }
  const { request, digest } = read.value;
  const expiresAt = new Date(request.expires);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new ApprovalRequestError(
      'expired',
      `request ${wanted} expired at ${expiresAt.toISOString()} — ask ${plain(request.requester)} to request approval again`,
    );
  }
  const step = opts.step ?? request.step;
  if (step !== request.step) {
    throw new ApprovalRequestError('wrong-step', `request ${wanted} asks for step ${request.step} approval, not step ${step}`);
  }
  if (uid === request.requesterUid) {
    throw new ApprovalRequestError(
      'self-approval',
      `self-approval refused: you (${me}) made this request — another person must approve it from their own account`,
    );
  }
  const first = request.step1Approver;
  if (step === 2 && first && (first.uid === uid || normalizeName(first.name) === normalizeName(me))) {
    throw new ApprovalRequestError(
      'same-approver',
      `you (${me}) approved step 1 of this request; step 2 needs a different person`,
    );
  }
  const allowed = (opts.approvers ?? []).map(normalizeName).filter((n) => n !== '');
  if (allowed.length > 0 && !allowed.includes(normalizeName(me))) {
    throw new ApprovalRequestError('not-allowed', `you (${me}) are not in the approvers list of the config — ask a listed approver`);
  }
  const record: ApprovalRecordFile = {
    version: 1,
    requestId: wanted,
    step,
    requestDigest: digest,
    approverUid: uid,
    approverUser: me,
    ...(opts.approverName?.trim() ? { declaredName: opts.approverName.trim() } : {}),
    pid: process.pid,
    at: now.toISOString(),
  };
  let file: string;
  try {
    file = writeExclusive(dir, `${wanted}.approval-${step}.${uid}.json`, JSON.stringify(record, null, 2) + '\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ApprovalRequestError('already-approved', `you (${me}) already approved step ${step} of request ${wanted}`);
    }
    throw err;
  }
  return { approverUid: uid, approverName: me, declaredName: record.declaredName, at: now, file };
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
}

/**
 * Resolves when another OS user approves the request's step (see the file header for the rules),
 * rejects when the request expires, disappears or the signal aborts. Run by the requester.
 */
export function waitForApproval(dir: string, id: string, opts: WaitOptions): Promise<ApprovalGrant> {
  const clock = opts.clock ?? realClock();
  const uid = currentUid();
  const own = readRequest(dir, id);
  if (!own.ok) {
    return Promise.reject(
      new ApprovalRequestError(own.missing ? 'not-found' : 'forged', `approval request ${id} ${own.missing ? 'does not exist' : own.reason}`),
    );
  }
  const { request, digest } = own.value;
  if (request.requesterUid !== uid) {
    return Promise.reject(
      new ApprovalRequestError('forged', `approval request ${id} belongs to uid ${request.requesterUid}, not to you (uid ${uid})`),
    );
  }
  if (request.step !== opts.step) {
    return Promise.reject(new ApprovalRequestError('wrong-step', `approval request ${id} is for step ${request.step}, not step ${opts.step}`));
  }
  const allowed = (opts.approvers ?? []).map(normalizeName).filter((n) => n !== '');
  const expiresAt = new Date(request.expires);
  const judged = new Set<string>();
  const reported = new Set<string>();

  const check = (name: string, approverUid: number): { ok: true; grant: ApprovalGrant } | { ok: false; reason: string } => {
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
    if (rec.requestDigest !== digest) return { ok: false, reason: `approval file ${name} approves a different version of the request` };
    const approverName = userNameForUid(owner);
    const first = request.step1Approver;
    if (opts.step === 2 && first && (first.uid === owner || normalizeName(first.name) === normalizeName(approverName))) {
      return { ok: false, reason: `approval file ${name}: ${approverName} already approved step 1; step 2 needs a different person` };
    }
    if (allowed.length > 0 && !allowed.includes(normalizeName(approverName))) {
      return { ok: false, reason: `approval file ${name}: ${approverName} is not in the approvers list` };
    }
    return {
      ok: true,
      grant: { approverUid: owner, approverName, declaredName: rec.declaredName, at: new Date(rec.at), file: path },
    };
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
      for (const name of names.sort()) {
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
        judged.add(key);
        // A file written in several writes is judged again as it grows (a real approval is
        // linked into place whole), but the same refusal of the same file is reported, and
        // audited, once; a replaced file or a new reason is reported again.
        const reportKey = `${fileKey}:${result.reason}`;
        if (reported.has(reportKey)) continue;
        reported.add(reportKey);
        try {
          opts.onRejected?.(result.reason);
        } catch {
          // A reporting callback must not break the wait.
        }
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
