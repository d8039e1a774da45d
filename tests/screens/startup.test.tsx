// Issue 8: the console draws its first frame from the fleet store alone and gets the engine, runs,
// checklists and incidents right after (AppProps.startup). Meanwhile keys that need them say
// "starting…"; what the operator did meanwhile (the selection) survives their arrival.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App, type AppStartup } from '../../screens/app';
import { BatchedStore } from '../../src/core/store';
import { FakeRunControl, MemoryFleetStore, MemoryRunsStore, press, service, T0, waitForFrame } from './fixtures';

class Startup extends BatchedStore<AppStartup | undefined> {
  constructor() {
    super(undefined);
  }
  deliver(parts: AppStartup): void {
    this.set(parts);
  }
}

function setup() {
  const fleet = new MemoryFleetStore(
    [service({ name: 'alpha', state: 'DOWN', consecutiveFailures: 3, lastError: 'connection refused' }), service({ name: 'beta', state: 'DOWN', consecutiveFailures: 3, lastError: 'connection refused' })],
    { recommendation: { level: 'L1', runbook: 'l1-soft-reset', target: 'alpha', reason: { en: 'down', ko: '다운' } }, timeScale: 1 },
  );
  const startup = new Startup();
  const early = new MemoryRunsStore();
  const r = render(
    <App fleet={fleet} runs={early} startup={startup} lang="en" operator="orion" configPath="/tmp/console.yaml" width={100} height={30} clock={{ now: () => T0 }} onExit={() => {}} />,
  );
  const runs = new MemoryRunsStore();
  const control = new FakeRunControl(runs);
  return { ...r, startup, runs, control };
}

afterEach(() => cleanup());

describe('console starting (first frame before the engine)', () => {
  it('draws the services at once, not as a read-only console', async () => {
    const { lastFrame } = setup();
    const f = await waitForFrame(lastFrame, (s) => s.includes('beta'));
    expect(f).toMatch(/alpha\s+DOWN/);
    expect(f).toMatch(/beta\s+DOWN/);
    expect(f).not.toContain('READ-ONLY');
  });

  it('keys that need the engine, checklists or incidents say "starting…" and start nothing', async () => {
    const { lastFrame, stdin, startup, runs, control } = setup();
    await waitForFrame(lastFrame, (s) => s.includes('beta'));
    for (const id of ['runbook.recommended', 'runbook.l1', 'runbooks.show', 'checklist.list', 'incident.show']) {
      await press(stdin, id);
      const f = await waitForFrame(lastFrame, (s) => s.includes('starting…'));
      expect(f, id).toContain('starting…');
      // Still the dashboard: no picker, no checklist or incident screen opened.
      expect(f, id).toMatch(/beta\s+DOWN/);
    }
    startup.deliver({ runs, control });
    await waitForFrame(lastFrame, () => false, 100);
    expect(control.starts).toEqual([]);
  });

  it('keeps the selection moved meanwhile, shows the start-up notice when it arrives, then keys act', async () => {
    const { lastFrame, stdin, startup, runs, control } = setup();
    await waitForFrame(lastFrame, (s) => s.includes('beta'));
    await press(stdin, 'select.down');
    expect(await waitForFrame(lastFrame, (s) => /› beta/.test(s))).toMatch(/› beta/);
    startup.deliver({ runs, control, notice: 'Interrupted: l1-soft-reset on beta' });
    const f = await waitForFrame(lastFrame, (s) => s.includes('Interrupted: l1-soft-reset on beta'));
    expect(f).toContain('Interrupted: l1-soft-reset on beta');
    expect(f).toMatch(/› beta/);
    await press(stdin, 'runbook.l1');
    expect(control.starts.map((s) => [s.runbookId, s.target])).toEqual([['l1-soft-reset', 'beta']]);
  });
});
