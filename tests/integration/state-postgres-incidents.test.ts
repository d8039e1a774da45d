// Incidents shared by two boxes (issue 15 item 1): under `state.backend: postgres` the incident
// records live in doai_incidents. A run on box A opens the incident; box B's console sees it (same
// id) and B's `report` writes it; a run on B for the same target joins it; resolving on A shows
// resolved on B; closing on B shows closed on A. Two boxes opening at the very same moment make one
// incident (the unique index), and while the database is away an operator's change is refused and
// a run's lines are kept and saved when it returns. Real PostgreSQL, real `serve` processes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, waitUntil, type RawClient } from '../helpers/console-server';
import { fx, peeredBoxes, serve, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';
import { createIncidentStore } from '../../src/incident/store';
import { PgIncidentRecords } from '../../src/state/pg-incidents';
import { migrate } from '../../src/state/pg-migrations';
import type { RunEvent, RunEventListener } from '../../src/runbook/events';
import type { IncidentRecords } from '../../src/incident/records';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

const tmp = mkdtempSync(join(tmpdir(), 'doai-inc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Incident = { id: string; state: string; target?: string; runIds: string[]; resolvedAt?: string; closedAt?: string; timeline: { text: { en: string } }[] };

async function rooted(socket: string): Promise<RawClient> {
  const c = await rawClient(socket);
  expect((await proveAsRoot(c, socket)).t).toBe('welcome');
  return c;
}

let nextId = 100;
async function intent(c: RawClient, name: string, args: Record<string, unknown>): Promise<{ ok: boolean; runId?: string; error?: unknown; reportPath?: string }> {
  const id = nextId++;
  c.send({ t: 'intent', id, name, args });
  const r = (await c.next((f) => f.t === 'result' && f.id === id, 20_000)) as { value?: { ok: boolean; runId?: string }; error?: unknown };
  // run.confirm answers null: done.
  return (r.error !== undefined ? { ok: false, error: r.error } : (r.value ?? { ok: true })) as { ok: boolean; runId?: string };
}

/** The latest `incidents` snapshot a client got that passes `ok`. */
async function incidentsUntil(c: RawClient, what: string, ok: (all: Incident[]) => boolean): Promise<Incident[]> {
  const f = (await c.next((x) => x.t === 'snapshot' && x.topic === 'incidents' && ok(((x.data as { incidents: Incident[] }).incidents ?? []) as Incident[]), 20_000).catch((err: Error) => {
    throw new Error(`${what}: ${err.message}`);
  })) as { data: { incidents: Incident[] } };
  return f.data.incidents;
}

describe('incidents across boxes (PostgreSQL)', () => {
  it('a run on A opens it, B sees the same id, a run on B joins it, A resolves it, B closes it, both reports agree', async () => {
    const db = 'incidents';
    const url = await fx.cluster.createDatabase(db);
    const [aBox, bBox] = peeredBoxes(['a', 'b'], { a: { resolve_settle_s: 0 }, b: { resolve_settle_s: 0 } }) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    await serve(aBox, url);
    await serve(bBox, url);
    const ca = await rooted(aBox.socket);
    const cb = await rooted(bBox.socket);
    ca.send({ t: 'subscribe', topics: ['incidents'] });
    cb.send({ t: 'subscribe', topics: ['incidents'] });

    const runA = await intent(ca, 'run.start', { runbook: 'hold-test', target: 'api' });
    expect(runA.ok).toBe(true);
    const rows = await waitUntilAsync('the incident row', async () => (await fx.cluster.query(db, "SELECT id FROM doai_incidents WHERE target = 'api' AND state = 'open'")).length === 1).then(() =>
      fx.cluster.query<{ id: string; updated_by: string }>(db, 'SELECT id, updated_by FROM doai_incidents'),
    );
    const id = rows[0]!.id;
    expect(id).toMatch(/^\d{8}-\d{4}-a-[0-9a-f]{4}$/);

    // B's console: the same incident, by the same id, with A's run in it.
    const onB = await incidentsUntil(cb, "A's incident on B", (all) => all.some((i) => i.id === id && i.runIds.includes(runA.runId!)));
    expect(onB.filter((i) => i.state === 'open')).toHaveLength(1);
    // B's server keeps its copy for the wall and `stats`.
    await waitUntil("B's copy of the incident", () => existsSync(join(bBox.dir, 'state', 'incidents', `${id}.json`)) || undefined);

    // A's run ends: resolved on A, seen resolved on B.
    const atPrompt = (runId: string) => waitUntilAsync(`${runId} at its confirm step`, async () => JSON.parse((await fx.cluster.query<{ view_json: string }>(db, 'SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]))[0]?.view_json ?? '{}').prompt !== undefined);
    await atPrompt(runA.runId!);
    expect((await intent(ca, 'run.confirm', { runId: runA.runId })).ok).not.toBe(false);
    const resolved = await incidentsUntil(cb, 'resolved on B', (all) => all.some((i) => i.id === id && i.resolvedAt !== undefined && i.state === 'open'));
    expect(resolved.find((i) => i.id === id)!.timeline.some((e) => /^Resolved: api UP/.test(e.text.en))).toBe(true);

    // A run on B for the same target (A's lock on it released) joins the same incident.
    let runB: { ok: boolean; runId?: string; error?: unknown } = { ok: false };
    for (let i = 0; i < 50 && !runB.ok; i++) {
      runB = await intent(cb, 'run.start', { runbook: 'hold-test', target: 'api' });
      if (!runB.ok) await new Promise((r) => setTimeout(r, 200));
    }
    expect(runB.ok, JSON.stringify(runB)).toBe(true);
    const joined = await incidentsUntil(ca, "B's run in A's view", (all) => all.some((i) => i.id === id && i.runIds.includes(runB.runId!) && i.resolvedAt === undefined));
    expect(joined.map((i) => i.id)).toEqual([id]);
    expect(await fx.cluster.query(db, 'SELECT count(*)::int AS n FROM doai_incidents')).toEqual([{ n: 1 }]);
    expect(joined[0]!.timeline.filter((e) => /^Incident opened by/.test(e.text.en))).toHaveLength(1);
    await atPrompt(runB.runId!);
    expect((await intent(cb, 'run.confirm', { runId: runB.runId })).ok).not.toBe(false);
    await incidentsUntil(ca, 'resolved again, seen on A', (all) => all.some((i) => i.id === id && i.resolvedAt !== undefined && i.timeline.filter((e) => /^Resolved: api UP/.test(e.text.en)).length === 2));

    // Closed on B: closed on A.
    const closed = await intent(cb, 'incident.close', { id, rootCause: 'the api held its breath' });
    expect(closed.ok).toBe(true);
    await incidentsUntil(ca, 'closed on A', (all) => all.some((i) => i.id === id && i.state === 'closed'));
    expect(await fx.cluster.query(db, 'SELECT state FROM doai_incidents')).toEqual([{ state: 'closed' }]);
    ca.socket.destroy();
    cb.socket.destroy();

    // `report` on either box: the same incident, both runs, the root cause.
    const reports: string[] = [];
    for (const b of [aBox, bBox]) {
      const r = await runCli(['report', id, '--config', b.config], { env: { DOAI_PG_URL: url } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('the api held its breath');
      expect(r.stdout.match(/Hold test started on api/g)).toHaveLength(2);
      expect(r.stdout.match(/Hold test SUCCESS/g)).toHaveLength(2);
      reports.push(r.stdout);
    }
    expect(reports[1]).toBe(reports[0]);
    // A server answers many reports: each one's database connection is closed after it (none left open).
    const conns = async () =>
      (await fx.cluster.query<{ n: number }>(db, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'doai-console incidents%'", [db]))[0]!.n;
    const before = await conns();
    for (let i = 0; i < 3; i++) expect((await runCli(['report', id, '--socket', bBox.socket])).code).toBe(0);
    await waitUntilAsync('the reports\' connections to be closed', async () => (await conns()) === before);

    // `stats` counts every box's incidents from the database: on B through its server, and on a box
    // C whose server never ran (it has no copy of any incident) — A's incident, resolved, on both.
    const [cBox] = peeredBoxes(['c']) as [ReturnType<typeof peeredBoxes>[number]];
    expect(existsSync(join(cBox.dir, 'state', 'incidents'))).toBe(false);
    for (const [b, how] of [
      [bBox, ['--socket', bBox.socket]],
      [cBox, ['--config', cBox.config, '--standalone']],
    ] as const) {
      const st = await runCli(['stats', '--json', '--since', '1d', ...how], { env: { DOAI_PG_URL: url } });
      expect(st.code, `${b.config}: ${st.stderr}`).toBe(0);
      expect(st.stderr).toBe('');
      expect(JSON.parse(st.stdout)).toMatchObject({ count: 1, resolved: 1, open: 0 });
    }
    // And C's `report` (no server, no copy): A's runs, from the database.
    const onC = await runCli(['report', id, '--config', cBox.config, '--standalone', '--lang', 'en'], { env: { DOAI_PG_URL: url } });
    expect(onC.code, onC.stderr).toBe(0);
    expect(onC.stdout.match(/Hold test started on api/g)).toHaveLength(2);
    // The database away: C says it counts its own copy (which its report just wrote), and still answers.
    const away = await runCli(['stats', '--json', '--config', cBox.config, '--standalone'], { env: { DOAI_PG_URL: url.replace(/:(\d+)\//, ':1/') } });
    expect(away.code, away.stderr).toBe(0);
    expect(away.stderr).toMatch(/^doai-console: state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:1\/incidents\): .+ — counting this box's copy of the incidents \(.+\)\n$/);
    expect(JSON.parse(away.stdout)).toMatchObject({ count: 1, resolved: 1 });
  }, 90_000);

  it('two boxes opening at once make one incident; with the database away an operator change is refused and run lines are saved when it is back', async () => {
    const db = 'incidents_race';
    const url = await fx.cluster.createDatabase(db);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await migrate(c, 'test');
    await c.end();
    const emitters: Set<RunEventListener>[] = [];
    const records: PgIncidentRecords[] = [];
    const storeOn = (name: string, wrap?: (r: PgIncidentRecords) => IncidentRecords) => {
      const r = new PgIncidentRecords({ url, shown: `postgres://postgres@127.0.0.1:${fx.cluster.port}/${db}`, password: undefined } as never, join(tmp, name, 'incidents'), name);
      records.push(r);
      const listeners = new Set<RunEventListener>();
      emitters.push(listeners);
      const store = createIncidentStore({
        dir: join(tmp, name, 'incidents'),
        reportsDir: join(tmp, name, 'reports'),
        clock: { now: () => new Date() },
        operator: name,
        rtoMin: 60,
        contacts: [],
        lang: 'en',
        pollMs: 0,
        records: wrap ? wrap(r) : r,
      });
      store.attachEngine({ on: (l) => (listeners.add(l), () => listeners.delete(l)) });
      return { store, emit: (e: RunEvent) => listeners.forEach((l) => l(e)) };
    };
    const ran = (box: { emit: (e: RunEvent) => void }, runId: string) => {
      box.emit({ type: 'run.started', runId, runbook: 'hold-test', level: 'L1', auditName: 'HOLD', target: 'api', operator: 'op', dryRun: false, at: new Date() });
      box.emit({ type: 'step.started', runId, stepId: 'check', at: new Date() });
    };
    try {
      const a = storeOn('a');
      // B read the records just before A's incident was committed: it sees none open and opens its own.
      const b = storeOn('b', (r: PgIncidentRecords) => ({ ...r, shared: true, readAll: () => ({ incidents: [], problems: [] }), save: (x, m) => r.save(x, m), newId: (s, rnd) => r.newId(s, rnd) }));
      ran(a, 'run-a');
      ran(b, 'run-b');
      const rows = await fx.cluster.query<{ id: string; record: string }>(db, 'SELECT id, record FROM doai_incidents');
      expect(rows).toHaveLength(1);
      const rec = JSON.parse(rows[0]!.record) as Incident;
      expect(rec.runIds.sort()).toEqual(['run-a', 'run-b']);
      expect(rec.id).toMatch(/-a-/);
      expect(b.store.getSnapshot().incidents.map((i) => i.id)).toEqual([rec.id]);
      expect(b.store.incidentOfRun('run-b')?.id).toBe(rec.id);

      // The database goes away.
      fx.cluster.halt();
      try {
        const refused = a.store.openManual('db is gone');
        expect(refused.ok).toBe(false);
        expect(!refused.ok && refused.error.en).toMatch(/^state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/incidents_race\): .* — incidents cannot be opened, changed or closed until it answers$/);
        // A run's step is kept on this box.
        a.emit({ type: 'step.finished', runId: 'run-a', stepId: 'check', outcome: 'ok', message: 'kept while away', at: new Date() } as RunEvent);
        expect(a.store.get(rec.id)!.timeline.some((e) => /kept while away/.test(e.text.en))).toBe(true);
      } finally {
        fx.cluster.start();
      }
      // Back: the next reload saves what was kept (bounded wait; SyncPg fails fast for 3 s after an outage).
      await waitUntilAsync('the kept line in the database', async () => {
        a.store.reload();
        const r = await fx.cluster.query<{ record: string }>(db, 'SELECT record FROM doai_incidents');
        return r.length === 1 && r[0]!.record.includes('kept while away');
      }, 20_000);
      expect(await fx.cluster.query(db, "SELECT count(*)::int AS n FROM doai_incidents WHERE record LIKE '%db is gone%'")).toEqual([{ n: 0 }]);
      // A's copy on its box follows the database.
      expect(readFileSync(join(tmp, 'a', 'incidents', `${rec.id}.json`), 'utf8')).toContain('kept while away');
    } finally {
      for (const r of records) r.close();
    }
  }, 60_000);

  it('the database stopped mid-run: the run ends on A, its lines reach the shared incident once the database is back, and B shows them', async () => {
    const db = 'incidents_down';
    const url = await fx.cluster.createDatabase(db);
    const [aBox, bBox] = peeredBoxes(['a', 'b']) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    const a = await serve(aBox, url);
    await serve(bBox, url);
    const ca = await rooted(aBox.socket);
    const cb = await rooted(bBox.socket);
    cb.send({ t: 'subscribe', topics: ['incidents'] });
    const run = await intent(ca, 'run.start', { runbook: 'hold-test', target: 'api' });
    expect(run.ok).toBe(true);
    await waitUntilAsync('the form waiting for a yes', async () => JSON.parse((await fx.cluster.query<{ view_json: string }>(db, 'SELECT view_json FROM doai_runs WHERE run_id = $1', [run.runId]))[0]?.view_json ?? '{}').prompt !== undefined);
    const [{ id }] = (await fx.cluster.query<{ id: string }>(db, 'SELECT id FROM doai_incidents')) as [{ id: string }];
    await incidentsUntil(cb, 'the incident on B', (all) => all.some((i) => i.id === id));
    fx.cluster.halt();
    try {
      // A notices at its next state-store query and says so in its log (asking its status takes a
      // CLI start per try, which a loaded machine stretches past the outage's first seconds).
      await a.waitLog(/state store unreachable/, 45_000);
      expect((await intent(ca, 'run.confirm', { runId: run.runId })).ok).not.toBe(false);
      await waitUntil("the run's end in A's journal", () => /"type":"run.finished"/.test(readFileSync(join(aBox.dir, 'state', 'journal', `${run.runId}.jsonl`), 'utf8')) || undefined);
    } finally {
      fx.cluster.start();
    }
    const seen = await incidentsUntil(cb, "the run's end on B after the database came back", (all) => all.some((i) => i.id === id && i.timeline.some((e) => e.text.en === 'Hold test SUCCESS')));
    expect(seen.find((i) => i.id === id)!.timeline.filter((e) => e.text.en === 'Hold test SUCCESS')).toHaveLength(1);
    ca.socket.destroy();
    cb.socket.destroy();
  }, 90_000);

  it('checklists: opened and signed on A, seen on B; undone on B, seen on A; one entry log in order; a sign-off is refused while the database is away', async () => {
    const db = 'checklists';
    const url = await fx.cluster.createDatabase(db);
    const [aBox, bBox] = peeredBoxes(['a', 'b']) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    await serve(aBox, url);
    await serve(bBox, url);
    const ca = await rooted(aBox.socket);
    const cb = await rooted(bBox.socket);
    ca.send({ t: 'subscribe', topics: ['checklists'] });
    cb.send({ t: 'subscribe', topics: ['checklists'] });
    type Inst = { instanceId: string; signed: number; sections: { items: { id: string; signed?: { operator: string }; undone: number }[] }[] };
    const until = async (c: RawClient, what: string, ok: (i: Inst[]) => boolean): Promise<Inst[]> =>
      ((await c.next((x) => x.t === 'snapshot' && x.topic === 'checklists' && ok(((x.data as { instances: Inst[] }).instances ?? []) as Inst[]), 20_000).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      })) as { data: { instances: Inst[] } }).data.instances;
    const item = (i: Inst | undefined, id: string) => i?.sections.flatMap((s) => s.items).find((x) => x.id === id);

    const opened = (await intent(ca, 'checklist.open', { checklist: 'post-mortem', target: 'api' })) as { ok: boolean; instanceId?: string };
    expect(opened.ok).toBe(true);
    const inst = opened.instanceId!;
    expect((await intent(ca, 'checklist.sign', { instanceId: inst, itemId: 'started' })).ok).toBe(true);
    const onB = await until(cb, "A's sign-off on B", (all) => item(all.find((i) => i.instanceId === inst), 'started')?.signed !== undefined);
    expect(onB.find((i) => i.instanceId === inst)!.signed).toBe(1);

    // Undone on B (and another item signed there): A sees both.
    expect((await intent(cb, 'checklist.undo', { instanceId: inst, itemId: 'started' })).ok).toBe(true);
    expect((await intent(cb, 'checklist.sign', { instanceId: inst, itemId: 'scope' })).ok).toBe(true);
    const onA = await until(ca, "B's changes on A", (all) => {
      const i = all.find((x) => x.instanceId === inst);
      return item(i, 'started')?.signed === undefined && item(i, 'started')?.undone === 1 && item(i, 'scope')?.signed !== undefined;
    });
    expect(onA.find((i) => i.instanceId === inst)!.signed).toBe(1);
    const log = await fx.cluster.query<{ box: string; type: string }>(db, "SELECT box, entry::json->>'type' AS type FROM doai_checklist_entries WHERE instance_id = $1 ORDER BY seq", [inst]);
    expect(log.map((r) => r.type)).toEqual(['created', 'signed', 'undone', 'signed']);
    expect(new Set(log.map((r) => r.box)).size).toBe(2);
    // Nothing in the boxes' checklist folders: the database is the log.
    for (const b of [aBox, bBox]) expect(existsSync(join(b.dir, 'state', 'checklists', `${inst}.jsonl`))).toBe(false);

    fx.cluster.halt();
    try {
      const refused = (await intent(ca, 'checklist.sign', { instanceId: inst, itemId: 'root-cause' })) as { ok: boolean; error?: { en: string } };
      expect(refused.ok).toBe(false);
      expect(refused.error?.en).toMatch(/^not recorded: state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/checklists\): .* — sign again when it answers$/);
    } finally {
      fx.cluster.start();
    }
    await waitUntilAsync('the database back', async () => (await fx.cluster.query(db, 'SELECT 1')).length === 1);
    expect(await fx.cluster.query(db, "SELECT count(*)::int AS n FROM doai_checklist_entries WHERE entry LIKE '%root-cause%'")).toEqual([{ n: 0 }]);
    ca.socket.destroy();
    cb.socket.destroy();
  }, 90_000);
});
