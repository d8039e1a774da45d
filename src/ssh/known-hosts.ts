// OpenSSH known_hosts verification. ssh2 accepts any host key unless we check it ourselves, so
// this file is the whole of R-SEC-1: plain, wildcard, negated, [host]:port and hashed entries,
// @revoked keys, and @cert-authority lines (we do not do certificates, so they never match).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';

import { dirname, resolve } from 'node:path';
import { sshHome } from '../config/paths';

export { sshHome };

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  /** 1-based line number, for "offending key in file:line" messages. */
  line: number;
  marker?: KnownHostMarker;
  /** Comma-separated patterns (possibly `!negated`, with * and ?), or undefined when hashed. */
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyBlob: Buffer;
  /** The file it was read from (checkHostKey over several files). */
  file?: string;
}

export type HostKeyCheck =
  | { status: 'match'; line: number; path?: string }
  /** The host is in no entry at all. */
  | { status: 'unknown' }
  /**
   * The host is known with another key: of the offered type, or (only other types known) of a
   * type it no longer offers. OpenSSH offers the known types first, so a host that still had
   * its known key would have shown it: either way it is "REMOTE HOST IDENTIFICATION HAS CHANGED".
   */
  | { status: 'changed'; knownFingerprint: string; knownType: string; line: number; path?: string }
  | { status: 'revoked'; line: number; path?: string };

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostMarker | undefined;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: OpenSSH ignores the line, so do we
    }
    if (fields.length < 3) continue;
    const [hostField, keyType, keyText] = fields as [string, string, string];
    const keyBlob = decodeBase64Strict(keyText);
    if (!keyBlob) continue;
    const entry: KnownHostEntry = { line: i + 1, keyType, keyBlob, ...(marker ? { marker } : {}) };
    if (hostField.startsWith('|1|')) {
      const parts = hostField.slice(3).split('|');
      if (parts.length !== 2) continue;
      const salt = decodeBase64Strict(parts[0]!);
      const hash = decodeBase64Strict(parts[1]!);
      // HMAC-SHA1: a 20-byte salt (the HMAC key) and a 20-byte digest.
      if (!salt || !hash || salt.length !== 20 || hash.length !== 20) continue;
      entry.hashed = { salt, hash };
    } else {
      entry.patterns = hostField.split(',').filter((p) => p !== '');
    }
    entries.push(entry);
  }
  return entries;
}

/** The `|1|salt|hash` host field ssh-keygen -H writes for a host name. */
export function hashKnownHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/** Does the entry name this host (already in `knownHostName` form)? */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return timingSafeEqual(digest, entry.hashed.hash);
  }
  let positive = false;
  for (const pattern of entry.patterns ?? []) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (wildcardMatch(p.toLowerCase(), name)) {
      // A matching negation vetoes the whole line, as in OpenSSH's match_hostname.
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** Checks a host key against parsed entries. Revoked wins over match; match wins over changed; a
 * known key of the offered type is named before one of another type. */
export function checkHostKeyEntries(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const name = knownHostName(host, port);
  let matched: KnownHostEntry | undefined;
  let sameTypeOther: KnownHostEntry | undefined;
  let otherType: KnownHostEntry | undefined;
  for (const entry of entries) {
    if (entry.marker === 'cert-authority') continue;
    if (!entryMatchesHost(entry, name)) continue;
    const sameKey = entry.keyBlob.equals(keyBlob);
    if (entry.marker === 'revoked') {
      if (sameKey) return { status: 'revoked', line: entry.line, ...fileOf(entry) };
      continue;
    }
    if (sameKey && entry.keyType === keyType) matched ??= entry;
    else if (entry.keyType === keyType) sameTypeOther ??= entry;
    else otherType ??= entry;
  }
  if (matched) return { status: 'match', line: matched.line, ...fileOf(matched) };
  const known = sameTypeOther ?? otherType;
  if (known) return { status: 'changed', knownFingerprint: fingerprint(known.keyBlob), knownType: known.keyType, line: known.line, ...fileOf(known) };
  return { status: 'unknown' };
}

function fileOf(entry: KnownHostEntry): { path?: string } {
  return entry.file !== undefined ? { path: entry.file } : {};
}

/** The key types known_hosts has for a host (not revoked ones), in file order. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostName(host, port);
  const types = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

// OpenSSH offers the host key types it already knows first; doing the same avoids reporting a
// "new" key of another type for a host whose ed25519 key we already trust.
const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_HOST_KEY_ORDER = Object.values(HOST_KEY_ALGOS).flat();

/** Host key algorithms to offer: those of the key types known_hosts has for the host first. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  return [...new Set([...knownTypes.flatMap((t) => HOST_KEY_ALGOS[t] ?? []), ...DEFAULT_HOST_KEY_ORDER])];
}

/**
 * One known_hosts file or several (OpenSSH's UserKnownHostsFile takes a list): all are read, as
 * ssh reads them, and new keys are written to the first.
 */
export type KnownHostsFiles = string | readonly string[];

export function knownHostsList(files: KnownHostsFiles): string[] {
  return (typeof files === 'string' ? [files] : [...files]).map(expandHome);
}

/** Every entry of the files, each marked with its file; a missing file knows no hosts. */
export function readKnownHosts(files: KnownHostsFiles): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const path of knownHostsList(files)) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const e of parseKnownHosts(text)) entries.push({ ...e, file: path });
  }
  return entries;
}

/** Checks a host key against known_hosts file(s). */
export function checkHostKey(files: KnownHostsFiles, host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyCheck {
  return checkHostKeyEntries(readKnownHosts(files), host, port, keyType, keyBlob);
}

/** Appends a trusted key (the explicit --accept-new). Creates the directory and a 0600 file. */
export function appendKnownHost(
  knownHostsPath: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): void {
  const path = expandHome(knownHostsPath);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const existed = existsSync(path);
  let prefix = '';
  if (existed) {
    const current = readFileSync(path, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  }
  const hostField = port === 22 ? host : `[${host}]:${port}`;
  appendFileSync(path, `${prefix}${hostField} ${keyType} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  if (!existed) chmodSync(path, 0o600); // the umask may have narrowed or widened the create mode
}

/** `~` and `~/x` in an SSH path, expanded as OpenSSH does (sshHome). */
export function expandHome(path: string): string {
  if (path === '~') return sshHome();
  if (path.startsWith('~/')) return resolve(sshHome(), path.slice(2));
  return path;
}

function decodeBase64Strict(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const buf = Buffer.from(text, 'base64');
  return buf.length > 0 ? buf : undefined;
}

// OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal.
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
