// Before the first probe answers there are no facts: the recommendation verdict, the wall screen's
// banner status and `status` must say so instead of "all healthy" (R-HLT-6, R-UI-2).
import { describe, expect, it } from 'vitest';
import { fleetVerdict, probeCoverage, recommend } from '../../src/health/recommend';
import { overallStatus } from '../../src/watch/status';
import { runStatusOnce } from '../../src/health/status';
import { configSchema } from '../../src/config/schema';
import type { ServiceHealth, ServiceState } from '../../src/core/views';

const config = configSchema.parse({
  hosts: [{ name: 'vm', address: '127.0.0.1' }],
  services: [
    { name: 'doai-orchestrator', host: 'vm', unit: 'doai-orchestrator', health_url: 'http://127.0.0.1:1/health' },
    { name: 'caddy', host: 'vm', unit: 'caddy', health_url: 'http://127.0.0.1:2/health' },
    { name: 'db-proxy', host: 'vm', unit: 'db-proxy', health_url: 'http://127.0.0.1:3/health' },
  ],
});

function svc(name: string, state: ServiceState, extra: Partial<ServiceHealth> = {}): ServiceHealth {
  const probed = state !== 'UNKNOWN';
  return { name, host: 'vm', state, samples: [], consecutiveFailures: state === 'DOWN' ? 3 : 0, threshold: 3, lastChangeAt: null, lastProbeAt: probed ? new Date(0) : null, ...extra };
}

const unknownAll = () => [svc('doai-orchestrator', 'UNKNOWN'), svc('caddy', 'UNKNOWN'), svc('db-proxy', 'UNKNOWN')];

describe('fleetVerdict: no facts, no verdict', () => {
  it('all UNKNOWN: no recommendation, and the verdict is "waiting", not "healthy"', () => {
    const services = unknownAll();
    const rec = recommend(services, {}, config);
    expect(rec).toBeUndefined();
    const v = fleetVerdict(services, rec);
    expect(v.kind).toBe('waiting');
    expect(v.coverage).toEqual({ total: 3, probed: 0, pending: 3, unmonitored: 0, up: 0 });
  });

  it('a mix of UP and not yet probed is still "waiting" (n of m not probed), never "healthy"', () => {
    const services = [svc('doai-orchestrator', 'UP'), svc('caddy', 'UP'), svc('db-proxy', 'UNKNOWN')];
    const v = fleetVerdict(services, recommend(services, {}, config));
    expect(v).toMatchObject({ kind: 'waiting', coverage: { probed: 2, pending: 1, up: 2 } });
  });

  it('a fact is enough to recommend even while others are pending; the pending count goes along', () => {
    const services = [svc('doai-orchestrator', 'DOWN', { lastError: 'connection refused' }), svc('caddy', 'UNKNOWN'), svc('db-proxy', 'UP')];
    const rec = recommend(services, {}, config);
    // A second service on the same host that has not answered yet is not "down" too: L2 for the one.
    expect(rec).toMatchObject({ level: 'L2', target: 'doai-orchestrator', reason: { en: expect.stringMatching(/^doai-orchestrator not answering/) } });
    expect(fleetVerdict(services, rec)).toMatchObject({ kind: 'recommend', coverage: { pending: 1 } });
  });

  it('an unreachable host is a fact too: L3 before any service probe answers', () => {
    const rec = recommend(unknownAll(), { hostsUnreachable: ['vm'] }, config);
    expect(rec).toMatchObject({ level: 'L3', target: 'vm' });
    expect(fleetVerdict(unknownAll(), rec).kind).toBe('recommend');
  });

  it('"healthy" only once every monitored service has answered UP', () => {
    const services = [svc('doai-orchestrator', 'UP'), svc('caddy', 'UP'), svc('db-proxy', 'UP')];
    expect(fleetVerdict(services, recommend(services, {}, config)).kind).toBe('healthy');
  });

  it('a service that never answers within its timeout turns SUSPECT (verdict "suspect", nothing recommended), then DOWN → L2', () => {
    const suspect = [svc('doai-orchestrator', 'SUSPECT', { consecutiveFailures: 1, lastError: 'timeout after 10 s' }), svc('caddy', 'UP'), svc('db-proxy', 'UP')];
    expect(recommend(suspect, {}, config)).toBeUndefined();
    expect(fleetVerdict(suspect, undefined)).toMatchObject({ kind: 'suspect', service: { name: 'doai-orchestrator', consecutiveFailures: 1 } });
    const down = [svc('doai-orchestrator', 'DOWN', { lastError: 'timeout after 10 s' }), svc('caddy', 'UP'), svc('db-proxy', 'UP')];
    const rec = recommend(down, {}, config);
    expect(rec?.reason.en).toBe('doai-orchestrator not answering (3/3 failures: timeout after 10 s) → L2 Service Reset');
    expect(fleetVerdict(down, rec).kind).toBe('recommend');
  });

  it('services without a health_url are counted apart: they never hold the verdict at "waiting"', () => {
    const services = [svc('doai-orchestrator', 'UP'), svc('caddy', 'UNKNOWN', { unmonitored: true })];
    expect(fleetVerdict(services, undefined)).toMatchObject({ kind: 'healthy', coverage: { probed: 1, pending: 0, unmonitored: 1 } });
    expect(fleetVerdict([svc('caddy', 'UNKNOWN', { unmonitored: true })], undefined).kind).toBe('unmonitored');
    expect(fleetVerdict([], undefined).kind).toBe('empty');
  });

  it('a store that gives no recommendation while a probed service is down is not called healthy', () => {
    expect(fleetVerdict([svc('caddy', 'DOWN'), svc('db-proxy', 'UP')], undefined)).toMatchObject({ kind: 'notUp', coverage: { probed: 2, up: 1 } });
  });

  it('probeCoverage counts UP, pending and unmonitored', () => {
    expect(probeCoverage([svc('a', 'UP'), svc('b', 'SLOW'), svc('c', 'UNKNOWN'), svc('d', 'UNKNOWN', { unmonitored: true })])).toEqual({
      total: 4,
      probed: 2,
      pending: 1,
      unmonitored: 1,
      up: 1,
    });
  });
});

