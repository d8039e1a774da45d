// Incidents shared by every box (R-INC under R-HA-1): under `state.backend: postgres` the incident
// store's records live in doai_incidents, one row per incident holding the same JSON the files
// backend writes. Each save is the store's own merge applied to the row as stored, written only if
// nobody changed it meanwhile (a version check, retried); a unique partial index allows one open
// incident per target across all boxes, so a box opening one that another box just opened joins
// that one instead. Every write NOTIFYs doai_incidents; each server LISTENs and reloads at once.
// This box keeps a copy of every record in <stateDir>/incidents (the wall, `stats`, `watch` and a
// `report` while the database is away read it). While the database is away the view is read-only:
// an operator's open / severity / close is refused, and what runs and probes add is kept in memory
// and saved when it answers.
import { hostname } from 'node:os';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file';
import type { Localized } from '../core/views';
import { incidentFile, incidentFromJson, incidentToJson, readIncidents, type IncidentRecord } from '../incident/files';
import type { IncidentRecords, SaveResult } from '../incident/records';
import { SyncPg, SyncPgError } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';
import { thisBox } from './backend';
import { PgListener } from './pg-listen';

export const INCIDENTS_CHANNEL = 'doai_incidents';
const TIMEOUT_MS = 4000;
/** Saves retried when another box wrote the same row in between (bounded). */
const SAVE_TRIES = 5;
const READ_ALL = 'SELECT id, version::text AS version, record FROM doai_incidents ORDER BY id';

interface Row {
  id: string;
  version: string;
  record: string;
}

export class PgIncidentRecords implements IncidentRecords {
  readonly shared = true;
  readonly where: string;
  private readonly db: SyncPg;
  private readonly box = thisBox();
  /** What this box last wrote as its copy of each record (skips rewriting unchanged files). */
  private readonly copies = new Map<string, string>();
  private readonly listener: PgListener;

  constructor(
    private readonly target: PgTarget,
    /** <stateDir>/incidents: this box's copy. */
    private readonly copyDir: string,
    /** `state.box_name`: in new ids, so two boxes never make the same one. */
    private readonly boxName: string,
  ) {
    this.where = `the state database ${target.shown}`;
    this.db = new SyncPg(target.url, { timeoutMs: TIMEOUT_MS, name: `doai-console incidents ${this.box}` });
    this.listener = new PgListener(target, INCIDENTS_CHANNEL, `doai-console incidents ${this.box}`, TIMEOUT_MS);
  }

