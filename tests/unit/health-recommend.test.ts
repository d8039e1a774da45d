import { describe, expect, it } from 'vitest';
import { recommend } from '../../src/health/recommend';
import { configSchema } from '../../src/config/schema';
import type { ServiceHealth, ServiceState } from '../../src/core/views';

const config = configSchema.parse({
  hosts: [
    { name: 'vm', address: '127.0.0.1' },
    { name: 'db-vm', address: '127.0.0.2' },
  ],
  services: [
    { name: 'doai-orchestrator', host: 'vm', unit: 'doai-orchestrator', health_url: 'http://127.0.0.1:1/health' },
    { name: 'caddy', host: 'vm', unit: 'caddy', health_url: 'http://127.0.0.1:2/health', slow_ms: 2000 },
    { name: 'api', host: 'db-vm', unit: 'api', health_url: 'http://127.0.0.1:3/health' },
  ],
});

function svc(name: string, host: string, state: ServiceState, extra: Partial<ServiceHealth> = {}): ServiceHealth {
  return { name, host, state, samples: [], consecutiveFailures: 0, threshold: 3, lastChangeAt: null, lastProbeAt: null, ...extra };
}

const healthy = () => [svc('doai-orchestrator', 'vm', 'UP'), svc('caddy', 'vm', 'UP'), svc('api', 'db-vm', 'UP')];

