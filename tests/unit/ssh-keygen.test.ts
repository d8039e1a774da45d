import { describe, expect, it } from 'vitest';
import { utils } from 'ssh2';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';

describe('generateEd25519KeyPair', () => {
  it('always returns a pair that parses (ssh2 alone fails about 1 in 300)', () => {
    for (let i = 0; i < 2000; i++) {
      const pair = generateEd25519KeyPair({ comment: 'test' });
      const pub = utils.parseKey(pair.public);
      const priv = utils.parseKey(pair.private);
      if (pub instanceof Error || priv instanceof Error) throw new Error(`pair ${i} does not parse`);
      expect(pub.getPublicSSH().equals(priv.getPublicSSH())).toBe(true);
    }
  });

  it('encrypts with a passphrase', () => {
    const pair = generateEd25519KeyPair({ passphrase: 'pw' });
    expect(utils.parseKey(pair.private)).toBeInstanceOf(Error);
    expect(utils.parseKey(pair.private, 'pw')).not.toBeInstanceOf(Error);
  });
});
