import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../src/ssh/keygen';
import {
  appendKnownHost,
  checkHostKey,
  checkHostKeyEntries,
  fingerprint,
  hashKnownHostName,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/ssh/known-hosts';
import { requireTools } from '../helpers/requirements';

function newKey(): { type: string; b64: string; blob: Buffer; line: string } {
  const [type, b64] = generateEd25519KeyPair().public.split(' ') as [string, string];
  return { type, b64, blob: Buffer.from(b64, 'base64'), line: `${type} ${b64}` };
}

requireTools(['/usr/bin/ssh-keygen'], 'apt-get install -y openssh-client');

describe('known_hosts parsing and matching', () => {
  const k1 = newKey();
  const k2 = newKey();
  const check = (text: string, host: string, port: number, key = k1) =>
    checkHostKeyEntries(parseKnownHosts(text), host, port, key.type, key.blob);

  it('matches a plain entry and a comma list, case-insensitively', () => {
    expect(check(`web1.example.com ${k1.line}\n`, 'web1.example.com', 22)).toEqual({ status: 'match', line: 1 });
    expect(check(`a,WEB1.example.com,10.0.0.5 ${k1.line} root@x\n`, 'web1.example.com', 22).status).toBe('match');
    expect(check(`a,WEB1.example.com,10.0.0.5 ${k1.line}\n`, '10.0.0.5', 22).status).toBe('match');
    expect(check(`a,b ${k1.line}\n`, 'c', 22)).toEqual({ status: 'unknown' });
  });

  it('uses [host]:port for ports other than 22, and only then', () => {
    const text = `[10.0.0.5]:2222 ${k1.line}\n`;
    expect(check(text, '10.0.0.5', 2222).status).toBe('match');
    expect(check(text, '10.0.0.5', 22).status).toBe('unknown');
    expect(check(`10.0.0.5 ${k1.line}\n`, '10.0.0.5', 2222).status).toBe('unknown');
    expect(check(`[10.0.0.5]:22 ${k1.line}\n`, '10.0.0.5', 22).status).toBe('unknown');
  });

  it('matches hashed entries (HMAC-SHA1 of the name with the salt), for [host]:port too', () => {
    const salt = randomBytes(20);
    expect(check(`${hashKnownHostName('web1', salt)} ${k1.line}\n`, 'web1', 22).status).toBe('match');
    expect(check(`${hashKnownHostName('web1', salt)} ${k1.line}\n`, 'web2', 22).status).toBe('unknown');
    expect(check(`${hashKnownHostName('[web1]:2200', salt)} ${k1.line}\n`, 'web1', 2200).status).toBe('match');
    expect(check(`${hashKnownHostName('[web1]:2200', salt)} ${k1.line}\n`, 'web1', 22).status).toBe('unknown');
  });

  it('reports a changed key of the same type with the known fingerprint and line', () => {
    const text = `# header\n\nweb1 ${k2.line}\n`;
    expect(check(text, 'web1', 22)).toEqual({
      status: 'changed',
      knownFingerprint: fingerprint(k2.blob),
      knownType: 'ssh-ed25519',
      line: 3,
    });
    // A matching entry anywhere wins over an older one (OpenSSH accepts any listed key).
    expect(check(`web1 ${k2.line}\nweb1 ${k1.line}\n`, 'web1', 22)).toEqual({ status: 'match', line: 2 });
  });

  // Issue 12 item 19: OpenSSH offers the known types first, so a host that now shows another
  // type no longer has the known key: that is a changed identity, not a new host.
  it('a host known only by another key type has CHANGED, naming the known key and its line', () => {
    const rsaBlob = Buffer.from('\0\0\0\x07ssh-rsaXXXX', 'latin1');
    const rsaLike = `# rsa only\nweb1 ssh-rsa ${rsaBlob.toString('base64')}\n`;
    expect(check(rsaLike, 'web1', 22)).toEqual({ status: 'changed', knownType: 'ssh-rsa', knownFingerprint: fingerprint(rsaBlob), line: 2 });
    expect(knownKeyTypes(parseKnownHosts(`${rsaLike}web1 ${k2.line}\n@revoked web1 ${k1.line}\n`), 'web1', 22)).toEqual(['ssh-rsa', 'ssh-ed25519']);
  });

  it('@revoked refuses the key even when a normal entry lists it, with wildcards too', () => {
    expect(check(`web1 ${k1.line}\n@revoked web1 ${k1.line}\n`, 'web1', 22)).toEqual({ status: 'revoked', line: 2 });
    expect(check(`web1 ${k1.line}\n@revoked * ${k1.line}\n`, 'web1', 22).status).toBe('revoked');
    // Revoking another key does not touch this one.
    expect(check(`web1 ${k1.line}\n@revoked * ${k2.line}\n`, 'web1', 22).status).toBe('match');
  });

  it('@cert-authority lines never match a plain host key', () => {
    expect(check(`@cert-authority * ${k1.line}\n`, 'web1', 22)).toEqual({ status: 'unknown' });
    expect(check(`@cert-authority web1 ${k2.line}\n`, 'web1', 22)).toEqual({ status: 'unknown' });
  });

  it('wildcards and negation follow OpenSSH', () => {
    const text = `*.example.com,!bad.example.com ${k1.line}\n`;
    expect(check(text, 'web1.example.com', 22).status).toBe('match');
    expect(check(text, 'bad.example.com', 22).status).toBe('unknown');
    expect(check(text, 'example.org', 22).status).toBe('unknown');
    expect(check(`web? ${k1.line}\n`, 'web7', 22).status).toBe('match');
    expect(check(`web? ${k1.line}\n`, 'web12', 22).status).toBe('unknown');
  });

  it('skips comments, blank lines, unknown markers and malformed lines', () => {
    const text = [
      '# comment',
      '   ',
      `@weird web1 ${k2.line}`,
      'web1 ssh-ed25519',
      'web1 ssh-ed25519 not*base64',
      '|1|short|bad ssh-ed25519 AAAA',
      `\tweb1   ${k1.type}   ${k1.b64}   trailing comment words`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.line).toBe(7);
    expect(check(text, 'web1', 22)).toEqual({ status: 'match', line: 7 });
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOfBlob(k1.blob)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(Buffer.from([0, 0]))).toBeUndefined();
  });
});

