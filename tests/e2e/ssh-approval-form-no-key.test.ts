// `serve --ssh` where no operator who may approve has an SSH key: carol is the approver but only
// as a local OS user, the keys belong to an operator and a viewer. The requester's proven L2 form
// (over SSH, built server, tmux) does not offer "an approver in their own SSH session", a way
// nobody could take; the OS-user command is still there. With an approver's key it is
// (tests/e2e/ssh-screens-80x24.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { SshRig } from '../helpers/ssh-console';
import { sshRigForFile } from '../helpers/ssh-rig-file';
import { leaveForm, openProvenL2Form } from '../helpers/ssh-l2-form';

let rig: SshRig;
const file = sshRigForFile(
  [
    { name: 'alice', roles: ['operator'] },
    { name: 'vic', roles: ['viewer'] },
    { name: 'carol', roles: ['approver'] },
  ],
  { approval: { L2: 'proven' } },
  {
    prepare: (r) => {
      rig = r;
      // carol approves as a local OS user only: her key is taken out of the config.
      const doc = YAML.parse(readFileSync(rig.config, 'utf8')) as { operators: { people: { name: string; keys?: string[]; os_users?: string[] }[] } };
      const carol = doc.operators.people.find((p) => p.name === 'carol')!;
      carol.keys = [];
      carol.os_users = ['carol'];
      writeFileSync(rig.config, YAML.stringify(doc));
    },
  },
);

describe('serve --ssh, no approver with a key', () => {
  it('the requester\'s proven L2 form does not offer approving in an SSH session', async () => {
    const t = file.term(rig.ssh('alice', { tty: true }), 80, 24);
    const { form } = await openProvenL2Form(t);
    expect(form).toMatch(/Another person runs, as their own OS user: +doai-console approve [0-9a-f]{8}/);
    expect(form).not.toContain('SSH session');
    expect(form).not.toContain('(their key)');
    // (the set-up: carol's key is not in the server's config)
    expect(readFileSync(rig.config, 'utf8')).not.toContain('carol@test');
    await leaveForm(t);
  }, 90_000);
});
