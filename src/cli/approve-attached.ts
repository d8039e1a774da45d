// `doai-console approve [id]` beside a server (R-APR-4, R-APR-8, R-SRV-2): the approvals waiting
// in the server's runs are listed by the server, and one is approved there as the uid the kernel
// proved for this connection (src/server/approval-intents.ts). Without a server (none configured,
// --standalone, or --approvals-dir naming the folder): undefined, the caller approves through the
// approvals folder as before. Exit codes as standalone: 0 approved or listed, 2 an unknown id (the
// pending ones are named), 1 a refusal (self-approval, same approver, role, expired, over).
import { chooseServer } from '../attach/choose';
import { describeRequirement, plain } from '../approval/request-listing';
import type { ServedApproval } from '../protocol/approvals';
import { openForCommand } from './attach-open';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError } from './exit';
import { shellWord } from '../ssh/quote';

function secs(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${s} s`;
}

/** The lines of one approval: head, policy, plan digest and the plan itself (R-APR-8). */
export function formatServedApproval(p: ServedApproval): string {
  const who = p.requesterUid !== undefined ? `${plain(p.requester)} (uid ${p.requesterUid})` : plain(p.requester);
  const lines = [
    `${p.id}  ${plain(p.level)} ${plain(p.runbook)} → ${plain(p.target)}  step ${p.step}${p.steps === 2 ? ' of 2' : ''}  by ${who}  age ${secs(p.ageS)}${p.id !== p.runId ? `  run ${p.runId}` : ''}`,
    `    ${plain(p.title)}${p.host && p.host !== p.target ? ` (host ${plain(p.host)})` : ''}`,
    `    approval: ${describeRequirement({ level: p.level, steps: p.steps, requires: p.requirement, approvers: [] })}`,
  ];
  if (p.phase === 'waiting') lines.push(`    step 2 opens in ${p.waitRemainingS ?? '?'} s (the enforced wait after step 1)`);
  if (p.step === 2 && p.step1) lines.push(`    step 1 was approved by ${plain(p.step1.name)}${p.step1.identity ? ` (${plain(p.step1.identity)})` : ''}; step 2 needs someone else`);
  lines.push(`    plan sha256 ${p.planDigest}`);
  lines.push(p.plan.length > 0 ? '    will run, in order (host: command):' : '    will run: (no plan)');
  for (const l of p.plan) {
    const indent = /^ */.exec(l)![0].length;
    lines.push(`      ${' '.repeat(Math.min(indent, 12))}${plain(l)}`);
  }
  return lines.join('\n');
}

function describe(list: readonly ServedApproval[]): string {
  return list.length === 0 ? 'none' : list.map((p) => `${p.id} (${plain(p.level)} ${plain(p.runbook)} on ${plain(p.target)} by ${plain(p.requester)}, step ${p.step})`).join(', ');
}

export async function attachedApprove(
  id: string | undefined,
  flags: { socket?: string; standalone?: boolean; approvalsDir?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<number | undefined> {
  // The folder named on the command line (as the requester's form may print it): that folder.
  if (flags.approvalsDir) return undefined;
  const choice = chooseServer(flags);
  if (choice.mode === 'standalone') return undefined;
  const link = await openForCommand(choice);
  if (!link) return undefined;
  const where = `the server at ${choice.socket}`;
  const ask = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw new UserError(`doai-console approve: ${where} refused ${what}: ${(err as Error).message}`, EXIT_FAILED);
    }
  };
  try {
    if (id === undefined) {
      const { pending } = await ask('the list', link.request('approvals.list', {}));
      if (pending.length === 0) {
        out.write(`no pending approvals on ${where}\n`);
        return EXIT_OK;
      }
      out.write(`pending approvals on ${where}:\n`);
      for (const p of pending) out.write(`${formatServedApproval(p)}\n`);
      out.write(`approve one with: doai-console approve <id>${choice.explicit ? ` --socket ${shellWord(choice.socket)}` : ''}\n`);
      return EXIT_OK;
    }
    const res = await ask(`approve ${id}`, link.request('approvals.approve', { id }));
    if (!res.ok) {
      const code = res.why === 'unknown' ? EXIT_USAGE : EXIT_FAILED;
      throw new UserError(`doai-console approve: ${res.message}; pending on ${where}: ${describe(res.pending)}`, code);
    }
    const me = link.identity;
    // What was approved: the plan the server's run executes, as the server holds it (R-APR-8).
    out.write(
      `approved ${res.approval.id} step ${res.approval.step} as ${me.user} (uid ${me.uid}), recorded as proven (os-user ${me.user} uid ${me.uid}) by ${where}:\n` +
        `${formatServedApproval(res.approval)}\n` +
        `The run goes on in the server; your approval is in its audit log.\n`,
    );
    return EXIT_OK;
  } finally {
    link.close();
  }
}
