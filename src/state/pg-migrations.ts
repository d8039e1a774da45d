// The PostgreSQL schema, as numbered migrations applied in order by `doai-console serve` on start
// (R-HA-1). The pending ones run in one transaction under an advisory lock, so two servers starting at
// once apply it once. A database whose schema is newer than this build knows is refused: an older
// server writing into tables it does not understand could undo what a newer one relies on.
import type { ClientBase } from 'pg';

export interface Migration {
  version: number;
  /** What it adds, in words (kept in doai_schema_migrations). */
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'leader lease, alert state, notification outbox',
    sql: `
      CREATE TABLE doai_leader (
        id smallint PRIMARY KEY CHECK (id = 1),
        holder text NOT NULL,
        since timestamptz NOT NULL,
        beat_at timestamptz NOT NULL,
        term bigint NOT NULL
      );
      CREATE TABLE doai_alert_state (
        key text PRIMARY KEY,
        rule text NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL,
        state text NOT NULL CHECK (state IN ('firing', 'resolved')),
        seq integer NOT NULL,
        since timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      );
      CREATE TABLE doai_outbox (
        id bigserial PRIMARY KEY,
        dedup_key text NOT NULL,
        webhook text NOT NULL,
        body jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        claimed_by text,
        delivered_at timestamptz,
        UNIQUE (dedup_key, webhook)
      );
      CREATE INDEX doai_outbox_due ON doai_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
    `,
  },
  {
    version: 2,
    description: 'target locks held by a database session',
    sql: `
      CREATE TABLE doai_locks (
        target text PRIMARY KEY,
        run_id text NOT NULL,
        info jsonb NOT NULL,
        box text NOT NULL,
        session_pid integer NOT NULL,
        session_start timestamptz NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    description: 'audit lines (emergency.log) shared by every box',
    sql: `
      CREATE TABLE doai_audit (
        id bigserial PRIMARY KEY,
        line text NOT NULL,
        box text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 4,
    description: 'runs as each server sees them, for consoles on the other boxes',
    sql: `
      CREATE TABLE doai_runs (
        run_id text PRIMARY KEY,
        box text NOT NULL,
        state text NOT NULL,
        view_json text NOT NULL,
        output_json text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX doai_runs_recent ON doai_runs (updated_at);
    `,
  },
  {
    version: 5,
    description: 'approvals given on one box for a run on another',
    sql: `
      CREATE TABLE doai_forwarded (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        to_box text NOT NULL,
        answer_json text NOT NULL,
        by_user text NOT NULL,
        by_uid integer NOT NULL,
        from_box text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'taken', 'done')),
        result_json text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 6,
    description: 'silences and maintenance windows shared by every box',
    sql: `
      CREATE TABLE doai_mutes (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('silence', 'maintenance')),
        rule text,
        subject text,
        service text,
        reason text NOT NULL,
        by_user text NOT NULL,
        box text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        until timestamptz NOT NULL,
        ended_at timestamptz,
        ended_by text,
        CHECK (kind = 'silence' AND (rule IS NOT NULL OR subject IS NOT NULL) OR kind = 'maintenance' AND service IS NOT NULL)
      );
      CREATE INDEX doai_mutes_in_force ON doai_mutes (until) WHERE ended_at IS NULL;
    `,
  },
  {
    version: 7,
    description: 'approvals between boxes are signed by the giving server; nonces taken once',
    sql: `
      ALTER TABLE doai_forwarded
        ADD COLUMN signer text,
        ADD COLUMN payload_json text,
        ADD COLUMN signature text,
        ADD COLUMN nonce text;
      ALTER TABLE doai_forwarded ALTER COLUMN answer_json DROP NOT NULL;
      CREATE TABLE doai_approval_nonces (
        nonce text PRIMARY KEY,
        signer text NOT NULL,
        forwarded_id bigint NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 8,
    description: 'alert acknowledgements, per firing episode, known to every leader',
    sql: `
      CREATE TABLE doai_acks (
        key text NOT NULL,
        seq integer NOT NULL,
        by_user text NOT NULL,
        box text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (key, seq)
      );
    `,
  },
  {
    version: 9,
    description: "run journals of every box, by byte range of each run's file",
    sql: `
      CREATE TABLE doai_journal (
        id bigserial PRIMARY KEY,
        run_id text NOT NULL,
        box text NOT NULL,
        start_off bigint NOT NULL,
        end_off bigint NOT NULL,
        line text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, start_off)
      );
      CREATE INDEX doai_journal_box ON doai_journal (box, id);
    `,
  },
  {
    version: 10,
    description: 'incidents shared by every box, at most one open per target',
    sql: `
      CREATE TABLE doai_incidents (
        id text PRIMARY KEY,
        target text,
        state text NOT NULL CHECK (state IN ('open', 'closed')),
        record text NOT NULL,
        version bigint NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      );
      CREATE UNIQUE INDEX doai_incidents_one_open ON doai_incidents (target) WHERE state = 'open' AND target IS NOT NULL;
    `,
  },
  {
    version: 11,
    description: 'checklist sign-offs of every box, one entry log in commit order',
    sql: `
      CREATE TABLE doai_checklist_entries (
        seq bigserial PRIMARY KEY,
        instance_id text NOT NULL,
        entry text NOT NULL,
        box text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX doai_checklist_created ON doai_checklist_entries (instance_id) WHERE entry LIKE '{"type":"created"%';
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Serialises schema changes between servers starting at the same time (any constant works). */
const MIGRATION_LOCK = 0x64_6f_61_69; // "doai"

export class SchemaTooNewError extends Error {}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

/** Brings the schema up to SCHEMA_VERSION; refuses a newer one with what to do. */
export async function migrate(client: ClientBase, appliedBy: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const known = migrations[migrations.length - 1]?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS doai_schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text NOT NULL
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM doai_schema_migrations');
    const from = rows[0]?.v ?? 0;
    if (from > known) {
      throw new SchemaTooNewError(
        `the database schema is version ${from}, newer than this build knows (${known}) — a newer doai-console has been run against it; upgrade doai-console on this box (or point state.url_env at another database); nothing was changed`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO doai_schema_migrations (version, description, applied_by) VALUES ($1, $2, $3)', [m.version, m.description, appliedBy]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, known), applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