describe('recommend (R-HLT-6)', () => {
  it('recommends nothing when everything is UP or UNKNOWN', () => {
    expect(recommend(healthy(), {}, config)).toBeUndefined();
    expect(recommend([svc('caddy', 'vm', 'UNKNOWN')], {}, config)).toBeUndefined();
  });

  it('a slow API → L1 on that service, with its own threshold in the reason', () => {
    const s = healthy();
    s[1] = svc('caddy', 'vm', 'SLOW', { latencyMs: 6200 });
    expect(recommend(s, {}, config)).toEqual({
      level: 'L1',
      runbook: 'l1-soft-reset',
      target: 'caddy',
      reason: { en: 'caddy slow (6.2 s > 2 s) → L1 Soft Reset', ko: 'caddy 응답 지연 (6.2초 > 2초) → L1 소프트 리셋' },
    });
  });

  it('seed 000: a service not answering (DOWN, 3/3) → L2; SUSPECT (1/3) is not yet a failure and recommends nothing', () => {
    const s = healthy();
    s[0] = svc('doai-orchestrator', 'vm', 'SUSPECT', { consecutiveFailures: 1, lastError: 'connection refused' });
    expect(recommend(s, {}, config)).toBeUndefined();
    s[0] = svc('doai-orchestrator', 'vm', 'DOWN', { consecutiveFailures: 3, lastError: 'connection refused' });
    const rec = recommend(s, {}, config)!;
    expect(rec.level).toBe('L2');
    expect(rec.runbook).toBe('l2-service-reset');
    expect(rec.target).toBe('doai-orchestrator');
    expect(rec.reason.en).toBe('doai-orchestrator not answering (3/3 failures: connection refused) → L2 Service Reset');
    expect(rec.reason.ko).toBe('doai-orchestrator 무응답 (3/3회 실패: connection refused) → L2 서비스 리셋');
  });

  it('DOWN outranks SLOW, config order breaks ties; SUSPECT never counts', () => {
    const s = [
      svc('doai-orchestrator', 'vm', 'SLOW', { latencyMs: 7000 }),
      svc('caddy', 'vm', 'SUSPECT', { consecutiveFailures: 1 }),
      svc('api', 'db-vm', 'DOWN', { consecutiveFailures: 3 }),
    ];
    expect(recommend(s, {}, config)).toMatchObject({ level: 'L2', target: 'api' });
    s[2] = svc('api', 'db-vm', 'UP');
    expect(recommend(s, {}, config)).toMatchObject({ level: 'L1', target: 'doai-orchestrator' });
  });

  it('run history: a failed L1 on this target → L2; a failed L2 → L3 on its host; nothing once it is UP', () => {
    const s = healthy();
    s[1] = svc('caddy', 'vm', 'SLOW', { latencyMs: 6200 });
    expect(recommend(s, { failedRecoveries: [{ target: 'caddy', level: 'L1' }] }, config)).toEqual({
      level: 'L2',
      runbook: 'l2-service-reset',
      target: 'caddy',
      reason: { en: 'L1 Soft Reset failed on caddy in this incident → L2 Service Reset', ko: 'caddy에서 L1 소프트 리셋 실패 (이번 인시던트) → L2 서비스 리셋' },
    });
    s[1] = svc('caddy', 'vm', 'SUSPECT', { consecutiveFailures: 1 });
    expect(recommend(s, { failedRecoveries: [{ target: 'caddy', level: 'L1' }] }, config)).toMatchObject({ level: 'L2', target: 'caddy' });
    s[1] = svc('caddy', 'vm', 'DOWN', { consecutiveFailures: 3 });
    expect(recommend(s, { failedRecoveries: [{ target: 'caddy', level: 'L2' }] }, config)).toMatchObject({ level: 'L3', runbook: 'l3-box-reset', target: 'vm' });
    // Another target's failure does not escalate this one.
    expect(recommend(s, { failedRecoveries: [{ target: 'api', level: 'L2' }] }, config)).toMatchObject({ level: 'L2', target: 'caddy' });
    expect(recommend(healthy(), { failedRecoveries: [{ target: 'caddy', level: 'L1' }] }, config)).toBeUndefined();
  });

  it('several services down on one host → L2', () => {
    const s = healthy();
    s[0] = svc('doai-orchestrator', 'vm', 'DOWN', { consecutiveFailures: 3 });
    s[1] = svc('caddy', 'vm', 'DOWN', { consecutiveFailures: 4 });
    const rec = recommend(s, {}, config)!;
    expect(rec).toMatchObject({ level: 'L2', runbook: 'l2-service-reset', target: 'doai-orchestrator' });
    expect(rec.reason.en).toBe('2 services on vm down (doai-orchestrator, caddy) → L2 Service Reset');
  });

  it('many nodes offline at once → L2 on the primary service; below the ratio → nothing', () => {
    expect(recommend(healthy(), { nodesOfflineRatio: 0.1 }, config)).toBeUndefined();
    const rec = recommend(healthy(), { nodesOfflineRatio: 0.45 }, config)!;
    expect(rec).toMatchObject({ level: 'L2', target: 'doai-orchestrator' });
    expect(rec.reason.en).toBe('45% of nodes offline at once (≥ 30%) → L2 Service Reset');
  });

  it('database connection failing → L2, outranking an L1 symptom', () => {
    const s = healthy();
    s[2] = svc('api', 'db-vm', 'SLOW', { latencyMs: 9000 });
    const rec = recommend(s, { dbFailing: ['postgres'] }, config)!;
    expect(rec.level).toBe('L2');
    expect(rec.reason.en).toBe('database connection failing (postgres) → L2 Service Reset');
  });

  it('host unreachable → L3 with the host as target, worst of all', () => {
    const s = healthy();
    s[0] = svc('doai-orchestrator', 'vm', 'DOWN', { consecutiveFailures: 3 });
    s[1] = svc('caddy', 'vm', 'DOWN', { consecutiveFailures: 3 });
    const rec = recommend(s, { hostsUnreachable: ['vm'], nodesOfflineRatio: 1, dbFailing: ['x'] }, config)!;
    expect(rec).toMatchObject({ level: 'L3', runbook: 'l3-box-reset', target: 'vm' });
    expect(rec.reason.en).toBe('vm unreachable (SSH, 2 services down) → L3 Box Reset');
    expect(rec.reason.ko).toContain('L3 박스 리셋');
  });

  it('a service on an unreachable host is not offered L1 or L2', () => {
    const s = [svc('api', 'db-vm', 'DOWN', { consecutiveFailures: 3 }), svc('doai-orchestrator', 'vm', 'UP')];
    expect(recommend(s, { hostsUnreachable: ['db-vm'] }, config)).toMatchObject({ level: 'L3', target: 'db-vm' });
  });
});
