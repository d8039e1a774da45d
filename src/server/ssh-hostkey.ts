// The SSH server's host key (R-SSH-1): persistent, so operators pin it once. Generated on the
// first start (ed25519) as an owner-only file in the state folder; a key file others can read is
// a leaked key and stops the server, as does a missing one that cannot be created.
import { closeSync, fstatSync, openSync, readFileSync, writeSync, constants, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519KeyPair } from '../ssh/keygen';
import { fingerprint } from '../ssh/known-hosts';
import { UserError } from '../cli/exit';

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
  let created = false;
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    const pair = generateEd25519KeyPair({ comment: 'doai-console host key' });
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, pair.private);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      created = true;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never written
      }
      throw new UserError(`--ssh: the host key ${path} is missing and cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — refusing to start without a persistent host key`, 2);
    }
  }
  let text: string;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new UserError(`--ssh: the host key ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${(err as NodeJS.ErrnoException).code === 'ELOOP' ? ': a symbolic link' : ''}) — refusing to start`, 2);
  }
  try {
    const st = fstatSync(fd);
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    if (!st.isFile()) throw new UserError(`--ssh: the host key ${path} is not a regular file — refusing to start`, 2);
    if (st.mode & 0o077) throw new UserError(`--ssh: the host key ${path} is readable by others (mode ${mode}) — refusing to start with a key that may have leaked: chmod 600 ${path} (or remove it to make a new one, and re-pin)`, 2);
    if (st.uid !== uid) throw new UserError(`--ssh: the host key ${path} is owned by uid ${st.uid}, not this server's uid ${uid} — refusing to start`, 2);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const key = utils.parseKey(text);
  if (key instanceof Error) throw new UserError(`--ssh: the host key ${path} is unreadable (${key.message}) — remove it to make a new one (operators must re-pin)`, 2);
  const k = Array.isArray(key) ? key[0]! : key;
  const blob = k.getPublicSSH();
  return { path, privateKey: text, fingerprint: fingerprint(blob), publicLine: `${k.type} ${blob.toString('base64')}`, created };
}
