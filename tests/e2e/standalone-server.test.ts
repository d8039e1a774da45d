// A standalone console IS the server, in-process (issue 13 item 2: one code path). Its keys are
// intents through the server's own dispatcher, exactly as an attached console's: the operators
// gate checks the role of the console's OS user, the refusal is said on screen and audited, and
// each intent is recorded in the server's history (<state>/history/intents.jsonl) with the uid.
// The old standalone path had none of that (no role check, no history). It claims nothing that
// stops a `doai-console serve` from starting on the same state folder while it is open.
// Built binary in tmux, the demo fleet over real SSH and HTTP on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { BIN, waitForProcessesGone } from '../helpers/cli';
import { startTmux, type TmuxSession } from '../helpers/tmux';
import { startServer, waitUntil } from '../helpers/console-server';

let base = '';
let fleet: DemoFleet;
let term: TmuxSession | undefined;
let n = 0;
const me = userInfo();

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'doai-standalone-'));
  fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 0 });
}, 30_000);

afterAll(async () => {
  term?.kill();
  // A console still going (a failed case) writes into its state folder until it has exited.
  if (base) await waitForProcessesGone(base);
  await fleet?.stop();
  if (base) rmSync(base, { recursive: true, force: true, maxRetries: 10 });
});

/** The demo config with its own state folder and, when given, an operators section. */
function configWith(operators?: unknown): { config: string; state: string; audit: string } {
  n++;
  const doc = YAML.parse(readFileSync(fleet.configPath, 'utf8')) as Record<string, unknown>;
  const state = join(base, `state${n}`);
  doc.paths = { ...(doc.paths as object), state_dir: state, audit_log: join(state, 'emergency.log') };
  if (operators !== undefined) doc.operators = operators;
  const config = join(dirname(fleet.configPath), `standalone${n}.yaml`);
  writeFileSync(config, YAML.stringify(doc));
  return { config, state, audit: join(state, 'emergency.log') };
}

type IntentLine = { uid: number; user: string; via: string; intent: string; outcome?: string };
function intents(state: string): IntentLine[] {
  const file = join(state, 'history', 'intents.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as IntentLine);
}

async function quit(t: TmuxSession): Promise<void> {
  t.send('q');
  const s = await t.waitFor(/\[exit \d+\]|quit anyway\? \(y\/n\)|\? help · q quit/, 20_000);
  if (/quit anyway/.test(s)) t.send('y');
  else if (!/\[exit/.test(s)) t.send('q');
  await t.waitFor(/\[exit 0\]/, 20_000);
}

describe('a standalone console is the server in-process', () => {
  it("a viewer's start is refused by the server's role check: said on screen, audited, nothing run", async () => {
    const { config, state, audit } = configWith({ unknown: 'viewer', people: [{ name: 'dan', os_users: [me.username], roles: ['viewer'] }] });
    term = startTmux(`node ${BIN} --standalone --config ${config} --lang en`, { cols: 110, rows: 30, env: { DOAI_OPERATOR: 'orion' } });
    const first = await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
    expect(first).toContain('standalone');
    term.send('1');
    const s = await term.waitFor(/restart anyway with L1 Soft Reset\? \(y\/n\)|refused: run\.start needs the operator role/, 30_000);
    if (/restart anyway/.test(s)) term.send('y');
    await term.waitFor(/refused: run\.start needs the operator role; dan has role viewer/, 20_000);
    expect(readFileSync(audit, 'utf8')).toMatch(new RegExp(`ACCESS: REFUSED run\\.start by dan \\(os-user ${me.username} uid ${me.uid}\\) - role viewer, needs operator`));
    expect(readFileSync(audit, 'utf8')).not.toMatch(/L1_SOFT_RESET: START/);
    // As on the socket: the gate refuses before any handler runs, so no run and no history line.
    expect(intents(state).filter((l) => l.intent === 'run.start')).toEqual([]);
    await quit(term);
    term.kill();
    term = undefined;
  }, 90_000);

  it('with operators.unknown: refused, a user no operator claims gets no standalone console: said, exit 2, audited', async () => {
    const { config, audit } = configWith({ unknown: 'refused', people: [{ name: 'zed', os_users: ['no-such-account-here'], roles: ['operator'] }] });
    term = startTmux(`node ${BIN} --standalone --config ${config} --lang en`, { cols: 200, rows: 30 });
    const s = await term.waitFor(/\[exit \d+\]/, 30_000);
    expect(s).toContain(`standalone console: os-user ${me.username} uid ${me.uid} is not a configured operator of this server (operators.unknown: refused)`);
    expect(s).toContain('[exit 2]');
    expect(readFileSync(audit, 'utf8')).toContain(`ACCESS: REFUSED attach by unknown os-user ${me.username} uid ${me.uid} - not a configured operator`);
    term.kill();
    term = undefined;
  }, 60_000);

  it("an operator's run is the server engine's, recorded as the console's operator; a serve can start beside it", async () => {
    const { config, state, audit } = configWith();
    term = startTmux(`node ${BIN} --standalone --config ${config} --lang en`, { cols: 110, rows: 30, env: { DOAI_OPERATOR: 'orion' } });
    await term.waitFor(/doai-orchestrator\s+UP/, 30_000);
    term.send('1');
    const s = await term.waitFor(/restart anyway with L1 Soft Reset\? \(y\/n\)|L1 Soft Reset · \S+ · orion/, 30_000);
    if (/restart anyway/.test(s)) term.send('y');
    await term.waitFor(/L1 Soft Reset · \S+ · orion · SUCCESS/, 60_000);
    expect(readFileSync(audit, 'utf8')).toMatch(/L1_SOFT_RESET: START/);
    const line = await waitUntil('the start in the history', () => intents(state).find((l) => l.intent === 'run.start'), 10_000);
    expect(line).toMatchObject({ uid: me.uid, user: 'orion', via: 'in-process' });
    expect(line.outcome).not.toMatch(/^refused/);

    // No socket and no server lock are claimed: a server starts on the same state folder now.
    const socket = join(base, `run${n}`, 'console.sock');
    const server = await startServer(config, socket);
    try {
      expect(server.log()).toMatch(/ serving .* on /);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    term.send('Escape');
    await quit(term);
    term.kill();
    term = undefined;
  }, 120_000);
});
