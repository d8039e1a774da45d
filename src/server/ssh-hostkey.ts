// The SSH server's host key (R-SSH-1): persistent, so operators pin it once. Generated on the
// first start (ed25519) as an owner-only file in the state folder; a key file others can read is
// a leaked key and stops the server, as does a missing one that cannot be created.
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519KeyPair } from '../ssh/keygen';
import { fingerprint } from '../ssh/known-hosts';
import { UserError } from '../cli/exit';
import { loadOrCreateKeyFile } from '../core/owner-only-key';

const { utils } = ssh2;

export interface HostKey {
  path: string;
  /** OpenSSH private key text, for ssh2's Server. */
  privateKey: string;
  /** `SHA256:…` as `ssh-keygen -lf` and OpenSSH's first-connect prompt print it. */
  fingerprint: string;
  /** `ssh-ed25519 AAAA…`: the known_hosts line's key part. */
  publicLine: string;
  created: boolean;
}

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

export function loadOrCreateHostKey(stateDir: string, uid = process.geteuid?.() ?? 0, file?: string): HostKey {
  const path = file ?? join(stateDir, HOST_KEY_FILE);
  const { text, created } = loadOrCreateKeyFile(path, uid, {
    name: `--ssh: the host key ${path}`,
    purpose: 'a persistent host key',
    leaked: (mode) => `--ssh: the host key ${path} is readable by others (mode ${mode}) — refusing to start with a key that may have leaked: chmod 600 ${path} (or remove it to make a new one, and re-pin)`,
    make: () => generateEd25519KeyPair({ comment: 'doai-console host key' }).private,
  });
  const key = utils.parseKey(text);
  if (key instanceof Error) throw new UserError(`--ssh: the host key ${path} is unreadable (${key.message}) — remove it to make a new one (operators must re-pin)`, 2);
  const k = Array.isArray(key) ? key[0]! : key;
  const blob = k.getPublicSSH();
  return { path, privateKey: text, fingerprint: fingerprint(blob), publicLine: `${k.type} ${blob.toString('base64')}`, created };
}
