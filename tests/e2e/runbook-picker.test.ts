// The runbook picker on the built binary in a real terminal (tmux) against the demo fleet:
// b → the list for the selected service → l1-soft-reset → its form → Enter runs it to SUCCESS
// with its audit lines; then d on l2-service-reset shows its plan, runs nothing, writes DRY_RUN;
// on caddy (a proxy) only what fits is offered and L2 is refused with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { demoConsoleInTmux, stopDemoConsole, type ServedDemo } from '../helpers/demo-serve';
import type { TmuxSession } from '../helpers/tmux';

let demo: ServedDemo;
let term: TmuxSession;
let auditPath: string;

function audit(): string[] {
  try {
    return readFileSync(auditPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Presses j/k until the picker's cursor row shows `id`. */
async function cursorTo(id: string): Promise<void> {
  for (let i = 0; i < 12; i++) {
    if (new RegExp(`› L\\d\\s+${id}\\s`).test(term.screen())) return;
    term.send('j');
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the picker never put the cursor on ${id}:\n${term.screen()}`);
}

beforeAll(async () => {
  ({ demo, term, auditPath } = await demoConsoleInTmux({ cols: 80, rows: 24 }));
}, 30_000);

afterAll(() => stopDemoConsole({ demo, term }));

describe('runbook picker in a real terminal', () => {
  it('b opens the picker for the selected service; l1-soft-reset from its form runs to SUCCESS', async () => {
    await term.waitFor(/doai-orchestrator\s+UP/);
    await term.waitFor(/db-proxy\s+UP/);
    // Services are worst first, then by name: caddy, db-proxy (on demo-db), then doai-orchestrator.
    term.send('j');
    await term.waitFor(/› db-proxy/);
    term.send('j');
    await term.waitFor(/› doai-orchestrator/);
    term.send('b');
    // Only what fits an orchestrator: L1, L2, L3 (no pm2, postgres, nginx, compose, sqlite or git runbook).
    let screen = await term.waitFor(/Runbooks for doai-orchestrator — \d+ of \d+/);
    expect(screen).toMatch(/L3\s+l3-box-reset\s+two-step\s+host demo-vm/);
    for (const misfit of ['pm2-restart', 'postgres-restart', 'nginx-restart', 'compose-restart', 'sqlite-restore', 'git-rollback']) expect(screen).not.toContain(misfit);
    await cursorTo('l1-soft-reset');
    term.send('Enter');
    screen = await term.waitFor('L1 · L1 Soft Reset · auto approval · l1-soft-reset');
    expect(screen).toMatch(/› target \(service\):\s+doai-orchestrator/);
    term.send('Enter');
    // The orchestrator is UP: the console asks before restarting it.
    await term.waitFor(/doai-orchestrator is UP — restart anyway with L1 Soft Reset\? \(y\/n\)/);
    term.send('y');
    await term.waitFor(/L1 Soft Reset · doai-orchestrator · orion/);
    screen = await term.waitFor(/SUCCESS/, 40_000);
    expect(screen).toMatch(/✓ Restart the service/);
    const l1 = audit().filter((l) => l.includes('L1_SOFT_RESET'));
    expect(l1[0]).toMatch(/L1_SOFT_RESET: START$/);
    expect(l1.some((l) => /L1_SOFT_RESET: SERVICE_RESTARTED$/.test(l))).toBe(true);
    expect(l1.at(-1)).toMatch(/L1_SOFT_RESET: SUCCESS$/);
    term.send('Escape');
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
  }, 90_000);

  it('d on l2-service-reset shows its plan with the proxy unit from the config (proxy: caddy), runs nothing, writes DRY_RUN', async () => {
    const before = audit().length;
    term.send('b');
    await term.waitFor('Runbooks for doai-orchestrator');
    await cursorTo('l2-service-reset');
    term.send('d');
    const screen = await term.waitFor(/SUCCESS — dry run: nothing ran/, 20_000);
    expect(screen).toContain('DRY RUN — nothing is executed');
    term.send('PPage');
    // The proxy's journal and unit come from the orchestrator's proxy: caddy in the demo config.
    await term.waitFor(/\[dry-run\] ssh root@demo-vm: sh -c 'journalctl -u '\\''caddy'\\'' -n 200/);
    expect(term.screen()).toMatch(/\[dry-run\] ssh root@demo-vm: systemctl stop 'doai-orchestrator' && systemctl s/);
    const added = audit().slice(before);
    expect(added.filter((l) => l.includes('L2_SERVICE_RESET'))).toEqual([expect.stringMatching(/L2_SERVICE_RESET: DRY_RUN$/)]);
    term.send('Escape');
    await term.waitFor(/doai-orchestrator\s+UP/);
  }, 60_000);

  it('caddy (a proxy): b offers only what fits it, and 2 (L2) is refused with the reason, nothing run', async () => {
    const before = audit().length;
    term.send('k');
    term.send('k');
    await term.waitFor(/› caddy/);
    term.send('b');
    let screen = await term.waitFor(/Runbooks for caddy — \d+ of \d+/);
    expect(screen).toMatch(/L1\s+l1-soft-reset\s+auto\s+service caddy/);
    expect(screen).toMatch(/L3\s+l3-box-reset\s+two-step\s+host demo-vm/);
    for (const misfit of ['l2-service-reset', 'pm2-restart', 'postgres-restore', 'git-rollback', 'sqlite-restore']) expect(screen).not.toContain(misfit);
    term.send('Escape');
    await term.waitFor(/› caddy/);
    term.send('2');
    screen = await term.waitFor(/fits an orchestrator\s+service; caddy is a\s+proxy/);
    expect(screen).not.toContain('APPROVAL');
    expect(audit().slice(before)).toEqual([]);
  }, 60_000);
});
