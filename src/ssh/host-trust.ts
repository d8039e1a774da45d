// What the console says when it refuses a host's key, in OpenSSH's words, and what to do about
// it: one wording for the SSH client (runs, probes) and `doai-console check`. A refused key is
// a trust failure (types.ts TrustFailure): no runbook escalation can get past it.
import type { HostConfig } from '../config/schema';
import { knownHostName, type HostKeyCheck } from './known-hosts';
import { SshError, type TrustFailure } from './types';
import { shellQuote } from './quote';

/** "ED25519", "RSA", "ECDSA": the names ssh prints for key types. */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  return keyType;
}

export interface OfferedHostKey {
  /** The host's name in the config. */
  host: string;
  address: string;
  port: number;
  /** The known_hosts file new keys go to (the first of the host's files). */
  knownHosts: string;
  keyType: string;
  fingerprint: string;
  /** How to record a verified key: `doai-console check --accept-new --config <path>`. */
  acceptCommand?: string;
  /** The host's StrictHostKeyChecking: with `yes` no key is recorded for the operator. */
  strict?: HostConfig['strict_host_key_checking'];
}

/** Whether an unknown key is recorded (OpenSSH's StrictHostKeyChecking, and our --accept-new). */
export function acceptsUnknownKey(strict: HostConfig['strict_host_key_checking'], acceptNew: boolean): boolean {
  if (strict === 'accept-new' || strict === 'no') return true;
  return acceptNew && strict !== 'yes';
}


/** The way to record a key after verifying it, for the config at `configPath`. */
export function acceptNewCommand(configPath?: string): string {
  return `doai-console check --accept-new${configPath ? ` --config ${shellQuote(configPath)}` : ''}`;
}

export interface HostKeyRefusal {
  /** What happened, in OpenSSH's words. */
  what: string;
  kind: 'hostkey-changed' | 'hostkey-unknown';
  trust: TrustFailure;
}

/** The refusal for a key that does not match, as an SshError; undefined for a match. */
export function hostKeyRefusal(key: OfferedHostKey, check: HostKeyCheck): SshError | undefined {
  const r = describeHostKeyRefusal(key, check);
  return r && new SshError(`${r.what} ${r.trust.fix}`, r.kind, r.trust);
}

/** The refusal for a key that does not match; undefined for a match. */
export function describeHostKeyRefusal(key: OfferedHostKey, check: HostKeyCheck): HostKeyRefusal | undefined {
  const where = knownHostName(key.address, key.port);
  const offered = `${keyTypeLabel(key.keyType)} key ${key.fingerprint}`;
  const fail = (what: string, kind: HostKeyRefusal['kind'], trust: TrustFailure): HostKeyRefusal => ({ what, kind, trust });
  const accept = key.acceptCommand ?? acceptNewCommand();
  switch (check.status) {
    case 'match':
      return undefined;
    case 'revoked':
      return fail(
        `The ${offered} offered by ${key.host} (${where}) is marked as REVOKED in ${check.path ?? key.knownHosts}:${check.line}; connection refused.`,
        'hostkey-changed',
        { summary: `host key revoked for ${key.host}`, fix: "Ask the host's owner for a new key; do not remove the @revoked line." },
      );
    case 'changed': {
      const file = check.path ?? key.knownHosts;
      const remove = `ssh-keygen -f ${shellQuote(file)} -R ${shellQuote(where)}`;
      return fail(
        `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${key.host} (${where})! IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY: ` +
          `someone could be eavesdropping on you right now (man-in-the-middle attack), or the host key has just been changed. ` +
          `The fingerprint for the ${offered.replace(' key ', ' key sent by the remote host is ')}. ` +
          `Offending ${keyTypeLabel(check.knownType)} key in ${file}:${check.line} (${check.knownFingerprint}). ` +
          `Host key for ${where} has changed and strict checking refuses it; --accept-new never overrides this.`,
        'hostkey-changed',
        {
          summary: `host key changed for ${key.host}`,
          fix: `Verify the new fingerprint with the host's owner out of band, then remove the old key with \`${remove}\` and record the new one with \`${accept}\`.`,
        },
      );
    }
    case 'unknown': {
      const keyscan = `ssh-keyscan -p ${key.port} ${key.address} >> ${key.knownHosts}`;
      if (key.strict === 'yes') {
        return fail(
          `The authenticity of host ${key.host} (${where}) can't be established: its ${offered} is not in ${key.knownHosts}, and StrictHostKeyChecking is yes for it; connection refused.`,
          'hostkey-unknown',
          { summary: `host key unknown for ${key.host}`, fix: `Verify the fingerprint with the host's owner, then add it yourself: \`${keyscan}\`.` },
        );
      }
      return fail(
        `The authenticity of host ${key.host} (${where}) can't be established: its ${offered} is not in ${key.knownHosts}; connection refused.`,
        'hostkey-unknown',
        {
          summary: `host key unknown for ${key.host}`,
          fix: `Verify the fingerprint with the host's owner, then record it with \`${accept}\` (or \`${keyscan}\`).`,
        },
      );
    }
  }
}
