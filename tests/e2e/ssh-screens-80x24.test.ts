// The screens of `serve --ssh` at 80 × 24 through the real OpenSSH client in tmux, on the built
// binary: the operator console's panes sit together (rows nobody uses are below the last pane, not
// a gap under the services that moved with Tab), and the viewer's wall screen has the backups line
// the local wall screen (`watch`) has, from the server's hosts store (a folder over its RPO). The
// requester's form for a proven L2 says once how the approver approves (and that an approver can in
// their own SSH session: an approver has a key), and the help puts the keys that work now on its first page.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { TmuxSession } from '../helpers/tmux';
import type { SshRig } from '../helpers/ssh-console';
import { sshRigForFile } from '../helpers/ssh-rig-file';
import { leaveForm, openProvenL2Form } from '../helpers/ssh-l2-form';

let rig: SshRig;
const file = sshRigForFile(
  [
    { name: 'alice', roles: ['operator'] },
    { name: 'vic', roles: ['viewer'] },
    { name: 'bob', roles: ['approver'] },
  ],
  { approval: { L2: 'proven' } },
  {
    prepare: (r) => {
      rig = r;
      // caddy's backups go to a folder the demo host does not have: "no backup folder", over its RPO.
      const doc = YAML.parse(readFileSync(rig.config, 'utf8')) as { services: { name: string; backups?: unknown }[] };
      doc.services.find((s) => s.name === 'caddy')!.backups = [{ dir: '/var/backups/caddy-nightly', rpo_h: 24 }];
      writeFileSync(rig.config, YAML.stringify(doc));
    },
  },
);

const term = (cmd: string): TmuxSession => file.term(cmd, 80, 24);

/** The rows between the last service row and the next pane's title, for each focus. */
function rowsUnderServices(screen: string): string[] {
  const lines = screen.split('\n');
  const last = lines.findIndex((l) => /^. doai-orchestrator\s+UP/.test(l));
  const next = lines.findIndex((l, i) => i > last && /^. (Alerts|Nodes|Hosts) /.test(l));
  return lines.slice(last + 1, next);
}

describe('serve --ssh screens at 80 × 24', () => {
  it('the operator console: the panes sit together whichever has the focus; the spare rows are under the last pane', async () => {
    const t = term(rig.ssh('alice', { tty: true }));
    let s = await t.waitFor(/doai-orchestrator\s+UP[\s\S]*Hosts .*demo-vm/, 30_000);
    expect(s).toMatch(/▸ Services/);
    expect(rowsUnderServices(s)).toEqual([]);
    t.send('Tab');
    s = await t.waitFor(/▸ Alerts/, 10_000);
    expect(rowsUnderServices(s)).toEqual([]);
    const lines = s.split('\n');
    // Services, alerts, nodes, hosts in a run of non-blank rows from the header down.
    const hosts = lines.findIndex((l) => /^. Hosts /.test(l));
    expect(lines.slice(1, hosts + 1).filter((l) => l.trim() === '')).toEqual([]);
    // Nothing an operator needs went: every service, node and host row, the box and the footer.
    for (const name of ['caddy', 'db-proxy', 'doai-orchestrator', 'node-001', 'node-003', 'demo-db', 'demo-vm']) expect(s).toContain(name);
    expect(s).toMatch(/All services healthy/);
    expect(s).toMatch(/\? help/);
  }, 60_000);

  it('the viewer\'s wall screen has the backups line, from the server\'s hosts', async () => {
    const t = term(rig.ssh('vic', { tty: true }));
    // The demo host answers the backups probe as a host does: the folder is missing, over its RPO,
    // and the wall says so as `watch` does. The orchestrator's own backups (last night's) are fresh.
    const s = await t.waitFor(/⚠ backup over RPO: caddy: no backup folder \(RPO 24 h\)/, 45_000);
    expect(s).not.toContain('cannot read');
    expect(s).not.toMatch(/\+\d+ more/);
    expect(s).toMatch(/WATCH — read-only wall screen/);
    // The line sits with the other fleet facts, above the runs.
    const lines = s.split('\n');
    const at = lines.findIndex((l) => l.includes('backup over RPO'));
    expect(lines.findIndex((l) => l.includes('No recovery in progress'))).toBeGreaterThan(at);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  }, 60_000);

  it('the help: the keys that work now on the first page, the rest a page down, each whole', async () => {
    const t = term(rig.ssh('alice', { tty: true }));
    await t.waitFor(/doai-orchestrator\s+UP/, 30_000);
    t.send('?');
    // The last usable key drawn too (the frame arrives over SSH in pieces).
    const first = await t.waitFor(/Keys — Dashboard {3}! changes the fleet +0 above · \d+ below[\s\S]*l +Checklists/, 10_000);
    for (const key of [/! 1 +L1 Soft Reset/, /! 2 +L2 Service Reset/, /! 3 +L3 Box Reset/, /Tab +Move the focus/, /! m +Maintenance/, /! b +Every runbook/, /l +Checklists/]) expect(first).toMatch(key);
    expect(first).not.toContain('Not available now');
    // A page down at a time to the end (the SSH console also has the nodes pane's `u`).
    const pages = [first];
    for (let i = 0; i < 5 && !/ above · 0 below/.test(pages.at(-1)!); i++) {
      const above = / (\d+) above/.exec(pages.at(-1)!)![1];
      t.send('NPage');
      pages.push(await t.waitFor(new RegExp(` (?!${above} )\\d+ above · \\d+ below`), 10_000));
    }
    expect(pages.length).toBeLessThanOrEqual(3);
    const rest = pages.slice(1).join('\n');
    expect(rest).toMatch(/Everywhere[\s\S]*Not available now[\s\S]*! a +Acknowledge the selected firing alert/);
    for (const l of pages.join('\n').split('\n')) expect(l).not.toMatch(/…$/);
    t.send('Escape');
    await t.waitFor(/▸ Services/, 10_000);
  }, 60_000);

  it('the requester\'s proven L2 form says the approve command once', async () => {
    const t = term(rig.ssh('alice', { tty: true }));
    const { form, id } = await openProvenL2Form(t);
    expect(form.split(`doai-console approve ${id}`)).toHaveLength(2);
    // and the ways to prove it are still said: another OS user with that command.
    expect(form).toMatch(/Another person runs, as their own OS user: +doai-console approve [0-9a-f]{8}/);
    // The server takes SSH sessions and bob (approver) has a key: he can approve in his, with it.
    expect(form).toContain('or an approver in their own SSH session to this server: press a (their key)');
    // It takes a row of the plan's window, which scrolls; nothing is cut at the edge.
    expect(form).toMatch(/Will run, in order \(host: command\): lines 1–\d+ of \d+/);
    for (const l of form.split('\n')) {
      expect(l.length).toBeLessThanOrEqual(80);
      expect(l).not.toMatch(/…\s*│?$/);
    }
    await leaveForm(t);
  }, 90_000);

});
