// Silences and maintenance windows shared by every box (R-MON-3 under R-HA-1): under
// `state.backend: postgres` they live in doai_mutes, so a silence set on one box mutes the
// notifications of whichever box leads. Their end is the database's time: a row is in force while
// `until > now()` on the database, and each box turns that into "ends in N ms" on its own clock,
// never comparing its wall clock with another box's. The synchronous MuteStore calls go through a
// worker-thread connection (SyncPg), one bounded round trip each.
import { hostname } from 'node:os';
import type { MuteShare, SharedMuteRow } from '../health/alerts-mute';
import { SyncPg } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

const TIMEOUT_MS = 4000;

const LIST_SQL = `SELECT id, kind, rule, subject, service, reason, by_user, box,
       (extract(epoch FROM now() - created_at) * 1000)::bigint AS age_ms,
       (extract(epoch FROM until - now()) * 1000)::bigint AS left_ms
  FROM doai_mutes WHERE ended_at IS NULL AND until > now() ORDER BY until, id`;

interface Row {
  id: string;
  kind: 'silence' | 'maintenance';
  rule: string | null;
  subject: string | null;
  service: string | null;
  reason: string;
  by_user: string;
  box: string;
  age_ms: string;
  left_ms: string;
}

export class PgMuteShare implements MuteShare {
  readonly where: string;
  private readonly db: SyncPg;
  private readonly box = `${hostname()} (pid ${process.pid})`;

  constructor(private readonly target: PgTarget) {
    this.where = `the state database ${target.shown}`;
    this.db = new SyncPg(target.url, { timeoutMs: TIMEOUT_MS, name: `doai-console mutes ${this.box}` });
  }

  private words(err: unknown): Error {
    const msg = scrubPg((err as Error).message, this.target);
    if (/doai_mutes" does not exist/.test(msg)) return new Error(`${this.where} has no silences table yet: start \`doai-console serve\` once against it (it applies the schema)`);
    return new Error(`state store unreachable (${this.target.shown}): ${msg}`);
  }

  private query<R>(sql: string, params: unknown[]): { rows: R[]; rowCount: number } {
    try {
      return this.db.query<R>(sql, params);
    } catch (err) {
      throw this.words(err);
    }
  }

  add(row: { id: string; kind: 'silence' | 'maintenance'; rule?: string; subject?: string; service?: string; reason: string; by: string; minutes: number }): { leftMs: number } {
    const r = this.query<{ left_ms: string }>(
      `INSERT INTO doai_mutes (id, kind, rule, subject, service, reason, by_user, box, until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::double precision))
       RETURNING (extract(epoch FROM until - now()) * 1000)::bigint AS left_ms`,
      [row.id, row.kind, row.rule ?? null, row.subject ?? null, row.service ?? null, row.reason, row.by, this.box, row.minutes * 60],
    );
    return { leftMs: Number(r.rows[0]!.left_ms) };
  }

  end(id: string, by: string): boolean {
    return this.query(`UPDATE doai_mutes SET ended_at = now(), ended_by = $2 WHERE id = $1 AND ended_at IS NULL AND until > now()`, [id, by]).rowCount === 1;
  }

  list(): SharedMuteRow[] {
    return this.rows(this.query<Row>(LIST_SQL, []).rows);
  }

  /** The periodic re-read: never blocks the caller (the server's event loop). */
  async listAsync(): Promise<SharedMuteRow[]> {
    try {
      return this.rows((await this.db.queryAsync<Row>(LIST_SQL, [])).rows);
    } catch (err) {
      throw this.words(err);
    }
  }

  private rows(rows: Row[]): SharedMuteRow[] {
    return rows.map((x) => ({
      id: x.id,
      kind: x.kind,
      ...(x.rule !== null ? { rule: x.rule } : {}),
      ...(x.subject !== null ? { subject: x.subject } : {}),
      ...(x.service !== null ? { service: x.service } : {}),
      reason: x.reason,
      by: x.by_user,
      ageMs: Math.max(0, Number(x.age_ms)),
      leftMs: Number(x.left_ms),
    }));
  }

  close(): void {
    this.db.close();
  }
}

/** The share for a config's `state.url_env`; without a usable URL every call says what to set. */
export function pgMuteShare(urlEnv: string, env: NodeJS.ProcessEnv = process.env): MuteShare {
  const r = resolvePgUrl(urlEnv, env);
  if (r.ok) return new PgMuteShare(r.target);
  const fail = (): never => {
    throw new Error(r.error);
  };
  return { where: `the state database (${urlEnv})`, add: fail, end: fail, list: fail };
}
