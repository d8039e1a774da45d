// The approval code and seed 000's `START - Confirm: <code>` line on a real `serve` (the built
// binary) with a console attached over its socket (R-AUD-1, R-AUD-3, R-SRV-3). While an L2 form
// waits, its code is on the requester's console only: not in emergency.log, the run journal, the
// state folder (intent history), the server's log on stderr, the `run.events` pages any console
// may read, `status --json` or another user's approvals listing. Once the code is used, void
// (three wrong tries) or the run cancelled, START carries it in the seed's format, before the
// approval's line and every step.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, watchOutput } from '../helpers/cli';
import { attachedDemo, waitUntil, type AttachedDemo, type RawClient, type RunningServer } from '../helpers/console-server';
import type { ServedDemo } from '../helpers/demo-serve';
import { requireRoot } from '../helpers/requirements';

requireRoot('another user (nobody) lists the pending approvals');

const NOBODY = 65534;
let demo: ServedDemo;
let socket = '';
let server: RunningServer;
let c: RawClient;
let served: AttachedDemo;

const intent = (name: string, args: unknown): Promise<Record<string, unknown>> => served.intent(name, args);

type RunLite = { runId: string; state: string; prompt?: { kind: string; code?: string; step?: number } };
function run(runId: string): RunLite | undefined {
  const snaps = c.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console');
  return ((snaps.at(-1)?.data as { runs?: RunLite[] } | undefined)?.runs ?? []).find((r) => r.runId === runId);
}

const auditPath = () => join(dirname(demo.configPath), 'emergency.log');
const auditLines = () => (existsSync(auditPath()) ? readFileSync(auditPath(), 'utf8').split('\n').filter(Boolean) : []);

/** Every file the server keeps for runs and intents (journals, history, state), as one text. */
function records(): string {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && st.size < 5_000_000) out.push(readFileSync(p, 'utf8'));
    }
  };
  for (const sub of ['journal', 'state', 'incidents']) walk(join(dirname(demo.configPath), sub), 0);
  if (existsSync(auditPath())) out.push(readFileSync(auditPath(), 'utf8'));
  return out.join('\n');
}

/** `doai-console approve` (the listing) as another OS user, attached. */
async function listingAsNobody(): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'approve', '--socket', socket], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1', DOAI_CONSOLE_CONFIG: '' },
    stdio: 'pipe',
  });
  const p = watchOutput(child, 30_000);
  expect(await p.exit).toBe(0);
  return p.out();
}

/** An attached L2 up to its form: the requester's console has the code, nothing else does. */
async function pendingL2(before: number): Promise<{ runId: string; code: string }> {
  const res = (await intent('run.start', { runbook: 'l2-service-reset', target: 'doai-orchestrator' })) as { ok: boolean; value?: { ok: boolean; runId: string } };
  expect(res, JSON.stringify(res)).toMatchObject({ ok: true, value: { ok: true } });
  const runId = res.value!.runId;
  const prompt = await waitUntil('the code on the requester\'s console', () => {
    const p = run(runId)?.prompt;
    return p?.kind === 'approval' && p.code ? p : undefined;
  });
  const code = prompt.code!;
  expect(code).toMatch(/^[0-9A-F]{6}$/);
  // The journal has the form by now (what watchers replay), without the code.
  await waitUntil('the form in the run journal', () => existsSync(join(dirname(demo.configPath), 'journal', `${runId}.jsonl`)) && readFileSync(join(dirname(demo.configPath), 'journal', `${runId}.jsonl`), 'utf8').includes('"run.prompt"'));
  expect(auditLines().slice(before)).toEqual([]);
  expect(records()).not.toContain(code);
  expect(server.log()).not.toContain(code);
  const page = await intent('run.events', { runId, after: 0 });
  expect(JSON.stringify(page)).toContain('"run.prompt"');
  expect(JSON.stringify(page)).not.toContain(code);
  const status = await runCli(['status', '--json', '--socket', socket]);
  expect(status.stdout).not.toContain(code);
  const listing = await listingAsNobody();
  expect(listing).toContain('l2-service-reset');
  expect(listing).not.toContain(code);
  return { runId, code };
}

