// Who is on the other end of a local connection, proven by the kernel (R-SRV-4).
//
// Node 20 cannot read SO_PEERCRED, so the server asks for a proof only the kernel can vouch for:
// the client creates an empty file named by a random nonce in a sticky folder (mode 1733: anyone
// may create, nobody but the owner may list, rename or delete); the server lstat()s it. A file's
// owner is set by the kernel to its creator's uid and only root can change it, so the owner IS the
// client's uid. The file must be a regular file with one link (no hard link to someone else's
// file, no symlink) and is removed once read. The nonce is 128 random bits, valid once: either the
// one the server's hello sent on this connection only, or (protocol 5, one round trip) one the
// client drew and named in its auth frame on its own connection. Another user cannot learn the
// client's: the folder cannot be listed (or watched: inotify needs read access) by others, and the
// name goes over that client's connection only; a guess is one in 2^128.
//
// A client that names itself proves nothing here: the uid comes from the file, never the frame.
import { chmodSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { userName } from '../protocol/socket-path';
import type { ProvenIdentity } from '../protocol/messages';

export const CHALLENGE_MODE = 0o1733;

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** What a nonce looks like (a file name with no path in it). */
export function isNonce(nonce: unknown): nonce is string {
  return typeof nonce === 'string' && /^[0-9a-f]{32}$/.test(nonce);
}

/** Makes (or checks) the challenge folder: ours, mode 1733. A folder that is not ours is refused. */
export function prepareChallengeDir(dir: string, selfUid: number): void {
  mkdirSync(dir, { recursive: true, mode: CHALLENGE_MODE });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== selfUid) {
    throw new Error(`challenge folder ${dir} is not a folder owned by this server's uid ${selfUid} — remove it and start again`);
  }
  // mkdir's mode is cut by the umask; the sticky bit and the write bits are the point.
  if ((st.mode & 0o7777) !== CHALLENGE_MODE) chmodSync(dir, CHALLENGE_MODE);
}

export type ProofResult = { ok: true; identity: ProvenIdentity } | { ok: false; reason: string };

export function verifyProof(dir: string, nonce: string): ProofResult {
  const file = join(dir, nonce);
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return { ok: false, reason: `identity not proven: no file ${nonce} in ${dir}` };
  }
  try {
    unlinkSync(file);
  } catch {
    // the owner may have removed it already; what was read stands
  }
  if (st.isSymbolicLink()) return { ok: false, reason: 'identity not proven: the proof is a symbolic link' };
  if (!st.isFile()) return { ok: false, reason: 'identity not proven: the proof is not a regular file' };
  if (st.nlink !== 1) return { ok: false, reason: `identity not proven: the proof has ${st.nlink} links (a hard link to another user's file?)` };
  return { ok: true, identity: { uid: st.uid, user: userName(st.uid), via: 'local-socket' } };
}
