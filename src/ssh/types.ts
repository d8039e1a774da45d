import type { OutputStream } from '../runbook/events';

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onLine(stream: OutputStream, line: string): void;
}

export interface ExecResult {
  /** Exit code, or null when the command was ended (timeout, cancel, lost connection). */
  code: number | null;
  signal?: string;
  timedOut?: boolean;
  cancelled?: boolean;
  /** The connection dropped before the command reported an exit; it may still run remotely. */
  lostConnection?: boolean;
}

/** The only way a step touches a host. `command` is a complete, already-quoted shell line. */
export interface RemoteShell {
  exec(host: string, command: string, opts: ExecOptions): Promise<ExecResult>;
  /** Connects and authenticates only (L3's "wait for SSH"). Resolves true when a session opens. */
  probe(host: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string; trust?: TrustFailure }>;
  close(): void;
  /** True while the operator is being asked something (an identity's passphrase): timeouts wait. */
  waitingForOperator?(): boolean;
}

/**
 * A host whose identity could not be trusted (changed, revoked or unknown host key). No runbook
 * can help with that — L2 and L3 connect the same way — so a run that meets one ends without
 * offering escalation and says what to do.
 */
export interface TrustFailure {
  /** "host key changed for demo-vm": the run's final line, `FAILED - <summary>` in emergency.log. */
  summary: string;
  /** What the operator does about it, e.g. the exact `ssh-keygen -R` line and `doai-console check`. */
  fix: string;
}

/** A connection failure a user can act on: message says what happened and what to do. */
export class SshError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'refused' | 'timeout' | 'hostkey-unknown' | 'hostkey-changed' | 'auth' | 'config' | 'other',
    /** Set when the host's identity was refused (see TrustFailure). */
    readonly trust?: TrustFailure,
  ) {
    super(message);
    this.name = 'SshError';
  }
}
