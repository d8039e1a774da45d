// Node sources (R-HLT-3): the config's field mapping, heartbeat formats, error rates, and the
// offline rule (no heartbeat for offline_after_s, seed 000: 5 min).
import { describe, expect, it } from 'vitest';
import { nodeSourceSchema } from '../../src/config/schema';
import { compareNodes, errorRateOf, getPath, isOnline, labelsOf, mapNodeList, nodeMatches, parseHeartbeat } from '../../src/health/nodes';
import type { NodeView } from '../../src/core/views';

const source = (extra: Record<string, unknown> = {}) => nodeSourceSchema.parse({ name: 'devices', url: 'http://127.0.0.1:1/nodes', ...extra });
const NOW = Date.UTC(2026, 0, 4, 6, 30, 0);

describe('node list mapping', () => {
  it('maps id, heartbeat, errors/requests and labels through the configured field names and list path', () => {
    const src = source({
      list_path: 'data.devices',
      fields: { id: 'serial', last_heartbeat: 'seen.at', errors: 'stats.err', requests: 'stats.req', labels: 'tags' },
    });
    const body = {
      data: {
        devices: [
          { serial: 'S-1', seen: { at: '2026-01-04T06:29:30Z' }, stats: { err: 12, req: 100 }, tags: ['rack-a', 'gpu'] },
          { serial: 2, seen: { at: 1767508000 }, stats: { err: 0, req: 0 }, tags: 'rack-b, cpu' },
        ],
      },
    };
    const r = mapNodeList(body, src);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.skipped).toBe(0);
    expect(r.nodes[0]).toEqual({ id: 'S-1', source: 'devices', lastHeartbeat: new Date('2026-01-04T06:29:30Z'), errorRate: 0.12, labels: ['rack-a', 'gpu'] });
    // Epoch seconds; zero requests gives no rate rather than 0 %.
    expect(r.nodes[1]).toEqual({ id: '2', source: 'devices', lastHeartbeat: new Date(1767508000 * 1000), labels: ['rack-b', 'cpu'] });
  });

  it('reads error_rate as a fraction, a percent number above 1, or "12 %" text', () => {
    const fields = source({ fields: { id: 'id', last_heartbeat: 'hb', error_rate: 'rate' } }).fields;
    expect(errorRateOf({ rate: 0.12 }, fields)).toBeCloseTo(0.12);
    expect(errorRateOf({ rate: 12 }, fields)).toBeCloseTo(0.12);
    expect(errorRateOf({ rate: '12 %' }, fields)).toBeCloseTo(0.12);
    expect(errorRateOf({ rate: '0.5%' }, fields)).toBeCloseTo(0.005);
    expect(errorRateOf({ rate: 'n/a' }, fields)).toBeUndefined();
    expect(errorRateOf({ rate: -1 }, fields)).toBeUndefined();
    expect(errorRateOf({}, fields)).toBeUndefined();
  });

  it('a top-level array with list_path ""; entries without an id are counted, not invented', () => {
    const r = mapNodeList([{ id: 'a', last_heartbeat: NOW }, { name: 'no-id' }, null, 'x', { id: '', last_heartbeat: NOW }], source({ list_path: '' }));
    expect(r).toMatchObject({ ok: true, skipped: 4 });
    if (r.ok) expect(r.nodes.map((n) => n.id)).toEqual(['a']);
  });

  it('a response without the list says where it looked, what it found and which setting to check', () => {
    expect(mapNodeList({ items: [] }, source())).toEqual({
      ok: false,
      error: 'no node list at "nodes" of the response (found nothing): check node_sources.devices.list_path',
    });
    expect(mapNodeList({ nodes: { a: 1 } }, source())).toMatchObject({ ok: false, error: expect.stringContaining('found an object with keys a') });
    expect(mapNodeList({ nodes: [] }, source({ list_path: '' }))).toMatchObject({ ok: false, error: expect.stringContaining('at the top level') });
  });

  it('heartbeats: ISO text, epoch seconds or milliseconds (numbers or numeric text); garbage is "never"', () => {
    expect(parseHeartbeat('2026-01-04T06:30:00+09:00')).toEqual(new Date('2026-01-03T21:30:00Z'));
    expect(parseHeartbeat(1767508200)).toEqual(new Date(1767508200_000));
    expect(parseHeartbeat(1767508200_123)).toEqual(new Date(1767508200_123));
    expect(parseHeartbeat('1767508200')).toEqual(new Date(1767508200_000));
    expect(parseHeartbeat('yesterday')).toBeNull();
    expect(parseHeartbeat(null)).toBeNull();
    expect(parseHeartbeat(0)).toBeNull();
  });

  it('labels from text, arrays and objects', () => {
    expect(labelsOf('a, b c')).toEqual(['a', 'b', 'c']);
    expect(labelsOf(['x', 3, { no: 1 }])).toEqual(['x', '3']);
    expect(labelsOf({ rack: 'a', zone: 2 })).toEqual(['rack=a', 'zone=2']);
    expect(labelsOf(undefined)).toEqual([]);
    expect(getPath({ a: { b: [1] } }, 'a.b')).toEqual([1]);
    expect(getPath({ a: 1 }, 'a.b.c')).toBeUndefined();
  });
});

describe('offline and ordering', () => {
  const after = 300_000;
  it('offline after 5 min without heartbeat (exactly 5 min is still online); no heartbeat is offline', () => {
    expect(isOnline({ lastHeartbeat: new Date(NOW - after) }, NOW, after)).toBe(true);
    expect(isOnline({ lastHeartbeat: new Date(NOW - after - 1) }, NOW, after)).toBe(false);
    expect(isOnline({ lastHeartbeat: null }, NOW, after)).toBe(false);
  });

  it('worst first: never-seen, then stalest offline, then highest error rate, then id', () => {
    const n = (id: string, hbAgo: number | null, errorRate?: number): NodeView => ({
      id,
      source: 's',
      lastHeartbeat: hbAgo === null ? null : new Date(NOW - hbAgo),
      online: hbAgo !== null && hbAgo <= after,
      labels: [],
      ...(errorRate !== undefined ? { errorRate } : {}),
    });
    const list = [n('b', 1000, 0.01), n('stale-6m', 360_000), n('never', null), n('a', 1000, 0.01), n('hot', 1000, 0.4), n('stale-1h', 3_600_000), n('norate', 1000)];
    expect([...list].sort(compareNodes).map((x) => x.id)).toEqual(['never', 'stale-1h', 'stale-6m', 'hot', 'a', 'b', 'norate']);
  });

  it('filter words match id, source or labels, case-insensitive, all words required', () => {
    const node = { id: 'node-017', source: 'devices', labels: ['rack-a', 'GPU'] };
    expect(nodeMatches(node, 'RACK-A')).toBe(true);
    expect(nodeMatches(node, 'gpu 017')).toBe(true);
    expect(nodeMatches(node, 'gpu 018')).toBe(false);
    expect(nodeMatches(node, '  ')).toBe(true);
  });
});
