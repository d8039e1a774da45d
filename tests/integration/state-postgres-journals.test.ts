// Run journals across boxes (issue 15): each server copies its box's run journals into
// doai_journal, and writes the other boxes' into <journal_dir>/other-boxes/, so `doai-console log`
// on box B lists and shows a run box A ran, byte for byte as A's journal has it; A's own listing
// is unchanged. Real PostgreSQL (one throwaway cluster for the file), two `serve` boxes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { runCli } from '../helpers/cli';
import { proveAsRoot, rawClient, waitUntil } from '../helpers/console-server';
import { fx, peeredBoxes, serve, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

describe('run journals across boxes (PostgreSQL)', () => {
  it("a run on box A: B's `doai-console log` lists it and shows its timeline from an exact copy of A's journal; A lists it once", async () => {
    const db = 'journals';
    const url = await fx.cluster.createDatabase(db);
    const [aBox, bBox] = peeredBoxes(['a', 'b']) as [ReturnType<typeof peeredBoxes>[number], ReturnType<typeof peeredBoxes>[number]];
    await serve(aBox, url);
    await serve(bBox, url);
    const c = await rawClient(aBox.socket);
    expect((await proveAsRoot(c, aBox.socket)).t).toBe('welcome');
    c.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'hold-test', target: 'api' } });
    const started = (await c.next((f) => f.t === 'result' && f.id === 1)) as { value?: { ok: boolean; runId?: string } };
    expect(started.value).toMatchObject({ ok: true });
    const runId = started.value!.runId!;
    await waitUntilAsync('the form waiting for a yes', async () => JSON.parse((await fx.cluster.query<{ view_json: string }>(db, 'SELECT view_json FROM doai_runs WHERE run_id = $1', [runId]))[0]?.view_json ?? '{}').prompt !== undefined);
    c.send({ t: 'intent', id: 2, name: 'run.confirm', args: { runId } });
    await c.next((f) => f.t === 'result' && f.id === 2);
    c.socket.destroy();

    const mine = join(aBox.dir, 'state', 'journal', `${runId}.jsonl`);
    const copy = join(bBox.dir, 'state', 'journal', 'other-boxes', `${runId}.jsonl`);
    await waitUntil("A's journal to end", () => (existsSync(mine) && /"type":"run.finished"/.test(readFileSync(mine, 'utf8'))) || undefined, 20_000);
    await waitUntil("B's copy to catch up", () => (existsSync(copy) && readFileSync(copy, 'utf8') === readFileSync(mine, 'utf8')) || undefined, 20_000);
    const rows = await fx.cluster.query<{ box: string; n: string }>(db, 'SELECT box, count(*) AS n FROM doai_journal WHERE run_id = $1 GROUP BY box', [runId]);
    expect(rows).toEqual([{ box: 'a', n: String(readFileSync(mine, 'utf8').trimEnd().split('\n').length) }]);
    // Only B has a copy; A keeps its own journal where it was, and no folder of copies of itself.
    expect(existsSync(join(aBox.dir, 'state', 'journal', 'other-boxes', `${runId}.jsonl`))).toBe(false);
    expect(readdirSync(join(bBox.dir, 'state', 'journal')).filter((n) => n.endsWith('.jsonl'))).toEqual([]);

    const listB = await runCli(['log', '--config', bBox.config]);
    expect(listB.code, listB.stderr).toBe(0);
    expect(listB.stdout).toContain(runId);
    const timeline = await runCli(['log', '--config', bBox.config, '--run', runId]);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toMatch(/✓ hold ok: confirmed/);
    expect(timeline.stdout).not.toContain('no end recorded');
    const listA = await runCli(['log', '--config', aBox.config]);
    expect(listA.stdout.split(runId).length - 1).toBe(1);
  }, 60_000);
});
