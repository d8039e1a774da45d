// `doai-console run <runbook> --target X`: plain streaming text for scripts and logs (R-RUN-9).
// One line per event, no colour, no cursor movement; exit 0 on SUCCESS, 1 otherwise.
import type { RunEvent } from '../runbook/events';
import type { ConsoleContext } from './context';
import { approveDirFlag } from '../config/load';
import { escalationOffer } from '../runbook/escalation';
import { attachHeadlessApproval, type HeadlessApproval } from './headless-approval';
import { runPrinter } from './run-printer';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, SIGNAL_NUMBERS, UserError } from './exit';


export async function headlessRun(
  ctx: ConsoleContext,
  runbookId: string,
  target: string,
  opts: { dryRun: boolean; lang: 'ko' | 'en'; out?: NodeJS.WritableStream; params?: Record<string, string>; stdin?: NodeJS.ReadableStream & { isTTY?: boolean } },
): Promise<number> {
  const out = opts.out ?? process.stdout;
  const toTerminal = (out as { isTTY?: boolean }).isTTY === true;
  // `run ... | head` closes the pipe early: stop printing, let the run finish and be recorded.
  let outClosed = false;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') outClosed = true;
    else throw err;
  });
  const rawWrite = (s: string) => {
    if (!outClosed) out.write(s + '\n');
  };
  // While a question is on the terminal, lines go above it and the question is redrawn.
  let approvalUi: HeadlessApproval | undefined;
  const write = (s: string) => (approvalUi ? approvalUi.note(s) : rawWrite(s));
  const known = ctx.engine.listRunbooks();
  const summary = known.find((r) => r.id === runbookId);
  if (!summary) {
    throw new UserError(`unknown runbook "${runbookId}"; available: ${known.map((r) => r.id).join(', ')}`);
  }
  let runId: string | undefined;
  const pending: RunEvent[] = [];
  const printer = runPrinter({
    title: summary.title[opts.lang],
    toTerminal,
    write,
    stepTitles: (id) => (ctx.engine.getSnapshot().runs.find((r) => r.runId === id)?.steps ?? []).map((s) => [s.id, s.title[opts.lang]] as [string, string]),
    escalation: (ev) => escalationOffer(ctx.loaded.config, ctx.engine.getRunbook, { escalateTo: ev.escalateTo, target }),
  });
  const print = (ev: RunEvent) => printer.print(ev);
  const onEvent = (ev: RunEvent) => {
    if (!runId) {
      pending.push(ev);
      return;
    }
    if (ev.runId !== runId) return;
    print(ev);
  };
  const params = await pickListedParams(ctx, runbookId, target, opts, write);
  const off = ctx.engine.on(onEvent);
  // Approvals (L2/L3): typed on a terminal, or by another user with `doai-console approve`.
  const stdin = opts.stdin ?? process.stdin;
  const interactive = stdin.isTTY === true;
  const approveHint = approveDirFlag(ctx.loaded.paths.approvalsDir);
  ctx.approvals.configure({
    sessionOnly: !interactive,
    onRequest: (rid, request) => {
      if (runId !== undefined && rid !== runId) return;
      write(`approval request ${request.id} (step ${request.step}) is pending; another user approves it with:`);
      write(`  doai-console approve ${request.id}${approveHint}`);
      if (!interactive) write(`waiting up to ${Math.round((new Date(request.expires).getTime() - Date.now()) / 60_000)} min for that approval`);
    },
  });
  const result = ctx.engine.start(runbookId, target, { dryRun: opts.dryRun, params });
  if (!result.ok) {
    off();
    throw new UserError(result.hint ? `${result.error}\n${result.hint}` : result.error, EXIT_FAILED);
  }
  runId = result.runId;
  approvalUi = attachHeadlessApproval({
    engine: ctx.engine,
    runId,
    clock: ctx.clock,
    lang: opts.lang,
    write: rawWrite,
    input: stdin,
    output: out,
    interactive,
    liveOutput: (out as { isTTY?: boolean }).isTTY === true,
  });
  for (const ev of pending.splice(0)) if (ev.runId === runId) print(ev);

  // A signal cancels the run (the remote command is ended and CANCELLED is recorded) before exit.
  let signalled: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    write(`received ${sig}: cancelling the run`);
    ctx.engine.cancel(result.runId);
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    const outcome = await ctx.engine.waitFor(result.runId);
    if (signalled) return 128 + (SIGNAL_NUMBERS[signalled] ?? 0);
    // A recovery whose audit lines are missing is not a clean success for a script (R-AUD-2).
    return outcome === 'success' && !printer.auditIncomplete() ? EXIT_OK : EXIT_FAILED;
  } finally {
    approvalUi?.stop();
    for (const s of sigs) process.off(s, onSignal);
    off();
  }
}

/**
 * Values that come from the target (backup files, commits) are listed there first and printed;
 * a --param value is then checked against that list by the engine, never taken blind. A dry run
 * lists nothing (it contacts no host) and shows a placeholder instead.
 */
async function pickListedParams(
  ctx: ConsoleContext,
  runbookId: string,
  target: string,
  opts: { dryRun: boolean; params?: Record<string, string> },
  write: (s: string) => void,
): Promise<Record<string, string>> {
  const params = { ...(opts.params ?? {}) };
  const runbook = ctx.engine.getRunbook(runbookId);
  if (opts.dryRun || !runbook) return params;
  for (const [name, p] of Object.entries(runbook.params)) {
    if (!p.choices_from) continue;
    const listed = await ctx.engine.listChoices(runbookId, target, name, params);
    if (!listed.ok) throw new UserError(listed.error, EXIT_FAILED);
    write(`choices for ${name} (\`${listed.command}\` on ${listed.host}):`);
    for (const c of listed.choices.slice(0, 30)) write(`  ${c.label}`);
    if (listed.choices.length > 30) write(`  … and ${listed.choices.length - 30} more`);
    if (listed.choices.length === 0) write('  (none)');
    for (const line of listed.rejected.slice(0, 5)) write(`  ! not offered (not a valid ${p.type}): ${line}`);
    if (params[name] === undefined && p.choices_from.default === 'first' && listed.choices[0]) {
      params[name] = listed.choices[0].value;
      write(`${name} = ${listed.choices[0].value} (the first listed; pass --param ${name}=<value> for another)`);
    }
    if (params[name] === undefined) {
      throw new UserError(
        listed.choices.length
          ? `parameter "${name}" must be picked from the list above: pass --param ${name}=<value>`
          : `parameter "${name}": the target listed no choices (\`${listed.command}\` on ${listed.host}); check the path on the host`,
        EXIT_USAGE,
      );
    }
  }
  return params;
}
