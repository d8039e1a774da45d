// What each step kind does. The engine loop only knows this registry: a later kind
// (provider-reboot, snapshot, notify) registers here with its schema in schema.ts and the loop
// stays as it is.
import type { Clock } from '../core/clock';
import type { RunPrompt } from '../core/views';
import type { HostConfig, ServiceConfig } from '../config/schema';
import type { probeHttp } from '../health/http-probe';
import { SshError, type RemoteShell, type TrustFailure } from '../ssh/types';
import type { OutputStream } from './events';
import type { Check, ConfirmStep, HttpCheck, HttpStep, PollStep, SshCheck, SshStep, Step, WaitStep } from './schema';

export interface StepContext {
  runId: string;
  /** Aborted by cancel or interrupt: end what runs now and return. */
  signal: AbortSignal;
  clock: Clock;
  shell: RemoteShell;
  httpProbe: typeof probeHttp;
  hosts: Map<string, HostConfig>;
  /** The config's services (checks that look at every service of a host). */
  services?: readonly ServiceConfig[];
  /** Local folder for this run's snapshot copies (paths.snapshots_dir/<run id>). */
  snapshotsDir?: string;
  /** Where secrets named in the config (provider API keys) are read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  output(stream: OutputStream, line: string): void;
  progress(detail: string): void;
  prompt(prompt: RunPrompt | null): void;
  /** Resolves when the operator confirms (RunControl.confirm); rejects when the run is aborted. */
  waitForConfirm(): Promise<void>;
}

/**
 * `trust`: the step failed because a host's identity was refused (changed or unknown host key):
 * the run ends there whatever the step allows, and offers no escalation (every level connects
 * the same way).
 */
export type StepResult = { outcome: 'ok'; message?: string } | { outcome: 'failed'; message: string; trust?: TrustFailure };

/** The failed result for an SSH error: a refused host key keeps its trust failure. */
export function sshFailure(err: unknown, prefix = ''): StepResult {
  const message = `${prefix}${(err as Error)?.message || String(err)}`;
  return err instanceof SshError && err.trust ? { outcome: 'failed', message, trust: err.trust } : { outcome: 'failed', message };
}

export interface StepKind<S extends { kind: string } = Step> {
  run(step: S, ctx: StepContext): Promise<StepResult>;
  /** The dry-run lines: what would run, where, in order (without the "[dry-run] " prefix). */
  describe(step: S, ctx: Pick<StepContext, 'hosts'>): string[];
}

const registry = new Map<string, StepKind<{ kind: string }>>();

export function registerStepKind<S extends { kind: string }>(kind: S['kind'], impl: StepKind<S>): void {
  registry.set(kind, impl as unknown as StepKind<{ kind: string }>);
}

export function stepKind(kind: string): StepKind<{ kind: string }> | undefined {
  return registry.get(kind);
}

export function registeredKinds(): string[] {
  return [...registry.keys()];
}

/** A check `poll` repeats (http, ssh, ssh-connect, host-health); registered like step kinds. */
export interface CheckKind<C extends { kind: string } = Check> {
  run(check: C, ctx: StepContext): Promise<StepResult>;
  describe(check: C, ctx: Pick<StepContext, 'hosts'>): string;
}

const checks = new Map<string, CheckKind<{ kind: string }>>();

export function registerCheckKind<C extends { kind: string }>(kind: C['kind'], impl: CheckKind<C>): void {
  checks.set(kind, impl as unknown as CheckKind<{ kind: string }>);
}

export function runCheck(check: Check, ctx: StepContext): Promise<StepResult> {
  const impl = checks.get(check.kind);
  if (!impl) return Promise.resolve({ outcome: 'failed', message: `check kind "${check.kind}" is not available in this console` });
  return impl.run(check, ctx);
}

