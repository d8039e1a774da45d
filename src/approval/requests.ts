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
import { requirementFor, type ApprovalRequirement } from './identity';
import { judgeApprover, normalizeName, type ApprovalRefusal, type ApprovalRefusalCode } from './rules';

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
  | 'unsupported'
  /** The request file no longer holds the bytes the requester wrote (R-APR-8). */
  | 'voided';

/** An error the operator caused or can fix; the message says what happened and what to do. */
export class ApprovalRequestError extends Error {
  constructor(
    readonly code: ApprovalRequestErrorCode,
    message: string,
    /** For the audit line: what exactly happened (e.g. why a request is void). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApprovalRequestError';
  }
}

// Room for a plan of a few hundred long command lines.
const MAX_FILE_BYTES = 256 * 1024;
const MAX_PLAN_LINES = 300;
const MAX_PLAN_LINE = 600;
const ID_PATTERN = /^[0-9a-f]{8}$/;
const REQUEST_FILE = /^([0-9a-f]{8})\.request\.json$/;
/** `<id>.approval-<step>.<uid>.<random>.json` (older consoles wrote it without the random part). */
const APPROVAL_FILE = /^([0-9a-f]{8})\.approval-([12])\.(\d+)(?:\.([0-9a-f]{8}))?\.json$/;
const REFUSAL_FILE = /^([0-9a-f]{8})\.refused-([12])\.(\d+)\.([0-9a-f]{8})\.json$/;
/** Refused attempts recorded per uid and request; more are not written into the audit log. */
const MAX_REFUSALS_PER_UID = 5;

const requestSchema = z.strictObject({
  version: z.literal(2),
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
  /** How many steps this approval has (L3: 2). */
  steps: z.union([z.literal(1), z.literal(2)]),
  /** The level's policy: whether a name typed into the requester's form would also do. */
  requires: z.enum(['declared', 'proven']),
  /** The requester's config `approvers`: `doai-console approve` refuses others before writing. */
  approvers: z.array(z.string().min(1).max(200)).max(200),
  /** What will run, on which host, in order: the approver reads these very bytes. */
  plan: z.array(z.string().max(MAX_PLAN_LINE)).max(MAX_PLAN_LINES),
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

const REFUSAL_CODES = ['self-approval', 'same-approver', 'not-allowed', 'proven-required'] as const satisfies readonly ApprovalRefusalCode[];

const refusalSchema = z.strictObject({
  version: z.literal(1),
  requestId: z.string().regex(ID_PATTERN),
  step: z.union([z.literal(1), z.literal(2)]),
  approverUid: z.number().int().min(0),
  approverUser: z.string().min(1).max(200),
  refusal: z.enum(REFUSAL_CODES),
  pid: z.number().int().min(0),
  at: z.iso.datetime({ offset: true }),
});

export type ApprovalRequest = z.infer<typeof requestSchema>;
export type ApprovalRecordFile = z.infer<typeof approvalSchema>;

/** An approval attempt another OS user made and was refused (their `refused-` file). */
export interface RefusedAttempt {
  uid: number;
  /** The OS user name of that uid (passwd), never a name from the file. */
  user: string;
  refusal: (typeof REFUSAL_CODES)[number];
  file: string;
}

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
function writeExclusive(dir: string, name: string, content: string | Buffer): { path: string; ino: number; dev: number } {
  const final = join(dir, name);
  let ino = 0;
  let dev = 0;
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    // The umask may have cut 0644; never group/world-writable, always readable by the other side.
    fchmodSync(fd, 0o644);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
    ({ ino, dev } = fstatSync(fd));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, final);
  } finally {
    unlinkSync(tmp);
  }
  fsyncDir(dir);
  return { path: final, ino, dev };
}

function planLinesFor(plan: readonly string[]): string[] {
  const lines = plan.map((l) => (l.length > MAX_PLAN_LINE ? `${l.slice(0, MAX_PLAN_LINE - 1)}…` : l));
  if (lines.length <= MAX_PLAN_LINES) return lines;
  // Never silently shorter: the approver is told lines are missing (the requester's form has all).
  return [...lines.slice(0, MAX_PLAN_LINES - 1), `… ${lines.length - MAX_PLAN_LINES + 1} more lines in the requester's console`];
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

export function toPending(request: ApprovalRequest, now: Date): PendingRequest {
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

/**
 * The approval files for a request's step whose owner is the uid in their name (only those can
 * be anyone's answer); with `uid`, only that uid's. Files owned by someone else are passed to
 * `onForeign`: another user put them there, and they count for nobody.
 */
function ownedApprovalFiles(
  dir: string,
  names: string[],
  id: string,
  step: number,
  opts: { uid?: number; onForeign?: (name: string, owner: number) => void } = {},
): string[] {
  const out: string[] = [];
  for (const name of names) {
    const m = APPROVAL_FILE.exec(name);
    if (!m || m[1] !== id || Number(m[2]) !== step) continue;
    const named = Number(m[3]);
    if (opts.uid !== undefined && named !== opts.uid) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (st.isFile() && st.uid === named) out.push(name);
      else opts.onForeign?.(name, st.uid);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** True when a file by someone other than the requester already answers this request's step. */
function hasApproval(dir: string, names: string[], request: ApprovalRequest): boolean {
  return ownedApprovalFiles(dir, names, request.id, request.step).some((name) => Number(APPROVAL_FILE.exec(name)![3]) !== request.requesterUid);
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

/** A plan line keeps its indentation (commands sit under their step); nothing else survives. */
function planLine(text: string): string {
  const indent = /^ */.exec(text)![0].length;
  return `${' '.repeat(Math.min(indent, 12))}${plain(text)}`;
}

/** What the approval needs, step by step (R-APR-6), for the approver's listing. */
export function describeRequirement(p: Pick<ApprovalRequest, 'level' | 'steps' | 'requires' | 'approvers'>): string {
  const steps = p.steps === 2 ? 'steps 1 and 2 each need' : 'step 1 needs';
  const who = p.approvers.length > 0 ? `; approvers: ${p.approvers.map(plain).join(', ')}` : '';
  return p.requires === 'proven'
    ? `${plain(p.level)} policy proven: ${steps} a proven identity (another OS user running doai-console approve); a name typed in the requester's console does not count${who}`
    : `${plain(p.level)} policy declared: ${steps} no proven identity (a name and code typed in the requester's console also count); approving here is recorded as proven${who}`;
}

/** The lines of one request for `doai-console approve` listings: head, policy, plan. */
export function formatPendingRequest(p: PendingRequest): string {
  const secs = (ms: number) => {
    const s = Math.max(0, Math.round(ms / 1000));
    return s >= 60 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${s} s`;
  };
  const lines = [
    `${p.id}  ${plain(p.level)} ${plain(p.runbook)} → ${plain(p.target)}  step ${p.step}${p.steps === 2 ? ' of 2' : ''}  ` +
      `by ${plain(p.requester)} (${plain(p.requesterUser)}, uid ${p.requesterUid})  age ${secs(p.ageMs)}  expires in ${secs(p.expiresInMs)}`,
  ];
  if (p.summary) lines.push(`    ${plain(p.summary)}`);
  lines.push(`    approval: ${describeRequirement(p)}`);
  if (p.step === 2 && p.step1Approver) lines.push(`    step 1 was approved by ${plain(p.step1Approver.name)}; step 2 needs someone else`);
  lines.push(p.plan.length > 0 ? '    will run, in order (host: command):' : '    will run: (no plan in the request)');
  for (const l of p.plan) lines.push(`      ${planLine(l)}`);
  return lines.join('\n');
}

export interface ApproveOptions {
  /** A display name to record; checks use the OS user of this process. */
  approverName?: string;
  /** The step being approved; must be the step the request asks for. */
  step?: 1 | 2;
  /** Config `approvers` of the approver's own config (the request carries the requester's). */
  approvers?: readonly string[];
  clock?: Clock;
  /** Files this approver ignores (e.g. an approval file in its name another user put there). */
  onWarning?: (message: string) => void;
}

export interface ApprovedRequest extends ApprovalGrant {
  /** The request as read for this approval: the plan printed to the approver is from these bytes. */
  request: ApprovalRequest;
}

const APPROVER_REFUSAL: Record<(typeof REFUSAL_CODES)[number], ApprovalRequestErrorCode> = {
  'self-approval': 'self-approval',
  'same-approver': 'same-approver',
  'not-allowed': 'not-allowed',
  'proven-required': 'not-allowed',
};

function approverRefusalMessage(refusal: ApprovalRefusal, me: string, list: 'request' | 'own'): string {
  switch (refusal.code) {
    case 'self-approval':
      return `self-approval refused: you (${me}) made this request — another person must approve it from their own account`;
    case 'same-approver':
      return `you (${me}) approved step 1 of this request; step 2 needs a different person`;
    case 'not-allowed':
      return list === 'request'
        ? `you (${me}) are not in the approvers list of the requesting console's config — ask a listed approver; nothing was approved`
        : `you (${me}) are not in the approvers list of the config — ask a listed approver; nothing was approved`;
    default:
      return `you (${me}) cannot approve this request (${refusal.code})`;
  }
}

/**
 * Leaves a record of a refused attempt for the requester to audit (R-APR-5). Best effort: a
 * refusal is said to the approver whether or not the record could be written.
 */
function recordRefusal(dir: string, request: ApprovalRequest, step: 1 | 2, uid: number, me: string, refusal: (typeof REFUSAL_CODES)[number], now: Date): void {
  const record: z.infer<typeof refusalSchema> = {
    version: 1,
    requestId: request.id,
    step,
    approverUid: uid,
    approverUser: me,
    refusal,
    pid: process.pid,
    at: now.toISOString(),
  };
  try {
    writeExclusive(dir, `${request.id}.refused-${step}.${uid}.${randomBytes(4).toString('hex')}.json`, JSON.stringify(record, null, 2) + '\n');
  } catch {
    // The directory may be gone with the request; the refusal still stands.
  }
}

/**
 * Approves a pending request as the OS user running this process (`doai-console approve`).
 * Throws ApprovalRequestError with a message for the operator when it must refuse; a refusal by
 * rule is left as a `refused-` file the requester records in its audit log.
 */
export function approveRequest(dir: string, id: string, opts: ApproveOptions = {}): ApprovedRequest {
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
  // The requester's list travels in the request (so it is checked here, before anything is
  // written); the approver's own config list, if any, is checked too.
  const candidate = { name: me, source: { kind: 'os-user' as const, uid, user: me } };
  const parties = { step, requirement: request.requires, requester: { names: [], uid: request.requesterUid }, step1: request.step1Approver };
  for (const [list, approvers] of [['request', request.approvers], ['own', opts.approvers ?? []]] as const) {
    const refusal = judgeApprover(candidate, { ...parties, approvers });
    if (!refusal) continue;
    const code = refusal.code as (typeof REFUSAL_CODES)[number];
    if ((REFUSAL_CODES as readonly string[]).includes(code)) recordRefusal(dir, request, step, uid, me, code, now);
    throw new ApprovalRequestError(APPROVER_REFUSAL[code] ?? 'not-allowed', approverRefusalMessage(refusal, me, list));
  }
  const names = listNames(dir);
  const mine = ownedApprovalFiles(dir, names, wanted, step, {
    uid,
    onForeign: (name, owner) =>
      opts.onWarning?.(`ignored ${name}: it carries your uid but was written by ${userNameForUid(owner)} (uid ${owner}); it does not count as your answer`),
  });
  if (mine.length > 0) throw new ApprovalRequestError('already-approved', `you (${me}) already approved step ${step} of request ${wanted}`);
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
  // A random part in the name: nobody can take the name before the approver writes it.
  const file = writeExclusive(dir, `${wanted}.approval-${step}.${uid}.${randomBytes(4).toString('hex')}.json`, JSON.stringify(record, null, 2) + '\n');
  return { approverUid: uid, approverName: me, declaredName: record.declaredName, at: now, file: file.path, request };
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
