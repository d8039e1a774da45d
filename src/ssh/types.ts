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
  probe(host: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }>;
  close(): void;
}

/** A connection failure a user can act on: message says what happened and what to do. */
export class SshError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'refused' | 'timeout' | 'hostkey-unknown' | 'hostkey-changed' | 'auth' | 'config' | 'other',
  ) {
    super(message);
    this.name = 'SshError';
  }
}