function secondsText(s: number): string {
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

// Real time, not the clock: a remote command's timeout is a real duration even in the demo.
function realDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Runs one remote command with its timeout. The shell ends the command when timeoutMs passes;
 * the engine also aborts it shortly after, so a shell that misses its deadline cannot hang a run.
 */
export async function execRemote(host: string, command: string, timeoutS: number, ctx: StepContext): Promise<StepResult> {
  const timeoutMs = Math.round(timeoutS * 1000);
  const guard = new AbortController();
  const signal = AbortSignal.any([ctx.signal, guard.signal]);
  let guardFired = false;
  const timer = setTimeout(function due() {
    // The shell's own timeout waits while the operator types a passphrase; so does this guard.
    if (ctx.shell.waitingForOperator?.()) return void timer.refresh();
    guardFired = true;
    guard.abort(new Error('timeout'));
  }, timeoutMs + 1000);
  timer.unref?.();
  const exec = ctx.shell.exec(host, command, { timeoutMs, signal, onLine: (stream, line) => ctx.output(stream, line) });
  // If the shell ignores the abort, stop waiting for it 5 s later.
  const giveUp = new Promise<'gave-up'>((resolve) =>
    signal.addEventListener('abort', () => void realDelay(5000).then(() => resolve('gave-up')), { once: true }),
  );
  try {
    const res = await Promise.race([exec, giveUp]);
    if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
    if (res === 'gave-up' || res.timedOut || guardFired) return { outcome: 'failed', message: `timed out after ${secondsText(timeoutS)}` };
    if (res.cancelled) return { outcome: 'failed', message: 'cancelled' };
    if (res.code === 0) return { outcome: 'ok' };
    if (res.code !== null) return { outcome: 'failed', message: `exit code ${res.code}` };
    if (res.signal) return { outcome: 'failed', message: `ended by signal ${res.signal}` };
    if (res.lostConnection) return { outcome: 'failed', message: 'the SSH connection was lost before the command finished; it may still be running on the host — check it before retrying' };
    return { outcome: 'failed', message: 'the connection closed before the command finished' };
  } catch (err) {
    if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
    if (guardFired) return { outcome: 'failed', message: `timed out after ${secondsText(timeoutS)}` };
    // ssh prints its refusal on stderr; so does the step, so the output pane shows it whole.
    if (err instanceof SshError && err.trust) ctx.output('stderr', err.message);
    return sshFailure(err);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHttp(check: HttpCheck | HttpStep, ctx: StepContext): Promise<StepResult> {
  const res = await ctx.httpProbe(check.url, {
    timeoutMs: Math.round(check.timeout_s * 1000),
    expectStatus: check.expect_status,
    method: check.method,
    keepBody: check.expect_body || check.json ? 65_536 : 0,
    signal: ctx.signal,
  });
  if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
  const what = `${check.method} ${check.url}`;
  if (!res.ok) return { outcome: 'failed', message: `${what}: ${res.error ?? `HTTP ${res.status}`}` };
  if (check.expect_body && !(res.body ?? '').includes(check.expect_body)) {
    return { outcome: 'failed', message: `${what}: HTTP ${res.status} but the body lacks ${JSON.stringify(check.expect_body)}` };
  }
  if (check.json) {
    const why = jsonBodyProblem(res.body ?? '', check.json);
    if (why) return { outcome: 'failed', message: `${what}: HTTP ${res.status} but ${why}` };
  }
  if (check.max_latency_ms !== undefined && res.latencyMs > check.max_latency_ms) {
    return { outcome: 'failed', message: `${what}: slow, ${res.latencyMs} ms (limit ${check.max_latency_ms} ms)` };
  }
  return { outcome: 'ok', message: `HTTP ${res.status} in ${res.latencyMs} ms` };
}

type JsonScalar = string | number | boolean | null;

/** Why a body does not hold these JSON fields (`{ status: ok }`, dotted paths nest), or undefined when it does. */
export function jsonBodyProblem(body: string, expected: Record<string, JsonScalar>): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    const shown = body.trim().slice(0, 60);
    return `the body is not JSON (${shown ? JSON.stringify(shown) : 'empty'})`;
  }
  for (const [path, want] of Object.entries(expected)) {
    let at: unknown = doc;
    for (const key of path.split('.')) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined;
    if (at === undefined) return `the JSON body has no field "${path}" (expected ${JSON.stringify(want)})`;
    if (at !== want) return `the JSON field "${path}" is ${JSON.stringify(at)?.slice(0, 60)}, expected ${JSON.stringify(want)}`;
  }
  return undefined;
}

function jsonText(json: Record<string, JsonScalar> | undefined): string {
  return json ? ` and JSON ${Object.entries(json).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` : '';
}

function userAt(hostName: string, hosts: Map<string, HostConfig>): string {
  return `${hosts.get(hostName)?.user ?? 'root'}@${hostName}`;
}

function describeCheck(check: Check, hosts: Map<string, HostConfig>): string {
  const impl = checks.get(check.kind);
  return impl ? impl.describe(check, { hosts }) : `${check.kind} check`;
}

registerCheckKind<HttpCheck>('http', {
  run: (check, ctx) => checkHttp(check, ctx),
  describe: (check) => `http ${check.method} ${check.url} → expect ${check.expect_status}${jsonText(check.json)} (timeout ${secondsText(check.timeout_s)})`,
});

registerCheckKind<SshCheck>('ssh', {
  run: (check, ctx) => execRemote(check.host!, check.run, check.timeout_s, ctx),
  describe: (check, ctx) => `ssh ${userAt(check.host!, ctx.hosts)}: ${check.run} (timeout ${secondsText(check.timeout_s)})`,
});

registerStepKind<SshStep>('ssh', {
  run: (step, ctx) => execRemote(step.host!, step.run, step.timeout_s, ctx),
  describe: (step, ctx) => [`ssh ${userAt(step.host!, ctx.hosts)}: ${step.run}`],
});

registerStepKind<HttpStep>('http', {
  async run(step, ctx) {
    const res = await checkHttp(step, ctx);
    ctx.output(res.outcome === 'ok' ? 'stdout' : 'stderr', res.outcome === 'ok' ? `${step.method} ${step.url}: ${res.message}` : res.message);
    return res;
  },
  describe: (step) => [`http ${step.method} ${step.url} → expect ${step.expect_status}${jsonText(step.json)} (timeout ${secondsText(step.timeout_s)})`],
});

registerStepKind<WaitStep>('wait', {
  async run(step, ctx) {
    let leftMs = Math.round(step.seconds * 1000);
    // Bounded: one iteration per second of the wait.
    while (leftMs > 0) {
      ctx.progress(`${Math.ceil(leftMs / 1000)} s left`);
      const chunk = Math.min(1000, leftMs);
      await ctx.clock.sleep(chunk, ctx.signal);
      leftMs -= chunk;
    }
    return { outcome: 'ok' };
  },
  describe: (step) => [`wait ${secondsText(step.seconds)}`],
});

registerStepKind<PollStep>('poll', {
  async run(step, ctx) {
    const intervalMs = Math.round(step.interval_s * 1000);
    const deadline = step.deadline_s !== undefined ? ctx.clock.now().getTime() + step.deadline_s * 1000 : Infinity;
    const attempts = step.attempts ?? Math.min(10_000, Math.ceil((step.deadline_s! * 1000) / intervalMs) + 1);
    let last = '';
    for (let i = 1; i <= attempts; i++) {
      ctx.progress(`attempt ${i}/${attempts}`);
      const res = await runCheck(step.check, ctx);
      if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
      if (res.outcome === 'ok') {
        ctx.output('stdout', `attempt ${i}/${attempts}: ok${res.message ? ` (${res.message})` : ''}`);
        return { outcome: 'ok', message: `passed on attempt ${i}/${attempts}` };
      }
      last = res.message;
      ctx.output('stderr', `attempt ${i}/${attempts}: ${res.message}`);
      // Polling cannot make a refused host key trusted.
      if (res.trust) return { ...res, message: `attempt ${i}/${attempts}: ${res.message}` };
      if (i === attempts || ctx.clock.now().getTime() + intervalMs > deadline) {
        return { outcome: 'failed', message: `still failing after ${i} attempt${i === 1 ? '' : 's'}: ${last}` };
      }
      await ctx.clock.sleep(intervalMs, ctx.signal);
    }
    return { outcome: 'failed', message: `still failing: ${last}` };
  },
  describe: (step, ctx) => {
    const times = step.attempts !== undefined ? `up to ${step.attempts} ×` : '';
    const until = step.deadline_s !== undefined ? ` for at most ${secondsText(step.deadline_s)}` : '';
    return [`poll ${times} every ${secondsText(step.interval_s)}${until}: ${describeCheck(step.check, ctx.hosts)}`.replace('poll  every', 'poll every')];
  },
});

registerStepKind<ConfirmStep>('confirm', {
  async run(step, ctx) {
    ctx.prompt({ kind: 'confirm', stepId: step.id, message: step.prompt });
    try {
      await ctx.waitForConfirm();
    } finally {
      ctx.prompt(null);
    }
    return { outcome: 'ok', message: 'confirmed' };
  },
  describe: (step) => [`confirm: ${step.prompt.en}`],
});
