// The approval form of headless `run` (R-RUN-9, R-APR-2..4): plain prompts on the terminal
// (approver name, code, the 30 s countdown, reason, summary, `yes`), every answer going through
// the engine's answerApproval like the TUI's. Without a terminal on stdin nobody can type a code:
// the run waits for `doai-console approve <id>` from another user (the hook ends it after 5 min),
// and the L3 reason and `yes` are read as lines from stdin.
import { createInterface, type Interface } from 'node:readline/promises';
import type { Clock } from '../core/clock';
import type { ApprovalAnswer, Lang, Localized, RunPrompt } from '../core/views';
import type { RunEngine } from '../runbook/engine';
import { approvalHeader, planInLang } from '../core/plan-lang';

type ApprovalPrompt = Extract<RunPrompt, { kind: 'approval' }>;

export interface HeadlessApprovalOptions {
  engine: RunEngine;
  runId: string;
  clock: Clock;
  lang: Lang;
  write(line: string): void;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** stdin is a terminal: the operator types name and code here. */
  interactive: boolean;
  /** Countdown redrawn in place (stdout is a terminal). */
  liveOutput: boolean;
  /** Ctrl-C typed at a question; default: raise SIGINT so the run is cancelled as usual. */
  onInterrupt?: () => void;
}

class InputClosed extends Error {}

