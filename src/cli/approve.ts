// `doai-console approve [request-id]` (R-APR-4): another OS user on the jump box lists pending
// approval requests and approves one. Who approves is the OS user running this process (the
// approval file's owner uid), never a name typed here; the requester's console checks it again.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_APPROVALS_DIR, loadConfig, resolveConfigPath } from '../config/load';
import { describeIdentity } from '../approval/identity';
import { ApprovalRequestError, approveRequest, formatPendingRequest, listRequests, toPending, userNameForUid } from '../approval/requests';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError } from './exit';
import { shellWord } from '../ssh/quote';

export interface ApproveFlags {
  config?: string;
  /** The approvals directory itself (the requester prints it); no config needed then. */
  approvalsDir?: string;
}

/** The approvals directory and approvers list from the config; the default dir without one. */
function approvalsSetup(flags: ApproveFlags, err: NodeJS.WritableStream): { dir: string; approvers: string[] } {
  // The approvers list is also enforced by the requester, which reads its own config.
  if (flags.approvalsDir && !flags.config) return { dir: resolve(flags.approvalsDir), approvers: [] };
  const path = resolveConfigPath({ flag: flags.config });
  // An approver does not need a console config of their own: without one (and without
  // --config) the machine-wide default directory is where requests are.
  if (!flags.config && !process.env.DOAI_CONSOLE_CONFIG && !existsSync(path)) {
    err.write(`(no config at ${path}: using the default approvals directory ${DEFAULT_APPROVALS_DIR})\n`);
    return { dir: DEFAULT_APPROVALS_DIR, approvers: [] };
  }
  const loaded = loadConfig(path);
  return { dir: flags.approvalsDir ? resolve(flags.approvalsDir) : loaded.paths.approvalsDir, approvers: loaded.config.approvers };
}

export function runApprove(id: string | undefined, flags: ApproveFlags, io: { out?: NodeJS.WritableStream; err?: NodeJS.WritableStream } = {}): number {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const { dir, approvers } = approvalsSetup(flags, err);
  const now = new Date();
  const warn = (m: string) => err.write(`warning: ${m}\n`);
  if (id === undefined) {
    const pending = listRequests(dir, now, { onWarning: warn });
    if (pending.length === 0) {
      out.write(`no pending approval requests in ${dir}\n`);
      return EXIT_OK;
    }
    out.write(`pending approval requests in ${dir}:\n`);
    for (const p of pending) out.write(`${formatPendingRequest(p)}\n`);
    out.write(`approve one with: doai-console approve <id>${flags.approvalsDir ? ` --approvals-dir ${shellWord(flags.approvalsDir)}` : flags.config ? ` --config ${shellWord(flags.config)}` : ''}\n`);
    return EXIT_OK;
  }
  try {
    const grant = approveRequest(dir, id, { approvers, onWarning: warn });
    const { request } = grant;
    // What was approved, from the very bytes the approval is bound to (R-APR-8).
    out.write(
      `approved request ${request.id} as ${grant.approverName} (uid ${grant.approverUid}), recorded as proven (${describeIdentity({ kind: 'os-user', uid: grant.approverUid, user: grant.approverName })}):\n` +
        `${formatPendingRequest(toPending(request, now))}\n` +
        `The requesting console checks the approval and continues; your approval is recorded in its audit log.\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ApprovalRequestError) {
      // Unknown or malformed ids are usage errors (2) and list what is pending; refusals are 1.
      const code = e.code === 'not-found' || e.code === 'bad-id' ? EXIT_USAGE : EXIT_FAILED;
      throw new UserError(`doai-console approve: ${e.message}`, code);
    }
    throw e;
  }
}

/** For `approve` listings and messages: who this process approves as. */
export function currentApprover(): string {
  return typeof process.getuid === 'function' ? userNameForUid(process.getuid()) : 'unknown';
}
