// A server's private key file (the SSH host key, the approval-signing key): made on the first
// start as an owner-only file (written to a temp name, then renamed, so a half-written key never
// has the real name), read without following links, and refused when it is not a regular file,
// others can read it (a key that may have leaked) or another user owns it. Every refusal stops
// the server (exit 2) with what to do; the caller parses the text.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../cli/exit';

export interface OwnerOnlyKeyFile {
  /** How messages name it: `state.server_key_file /path`, `--ssh: the host key /path`. */
  name: string;
  /** "refusing to start without …" when it cannot be made. */
  purpose: string;
  /** The message for a key others can read, given its mode ("0644"). */
  leaked(mode: string): string;
  /** A new key's file text. */
  make(): string;
  /** Make the key's folder too when it is missing (the state folder's default path). */
  createDir?: boolean;
}

export function loadOrCreateKeyFile(path: string, uid: number, o: OwnerOnlyKeyFile): { text: string; created: boolean } {
  let created = false;
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      if (o.createDir) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const text = o.make();
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, text);
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
      throw new UserError(`${o.name} is missing and cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — refusing to start without ${o.purpose}`, 2);
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${o.name} cannot be read (${code ?? (err as Error).message}${code === 'ELOOP' ? ': a symbolic link' : ''}) — refusing to start`, 2);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${o.name} is not a regular file — refusing to start`, 2);
    if (st.mode & 0o077) throw new UserError(o.leaked((st.mode & 0o777).toString(8).padStart(4, '0')), 2);
    if (st.uid !== uid) throw new UserError(`${o.name} is owned by uid ${st.uid}, not this server's uid ${uid} — refusing to start`, 2);
    return { text: readFileSync(fd, 'utf8'), created };
  } finally {
    closeSync(fd);
  }
}
