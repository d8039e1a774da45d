// Checklist schema, auto checks and the store's sign-off rules, with a fake clock and a fixture
// fleet snapshot; the state is the real append-only files in a temp directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import type { ServiceHealth } from '../../src/core/views';
import { loadChecklists, parseChecklist } from '../../src/checklist/loader';
import { evaluateAuto, timeFromName, type LiveFacts } from '../../src/checklist/facts';
import { createChecklistStore, type ChecklistEvent } from '../../src/checklist/store';
import { readEntries } from '../../src/checklist/log';
import type { ChecklistDefinition } from '../../src/checklist/schema';

const T0 = Date.UTC(2026, 0, 4, 6, 30, 0);

function svc(p: Partial<ServiceHealth> & { name: string }): ServiceHealth {
  return { host: 'vultr', state: 'UP', httpStatus: 200, latencyMs: 42, samples: [], consecutiveFailures: 0, threshold: 3, lastChangeAt: null, lastProbeAt: null, ...p };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chk-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

describe('checklist definitions', () => {
  it('loads every built-in checklist from the seeds', () => {
    const ids = loadChecklists().map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['post-recovery', 'situation-assessment', 'recovery', 'refserver', 'weekly-inspection', 'monthly-inspection', 'post-mortem']));
    const post = loadChecklists().find((c) => c.id === 'post-recovery')!;
    expect(post.post_recovery).toBe(true);
    expect(post.sections.map((s) => s.opens_after_min)).toEqual([undefined, 10, 60]);
  });

  it('names file, line and field for an unknown auto check and an unknown key', () => {
    const text = ['id: mine', 'title: { ko: 내 것, en: Mine }', 'sections:', '  - id: a', '    title: { ko: 가, en: A }', '    items:', '      - id: x', '        text: { ko: 엑스, en: X }', '        auto: { check: ping_ok }', '        colour: red', ''].join('\n');
    const res = parseChecklist(text, '/etc/mine.yaml');
    expect(res.ok).toBe(false);
    const problems = (res as { problems: string[] }).problems.join('\n');
    expect(problems).toMatch(/\/etc\/mine\.yaml:9:\d+: sections\[0\]\.items\[0\]\.auto\.check: expected one of: health_ok/);
    expect(problems).toMatch(/\/etc\/mine\.yaml:10:\d+: .*colour/);
  });

  it('refuses duplicate item ids and a missing user file, listing both', () => {
    const file = join(dir, 'dup.yaml');
    writeFileSync(file, ['id: dup', 'title: { ko: 중복, en: Dup }', 'sections:', '  - id: a', '    title: { ko: 가, en: A }', '    items:', '      - { id: x, text: { ko: 하나, en: one } }', '      - { id: x, text: { ko: 둘, en: two } }', ''].join('\n'));
    let message = '';
    try {
      loadChecklists({ extraPaths: [file, join(dir, 'nope.yaml')] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/dup\.yaml:8:\d+: sections\[0\]\.items\[1\]\.id: expected a unique item id \("x" is used twice\)/);
    expect(message).toMatch(/nope\.yaml: no such file or directory \(listed under checklists: in the config; fix or remove the entry\)/);
  });
});

describe('auto checks', () => {
  const scope = { services: ['orch'], hosts: ['vultr'] };
  const now = new Date(T0);
  const facts = (services: ServiceHealth[], extra: Partial<LiveFacts> = {}): LiveFacts => ({ services, ...extra });

  it('health 200 passes, a DOWN service fails with its error, no probe yet is unknown', () => {
    expect(evaluateAuto({ check: 'health_ok' }, facts([svc({ name: 'orch' })]), scope, now).status).toBe('pass');
    const down = evaluateAuto({ check: 'health_ok' }, facts([svc({ name: 'orch', state: 'DOWN', httpStatus: undefined, lastError: 'connection refused' })]), scope, now);
    expect(down).toMatchObject({ status: 'fail', detail: { en: 'orch DOWN: connection refused' } });
    expect(evaluateAuto({ check: 'health_ok' }, facts([svc({ name: 'orch', state: 'UNKNOWN', httpStatus: undefined })]), scope, now).status).toBe('unknown');
  });

  it('latency < 500 ms passes at 42 ms and fails at 620 ms', () => {
    expect(evaluateAuto({ check: 'latency_below', max_ms: 500 }, facts([svc({ name: 'orch', latencyMs: 42 })]), scope, now).status).toBe('pass');
    const slow = evaluateAuto({ check: 'latency_below', max_ms: 500 }, facts([svc({ name: 'orch', latencyMs: 620 })]), scope, now);
    expect(slow).toMatchObject({ status: 'fail', detail: { en: 'orch 620 ms ≥ 500 ms' } });
  });

  it('facts no store provides are unknown, never guessed', () => {
    const f = facts([svc({ name: 'orch' })]);
    for (const check of [{ check: 'websocket_accepts' }, { check: 'nodes_online_ratio', min: 0.5 }, { check: 'error_rate_below', max: 0.01 }, { check: 'disk_below', max_pct: 80 }, { check: 'backups_present', max_age_h: 24 }] as const) {
      expect(evaluateAuto(check, f, scope, now).status, check.check).toBe('unknown');
    }
  });

  it('nodes, error rate, disk and WebSocket pass and fail on their thresholds', () => {
    const f = facts([svc({ name: 'orch' })], { nodes: { online: 60, total: 100, errorRate: 0.02 }, hosts: { vultr: { diskPct: 85 } }, websocket: { orch: { ok: false, error: 'HTTP 502', at: now } } });
    expect(evaluateAuto({ check: 'nodes_online_ratio', min: 0.5 }, f, scope, now).status).toBe('pass');
    expect(evaluateAuto({ check: 'nodes_online_ratio', min: 1 }, f, scope, now)).toMatchObject({ status: 'fail', detail: { en: '60/100 online (60 %) < 100 %' } });
    expect(evaluateAuto({ check: 'error_rate_below', max: 0.01 }, f, scope, now).status).toBe('fail');
    expect(evaluateAuto({ check: 'disk_below', max_pct: 80 }, f, scope, now)).toMatchObject({ status: 'fail', detail: { en: 'vultr disk 85 % ≥ 80 %' } });
    expect(evaluateAuto({ check: 'websocket_accepts' }, f, scope, now)).toMatchObject({ status: 'fail', detail: { en: 'orch: HTTP 502' } });
  });

  it('backups: fresh passes, too old fails, empty fails, names without a date are unknown', () => {
    const b = (p: object) => facts([], { backups: { vultr: { dir: '/var/backups/doai', count: 2, checkedAt: now, ...p } } });
    const fresh = new Date(T0 - 3 * 3_600_000);
    expect(evaluateAuto({ check: 'backups_present', max_age_h: 24 }, b({ newestAt: fresh, newestName: 'x' }), scope, now).status).toBe('pass');
    expect(evaluateAuto({ check: 'backups_present', max_age_h: 2 }, b({ newestAt: fresh, newestName: 'x' }), scope, now).status).toBe('fail');
    expect(evaluateAuto({ check: 'backups_present', max_age_h: 24 }, b({ count: 0 }), scope, now).status).toBe('fail');
    expect(evaluateAuto({ check: 'backups_present', max_age_h: 24 }, b({}), scope, now).status).toBe('unknown');
    expect(timeFromName('20260104_153000')).toEqual(new Date(2026, 0, 4, 15, 30, 0));
    expect(timeFromName('db-2026-01-04.sql.gz')).toEqual(new Date(2026, 0, 4));
    expect(timeFromName('latest')).toBeUndefined();
  });
});

describe('checklist store', () => {
  const def: ChecklistDefinition = {
    id: 'post',
    title: { en: 'Post', ko: '사후' },
    post_recovery: true,
    sections: [
      { id: 'now', title: { en: 'Now', ko: '즉시' }, items: [{ id: 'health', text: { en: 'Health', ko: '헬스' }, auto: { check: 'health_ok' } }, { id: 'manual', text: { en: 'Manual', ko: '수동' } }] },
      { id: 'later', title: { en: '+10 min', ko: '10분 후' }, opens_after_min: 10, items: [{ id: 'lat', text: { en: 'Latency', ko: '지연' }, auto: { check: 'latency_below', max_ms: 500 } }] },
    ],
  };

  function make(services: ServiceHealth[], clock = new FakeClock(T0), operator = 'orion') {
    let current = services;
    const store = createChecklistStore({ dir, definitions: [def], clock, operator, facts: () => ({ services: current }), scopeOf: () => ({ services: ['orch'], hosts: ['vultr'] }), pollMs: 0 });
    const events: ChecklistEvent[] = [];
    store.onEvent((e) => events.push(e));
    return { store, clock, events, setServices: (s: ServiceHealth[]) => (current = s) };
  }

  it('signs with operator and time, durably, and refuses a second sign-off', () => {
    const { store, events } = make([svc({ name: 'orch' })]);
    const opened = store.open('post', { target: 'orch', anchorAt: new Date(T0) });
    expect(opened.ok).toBe(true);
    const id = (opened as { instanceId: string }).instanceId;
    expect(store.sign(id, 'manual')).toEqual({ ok: true });
    const item = store.getSnapshot().instances[0]!.sections[0]!.items[1]!;
    expect(item.signed).toMatchObject({ operator: 'orion', at: new Date(T0) });
    const lines = readFileSync(join(dir, `${id}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['created', 'signed']);
    const again = store.sign(id, 'manual');
    expect(again).toMatchObject({ ok: false, error: { en: expect.stringMatching(/already signed by orion at \d\d:\d\d — press u to undo/) } });
    expect(events.map((e) => e.type)).toEqual(['opened', 'signed']);
  });

  it('a failing auto item is signed only with an override and a note', () => {
    const { store } = make([svc({ name: 'orch', state: 'DOWN', httpStatus: 503, lastError: 'HTTP 503' })]);
    const id = (store.open('post', { anchorAt: new Date(T0) }) as { instanceId: string }).instanceId;
    expect(store.sign(id, 'health')).toMatchObject({ ok: false, error: { en: expect.stringMatching(/check is failing \(orch DOWN: HTTP 503\) — press o to sign anyway/) } });
    expect(store.sign(id, 'health', { override: true })).toMatchObject({ ok: false, error: { en: expect.stringMatching(/override needs a note/) } });
    expect(store.sign(id, 'health', { override: true, note: '   ' })).toMatchObject({ ok: false });
    expect(store.sign(id, 'health', { override: true, note: 'known flap, \x1b[31mupstream\x1b[0m ack' })).toEqual({ ok: true });
    const signed = store.getSnapshot().instances[0]!.sections[0]!.items[0]!.signed!;
    expect(signed).toMatchObject({ override: true, auto: 'fail', note: 'known flap, [31mupstream [0m ack' });
  });

  it('an auto item whose check is UNKNOWN is signed only with an override and a note, like a failing one', () => {
    const { store } = make([svc({ name: 'orch', state: 'UNKNOWN', httpStatus: undefined })]);
    const id = (store.open('post', { anchorAt: new Date(T0) }) as { instanceId: string }).instanceId;
    expect(store.sign(id, 'health')).toMatchObject({ ok: false, error: { en: expect.stringMatching(/check cannot tell yet \(orch: no probe result yet\) — press o to sign anyway/) } });
    expect(store.sign(id, 'health', { override: true })).toMatchObject({ ok: false, error: { en: expect.stringMatching(/override needs a note/) } });
    expect(store.sign(id, 'health', { override: true, note: 'probe host down, checked by hand' })).toEqual({ ok: true });
    const signed = store.getSnapshot().instances[0]!.sections[0]!.items[0]!.signed!;
    expect(signed).toMatchObject({ override: true, auto: 'unknown', note: 'probe host down, checked by hand' });
  });

  it('undo is recorded, not erased; undoing an unsigned item says so', () => {
    const { store } = make([svc({ name: 'orch' })]);
    const id = (store.open('post') as { instanceId: string }).instanceId;
    expect(store.undo(id, 'manual')).toMatchObject({ ok: false, error: { en: 'nothing to undo — this item is not signed' } });
    store.sign(id, 'manual');
    expect(store.undo(id, 'manual')).toEqual({ ok: true });
    const item = store.getSnapshot().instances[0]!.sections[0]!.items[1]!;
    expect(item.signed).toBeUndefined();
    expect(item.undone).toBe(1);
    expect(readEntries(join(dir, `${id}.jsonl`)).entries.map((e) => e.type)).toEqual(['created', 'signed', 'undone']);
    expect(store.sign(id, 'manual')).toEqual({ ok: true });
  });

  it('notes need text; they stay with the item', () => {
    const { store } = make([svc({ name: 'orch' })]);
    const id = (store.open('post') as { instanceId: string }).instanceId;
    expect(store.note(id, 'manual', '  ')).toMatchObject({ ok: false, error: { en: expect.stringMatching(/note cannot be empty/) } });
    expect(store.note(id, 'manual', 'queue at 12 jobs')).toEqual({ ok: true });
    expect(store.getSnapshot().instances[0]!.sections[0]!.items[1]!.notes).toEqual([{ operator: 'orion', at: new Date(T0), text: 'queue at 12 jobs' }]);
    expect(store.note(id, 'nope', 'x')).toMatchObject({ ok: false, error: { en: 'no item "nope" in checklist "post"' } });
  });

  it('a time-gated section opens 10 minutes after the recovery success, with the time it opens', async () => {
    const clock = new FakeClock(T0 + 3 * 60_000);
    const { store } = make([svc({ name: 'orch', latencyMs: 40 })], clock);
    const id = (store.open('post', { anchorAt: new Date(T0) }) as { instanceId: string }).instanceId;
    expect(store.getSnapshot().instances[0]!.sections[1]!.opensAt).toEqual(new Date(T0 + 10 * 60_000));
    const early = store.sign(id, 'lat');
    expect(early).toMatchObject({ ok: false, error: { en: expect.stringMatching(/"\+10 min" opens at \d\d:40 \(in 7m00s\)/) } });
    await clock.advance(7 * 60_000 - 1000);
    expect(store.sign(id, 'lat')).toMatchObject({ ok: false, error: { en: expect.stringMatching(/in 0m01s/) } });
    await clock.advance(1000);
    expect(store.sign(id, 'lat')).toEqual({ ok: true });
  });

  it('opening the same recovery\'s checklist again resumes it', () => {
    const { store } = make([svc({ name: 'orch' })]);
    const a = store.open('post', { target: 'orch', anchorAt: new Date(T0) });
    const b = store.open('post', { target: 'orch', anchorAt: new Date(T0) });
    expect(b).toEqual(a);
    expect(store.open('nope')).toMatchObject({ ok: false, error: { en: 'no checklist "nope" (known: post)' } });
  });

  it('a sign-off that cannot be written is refused and not shown as signed', () => {
    const { store } = make([svc({ name: 'orch' })]);
    const id = (store.open('post') as { instanceId: string }).instanceId;
    // A directory where the file was: the write fails for root too.
    rmSync(join(dir, `${id}.jsonl`));
    mkdirSync(join(dir, `${id}.jsonl`));
    const res = store.sign(id, 'manual');
    expect(res).toMatchObject({ ok: false, error: { en: expect.stringMatching(/not recorded: cannot write to .* check that the state directory is writable/) } });
    expect(store.getSnapshot().instances[0]!.signed).toBe(0);
  });

  it('a new store replays the files: every sign-off, note and undo is back', () => {
    const first = make([svc({ name: 'orch' })]);
    const id = (first.store.open('post', { anchorAt: new Date(T0) }) as { instanceId: string }).instanceId;
    first.store.sign(id, 'health');
    first.store.sign(id, 'manual');
    first.store.undo(id, 'manual');
    first.store.note(id, 'manual', 'later');
    const second = make([svc({ name: 'orch' })]).store;
    const inst = second.getSnapshot().instances[0]!;
    expect(inst.instanceId).toBe(id);
    expect(inst.signed).toBe(1);
    expect(inst.sections[0]!.items[1]).toMatchObject({ undone: 1, notes: [{ text: 'later' }] });
  });
});
