// SSH keepalives from the server (R-SSH-3, half-open connections): after `seconds` without a
// packet from a client the server sends a keepalive request (ssh2's keepaliveInterval); a client
// that leaves `count` of them in a row unanswered is dropped — a laptop that slept, a network
// that vanished without a FIN, a frozen client — so its session is reaped after seconds × (count
// + 1) at most, not at the idle timeout. OpenSSH clients answer every keepalive, so a live but
// quiet session is never dropped by this.
import { UserError } from '../cli/exit';

export interface SshKeepalive {
  /** 0: no keepalives. */
  seconds: number;
  count: number;
}

export const DEFAULT_KEEPALIVE: SshKeepalive = { seconds: 15, count: 3 };

export function parseKeepalive(seconds: string | undefined, count: string | undefined): SshKeepalive {
  const s = seconds === undefined ? DEFAULT_KEEPALIVE.seconds : Number(seconds);
  if (!(Number.isFinite(s) && (s === 0 || (s >= 0.1 && s <= 3600)))) throw new UserError(`--ssh-keepalive ${JSON.stringify(seconds)}: expected seconds from 0.1 to 3600, or 0 (no keepalives)`);
  const c = count === undefined ? DEFAULT_KEEPALIVE.count : Number(count);
  if (!(Number.isInteger(c) && c >= 1 && c <= 100)) throw new UserError(`--ssh-keepalive-count ${JSON.stringify(count)}: expected a whole number from 1 to 100`);
  return { seconds: s, count: c };
}
