// The files of an approval request (R-APR-4, R-SEC-4): their names, format and limits, the OS
// user behind a uid, the shared sticky directory, exclusive writes and owner-checked reads. The
// trust model (who may write what, and why the kernel, not the contents, says who wrote it) is
// at the top of requests.ts, which also re-exports what is public here.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, chmodSync, openSync, readFileSync, readSync, readdirSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { fsyncDir } from '../core/atomic-file';
import type { ApprovalRefusalCode } from './rules';

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
export const ID_PATTERN = /^[0-9a-f]{8}$/;
export const REQUEST_FILE = /^([0-9a-f]{8})\.request\.json$/;
/** `<id>.approval-<step>.<uid>.<random>.json` (older consoles wrote it without the random part). */
export const APPROVAL_FILE = /^([0-9a-f]{8})\.approval-([12])\.(\d+)(?:\.([0-9a-f]{8}))?\.json$/;
export const REFUSAL_FILE = /^([0-9a-f]{8})\.refused-([12])\.(\d+)\.([0-9a-f]{8})\.json$/;
/** Refused attempts recorded per uid and request; more are not written into the audit log. */
export const MAX_REFUSALS_PER_UID = 5;

export const requestSchema = z.strictObject({
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

export const approvalSchema = z.strictObject({
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

export const REFUSAL_CODES = ['self-approval', 'same-approver', 'not-allowed', 'proven-required'] as const satisfies readonly ApprovalRefusalCode[];

export const refusalSchema = z.strictObject({
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

export function currentUid(): number {
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
export function writeExclusive(dir: string, name: string, content: string | Buffer): { path: string; ino: number; dev: number } {
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

export function planLinesFor(plan: readonly string[]): string[] {
  const lines = plan.map((l) => (l.length > MAX_PLAN_LINE ? `${l.slice(0, MAX_PLAN_LINE - 1)}…` : l));
  if (lines.length <= MAX_PLAN_LINES) return lines;
  // Never silently shorter: the approver is told lines are missing (the requester's form has all).
  return [...lines.slice(0, MAX_PLAN_LINES - 1), `… ${lines.length - MAX_PLAN_LINES + 1} more lines in the requester's console`];
}


// --- reading ---

type ReadOk<T> = { ok: true; value: T; stat: Stats; bytes: Buffer };
type ReadFail = { ok: false; reason: string; missing?: boolean };

/**
 * Reads a small regular file without following symlinks, and returns its lstat (the owner is the
 * kernel's word on who wrote it). The fd's inode must be the one lstat saw (no swap in between).
 */
export function readOwnedFile(path: string): ReadOk<null> | ReadFail {
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

export function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reason: string } {
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
export function readRequest(dir: string, id: string): { ok: true; value: VerifiedRequest } | ReadFail {
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
export function ownedApprovalFiles(
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
export function hasApproval(dir: string, names: string[], request: ApprovalRequest): boolean {
  return ownedApprovalFiles(dir, names, request.id, request.step).some((name) => Number(APPROVAL_FILE.exec(name)![3]) !== request.requesterUid);
}

export function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new ApprovalRequestError('insecure-dir', `cannot read the approvals directory ${dir} (${code}) — check its permissions (mode 1777)`);
  }
}
