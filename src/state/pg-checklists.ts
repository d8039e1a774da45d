// Checklist sign-offs shared by every box (R-CHK under R-HA-1): under `state.backend: postgres`
// each checklist instance's entries (created, signed, note, undone) are rows of one log,
// doai_checklist_entries, instead of <stateDir>/checklists/<instance>.jsonl. Inserts are
// serialised by a transaction-scoped advisory lock taken before the row gets its number, so the
// numbers follow commit order and a reader that remembers the last number it saw never skips a
// row: every box replays the same entries in the same order. An entry is durable (committed)
// before the console says it happened; while the database is away a sign-off is refused, as the
// files backend refuses one it cannot write. Each insert NOTIFYs doai_checklists.
import type { ChecklistEntry } from '../checklist/log';
import type { ChecklistShare } from '../checklist/store';
import { thisBox } from './backend';
import { PgListener } from './pg-listen';
import { SyncPg } from './pg-sync';
import { resolvePgUrl, scrubPg, type PgTarget } from './pg-url';

export const CHECKLISTS_CHANNEL = 'doai_checklists';
const TIMEOUT_MS = 4000;
/** Serialises entry inserts (any constant not used by another lock): "dchk". */
const ENTRY_LOCK = 0x64_63_68_6b;
/** Rows read per refresh (bounded; the next refresh reads on). */
const PAGE = 5000;
const READ_SINCE = 'SELECT seq::text AS seq, instance_id, entry FROM doai_checklist_entries WHERE seq > $1 ORDER BY seq LIMIT $2';
type EntryRow = { seq: string; instance_id: string; entry: string };

export class PgChecklistShare implements ChecklistShare {
  readonly where: string;
  private readonly db: SyncPg;
  private readonly box = thisBox();
  private readonly listener: PgListener;

  constructor(private readonly target: PgTarget) {
    this.where = `the state database ${target.shown}`;
    this.db = new SyncPg(target.url, { timeoutMs: TIMEOUT_MS, name: `doai-console checklists ${this.box}` });
    this.listener = new PgListener(target, CHECKLISTS_CHANNEL, `doai-console checklists ${this.box}`, TIMEOUT_MS);
  }

  private words(err: unknown): string {
    const msg = scrubPg((err as Error).message, this.target);
    if (/doai_checklist_entries" does not exist/.test(msg)) return `${this.where} has no checklist table yet: start \`doai-console serve\` once against it (it applies the schema)`;
    return `state store unreachable (${this.target.shown}): ${msg}`;
  }

  /** Fails at once while the listening connection says the database is away (see PgListener.down). */
  private query<R>(sql: string, params: unknown[] = []): { rows: R[]; rowCount: number } {
    if (this.listener.down) throw new Error('not connected (reconnecting every second)');
    return this.db.query<R>(sql, params);
  }

  append(instanceId: string, entry: ChecklistEntry): void {
    try {
      this.query(
        `WITH l AS (SELECT pg_advisory_xact_lock(${ENTRY_LOCK}::bigint)),
              i AS (INSERT INTO doai_checklist_entries (instance_id, entry, box) SELECT $1, $2, $3 FROM l RETURNING instance_id)
         SELECT pg_notify('${CHECKLISTS_CHANNEL}', instance_id) FROM i`,
        [instanceId, JSON.stringify(entry), this.box],
      );
    } catch (err) {
      throw new Error(this.words(err));
    }
  }

  readSince(seq: number): { seq: number; instanceId: string; entry: ChecklistEntry | undefined; raw: string }[] {
    let rows: EntryRow[];
    try {
      rows = this.query<EntryRow>(READ_SINCE, [seq, PAGE]).rows;
    } catch (err) {
      throw new Error(this.words(err));
    }
    return this.entries(rows);
  }

  /** The periodic and notified re-read: never blocks the caller (the server's event loop). */
  async readSinceAsync(seq: number): Promise<{ seq: number; instanceId: string; entry: ChecklistEntry | undefined; raw: string }[]> {
    let rows: EntryRow[];
    try {
      if (this.listener.down) throw new Error('not connected (reconnecting every second)');
      rows = (await this.db.queryAsync<EntryRow>(READ_SINCE, [seq, PAGE])).rows;
    } catch (err) {
      throw new Error(this.words(err));
    }
    return this.entries(rows);
  }

  private entries(rows: EntryRow[]): { seq: number; instanceId: string; entry: ChecklistEntry | undefined; raw: string }[] {
    return rows.map((r) => {
      let entry: ChecklistEntry | undefined;
      try {
        const e = JSON.parse(r.entry) as ChecklistEntry;
        if (e && typeof e === 'object' && typeof e.type === 'string') entry = e;
      } catch {
        entry = undefined;
      }
      return { seq: Number(r.seq), instanceId: r.instance_id, entry, raw: r.entry.slice(0, 80) };
    });
  }

  onChange(listener: () => void): () => void {
    return this.listener.on(listener);
  }

  close(): void {
    this.listener.close();
    this.db.close();
  }
}

/** The shared log for a postgres config (undefined: files); a missing URL is reported at each use. */
export function checklistShareFor(state: { backend: 'files' | 'postgres'; url_env: string }, env: NodeJS.ProcessEnv = process.env): ChecklistShare | undefined {
  if (state.backend !== 'postgres') return undefined;
  const r = resolvePgUrl(state.url_env, env);
  if (r.ok) return new PgChecklistShare(r.target);
  const fail = (): never => {
    throw new Error(r.error);
  };
  return { where: `the state database (${state.url_env})`, append: fail, readSince: fail };
}
