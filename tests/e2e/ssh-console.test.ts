// `serve --ssh` driven by the real OpenSSH client in tmux (R-SSH-1, R-SSH-2, R-ID-2): an operator
// key gets the console and runs L1 to SUCCESS; a viewer key gets the wall screen, and on the
// console (`ssh -t … console`) is offered no key it may not use; an operator's maintenance is the
// server's intent, recorded with the key; `status` / `status --json` as
// exec requests; unknown keys and passwords are refused. The built binary; the host key pinned
// from the line the server prints.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TmuxSession } from '../helpers/tmux';
import type { SshRig } from '../helpers/ssh-console';
import { sshRigForFile } from '../helpers/ssh-rig-file';
import { waitUntil } from '../helpers/console-server';

let rig: SshRig;
const file = sshRigForFile(
  [
    { name: 'alice', roles: ['operator', 'approver'] },
    { name: 'vic', roles: ['viewer'] },
  ],
  { extraKeys: ['stranger'] },
  { prepare: (r) => (rig = r) },
);

const term = (cmd: string, cols = 200, rows = 45): TmuxSession => file.term(cmd, cols, rows);

describe('serve --ssh with OpenSSH', () => {
  it('an operator key gets the console at the terminal size and runs L1 to SUCCESS; q leaves cleanly', async () => {
    const t = term(rig.ssh('alice', { tty: true }));
    await t.waitFor(/doai-orchestrator\s+UP/, 30_000);
    t.send('1');
    if (/restart anyway/.test(await t.waitFor(/restart anyway with L1 Soft Reset\? \(y\/n\)|Restart the service/, 30_000))) t.send('y');
    // The header clock of an SSH session is HH:MM (it steps now and then, src/server/ssh-frames.ts).
    expect(await t.waitFor(/✓ SUCCESS — L1 recovery succeeded/, 60_000)).toMatch(/operator alice · ssh-console\.yaml · attached to ssh \(alice\) · \d\d:\d\d\s*\n/);
    t.send('Escape');
    // Back on the dashboard before q (ESC and q in one read would be Alt-q).
    await t.waitFor(/Last run: L1 Soft Reset on caddy — SUCCESS/, 20_000);
    t.send('q');
    const s = await t.waitFor(/\[exit \d+\]|quit anyway\? \(y\/n\)/, 20_000);
    if (/quit anyway/.test(s)) t.send('y');
    await t.waitFor(/\[exit 0\]/, 20_000);
    const log = readFileSync(rig.audit, 'utf8');
    expect(log).toMatch(/L1_SOFT_RESET: START/);
    expect(rig.server!.log()).toContain(`ssh: alice (ssh-key ${rig.fingerprintOf('alice')}) from 127.0.0.1 logged in`);
  }, 120_000);

  it('maintenance from an operator key is the server\'s intent, recorded with the key', async () => {
    const t = term(rig.ssh('alice', { tty: true }));
    await t.waitFor(/doai-orchestrator\s+UP/, 30_000);
    t.send('/');
    // The filter open before typing: 'd' reaching the dashboard first would be its dry-run key.
    await t.waitFor(/type to filter services by name or label/i, 20_000);
    t.type('doai-orch');
    t.send('Enter');
    await t.waitFor(/› +doai-orchestrator/, 20_000);
    t.send('m');
    await t.waitFor('Maintenance on doai-orchestrator for 30 min — reason', 20_000);
    t.type('10 ssh maintenance test');
    t.send('Enter');
    await t.waitFor(/doai-orchestrator in maintenance until \d\d:\d\d: its alerts are muted/, 20_000);
    const who = `alice (ssh-key ${rig.fingerprintOf('alice')})`;
    const mutes = JSON.parse(readFileSync(join(rig.state, 'mutes.json'), 'utf8')) as { maintenance: { by: string; reason: string }[] };
    expect(mutes.maintenance.find((m) => m.reason === 'ssh maintenance test')?.by).toBe(who);
    expect(readFileSync(rig.audit, 'utf8')).toMatch(new RegExp(`MAINTENANCE m-[0-9a-f]+ doai-orchestrator for 10 min until \\S+ by ${who.replace(/[()+/]/g, '\\$&')} - ssh maintenance test`));
    // The same intent a socket console sends: in the server's intent history under the key.
    const intents = join(rig.state, 'history', 'intents.jsonl');
    await waitUntil('the intent in the history', () => existsSync(intents) && readFileSync(intents, 'utf8').includes(`"user":"${who}","via":"ssh-key","key":"${rig.fingerprintOf('alice')}","intent":"alerts.maintenance"`), 20_000);
  }, 60_000);

  it('a viewer key gets the wall screen; its console offers no key a viewer may not use', async () => {
    const wall = term(rig.ssh('vic', { tty: true }));
    const walled = await wall.waitFor(/WATCH — read-only wall screen.*attached to ssh \(vic\)/, 30_000);
    // It lives in the server, as the console does: not "standalone".
    expect(walled).not.toContain('standalone');
    wall.send('q');
    await wall.waitFor(/\[exit 0\]/, 20_000);

    // On the console a viewer is offered only what a viewer may do: no key that starts anything.
    const con = term(rig.ssh('vic', { tty: true, command: 'console' }));
    const shown = await con.waitFor(/doai-orchestrator\s+UP/, 30_000);
    expect(shown).toMatch(/READ-ONLY .*operator vic/);
    expect(shown).toContain('vic has role viewer: this console only shows — starting, cancelling and acknowledging need the operator role');
    expect(shown).not.toMatch(/1-3 reset|d dry run/);
    // The help lists only what a viewer may do. (One key at a time: keys that reach the server
    // in one read are a paste and fire nothing, so a key without a visible effect is not sent.)
    con.send('?');
    const help = await con.waitFor(/Show every key of this screen/, 20_000);
    expect(help).not.toMatch(/Soft Reset|Dry run|acknowledge|maintenance/i);
    // Nothing was started or refused on vic's behalf.
    const log = existsSync(rig.audit) ? readFileSync(rig.audit, 'utf8') : '';
    expect(log).not.toMatch(/START.*vic|vic.*START/);
    expect(log).not.toContain('REFUSED run.start by vic');
    // The server still refuses a viewer's start whatever the screen offers (tests/integration/ssh-run-intents.test.ts).
  }, 90_000);

  it('answers status and status --json as exec requests, exit 0 when healthy', async () => {
    const text = spawnSync('ssh', rig.sshArgs('vic', { command: 'status' }), { encoding: 'utf8', env: { ...process.env, HOME: rig.base } });
    expect(text.stdout).toMatch(/KIND\s+NAME\s+STATE/);
    expect(text.stdout).toMatch(/doai-orchestrator/);
    const json = spawnSync('ssh', rig.sshArgs('vic', { command: 'status --json' }), { encoding: 'utf8', env: { ...process.env, HOME: rig.base } });
    const report = JSON.parse(json.stdout) as { items: { name: string }[] };
    expect(report.items.map((i) => i.name)).toContain('doai-orchestrator');
    const bad = spawnSync('ssh', rig.sshArgs('vic', { command: 'rm -rf /' }), { encoding: 'utf8', env: { ...process.env, HOME: rig.base } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('doai-console: unknown command "rm -rf /"');
  }, 60_000);

  it('refuses an unknown key (logged and audited) and offers passwords and keyboard-interactive nothing', async () => {
    const r = spawnSync('ssh', rig.sshArgs('stranger', { command: 'status' }), { encoding: 'utf8', env: { ...process.env, HOME: rig.base } });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
    await rig.server!.waitLog(new RegExp(`REFUSED ssh login from 127\\.0\\.0\\.1 - unknown ssh-ed25519 key ${rig.fingerprintOf('stranger').replace(/[+/]/g, '\\$&')}`));
    expect(readFileSync(rig.audit, 'utf8')).toContain(`ACCESS: REFUSED ssh login from 127.0.0.1 - unknown ssh-ed25519 key ${rig.fingerprintOf('stranger')}`);
    const pw = spawnSync('ssh', rig.sshArgs('alice', { command: 'status', extra: ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'] }), { encoding: 'utf8', env: { ...process.env, HOME: rig.base } });
    expect(pw.status).toBe(255);
    expect(pw.stderr).toContain('Permission denied (publickey)');
  }, 60_000);
});
