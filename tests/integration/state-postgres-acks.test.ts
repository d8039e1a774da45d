// Acknowledgements across a leader change (issue 15): an alert acknowledged on the leading server
// is recorded in doai_acks for its firing episode, so after kill -9 of that leader the server that
// takes over shows the alert acknowledged (by whom, on which box), refuses to acknowledge it a
// second time (no second [ACK] to the receivers) and pages nothing again. Real PostgreSQL (one
// throwaway cluster for the file), two `serve` boxes, a counting webhook receiver.
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/requirements';
import { proveAsRoot, rawClient, waitUntil, type RawClient } from '../helpers/console-server';
import { box, fx, serve, useStateBoxes, waitUntilAsync } from '../helpers/state-boxes';

requireRoot('PostgreSQL runs as the postgres user, started by this suite');
useStateBoxes();

type Alert = { key: string; state: string; acknowledged?: { by: string; at: string }; actions: string[] };

async function rootOn(socket: string): Promise<RawClient> {
  const c = await rawClient(socket);
  expect((await proveAsRoot(c, socket)).t).toBe('welcome');
  return c;
}

let nextId = 100;
async function ack(c: RawClient, key: string): Promise<{ ok: boolean; error?: string }> {
  const id = ++nextId;
  c.send({ t: 'intent', id, name: 'alerts.ack', args: { key } });
  return (await c.next((f) => f.t === 'result' && f.id === id, 15_000)) as { ok: boolean; error?: string };
}

function alertIn(c: RawClient, key: string, pred: (a: Alert) => boolean): Promise<Alert> {
  return waitUntil(`alert ${key} on the alerts topic`, () => {
    for (const f of [...c.frames].reverse()) {
      if (f.t !== 'snapshot' || f.topic !== 'alerts') continue;
      const a = (f.data as { alerts: Alert[] }).alerts.find((x) => x.key === key);
      if (a && pred(a)) return a;
    }
    return undefined;
  }, 20_000);
}

describe('acknowledgements across a leader change (PostgreSQL)', () => {
  it('acknowledged on leader A, A killed: B leads and shows it acknowledged by root on A, refuses a second ack, pages nothing again', async () => {
    const db = 'acks_handover';
    const url = await fx.cluster.createDatabase(db);
    // A JSON receiver: it gets acknowledgements too (a chat receiver does not), so a second [ACK] would show.
    const json = { notifications: { webhooks: [{ name: 'oncall', url_env: 'TEST_HOOK_URL', retries: 3, timeout_s: 2, format: 'json' }] } };
    const aBox = box('a', json);
    const bBox = box('b', json);
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    const b = await serve(bBox, url);
    await b.waitLog(/following: /);
    const key = 'api_down:api';

    fx.healthy = false;
    await waitUntil('the FIRING notification', () => fx.received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    const ca = await rootOn(aBox.socket);
    ca.send({ t: 'subscribe', topics: ['alerts'] });
    await alertIn(ca, key, (x) => x.state === 'firing');
    expect(await ack(ca, key)).toMatchObject({ ok: true });
    await waitUntil('the [ACK] notification', () => fx.received.find((r) => r.text.startsWith('[ACK] api_down')), 20_000);
    const rows = await fx.cluster.query<{ key: string; seq: number; by_user: string; box: string }>(db, 'SELECT key, seq, by_user, box FROM doai_acks');
    expect(rows).toEqual([{ key, seq: 1, by_user: 'root', box: expect.stringContaining(`(pid ${a.child.pid})`) }]);
    ca.socket.destroy();

    a.child.kill('SIGKILL');
    await a.exited;
    await b.waitLog(/leading \(term 2\)/, 15_000);
    const cb = await rootOn(bBox.socket);
    cb.send({ t: 'subscribe', topics: ['alerts'] });
    // B fires the alert from its own probes and finds it acknowledged under A.
    const onB = await alertIn(cb, key, (x) => x.state === 'firing' && x.acknowledged !== undefined);
    expect(onB.acknowledged).toMatchObject({ by: 'root' });
    expect(onB.actions.join('\n')).toMatch(new RegExp(`acknowledged by root at \\S+ on \\S+ \\(pid ${a.child.pid}\\) \\(before this server evaluated it\\) — not notified again`));
    const again = await ack(cb, key);
    expect(again.ok).toBe(false);
    expect(again.error).toMatch(/already acknowledged by root at /);

    // Recovery is still told, once; nothing else was sent after the handover.
    fx.healthy = true;
    await waitUntil('the RESOLVED notification', () => fx.received.find((r) => r.text.startsWith('[RESOLVED] api_down')), 20_000);
    await waitUntilAsync('an empty outbox', async () => (await fx.cluster.query(db, "SELECT 1 FROM doai_outbox WHERE state <> 'delivered'")).length === 0);
    expect(fx.received.map((r) => r.text.split(':')[0])).toEqual(['[FIRING] api_down', '[ACK] api_down', '[RESOLVED] api_down']);
    cb.socket.destroy();
  }, 90_000);

  it('the database away: an ack is refused (nothing recorded, nothing sent); back, it is taken and recorded', async () => {
    const db = 'acks_down';
    const url = await fx.cluster.createDatabase(db);
    const json = { notifications: { webhooks: [{ name: 'oncall', url_env: 'TEST_HOOK_URL', retries: 3, timeout_s: 2, format: 'json' }] } };
    const aBox = box('a', json);
    const a = await serve(aBox, url);
    await a.waitLog(/leading \(term 1\)/);
    const key = 'api_down:api';
    fx.healthy = false;
    await waitUntil('the FIRING notification', () => fx.received.find((r) => r.text.startsWith('[FIRING] api_down')), 20_000);
    const c = await rootOn(aBox.socket);
    fx.cluster.halt();
    try {
      const refused = await ack(c, key);
      expect(refused.ok).toBe(false);
      // Refused by the store (unreachable) or, once the lease tick noticed, because nobody leads.
      expect(refused.error).toMatch(/not acknowledged: state store unreachable \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/acks_down\)|\(none leads now\)/);
    } finally {
      fx.cluster.start();
    }
    expect(fx.received.some((r) => r.text.startsWith('[ACK]'))).toBe(false);
    expect(await fx.cluster.query(db, 'SELECT * FROM doai_acks')).toEqual([]);
    await a.waitLog(/leading \(term 2\)/, 20_000);
    await waitUntilAsync('the ack taken once the database is back', async () => (await ack(c, key)).ok);
    expect(await fx.cluster.query<{ by_user: string }>(db, 'SELECT by_user FROM doai_acks')).toEqual([{ by_user: 'root' }]);
    await waitUntil('the [ACK] notification', () => fx.received.find((r) => r.text.startsWith('[ACK] api_down')), 20_000);
    c.socket.destroy();
  }, 90_000);
});