  private words(err: unknown): string {
    const msg = scrubPg((err as Error).message, this.target);
    if (/doai_incidents" does not exist/.test(msg)) return `${this.where} has no incidents table yet: start \`doai-console serve\` once against it (it applies the schema)`;
    return `state store unreachable (${this.target.shown}): ${msg}`;
  }

  newId(stamp: string, random: string): string {
    return `${stamp}-${this.boxName}-${random}`;
  }

  /** Fails at once while the listening connection says the database is away (see PgListener.down). */
  private query<R>(sql: string, params: unknown[] = []): { rows: R[]; rowCount: number } {
    if (this.listener.down) throw new Error('not connected (reconnecting every second)');
    return this.db.query<R>(sql, params);
  }

  readAll(): { incidents: IncidentRecord[]; problems: string[] } {
    let rows: Row[];
    try {
      rows = this.query<Row>(READ_ALL).rows;
    } catch (err) {
      return this.fromCopy(err);
    }
    return this.parsed(rows);
  }

  /** The periodic and notified re-read: never blocks the caller (the server's event loop). */
  async readAllAsync(): Promise<{ incidents: IncidentRecord[]; problems: string[] }> {
    let rows: Row[];
    try {
      if (this.listener.down) throw new Error('not connected (reconnecting every second)');
      rows = (await this.db.queryAsync<Row>(READ_ALL)).rows;
    } catch (err) {
      return this.fromCopy(err);
    }
    return this.parsed(rows);
  }

  /** Read-only view: this box's copy of what the database last said. */
  private fromCopy(err: unknown): { incidents: IncidentRecord[]; problems: string[] } {
    const local = readIncidents(this.copyDir);
    return { incidents: local.incidents, problems: [...local.problems, `${this.words(err)} — showing this box's copy of the incidents`] };
  }

  private parsed(rows: Row[]): { incidents: IncidentRecord[]; problems: string[] } {
    const incidents: IncidentRecord[] = [];
    const problems: string[] = [];
    for (const r of rows) {
      try {
        const rec = incidentFromJson(r.record, `doai_incidents ${r.id}`);
        incidents.push(rec);
        this.keepCopy(rec);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    return { incidents, problems };
  }

  private keepCopy(rec: IncidentRecord): void {
    const text = incidentToJson(rec);
    if (this.copies.get(rec.id) === text) return;
    try {
      mkdirSync(this.copyDir, { recursive: true });
      const path = incidentFile(this.copyDir, rec.id);
      let had: string | undefined;
      try {
        had = readFileSync(path, 'utf8');
      } catch {
        had = undefined;
      }
      if (had !== text) writeFileAtomic(path, text);
      this.copies.set(rec.id, text);
    } catch {
      // The copy is a convenience; the database holds the record.
    }
  }

  refuseWrites(): Localized | undefined {
    try {
      this.query('SELECT 1');
      return undefined;
    } catch (err) {
      const w = this.words(err);
      return { en: `${w} — incidents cannot be opened, changed or closed until it answers`, ko: `${w} — 데이터베이스가 응답할 때까지 인시던트를 열거나 바꾸거나 닫을 수 없습니다` };
    }
  }

  save(rec: IncidentRecord, merge: (mine: IncidentRecord, stored: IncidentRecord) => IncidentRecord): SaveResult {
    try {
      for (let i = 0; i < SAVE_TRIES; i++) {
        const cur = this.query<Row>('SELECT id, version::text AS version, record FROM doai_incidents WHERE id = $1', [rec.id]).rows[0];
        if (cur) {
          const merged = merge(rec, incidentFromJson(cur.record, `doai_incidents ${cur.id}`));
          const r = this.query(
            `WITH u AS (UPDATE doai_incidents SET record = $2, state = $3, target = $4, version = version + 1, updated_at = now(), updated_by = $5
                         WHERE id = $1 AND version = $6::bigint RETURNING id)
             SELECT pg_notify('${INCIDENTS_CHANNEL}', id) FROM u`,
            [rec.id, incidentToJson(merged), merged.state, merged.target ?? null, this.box, cur.version],
          );
          if (r.rowCount === 1) return this.saved(merged);
          continue;
        }
        try {
          const r = this.query(
            `WITH i AS (INSERT INTO doai_incidents (id, target, state, record, updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id)
             SELECT pg_notify('${INCIDENTS_CHANNEL}', id) FROM i`,
            [rec.id, rec.target ?? null, rec.state, incidentToJson(rec), this.box],
          );
          if (r.rowCount === 1) return this.saved(rec);
        } catch (err) {
          if (!(err instanceof SyncPgError && err.code === '23505')) throw err;
          // Another box has an incident open for this target: this one joins it.
          const open = this.query<Row>("SELECT id, version::text AS version, record FROM doai_incidents WHERE target = $1 AND state = 'open'", [rec.target ?? null]).rows[0];
          if (open) return { ok: false, joined: incidentFromJson(open.record, `doai_incidents ${open.id}`) };
        }
      }
      return { ok: false, error: { en: `incident ${rec.id} not saved: another box kept changing it — try again`, ko: `인시던트 ${rec.id} 저장 실패: 다른 콘솔 서버가 계속 바꾸는 중 — 다시 시도하세요` } };
    } catch (err) {
      const w = this.words(err);
      return { ok: false, error: { en: `incident ${rec.id} not saved yet: ${w} — kept on this box and saved when the database answers`, ko: `인시던트 ${rec.id} 아직 저장 안 됨: ${w} — 이 콘솔 서버에 보관했다가 데이터베이스가 응답하면 저장합니다` } };
    }
  }

  private saved(rec: IncidentRecord): SaveResult {
    this.keepCopy(rec);
    return { ok: true, saved: rec };
  }

  onChange(listener: () => void): () => void {
    return this.listener.on(listener);
  }

  close(): void {
    this.listener.close();
    this.db.close();
  }
}

/** The incident records for a postgres config; a missing URL is reported at the first read. */
export function pgIncidentRecords(urlEnv: string, copyDir: string, boxName: string, env: NodeJS.ProcessEnv = process.env): IncidentRecords {
  const r = resolvePgUrl(urlEnv, env);
  if (r.ok) return new PgIncidentRecords(r.target, copyDir, boxName);
  const error = { en: r.error, ko: r.error };
  return {
    where: `the state database (${urlEnv})`,
    shared: true,
    readAll: () => {
      throw new Error(r.error);
    },
    save: () => ({ ok: false, error }),
    refuseWrites: () => error,
  };
}

/** `state.box_name`, or the short host name (what serve signs approvals and ships journals as). */
export function boxNameOf(configured: string | undefined): string {
  return configured ?? hostname().split('.')[0]!.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
}

/** The incident records a config asks for: undefined for the files backend (the store's default). */
export function incidentRecordsFor(state: { backend: 'files' | 'postgres'; url_env: string; box_name?: string }, copyDir: string): IncidentRecords | undefined {
  return state.backend === 'postgres' ? pgIncidentRecords(state.url_env, copyDir, boxNameOf(state.box_name)) : undefined;
}

/**
 * Every box's incidents, read once without blocking (for `stats`, in a CLI or inside a server):
 * one connection, bounded by the connection and query timeouts. While the database cannot be read,
 * this box's copy, with a problem saying so.
 */
export async function readSharedIncidents(urlEnv: string, copyDir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ incidents: IncidentRecord[]; problems: string[]; from: string }> {
  const r = resolvePgUrl(urlEnv, env);
  const local = (why: string) => {
    const l = readIncidents(copyDir);
    return { incidents: l.incidents, problems: [...l.problems, `${why} — counting this box's copy of the incidents (${copyDir})`], from: copyDir };
  };
  if (!r.ok) return local(r.error);
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: r.target.url, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS, application_name: `doai-console stats ${thisBox()}` });
  c.on('error', () => undefined);
  let rows: Row[];
  try {
    await c.connect();
    rows = (await c.query<Row>('SELECT id, version::text AS version, record FROM doai_incidents ORDER BY id')).rows;
  } catch (err) {
    const msg = scrubPg((err as Error).message, r.target);
    return local(/doai_incidents" does not exist/.test(msg) ? `the state database ${r.target.shown} has no incidents table yet` : `state store unreachable (${r.target.shown}): ${msg}`);
  } finally {
    void c.end().catch(() => undefined);
  }
  const incidents: IncidentRecord[] = [];
  const problems: string[] = [];
  for (const row of rows) {
    try {
      incidents.push(incidentFromJson(row.record, `doai_incidents ${row.id}`));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { incidents, problems, from: `the state database ${r.target.shown}` };
}