async function ended(runId: string): Promise<void> {
  await waitUntil(`run ${runId} over`, () => {
    const r = run(runId);
    return r !== undefined && r.state !== 'running';
  }, 60_000);
}

const seedStart = (code: string) => new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d\\] L2_SERVICE_RESET: START - Confirm: ${code}$`);
const since = (n: number) => auditLines().slice(n).map((l) => l.replace(/^\[[^\]]+\] /, ''));

beforeAll(async () => {
  if (!existsSync(join(__dirname, '../../dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  served = await attachedDemo('doai-code-attached-', ['console']);
  ({ demo, socket, server, client: c } = served);
}, 60_000);

afterAll(async () => {
  await served?.stop();
});

describe('attached: the approval code reaches no record while it can approve', () => {
  it('approved: START - Confirm: <code> in the seed format once used, before STEP1_APPROVED and the steps', async () => {
    const before = auditLines().length;
    const { runId, code } = await pendingL2(before);
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    expect(await intent('run.answer', { runId, answer: { kind: 'approve', name: 'vega', code: wrong } })).toMatchObject({ ok: true, value: { accepted: false } });
    await waitUntil('the refused try in the log', () => since(before).length > 0);
    expect(records()).not.toContain(code);
    expect(await intent('run.answer', { runId, answer: { kind: 'approve', name: 'vega', code } })).toMatchObject({ ok: true, value: { accepted: true } });
    await waitUntil('the first step', () => since(before).includes('L2_SERVICE_RESET: SNAPSHOT_SAVED'), 30_000);
    expect(since(before).slice(0, 4)).toEqual([
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by root)',
      `L2_SERVICE_RESET: START - Confirm: ${code}`,
      'L2_SERVICE_RESET: STEP1_APPROVED by vega (declared by root)',
      'L2_SERVICE_RESET: SNAPSHOT_SAVED',
    ]);
    expect(auditLines()[before + 1]).toMatch(seedStart(code));
    // Used: the code may be read now, once, in that line.
    expect(records().split(`START - Confirm: ${code}`).length).toBeGreaterThan(1);
    expect(await intent('run.cancel', { runId })).toMatchObject({ ok: true });
    await ended(runId);
  }, 120_000);

  it('cancelled while the form waits: START with the dead code, then CANCELLED by user', async () => {
    const before = auditLines().length;
    const { runId, code } = await pendingL2(before);
    expect(await intent('run.cancel', { runId })).toMatchObject({ ok: true });
    await ended(runId);
    expect(since(before)).toEqual([`L2_SERVICE_RESET: START - Confirm: ${code}`, 'L2_SERVICE_RESET: CANCELLED by user']);
    expect(auditLines()[before]).toMatch(seedStart(code));
  }, 90_000);

  it('void after three wrong tries: START with the dead code before the third refusal; nothing ran', async () => {
    const before = auditLines().length;
    const { runId, code } = await pendingL2(before);
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    for (let i = 0; i < 3; i++) await intent('run.answer', { runId, answer: { kind: 'approve', name: 'vega', code: wrong } });
    await waitUntil('the void code in the log', () => since(before).length >= 4);
    expect(since(before)).toEqual([
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (2 tries left): vega (declared by root)',
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (1 try left): vega (declared by root)',
      `L2_SERVICE_RESET: START - Confirm: ${code}`,
      'L2_SERVICE_RESET: STEP1_REJECTED - Wrong code (3 wrong tries, code void): vega (declared by root)',
    ]);
    expect(await intent('run.cancel', { runId })).toMatchObject({ ok: true });
    await ended(runId);
    expect(since(before).at(-1)).toBe('L2_SERVICE_RESET: CANCELLED by user');
    expect(since(before).some((l) => /SNAPSHOT_SAVED|STEP1_APPROVED/.test(l))).toBe(false);
  }, 90_000);
});
