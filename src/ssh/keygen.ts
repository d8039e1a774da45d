// ssh2 1.17's generateKeyPairSync('ed25519') drops a leading zero byte of the public key about
// once in 300 keys, writing a key that neither ssh2 nor OpenSSH can parse. Regenerate until the
// pair parses (the odds of 8 bad keys in a row are below 1e-19).
import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface OpenSshKeyPair {
  /** OpenSSH private key (PEM-like "BEGIN OPENSSH PRIVATE KEY"). */
  private: string;
  /** "ssh-ed25519 AAAA… comment" */
  public: string;
}

export function generateEd25519KeyPair(opts: { comment?: string; passphrase?: string } = {}): OpenSshKeyPair {
  for (let attempt = 0; attempt < 8; attempt++) {
    const pair = opts.passphrase
      ? utils.generateKeyPairSync('ed25519', { comment: opts.comment, passphrase: opts.passphrase, cipher: 'aes256-ctr', rounds: 16 })
      : utils.generateKeyPairSync('ed25519', { comment: opts.comment });
    const priv = utils.parseKey(pair.private, opts.passphrase);
    const pub = utils.parseKey(pair.public);
    // A whole ed25519 public key blob is 4+11 ("ssh-ed25519") + 4+32 bytes.
    if (!(priv instanceof Error) && !(pub instanceof Error) && pub.getPublicSSH().length === 51) return pair;
  }
  throw new Error('could not generate a valid ed25519 key pair');
}
