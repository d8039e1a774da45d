// Who may approve in their own SSH session (R-SSH-2): an operator with the approver role and at
// least one key. The proven approval form offers that way only when there is one (src/server/serve.ts).
import { describe, expect, it } from 'vitest';
import { OperatorDirectory } from '../../src/operators/directory';
import { operatorsSchema } from '../../src/operators/schema';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';

const key = (who: string) => generateEd25519KeyPair({ comment: `${who}@test` }).public;
const dir = (people: unknown[], files: Record<string, string> = {}) =>
  new OperatorDirectory(operatorsSchema.parse({ unknown: 'viewer', people }), '/etc/doai-console', (p) => {
    if (!(p in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return files[p]!;
  });

describe('OperatorDirectory.sshApprovers', () => {
  it('none without an operators section (keys are unknown there)', () => {
    expect(new OperatorDirectory(undefined, '/').sshApprovers()).toEqual([]);
  });

  it('none when the approvers have no key and the key holders are not approvers', () => {
    const d = dir([
      { name: 'carol', os_users: ['carol'], roles: ['approver'] },
      { name: 'alice', keys: [key('alice')], roles: ['operator'] },
      { name: 'vic', keys: [key('vic')], roles: ['viewer'] },
    ]);
    expect(d.keyCount).toBe(2);
    expect(d.approvers().size).toBe(1);
    expect(d.sshApprovers()).toEqual([]);
  });

  it('an approver with a key in keys: or in a keys_file (blank and comment lines are not keys)', () => {
    expect(dir([{ name: 'bob', keys: [key('bob')], roles: ['operator', 'approver'] }]).sshApprovers()).toEqual(['bob']);
    const files = { '/etc/doai-console/keys/dan.pub': `# dan's laptop\n\n${key('dan')}\n`, '/etc/doai-console/keys/eve.pub': '# none yet\n\n' };
    const d = dir(
      [
        { name: 'dan', keys_file: 'keys/dan.pub', roles: ['approver'] },
        { name: 'eve', keys_file: 'keys/eve.pub', roles: ['approver'] },
      ],
      files,
    );
    expect(d.sshApprovers()).toEqual(['dan']);
  });
});
