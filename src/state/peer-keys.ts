// Approvals carried between boxes are signed (issue 15): a row in `doai_forwarded` is only an
// approval when the server it names signed it with its own key, and the receiving server has
// that box's public key pinned in `state.peers`. Anyone with the database URL can still write a
// row, but not sign one: the private key is a file only the server's user can read, made on the
// first start like the SSH host key (a key others can read stops the server).
//
// What is signed is a fixed-order JSON text of every field the receiver acts on (see
// SignedApproval), so the row's other columns are never trusted. The receiver checks, in order:
// the signer is a pinned peer, the signature holds, the approval is for this very server
// (`to_box` names it with its pid) and this run, its nonce was never taken before, and it was
// signed less than 15 s ago by the database's clock (the signer reads `now()` there and signs it).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { UserError } from '../cli/exit';
import { loadOrCreateKeyFile } from '../core/owner-only-key';

/** The key's file name in the state folder when `state.server_key_file` is not set. */
export const SERVER_KEY_FILE = 'state-server-ed25519.key';

/** What a box name may be (it is the key into `state.peers`, and the audit line says it). */
export const BOX_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A signed approval is taken only this long after it was signed (the database's clock). */
export const SIGNED_MAX_AGE_S = 15;

/**
 * A public key as `state.peers` holds it: base64 of its DER SubjectPublicKeyInfo (the body of
 * `openssl pkey -pubout`, on one line; `serve` prints it). Throws a message saying what is wrong.
 */
export function parsePeerKey(text: string): KeyObject {
  const b64 = text.replace(/^-----BEGIN PUBLIC KEY-----|-----END PUBLIC KEY-----$/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('not base64');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('base64, but not a public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

/** The line other boxes put in their `state.peers` for a key. */
export function publicKeyText(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
}

export interface ServerKey {
  path: string;
  key: KeyObject;
  /** base64 SPKI: what the other boxes pin. */
  publicKey: string;
  created: boolean;
}

/**
 * This server's signing key: made on the first start (Ed25519, PKCS#8 PEM, mode 0600), else
 * read. A key that others can read, is not this server's user's, is a link, or does not parse
 * stops the server (exit 2) with what to do.
 */
export function loadOrCreateServerKey(path: string, uid = process.geteuid?.() ?? 0): ServerKey {
  const { text, created } = loadOrCreateKeyFile(path, uid, {
    name: `state.server_key_file ${path}`,
    purpose: 'a key to sign approvals with',
    leaked: (mode) =>
      `state.server_key_file ${path} is readable by group or others (mode ${mode}) — refusing to start with a key that may have leaked (whoever reads it can sign approvals as this box): chmod 600 ${path}, or remove it to make a new one and give the other boxes its new public key`,
    make: () => String(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' })),
    createDir: true,
  });
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    throw new UserError(`state.server_key_file ${path} is unreadable (${(err as Error).message}) — remove it to make a new one (the other boxes must pin its new public key)`, 2);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UserError(`state.server_key_file ${path} is a ${key.asymmetricKeyType} key, not Ed25519 — remove it to make a new one`, 2);
  return { path, key, publicKey: publicKeyText(key), created };
}

/** Everything the receiving server acts on; signed as one JSON text in this field order. */
export interface SignedApproval {
  v: 1;
  /** The signer's `state.box_name`: the key into the receiver's `state.peers`. */
  box: string;
  /** The receiving server as the runs table names it: `<hostname> (pid N)`. */
  to_box: string;
  run_id: string;
  /** 'proven': approve the pending step as `by_user`; 'answer': the form's answer (name and one-time code), judged there. */
  kind: 'proven' | 'answer';
  /** The step the approver saw pending (proven only; 0 for an answer). */
  step: number;
  answer: unknown;
  /** Who, as the signer's server proved it (the kernel's uid on its socket). */
  by_user: string;
  by_uid: number;
  nonce: string;
  /** The database's `now()` when signed (ISO text, as PostgreSQL gave it). */
  signed_at: string;
}

export function canonical(p: SignedApproval): string {
  return JSON.stringify({ v: p.v, box: p.box, to_box: p.to_box, run_id: p.run_id, kind: p.kind, step: p.step, answer: p.answer ?? null, by_user: p.by_user, by_uid: p.by_uid, nonce: p.nonce, signed_at: p.signed_at });
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function signApproval(p: SignedApproval, key: KeyObject): string {
  return sign(null, Buffer.from(canonical(p), 'utf8'), key).toString('base64');
}

/**
 * The payload, when `payloadText` is a well-formed SignedApproval that `signature` signs with the
 * pinned key of the box it names; else why not (in words for the audit line).
 */
export function verifySigned(payloadText: string | null, signature: string | null, peers: ReadonlyMap<string, KeyObject>): { ok: true; payload: SignedApproval } | { ok: false; box: string; why: string } {
  let p: Partial<SignedApproval> | undefined;
  try {
    p = payloadText ? (JSON.parse(payloadText) as Partial<SignedApproval>) : undefined;
  } catch {
    p = undefined;
  }
  const box = typeof p?.box === 'string' && BOX_NAME.test(p.box) ? p.box : 'an unnamed box';
  if (!p || !payloadText || !signature) return { ok: false, box, why: 'no signature' };
  const wellFormed =
    p.v === 1 &&
    typeof p.box === 'string' &&
    typeof p.to_box === 'string' &&
    typeof p.run_id === 'string' &&
    (p.kind === 'proven' || p.kind === 'answer') &&
    typeof p.step === 'number' &&
    typeof p.by_user === 'string' &&
    typeof p.by_uid === 'number' &&
    typeof p.nonce === 'string' &&
    typeof p.signed_at === 'string';
  if (!wellFormed) return { ok: false, box, why: 'malformed signed payload' };
  const key = peers.get(p.box!);
  if (!key) return { ok: false, box, why: `${box} is not in state.peers` };
  const full = p as SignedApproval;
  // Verified over the canonical text of the parsed fields: extra or reordered fields do not count.
  let good = false;
  try {
    good = verify(null, Buffer.from(canonical(full), 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, box, why: 'bad signature' };
  return { ok: true, payload: full };
}
