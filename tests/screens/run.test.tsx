import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import type { Recommendation } from '../../src/core/views';
import { delay, MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const recommendation: Recommendation = {
  level: 'L1',
  runbook: 'l1-soft-reset',
  target: 'doai-orchestrator',
  reason: { en: 'latency over 5 s', ko: '지연 5초 초과' },
};

const at = (ms: number) => new Date(T0.getTime() + ms);

/** Renders the console and starts the recommended L1 run from the dashboard, as an operator would. */
async function startRun(opts: { lang?: 'en' | 'ko'; height?: number } = {}) {
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'SLOW', latencyMs: 6200 })], { recommendation });
  const r = renderApp({ fleet, lang: opts.lang ?? 'en', configPath: 'console.yaml', width: 80, height: opts.height ?? 24, clock: { now: () => at(10_000) } });
  await delay();
  await press(r.stdin, 'runbook.recommended');
  expect(r.control.starts).toHaveLength(1);
  return { ...r, runId: 'run-1' };
}

const frame = async (lastFrame: () => string | undefined) => {
  await delay();
  return lastFrame() ?? '';
};

afterEach(() => cleanup());

describe('run screen', () => {
  it('shows each step with its state icon, duration and detail', async () => {
    const { lastFrame, runs, runId } = await startRun();
    runs.updateStep(runId, 'health', { state: 'ok', startedAt: at(0), finishedAt: at(1200) });
    runs.updateStep(runId, 'restart', { state: 'ok', startedAt: at(1200), finishedAt: at(3400) });
    runs.updateStep(runId, 'status', { state: 'skipped' });
    runs.updateStep(runId, 'verify', { state: 'running', startedAt: at(4000), detail: 'attempt 3/6' });
    const f = await frame(lastFrame);
    expect(f).toMatch(/✓ Health check \(10 s timeout\) +1\.2s/);
    expect(f).toMatch(/✓ systemctl restart +2\.2s/);
    expect(f).toMatch(/− systemctl status/);
    // Running: duration so far against the injected clock (10 s - 4 s).
    expect(f).toMatch(/▶ Verify \/health 6 × 5 s +6\.0s +attempt 3\/6/);
    expect(f).toContain('L1 Soft Reset · doai-orchestrator · orion · RUNNING');
  });

  it('shows pending, failed and cancelled icons', async () => {
    const { lastFrame, runs, runId } = await startRun();
    runs.updateStep(runId, 'health', { state: 'failed', startedAt: at(0), finishedAt: at(10_000), detail: 'timeout after 10 s' });
    runs.updateStep(runId, 'restart', { state: 'cancelled' });
    const f = await frame(lastFrame);
    expect(f).toMatch(/✗ Health check.*10\.0s +timeout after 10 s/);
    expect(f).toMatch(/⊘ systemctl restart/);
    expect(f).toMatch(/· Verify/);
  });

  it('streamed output lines appear, stderr marked with !', async () => {
    const { lastFrame, runs, runId } = await startRun();
    expect(await frame(lastFrame)).toContain('no output yet');
    runs.pushOutput(runId, 'restart', 'stdout', '● doai-orchestrator.service - DoAI Orchestrator');
    runs.pushOutput(runId, 'restart', 'stderr', 'Job for doai-orchestrator.service failed');
    const f = await waitForFrame(lastFrame, (x) => x.includes('Job for'));
    expect(f).toContain('  ● doai-orchestrator.service - DoAI Orchestrator');
    expect(f).toContain('! Job for doai-orchestrator.service failed');
    expect(f).not.toContain('no output yet');
  });

  it('shows only the last lines that fit, each cut to the width, and escape sequences stripped', async () => {
    const { lastFrame, runs, runId } = await startRun();
    for (let i = 1; i <= 100; i++) runs.pushOutput(runId, 'restart', 'stdout', `line ${i} ${'x'.repeat(i === 100 ? 200 : 1)}`);
    runs.pushOutput(runId, 'restart', 'stdout', 'colour \u001b[31mred\u001b[0m \u001b[2J done');
    const f = await waitForFrame(lastFrame, (x) => x.includes('colour'));
    expect(f).toContain('colour red  done');
    expect(f).not.toContain('\u001b[2J');
    expect(f).toContain('line 99 x');
    expect(f).not.toMatch(/line 50 /);
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
  });

  it('PgUp scrolls the output back, PgDn returns to the latest', async () => {
    const { stdin, lastFrame, runs, runId } = await startRun();
    for (let i = 1; i <= 60; i++) runs.pushOutput(runId, 'restart', 'stdout', `out-${i}-end`);
    await waitForFrame(lastFrame, (x) => x.includes('out-60-end'));
    await press(stdin, 'log.up');
    const up = await frame(lastFrame);
    expect(up).not.toContain('out-60-end');
    expect(up).toMatch(/lines up/);
    await press(stdin, 'log.down');
    expect(await frame(lastFrame)).toContain('out-60-end');
  });

  it('c then y calls control.cancel for this run', async () => {
    const { stdin, lastFrame, control, runId } = await startRun();
    await press(stdin, 'run.cancel');
    expect(await frame(lastFrame)).toContain('Cancel L1 Soft Reset on doai-orchestrator? This ends the remote command (y/n)');
    expect(control.cancels).toEqual([]);
    await press(stdin, 'confirm.yes');
    expect(control.cancels).toEqual([runId]);
  });

  it('a cancel the server refuses (answered later) is said in the message bar', async () => {
    const { stdin, lastFrame, control, runId } = await startRun();
    // As a console attached to a server answers: later, and here with a refusal.
    control.cancel = (id: string) => {
      control.cancels.push(id);
      return Promise.reject(new Error('refused: run.cancel needs the operator role; bob has role viewer')) as unknown as void;
    };
    await press(stdin, 'run.cancel');
    await press(stdin, 'confirm.yes');
    expect(control.cancels).toEqual([runId]);
    await waitForFrame(lastFrame, (x) => x.includes('refused: run.cancel needs the operator role'));
  });

  it('c then n does not cancel', async () => {
    const { stdin, lastFrame, control } = await startRun();
    await press(stdin, 'run.cancel');
    await press(stdin, 'confirm.no');
    const f = await waitForFrame(lastFrame, (x) => !x.includes('This ends the remote command'));
    expect(f).not.toContain('This ends the remote command');
    expect(f).toContain('RUNNING');
    expect(control.cancels).toEqual([]);
  });

  it('Enter answers a confirm prompt, and only when there is one', async () => {
    const { stdin, lastFrame, runs, control, runId } = await startRun();
    await press(stdin, 'run.confirm');
    expect(control.confirms).toEqual([]);
    expect(await frame(lastFrame)).toContain('nothing to confirm');
    runs.updateRun(runId, { prompt: { kind: 'confirm', stepId: 'reboot', message: { en: 'Reboot the box in the provider console, then press Enter', ko: '재부팅 후 Enter' } } });
    expect(await frame(lastFrame)).toContain('Reboot the box in the provider console, then press Enter');
    await press(stdin, 'run.confirm');
    expect(control.confirms).toEqual([runId]);
  });

  it('after FAILED with escalateTo, e starts the escalation on the same target', async () => {
    const { stdin, lastFrame, runs, control, runId } = await startRun();
    await press(stdin, 'run.escalate'); // still running: nothing
    expect(control.starts).toHaveLength(1);
    runs.updateStep(runId, 'verify', { state: 'failed', startedAt: at(0), finishedAt: at(30_000), detail: 'no 200 in 6 attempts' });
    runs.updateRun(runId, { state: 'failed', finishedAt: at(30_000), message: 'health not back in 30 s', escalateTo: 'l2-service-reset' });
    const f = await frame(lastFrame);
    expect(f).toContain('FAILED');
    expect(f).toContain('L1 failed → press e for L2 Service Reset on doai-orchestrator');
    await press(stdin, 'run.escalate');
    expect(control.starts.at(-1)).toEqual({ runbookId: 'l2-service-reset', target: 'doai-orchestrator', opts: { dryRun: false } });
    expect(await frame(lastFrame)).toContain('L2 Service Reset · doai-orchestrator');
  });

  it('shows SUCCESS, CANCELLED and "manual inspection required" verdicts', async () => {
    const { lastFrame, runs, runId } = await startRun();
    runs.updateRun(runId, { state: 'success', message: 'health 200 after 2 attempts' });
    expect(await frame(lastFrame)).toMatch(/✓ SUCCESS — health 200 after 2 attempts/);
    // The seeds' own mark is not repeated after the verdict's (issue 12 item 16).
    runs.updateRun(runId, { state: 'success', message: '✅ L1 recovery succeeded' });
    expect(await frame(lastFrame)).toMatch(/✓ SUCCESS — L1 recovery succeeded/);
    expect(await frame(lastFrame)).not.toContain('✅');
    runs.updateRun(runId, { state: 'failed', escalateTo: undefined, message: '❌ L3 failed' });
    expect(await frame(lastFrame)).toMatch(/✗ FAILED — L3 failed/);
    runs.updateRun(runId, { state: 'cancelled', message: undefined });
    expect(await frame(lastFrame)).toMatch(/⊘ CANCELLED/);
    runs.updateRun(runId, { state: 'failed', escalateTo: undefined, message: 'SSH did not come back' });
    expect(await frame(lastFrame)).toMatch(/✗ FAILED — SSH did not come back — manual inspection required/);
  });

  it('q on the run screen backs out to the dashboard; q there, while a run is active, asks; n stays; y calls onExit', async () => {
    const { stdin, lastFrame, exits } = await startRun();
    const footer = (await frame(lastFrame)).split('\n').at(-1) ?? '';
    expect(footer).toContain('Esc back');
    expect(footer).not.toContain('q quit');
    await press(stdin, 'quit'); // q: one level back, never out of the console
    expect(exits).toEqual([]);
    expect(await frame(lastFrame)).not.toContain('quit anyway?');
    expect(await frame(lastFrame)).toMatch(/SERVICE +STATE/);
    await press(stdin, 'quit');
    expect(await frame(lastFrame)).toContain('A run is active — quit anyway? (y/n)');
    expect(exits).toEqual([]);
    await press(stdin, 'confirm.no');
    expect(exits).toEqual([]);
    await press(stdin, 'run.open');
    expect(await frame(lastFrame)).toContain('RUNNING');
    await press(stdin, 'quit', 1); // Ctrl-C quits from any screen, asking the same way
    expect(await frame(lastFrame)).toContain('quit anyway?');
    await press(stdin, 'confirm.yes');
    expect(exits).toEqual([0]);
  });

  it('Esc goes back to the dashboard and Enter opens the run again', async () => {
    const { stdin, lastFrame } = await startRun();
    await press(stdin, 'run.back');
    const dash = await frame(lastFrame);
    expect(dash).toContain('SERVICE');
    expect(dash).toContain('Last run: L1 Soft Reset on doai-orchestrator — RUNNING');
    await press(stdin, 'run.open');
    expect(await frame(lastFrame)).toContain('L1 Soft Reset · doai-orchestrator · orion · RUNNING');
  });

  it('footer shows the run keys; Korean run screen fits 80 columns', async () => {
    const { lastFrame, runs, runId } = await startRun({ lang: 'ko' });
    runs.pushOutput(runId, 'restart', 'stderr', '서비스를 재시작할 수 없습니다: 권한이 거부되었습니다 — 관리자에게 문의하세요 (permission denied)');
    const f = await waitForFrame(lastFrame, (x) => x.includes('! 서비스를'));
    const footer = f.split('\n').at(-1) ?? '';
    expect(footer).toContain('c 취소');
    expect(footer).toContain('Ctrl-C 종료');
    for (const line of f.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
  });
});
