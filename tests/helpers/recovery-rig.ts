// The L1/L2/L3 runbooks against the demo fleet: the real engine, the console's SSH client, the
// approval hook with a real approvals directory, an audit log and a FakeClock for every wait.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { AuditLog } from '../../src/audit/emergency-log';
import { createApprovalHook, type ApprovalHookOptions } from '../../src/approval/engine-hook';
import { configSchema, type Config } from '../../src/config/schema';
import { FakeClock } from '../../src/core/clock';
import type { ApprovalAnswer, RunPrompt } from '../../src/core/views';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { createRunEngine, type RunEngine } from '../../src/runbook/engine';
import type { RunEvent, RunOutcome } from '../../src/runbook/events';
import { parseRunbook } from '../../src/runbook/loader';
import type { Runbook } from '../../src/runbook/schema';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { FileLockStore } from '../../src/runbook/locks';

export const REPO = resolve(__dirname, '../..');

/** The run id of a start that must have been accepted (throws with the refusal otherwise). */
export function started(r: { ok: true; runId: string } | { ok: false; error: string }): string {
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

export function builtinRunbook(id: string): Runbook {
  const file = join(REPO, 'actions', `${id}.yaml`);
  const r = parseRunbook(readFileSync(file, 'utf8'), file);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.runbook;
}

export interface Rig {
  dir: string;
  fleet: DemoFleet;
  config: Config;
  clock: FakeClock;
  engine: RunEngine;
  shell: SshShell;
  events: RunEvent[];
  approvalsDir: string;
  snapshotsDir: string;
  auditPath: string;
  providerKey: string;
  audit(): string[];
  prompt(runId: string): Extract<RunPrompt, { kind: 'approval' }> | undefined;
  waitFor(pred: () => boolean, what: string, ms?: number): Promise<void>;
  waitPrompt(runId: string, pred: (p: Extract<RunPrompt, { kind: 'approval' }>) => boolean, what: string): Promise<Extract<RunPrompt, { kind: 'approval' }>>;
  answer(runId: string, a: ApprovalAnswer): { accepted: boolean; error?: { en: string; ko: string } };
  drive(runId: string, stepMs?: number): Promise<RunOutcome>;
  stop(): Promise<void>;
}

export async function startRig(opts: { provider?: boolean; hook?: Partial<ApprovalHookOptions>; clockStart?: number; timeScale?: number } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'doai-rig-'));
  const fleet = await startDemoFleet({ dir: join(dir, 'fleet'), timeScale: opts.timeScale ?? 50, nodeCount: 5 });
  const config = configSchema.parse(parse(readFileSync(fleet.configPath, 'utf8')));
  if (opts.provider === false) delete config.hosts[0]!.provider;
  const providerKey = process.env.DOAI_DEMO_PROVIDER_KEY!;
  const clock = new FakeClock(opts.clockStart ?? Date.now());
  const shell = createSshShell({ hosts: config.hosts, knownHostsPath: join(dir, 'no-known-hosts'), connectTimeoutMs: 3_000 });
  const approvalsDir = join(dir, 'approvals');
  const snapshotsDir = join(dir, 'snapshots');
  const auditPath = join(dir, 'emergency.log');
  mkdirSync(snapshotsDir, { recursive: true });
  // Wired as the console wires it: the demo config's approval policy (L3 declared, marked demo).
  const hook = createApprovalHook({ clock, approvalsDir, pollMs: 50, policy: config.approval, demo: config.demo !== undefined, ...opts.hook });
  const runbooks = new Map(['l1-soft-reset', 'l2-service-reset', 'l3-box-reset'].map((id) => [id, builtinRunbook(id)] as const));
  const engine = createRunEngine({
    config,
    runbooks,
    shell,
    clock,
    // Not one of the approvers the tests type (orion, vega): a declared name equal to the operator is refused.
    operator: 'kim',
    audit: new AuditLog(auditPath, { secrets: () => [providerKey] }),
    journalDir: join(dir, 'journal'),
    locks: new FileLockStore(join(dir, 'locks')),
    snapshotsDir,
    prepareApproval: (info) => hook.prepareApproval(info),
    batchMs: 0,
  });
  const events: RunEvent[] = [];
  engine.on((e) => events.push(e));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const prompt = (runId: string) => {
    const ev = [...events].reverse().find((e) => e.type === 'run.prompt' && e.runId === runId) as Extract<RunEvent, { type: 'run.prompt' }> | undefined;
    const p = ev?.prompt;
    return p && p.kind === 'approval' ? p : undefined;
  };
  const rig: Rig = {
    dir,
    fleet,
    config,
    clock,
    engine,
    shell,
    events,
    approvalsDir,
    snapshotsDir,
    auditPath,
    providerKey,
    audit: () => {
      try {
        return readFileSync(auditPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.replace(/^\[[^\]]+\] /, ''));
      } catch {
        return [];
      }
    },
    prompt,
    async waitFor(pred, what, ms = 5_000) {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
      }
    },
    async waitPrompt(runId, pred, what) {
      await rig.waitFor(() => {
        const p = prompt(runId);
        return p !== undefined && pred(p);
      }, what);
      return prompt(runId)!;
    },
    answer: (runId, a) => engine.answerApproval!(runId, a),
    async drive(runId, stepMs = 500) {
      let outcome: RunOutcome | undefined;
      void engine.waitFor(runId).then((o) => (outcome = o));
      const end = Date.now() + 60_000;
      while (outcome === undefined) {
        if (Date.now() > end) throw new Error(`run ${runId} did not finish; last events: ${JSON.stringify(events.slice(-5))}`);
        await clock.advance(stepMs);
        await sleep(3);
      }
      return outcome;
    },
    async stop() {
      for (const r of engine.activeRuns()) engine.cancel(r.runId);
      shell.close();
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
  return rig;
}

export function requestFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.request.json'));
  } catch {
    return [];
  }
}