function hhmmss(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

export interface HeadlessApproval {
  stop(): void;
  /** Prints a line above the question being asked (if any) and redraws the question. */
  note(line: string): void;
}

export function attachHeadlessApproval(o: HeadlessApprovalOptions): HeadlessApproval {
  const say = (l: Localized) => l[o.lang];
  let inputClosed = false;
  const closeWaiters = new Set<() => void>();
  let task: AbortController | undefined;
  let currentKey = '';
  let requestKey = '';
  let planShown = false;
  let policyShown = false;
  let stopped = false;
  // The approval's own timers are unref'd (clock): without this a run waiting only for the
  // operator's answer could let the event loop drain and exit mid-approval.
  const keepAlive = setInterval(() => undefined, 60_000);

  const runOf = () => o.engine.getSnapshot().runs.find((r) => r.runId === o.runId);
  const answer = (a: ApprovalAnswer) => o.engine.answerApproval?.(o.runId, a) ?? { accepted: false, error: { en: 'no approval here', ko: '승인 없음' } };

  const markClosed = () => {
    inputClosed = true;
    for (const w of [...closeWaiters]) w();
  };

  // On a terminal a readline lives for one question only: it puts the terminal in raw mode,
  // which would swallow Ctrl-C during the countdown and the steps. Ctrl-C at a question is
  // turned back into SIGINT so it cancels the run like anywhere else.
  let termRl: Interface | undefined;
  let closingOurselves = false;
  const closeTermRl = () => {
    if (!termRl) return;
    closingOurselves = true;
    termRl.close();
    closingOurselves = false;
    termRl = undefined;
  };

  // Piped stdin: one reader for the whole run, and lines that arrive before their question
  // (`printf 'reason\nyes\n' |`) are queued, not dropped.
  let pipeRl: Interface | undefined;
  const queued: string[] = [];
  let lineWaiter: ((line: string) => void) | undefined;
  const pipeReader = (): Interface => {
    if (!pipeRl) {
      pipeRl = createInterface({ input: o.input, terminal: false });
      pipeRl.on('line', (line) => {
        const w = lineWaiter;
        lineWaiter = undefined;
        if (w) w(line);
        else queued.push(line);
      });
      pipeRl.on('close', () => {
        if (!stopped) markClosed();
      });
    }
    return pipeRl;
  };

  const ask = async (question: string, signal: AbortSignal): Promise<string> => {
    // Lines piped before EOF still answer their questions (`printf 'reason\nyes\n' |` may close
    // stdin before the reason has even been accepted); only an empty queue means nobody answers.
    if (inputClosed && queued.length === 0) throw new InputClosed();
    signal.throwIfAborted();
    const closed = new AbortController();
    const onClose = () => closed.abort(new InputClosed());
    closeWaiters.add(onClose);
    const both = AbortSignal.any([signal, closed.signal]);
    try {
      // Line editing (and its escape codes) only when the answers' echo goes to a terminal: with
      // stdout piped into a log, the question and the answer are written as plain lines.
      if (o.interactive && o.liveOutput) {
        closeTermRl();
        const rl = createInterface({ input: o.input, output: o.output, terminal: true });
        termRl = rl;
        rl.on('close', () => {
          if (!closingOurselves && !stopped) markClosed();
        });
        rl.on('SIGINT', () => (o.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')))());
        try {
          return await rl.question(question, { signal: both });
        } finally {
          // Leave the line clean for what comes next (an aborted question keeps its prompt).
          if (both.aborted && !closed.signal.aborted) o.output.write('\r\x1b[2K');
          if (termRl === rl) closeTermRl();
        }
      }
      pipeReader();
      o.output.write(question);
      const line =
        queued.length > 0
          ? queued.shift()!
          : await new Promise<string>((resolve, reject) => {
              const onAbort = () => {
                if (lineWaiter === take) lineWaiter = undefined;
                reject(both.reason);
              };
              const take = (l: string) => {
                both.removeEventListener('abort', onAbort);
                resolve(l);
              };
              lineWaiter = take;
              both.addEventListener('abort', onAbort, { once: true });
            });
      o.output.write(`${line}\n`); // the log shows what was answered
      return line;
    } catch (err) {
      if (closed.signal.aborted) throw new InputClosed();
      throw err;
    } finally {
      closeWaiters.delete(onClose);
    }
  };

  let liveCountdown: string | undefined;
  const note = (line: string) => {
    const rl = termRl;
    if (!rl && liveCountdown !== undefined) {
      // Keep the countdown as the last line: print above it, then redraw it.
      o.output.write('\r\x1b[2K');
      o.write(line);
      o.output.write(`\r${liveCountdown}   `);
      return;
    }
    if (!rl) return o.write(line);
    // Clear the question's line, print above it, then redraw the question with what was typed.
    o.output.write('\r\x1b[2K');
    o.write(line);
    rl.prompt(true);
  };

  /** Asks until the flow accepts, the phase moves on (signal) or stdin ends. */
  const askUntilAccepted = async (signal: AbortSignal, once: () => Promise<ApprovalAnswer>) => {
    while (!signal.aborted) {
      const a = await once();
      if (signal.aborted) return;
      const r = answer(a);
      if (r.accepted) return;
      if (r.error) o.write(`  ✗ ${say(r.error)}`);
      // A refusal that ends the approval (same approver, not yes) ends the run: stop asking.
      if (a.kind === 'confirm') return;
    }
  };

  const countdown = async (p: ApprovalPrompt, signal: AbortSignal) => {
    const until = p.waitUntil!.getTime();
    let lastLine = -1;
    const textFor = (left: number) => (o.lang === 'ko' ? `  2차 승인까지 ${left}초 (필수 대기, 건너뛸 수 없음)` : `  step 2 opens in ${left} s (enforced wait, cannot be skipped)`);
    // Ends the countdown line. Run when the phase moves on (the abort fires before the next phase
    // prints its box) or the loop ends: the line never has the next box glued to it, and when step
    // 2 opened between two ticks (the engine's wait and this display keep their own time) it ends
    // at 0 s, not at the last second it happened to show.
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const done = o.clock.now().getTime() >= until;
      if (o.liveOutput && liveCountdown !== undefined) {
        if (done) o.output.write(`\r${textFor(0)}   `);
        o.output.write('\n');
      } else if (!o.liveOutput && done && lastLine !== 0) o.write(textFor(0).trimStart());
      liveCountdown = undefined;
    };
    signal.addEventListener('abort', finish, { once: true });
    try {
      while (!signal.aborted) {
        const left = Math.max(0, Math.ceil((until - o.clock.now().getTime()) / 1000));
        const text = textFor(left);
        if (o.liveOutput) {
          liveCountdown = text;
          o.output.write(`\r${text}   `);
        } else if (lastLine < 0 || lastLine - left >= 10 || left === 0) {
          o.write(text.trimStart());
          lastLine = left;
        }
        if (left === 0) break;
        try {
          await o.clock.sleep(1000, signal);
        } catch {
          break;
        }
      }
    } finally {
      signal.removeEventListener('abort', finish);
      finish();
    }
  };

  const handle = async (p: ApprovalPrompt, signal: AbortSignal) => {
    const phase = p.phase ?? 'code';
    if (!planShown && p.plan?.length) {
      planShown = true;
      o.write(o.lang === 'ko' ? '실행할 내용 (호스트별, 순서대로):' : 'What will run, on which host, in order:');
      for (const line of planInLang(p.plan, runOf()?.steps ?? [], o.lang)) o.write(`  ${line}`);
    }
    if (!policyShown && p.requirement) {
      policyShown = true;
      // R-APR-6: which policy this approval is under, said before anyone is asked anything.
      if (p.requirement === 'proven') {
        o.write(
          o.lang === 'ko'
            ? '승인 정책: 증명 — 다른 사람이 자신의 OS 계정으로 `doai-console approve <id>`를 실행해야 합니다. 여기에 입력한 이름은 인정되지 않습니다'
            : 'approval policy: proven — another person runs `doai-console approve <id>` as their own OS user; a name typed here does not count',
        );
      } else {
        const demo = p.demoDeclared ? (o.lang === 'ko' ? ' (데모: 선언 승인)' : ' (demo: declared approvals)') : '';
        o.write(
          o.lang === 'ko'
            ? `승인 정책: 선언 — 여기에 입력한 이름은 증명이 아닌 선언으로 기록됩니다${demo}`
            : `approval policy: declared — a name typed here is recorded as declared, not proven${demo}`,
        );
      }
    }
    const proven = p.requirement === 'proven';
    if ((phase === 'code' || phase === 'step1' || phase === 'step2') && (!o.interactive || proven)) {
      // Nobody can type a code here, or a typed name would not count: only the request matters
      // (its lines come from onRequest).
      if (p.requestError) o.write(say(p.requestError));
      else if (p.requestId && proven) o.write(o.lang === 'ko' ? '다른 사용자의 승인을 기다리는 중 (증명된 승인만 인정됩니다)...' : 'waiting for another user to approve (only a proven approval counts)...');
      else if (p.requestId) o.write(o.lang === 'ko' ? '다른 사용자의 승인을 기다리는 중 (stdin이 터미널이 아니어서 코드를 입력할 수 없습니다)...' : 'waiting for another user to approve (stdin is not a terminal, so no code can be typed here)...');
      return;
    }
    if (phase === 'code' || phase === 'step1' || phase === 'step2') {
      // Named after the runbook and in the operator's language (a SQLite restore is no "SERVICE RESET").
      const run = runOf();
      const title = run
        ? approvalHeader({ runbook: run.runbook, title: run.title }, p.mode === 'two-step' ? 'two-step' : 'code', p.step, o.lang)
        : p.mode === 'two-step' ? `TWO-STEP VERIFICATION: STEP ${p.step} / 2` : 'CONFIRMATION';
      o.write(`┌ ${title}`);
      if (p.code) o.write(`│ code: ${p.code}  (valid until ${p.expiresAt ? hhmmss(p.expiresAt) : '?'}, ${p.triesLeft ?? 3} ${p.triesLeft === 1 ? 'try' : 'tries'})`);
      else o.write('│ the code is void (expired or 3 wrong tries)');
      if (p.step1) o.write(`│ step 1 approved by ${p.step1.name} at ${hhmmss(p.step1.at)}`);
      // The cross-session request (`doai-console approve <id>`) is announced by onRequest.
      if (p.requestError) o.write(`│ ${say(p.requestError)}`);
      o.write('└');
      if (!p.code) {
        const w = await ask('press Enter for a new code (or type cancel): ', signal);
        answer(w.trim().toLowerCase() === 'cancel' ? { kind: 'cancel' } : { kind: 'reissue' });
        return;
      }
      await askUntilAccepted(signal, async () => {
        const name = await ask(p.step === 2 ? 'step 2 approver name (not the step 1 approver): ' : 'approver name: ', signal);
        const code = await ask('code: ', signal);
        return { kind: 'approve', name, code };
      });
      return;
    }
    if (phase === 'waiting' && p.waitUntil) return countdown(p, signal);
    if (phase === 'reason') {
      await askUntilAccepted(signal, async () => ({ kind: 'reason', reason: await ask(o.lang === 'ko' ? '복구 사유: ' : 'reason for this box reset: ', signal) }));
      return;
    }
    if (phase === 'summary') {
      o.write('━━ Box Reset summary ━━');
      for (const line of p.summary ?? []) o.write(`  ${say(line)}`);
      answer({ kind: 'continue' });
      return;
    }
    if (phase === 'confirm-yes') {
      const w = await ask(o.lang === 'ko' ? '최종 실행? (yes 입력): ' : 'execute? type yes (anything else cancels): ', signal);
      const r = answer({ kind: 'confirm', word: w });
      if (!r.accepted && r.error) o.write(`  ✗ ${say(r.error)}`);
    }
  };

  const off = o.engine.on((ev) => {
    if (stopped || ev.runId !== o.runId || ev.type !== 'run.prompt') return;
    const p = ev.prompt && ev.prompt.kind === 'approval' ? ev.prompt : undefined;
    const reqKey = p ? `${p.requestId ?? ''}|${p.requestError ? say(p.requestError) : ''}` : '';
    // On a terminal the cross-session request coming or going must not restart the question
    // being typed, nor the countdown: its lines are printed above the question instead.
    const withRequest = p !== undefined && (!o.interactive || p.requirement === 'proven') && p.phase !== 'waiting';
    const key = p ? `${p.phase}|${p.step}|${p.code ?? ''}${withRequest ? `|${reqKey}` : ''}` : '';
    if (key === currentKey) {
      if (p && reqKey !== requestKey && p.requestError && o.interactive) note(say(p.requestError));
      requestKey = reqKey;
      return;
    }
    currentKey = key;
    requestKey = reqKey;
    currentKey = key;
    task?.abort();
    if (!p) return;
    const ac = new AbortController();
    task = ac;
    void handle(p, ac.signal).catch((err: unknown) => {
      if (ac.signal.aborted) return;
      if (err instanceof InputClosed) {
        o.write(
          o.lang === 'ko'
            ? 'stdin이 닫혀 입력할 수 없습니다 — 실행을 취소합니다. 터미널에서 다시 실행하세요'
            : 'stdin closed before the approval was complete — cancelling; run it again from a terminal (or pipe the reason and yes)',
        );
        answer({ kind: 'cancel' });
        return;
      }
      o.write(`approval prompt failed: ${(err as Error).message}`);
    });
  });

  return {
    stop() {
      stopped = true;
      off();
      task?.abort();
      clearInterval(keepAlive);
      closeTermRl();
      pipeRl?.close();
    },
    note,
  };
}