describe('known_hosts files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'doai-kh-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

  it('a missing file knows no host', () => {
    const k = newKey();
    expect(checkHostKey(join(dir, 'nope'), 'web1', 22, k.type, k.blob)).toEqual({ status: 'unknown' });
  });

  it('appendKnownHost creates the directory and a 0600 file, [host]:port off 22, and round-trips', () => {
    const k = newKey();
    const path = join(dir, 'deep', 'ssh', 'known_hosts');
    appendKnownHost(path, '10.0.0.5', 2222, k.type, k.blob);
    appendKnownHost(path, 'web1', 22, k.type, k.blob);
    expect(readFileSync(path, 'utf8')).toBe(`[10.0.0.5]:2222 ${k.line}\nweb1 ${k.line}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(checkHostKey(path, '10.0.0.5', 2222, k.type, k.blob).status).toBe('match');
    expect(checkHostKey(path, 'web1', 22, k.type, k.blob).status).toBe('match');
  });

  it('appendKnownHost starts a new line when the file does not end with one', () => {
    const a = newKey();
    const b = newKey();
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `old ${a.line}`);
    appendKnownHost(path, 'new', 22, b.type, b.blob);
    expect(readFileSync(path, 'utf8')).toBe(`old ${a.line}\nnew ${b.line}\n`);
    expect(checkHostKey(path, 'old', 22, a.type, a.blob).status).toBe('match');
  });

  it('fingerprint equals ssh-keygen -l', () => {
    const k = newKey();
    const pub = join(dir, 'k.pub');
    writeFileSync(pub, `${k.line} test\n`);
    const out = spawnSync('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', pub], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.split(' ')[1]).toBe(fingerprint(k.blob));
  });

  it('entries hashed by ssh-keygen -H match, plain and [host]:port', () => {
    const k = newKey();
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `web1.example.com ${k.line}\n[10.0.0.5]:2222 ${k.line}\n`);
    const out = spawnSync('/usr/bin/ssh-keygen', ['-H', '-f', path], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('web1.example.com');
    expect(text.split('\n').filter((l) => l.startsWith('|1|'))).toHaveLength(2);
    expect(checkHostKey(path, 'web1.example.com', 22, k.type, k.blob).status).toBe('match');
    expect(checkHostKey(path, '10.0.0.5', 2222, k.type, k.blob).status).toBe('match');
    expect(checkHostKey(path, '10.0.0.5', 22, k.type, k.blob).status).toBe('unknown');
  });

  it('ssh-keygen -F finds what appendKnownHost wrote', () => {
    const k = newKey();
    const path = join(dir, 'known_hosts');
    appendKnownHost(path, '127.0.0.1', 2200, k.type, k.blob);
    const out = spawnSync('/usr/bin/ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', path], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(k.b64);
  });
});
