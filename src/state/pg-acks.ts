// Alert acknowledgements shared by every box (issue 15, R-MON-3 under R-HA-1): a row in doai_acks
// per alert and firing episode (doai_alert_state.seq, the n of the `<alert>#<n>` dedup key), so a
// server that takes over the lease knows which firing alerts were acknowledged under the previous
// leader, shows them acknowledged and does not page or acknowledge them again. The synchronous
// AckShare calls go through a worker-thread connection (SyncPg), one bounded round trip each.
import { hostname } from 'node:os';
import type { AckShare, SharedAck } from '../health/alerts-acks';
import { SyncPg } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

const TIMEOUT_MS = 4000;

export class PgAckShare implements AckShare {
  private readonly db: SyncPg;
  private readonly box = `${hostname()} (pid ${process.pid})`;

  constructor(private readonly target: PgTarget) {
    this.db = new SyncPg(target.url, { timeoutMs: TIMEOUT_MS, name: `doai-console acks ${this.box}` });
  }

  private query<R>(sql: string, params: unknown[]): { rows: R[]; rowCount: number } {
    try {
      return this.db.query<R>(sql, params);
    } catch (err) {
      const msg = scrubPg((err as Error).message, this.target);
      if (/doai_acks" does not exist/.test(msg)) throw new Error(`the state database ${this.target.shown} has no acknowledgements table yet: start \`doai-console serve\` once against it (it applies the schema)`);
      throw new Error(`state store unreachable (${this.target.shown}): ${msg}`);
    }
  }

  record(key: string, by: string): ReturnType<AckShare['record']> {
    // Only the episode firing now (a resolved one's acknowledgement means nothing any more).
    const ins = this.query(
      `INSERT INTO doai_acks (key, seq, by_user, box)
       SELECT key, seq, $2, $3 FROM doai_alert_state WHERE key = $1 AND state = 'firing'
       ON CONFLICT (key, seq) DO NOTHING`,
      [key, by, this.box],
    );
    if (ins.rowCount === 1) return { kind: 'recorded' };
    const earlier = this.lookup(key);
    return earlier ? { kind: 'earlier', ack: earlier } : { kind: 'unshared' };
  }

  lookup(key: string): SharedAck | undefined {
    const r = this.query<{ by_user: string; box: string; at: string }>(
      `SELECT a.by_user, a.box, a.at::text AS at FROM doai_acks a JOIN doai_alert_state s ON s.key = a.key AND s.seq = a.seq
        WHERE a.key = $1 AND s.state = 'firing'`,
      [key],
    );
    const row = r.rows[0];
    return row ? { by: row.by_user, box: row.box, at: new Date(row.at) } : undefined;
  }

  close(): void {
    this.db.close();
  }
}

/** The share for a config's `state.url_env`; without a usable URL every call says what to set. */
export function pgAckShare(urlEnv: string, env: NodeJS.ProcessEnv = process.env): AckShare {
  const r = resolvePgUrl(urlEnv, env);
  if (r.ok) return new PgAckShare(r.target);
  const fail = (): never => {
    throw new Error(r.error);
  };
  return { record: fail, lookup: fail };
}
