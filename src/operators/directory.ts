// Who an identity proven by a transport is (R-ID-1): a local uid (kernel-proven on the socket)
// or an SSH public key (proven by its signature over SSH) maps to an operator of the config and
// their roles. Names a client sends are never looked up here.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { fingerprint } from '../ssh/known-hosts';
import type { OperatorsConfig, Role } from './schema';

const { utils } = ssh2;

/** How the server knows who is there; never a string the client chose. */
export type Proof = { kind: 'os-user'; uid: number; user: string } | { kind: 'ssh-key'; fingerprint: string; keyType: string };

export interface Principal {
  /** The operator's name from the config; for an unknown identity, how it was proven (`uid 1001`, `SHA256:…`). */
  name: string;
  /** False for an identity no operator claims. */
  known: boolean;
  roles: ReadonlySet<Role>;
  proof: Proof;
}

export class OperatorsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorsConfigError';
  }
}

interface ParsedKey {
  blob: Buffer;
  type: string;
  fingerprint: string;
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/**
 * One authorized_keys line: optional options, the key type, the base64 blob, a comment.
 * Returns undefined for blank and comment lines; throws on a line that is not a key.
 */
export function parseAuthorizedKey(line: string): ParsedKey | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  // Options may hold quoted spaces; the key starts at the first token that is a key type.
  const tokens = text.split(/\s+/);
  const at = tokens.findIndex((t) => KEY_TYPE.test(t));
  if (at < 0 || !tokens[at + 1]) throw new Error('not an SSH public key (expected "ssh-ed25519 AAAA…" or another key type and its base64)');
  const parsed = utils.parseKey(`${tokens[at]} ${tokens[at + 1]}`);
  if (parsed instanceof Error) throw new Error(`unreadable ${tokens[at]} key: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const blob = key.getPublicSSH();
  return { blob, type: key.type, fingerprint: fingerprint(blob) };
}

export class OperatorDirectory {
  private readonly byUser = new Map<string, { name: string; roles: Set<Role> }>();
  private readonly byKey = new Map<string, { name: string; roles: Set<Role> }>();
  private readonly byName = new Map<string, { name: string; roles: Set<Role>; fingerprints: string[] }>();

  /**
   * `config` absent: no operators section, every local user is an operator (and an approver, as
   * before roles existed) and SSH keys are unknown.
   */
  constructor(
    readonly config: OperatorsConfig | undefined,
    configDir: string,
    readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  ) {
    for (const p of config?.people ?? []) {
      const roles = new Set<Role>(p.roles);
      const entry = { name: p.name, roles, fingerprints: [] as string[] };
      this.byName.set(p.name.toLowerCase(), entry);
      for (const u of p.os_users) {
        const other = this.byUser.get(u);
        if (other) throw new OperatorsConfigError(`operators: OS user ${u} is claimed by both ${other.name} and ${p.name}`);
        this.byUser.set(u, entry);
      }
      const lines: { text: string; where: string }[] = p.keys.map((k, i) => ({ text: k, where: `operators.people[${p.name}].keys[${i}]` }));
      if (p.keys_file) {
        const path = isAbsolute(p.keys_file) ? p.keys_file : resolve(configDir, p.keys_file);
        let text: string;
        try {
          text = readFile(path);
        } catch (err) {
          throw new OperatorsConfigError(`operators: ${p.name}'s keys_file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        text.split('\n').forEach((l, i) => lines.push({ text: l, where: `${path} line ${i + 1}` }));
      }
      for (const l of lines) {
        let key: ParsedKey | undefined;
        try {
          key = parseAuthorizedKey(l.text);
        } catch (err) {
          throw new OperatorsConfigError(`operators: ${l.where} (${p.name}): ${(err as Error).message}`);
        }
        if (!key) continue;
        const other = this.byKey.get(key.fingerprint);
        if (other && other !== entry) throw new OperatorsConfigError(`operators: key ${key.fingerprint} is claimed by both ${other.name} and ${p.name}`);
        this.byKey.set(key.fingerprint, entry);
        entry.fingerprints.push(key.fingerprint);
      }
    }
  }

  /** Whether the config has an operators section (roles are enforced). */
  get enforced(): boolean {
    return this.config !== undefined;
  }

  get unknownGets(): 'viewer' | 'refused' {
    return this.config?.unknown ?? 'viewer';
  }

  /** The operator a proven identity is, or what an unknown one gets; undefined: refused. */
  resolve(proof: Proof): Principal | undefined {
    if (!this.config) {
      // Today's behaviour: every local user operates and approves; keys need an operators section.
      if (proof.kind === 'os-user') return { name: proof.user, known: true, roles: new Set<Role>(['viewer', 'operator', 'approver']), proof };
      return undefined;
    }
    const entry = proof.kind === 'os-user' ? this.byUser.get(proof.user) : this.byKey.get(proof.fingerprint);
    if (entry) return { name: entry.name, known: true, roles: new Set<Role>(['viewer', ...entry.roles]), proof };
    if (this.config.unknown === 'refused') return undefined;
    return { name: proof.kind === 'os-user' ? proof.user : proof.fingerprint, known: false, roles: new Set<Role>(['viewer']), proof };
  }

  /** By the config's name (TOTP: the requester types the approver's name). */
  byOperatorName(name: string): { name: string; roles: ReadonlySet<Role> } | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  /** Operators with the approver role, by lower-case name (TOTP approvals name them). */
  approvers(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const [key, e] of this.byName) if (e.roles.has('approver')) out.set(key, e.name);
    return out;
  }

  /**
   * Operators who may approve in their own SSH session (R-SSH-2): the approver role and at least
   * one key. None: the proven form must not offer that way.
   */
  sshApprovers(): string[] {
    return [...this.byName.values()].filter((e) => e.roles.has('approver') && e.fingerprints.length > 0).map((e) => e.name);
  }

  /** Whether any operator has an SSH key (serve --ssh needs one to be useful). */
  get keyCount(): number {
    return this.byKey.size;
  }
}

/** `bob (ssh-key SHA256:…)`, `nobody (os-user nobody uid 65534)`: for audit lines and logs. */
export function describePrincipal(p: Principal): string {
  const how = p.proof.kind === 'os-user' ? `os-user ${p.proof.user} uid ${p.proof.uid}` : `ssh-key ${p.proof.fingerprint}`;
  return `${p.name} (${how})`;
}