describe('overallStatus (wall screen banner)', () => {
  it('all UNKNOWN → UNKNOWN (checking), never UP', () => {
    expect(overallStatus(unknownAll())).toMatchObject({ status: 'UNKNOWN', up: 0, pending: 3 });
  });

  it('UP and not yet probed → UNKNOWN (checking): neither ALL UP nor DEGRADED', () => {
    expect(overallStatus([svc('a', 'UP'), svc('b', 'UNKNOWN')])).toMatchObject({ status: 'UNKNOWN', up: 1, pending: 1 });
  });

  it('a fact outranks the waiting: DOWN and DEGRADED show with services still pending', () => {
    expect(overallStatus([svc('a', 'DOWN'), svc('b', 'UNKNOWN')]).status).toBe('DOWN');
    expect(overallStatus([svc('a', 'SUSPECT'), svc('b', 'UNKNOWN')]).status).toBe('DEGRADED');
    expect(overallStatus([svc('a', 'SLOW'), svc('b', 'UP')]).status).toBe('DEGRADED');
  });

  it('UP once all monitored are UP; services without health_url do not hold it; nothing monitored → NONE', () => {
    expect(overallStatus([svc('a', 'UP'), svc('b', 'UP')]).status).toBe('UP');
    expect(overallStatus([svc('a', 'UP'), svc('b', 'UNKNOWN', { unmonitored: true })])).toMatchObject({ status: 'UP', unmonitored: 1 });
    expect(overallStatus([svc('b', 'UNKNOWN', { unmonitored: true })]).status).toBe('NONE');
    expect(overallStatus([]).status).toBe('NONE');
  });
});

describe('status with nothing to probe', () => {
  it('no service has a health_url: exit 1 and what to add, not "All 0 probed services UP"', async () => {
    const bare = configSchema.parse({
      hosts: [{ name: 'vm', address: '127.0.0.1' }],
      services: [{ name: 'caddy', host: 'vm', unit: 'caddy' }],
    });
    const table = await runStatusOnce(bare, {});
    expect(table.exitCode).toBe(1);
    expect(table.text).not.toContain('All 0');
    expect(table.text).toContain('No service has a health_url, so nothing was probed — add health_url: to the services in the config.');
    const json = await runStatusOnce(bare, { json: true });
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.text).allUp).toBe(false);
  });

  it('no services at all: exit 1 with the hint', async () => {
    const empty = configSchema.parse({ hosts: [{ name: 'vm', address: '127.0.0.1' }], services: [] });
    const res = await runStatusOnce(empty, {});
    expect(res.exitCode).toBe(1);
    expect(res.text).toContain('No services declared in the config');
  });
});
