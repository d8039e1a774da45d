// Identity files as OpenSSH uses them (R-SEC-2, issue 12 item 17): the public half of a key is
// known without its passphrase (the `.pub` beside it, or the public key an OpenSSH-format private
// key carries in clear), so the agent's copy of that key is tried first; an encrypted file is
// decrypted only when the agent could not log in, with a passphrase asked for then and never kept.
import { existsSync, readFileSync } from 'node:fs';
import type { ParsedKey } from 'ssh2';

/** Who is asked for a passphrase, and told when the last one was wrong. Resolves undefined when the operator declines. */
export type PassphraseAsker = (request: PassphraseRequest) => Promise<string | undefined>;

export interface PassphraseRequest {
  /** The host (config name) being logged into. */
  host: string;
  /** The encrypted identity file. */
  path: string;
  /** 1 for the first ask; more after a wrong passphrase (OpenSSH asks three times). */
  attempt: number;
}

/** OpenSSH's NumberOfPasswordPrompts default. */
export const PASSPHRASE_ATTEMPTS = 3;

/** The SSH wire-format public key of an identity file, without decrypting it; undefined when unknown. */
export function identityPublicKey(path: string, keyText: Buffer): Buffer | undefined {
  const pub = `${path}.pub`;
  if (existsSync(pub)) {
    const b64 = readFileSync(pub, 'utf8').trim().split(/\s+/)[1];
    if (b64 && /^[A-Za-z0-9+/]+=*$/.test(b64)) return Buffer.from(b64, 'base64');
  }
  return openSshPublicBlob(keyText.toString('latin1'));
}

/**
 * The first public key of an "openssh-key-v1" private key (PROTOCOL.key): magic, cipher name,
 * KDF name, KDF options, key count, then the public keys unencrypted.
 */
export function openSshPublicBlob(text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return undefined;
  const data = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (data.length < magic.length || !data.subarray(0, magic.length).equals(magic)) return undefined;
  let at = magic.length;
  const field = (): Buffer | undefined => {
    if (at + 4 > data.length) return undefined;
    const len = data.readUInt32BE(at);
    if (at + 4 + len > data.length) return undefined;
    const out = data.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return out;
  };
  for (let i = 0; i < 3; i++) if (!field()) return undefined; // cipher, kdf, kdf options
  if (at + 4 > data.length || data.readUInt32BE(at) < 1) return undefined;
  at += 4;
  return field();
}

/** Puts the agent key whose public blob is `first` ahead of the others (OpenSSH's order for an IdentityFile the agent holds). */
export function preferKey(keys: ParsedKey[], first: Buffer | undefined): ParsedKey[] {
  if (!first) return keys;
  const matching = keys.filter((k) => k.getPublicSSH().equals(first));
  return [...matching, ...keys.filter((k) => !matching.includes(k))];
}
