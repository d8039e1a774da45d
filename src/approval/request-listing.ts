// Listing pending approval requests for `doai-console approve`, and the text the approver reads
// (control codes removed: another user's input). Part of requests.ts (trust model there).
import { type ApprovalRequest, type PendingRequest, REQUEST_FILE, hasApproval, listNames, readRequest, toPending } from './request-files';

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
export function plain(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/gu, ' ').trim();
}

export function describePending(list: PendingRequest[]): string {
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
