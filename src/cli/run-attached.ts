// `doai-console run` beside a server (R-SRV-2): the server runs the runbook (its engine, locks,
// audit log and journal, as the operator the socket proved); this process prints the run's events
// exactly as the standalone `run` prints them, and exits the same way (0 on SUCCESS, 1 otherwise,
// 128+n when a signal cancelled it). Listed parameters are listed on the target by the server.
// An approval (L2/L3) is given from another session: the pending request and the command that
// approves it are printed, and the run waits for it in the server.
import { chooseServer } from '../attach/choose';
import { openForCommand } from './attach-open';
import type { RunEventsPage } from '../protocol/runs';
import type { RunView } from '../core/views';
import { runPrinter } from './run-printer';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, SIGNAL_NUMBERS, UserError } from './exit';

const POLL_MS = 150;

export async function attachedRun(
  flags: { socket?: string; standalone?: boolean },
  runbookId: string,
  target: string,
  opts: { dryRun: boolean; lang: 'ko' | 'en'; params?: Record<string, string>; out?: NodeJS.WritableStream },
): Promise<number | undefined> {
  const choice = chooseServer(flags);
  if (choice.mode === 'standalone') return undefined;
  const link = await openForCommand(choice);
  if (!link) return undefined;
  const out = opts.out ?? process.stdout;
  let outClosed = false;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') outClosed = true;
    else throw err;
  });
  const write = (s: string) => {
    if (!outClosed) out.write(s + '\n');
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let signalled: NodeJS.Signals | undefined;
  let runId: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    write(`received ${sig}: cancelling the run`);
    if (runId) link.request('run.cancel', { runId }).catch(() => undefined);
  };
  try {
    const { runbooks } = await link.first('runbooks');
    const summary = runbooks.find((r) => r.id === runbookId);
    if (!summary) throw new UserError(`unknown runbook "${runbookId}"; available: ${runbooks.map((r) => r.id).join(', ')}`);
    const params = { ...(opts.params ?? {}) };
    // Values listed on the target (backups, commits): listed by the server, printed, then checked.
    if (!opts.dryRun) {
      for (const p of summary.params ?? []) {
        if (!p.listed) continue;
        const listed = await link.request('run.choices', { runbook: runbookId, target, param: p.name, given: params });
        if (!listed.ok) throw new UserError(listed.error, EXIT_FAILED);
        write(`choices for ${p.name} (\`${listed.command}\` on ${listed.host}):`);
        for (const c of listed.choices.slice(0, 30)) write(`  ${c.label}`);
        if (listed.choices.length > 30) write(`  … and ${listed.choices.length - 30} more`);
        if (listed.choices.length === 0) write('  (none)');
        for (const line of listed.rejected.slice(0, 5)) write(`  ! not offered (not a valid ${p.type}): ${line}`);
        if (params[p.name] === undefined && p.listedDefaultFirst && listed.choices[0]) {
          params[p.name] = listed.choices[0].value;
          write(`${p.name} = ${listed.choices[0].value} (the first listed; pass --param ${p.name}=<value> for another)`);
        }
        if (params[p.name] === undefined) {
          throw new UserError(
            listed.choices.length
              ? `parameter "${p.name}" must be picked from the list above: pass --param ${p.name}=<value>`
              : `parameter "${p.name}": the target listed no choices (\`${listed.command}\` on ${listed.host}); check the path on the host`,
            EXIT_USAGE,
          );
        }
      }
    }
    for (const s of sigs) process.on(s, onSignal);
    const res = await link.request('run.start', { runbook: runbookId, target, ...(opts.dryRun ? { dryRun: true } : {}), ...(Object.keys(params).length ? { params } : {}) });
    if (!res.ok) throw new UserError(res.hint ? `${res.error}\n${res.hint}` : res.error, EXIT_FAILED);
    runId = res.runId;
    if (signalled) link.request('run.cancel', { runId }).catch(() => undefined);
    let page: RunEventsPage | undefined;
    const printer = runPrinter({
      title: summary.title[opts.lang],
      toTerminal: (out as { isTTY?: boolean }).isTTY === true,
      write,
      stepTitles: () => Object.entries(page?.titles ?? {}).map(([id, t]) => [id, t[opts.lang]] as [string, string]),
      escalation: () => page?.offer,
    });
    // The pending approval request, said once: another user approves it from their own session.
    const runs = link.store('console');
    let saidRequest: string | undefined;
    const sayRequest = () => {
      const run: RunView | undefined = runs.getSnapshot()?.runs.find((r) => r.runId === runId);
      const p = run?.prompt;
      if (p?.kind !== 'approval' || !p.requestId || p.requestId === saidRequest) return;
      saidRequest = p.requestId;
      write(`approval request ${p.requestId} (step ${p.step}) is pending; another user approves it with:`);
      write(`  doai-console approve ${p.requestId}${p.requestFlags ?? ''}`);
    };
    const offRuns = runs.subscribe(sayRequest);
    let outcome: string | undefined;
    try {
      let after = 0;
      for (let guard = 0; outcome === undefined && guard < 100_000_000; guard++) {
        try {
          page = await link.request('run.events', { runId, after });
        } catch (err) {
          throw new UserError(`lost the server while run ${runId} was going on: ${(err as Error).message} — see it with \`doai-console log --run ${runId}\``, EXIT_FAILED);
        }
        for (const ev of page.events) {
          printer.print(ev);
          if (ev.type === 'run.finished') outcome = ev.outcome;
        }
        after = page.next;
        sayRequest();
        if (outcome === undefined && page.events.length === 0) await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      offRuns();
    }
    if (signalled) return 128 + (SIGNAL_NUMBERS[signalled] ?? 0);
    return outcome === 'success' && !printer.auditIncomplete() ? EXIT_OK : EXIT_FAILED;
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    link.close();
  }
}
