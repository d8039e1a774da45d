// The /metrics registry (R-MON-1) over hand-built snapshots: nodes counted per source (10,000
// devices → two series), runs and approvals counted from the engine's events with the run's
// duration, audit-log write failures counted from a REAL failed append, and the text is valid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/emergency-log';
import { BatchedStore } from '../../src/core/store';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, NodesSnapshot } from '../../src/core/views';
import type { RunEvent } from '../../src/runbook/events';
import { createMetrics } from '../../src/server/metrics';
import { parseListenAddress } from '../../src/server/http-listener';

class Fixed<S> extends BatchedStore<S> {
  put(next: S): void {
    this.set(next);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'doai-metrics-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t0 = new Date('2026-01-01T00:00:00Z');

function fleetSnap(samples: (number | null)[], failures: number): FleetSnapshot {
  return {
    services: [{ name: 'api', host: 'h1', state: failures >= 3 ? 'DOWN' : 'UP', samples, consecutiveFailures: failures, threshold: 3, lastChangeAt: t0, lastProbeAt: new Date(t0.getTime() + samples.length * 1000) }],
    intervalMs: 1000,
    timeScale: 1,
    updatedAt: t0,
  };
}

describe('metrics registry', () => {
  it('counts 10,000 nodes per source and state, reads hosts and alerts, and promtool accepts it', async () => {
    const nodes: NodesSnapshot = {
      total: 10_000,
      online: 0,
      offline: 0,
      errorRateHigh: 0,
      errorRateThreshold: 0.1,
      offlineAfterMs: 300_000,
      nodes: Array.from({ length: 10_000 }, (_, i) => ({ id: `n${i}`, source: i < 4000 ? 'a' : 'b', lastHeartbeat: t0, online: i % 10 !== 0, labels: [], isolated: i === 5 })),
      sources: [
        { name: 'a', lastFetchAt: t0, lastOkAt: t0, count: 4000 },
        { name: 'b', error: 'HTTP 503', lastFetchAt: t0, lastOkAt: t0, count: 6000 },
      ],
      updatedAt: t0,
    };
    const hosts: HostsSnapshot = {
      hosts: [{ name: 'h1', address: '127.0.0.1', reachability: 'REACHABLE', consecutiveFailures: 0, threshold: 3, lastProbeAt: t0, lastChangeAt: t0, metrics: { load1: 0.5, load5: 0.25, load15: 0.1, memTotalMb: 2048, memUsedMb: 1024, disk: { mount: '/', usedRatio: 0.85 }, diskOver: [{ mount: '/', usedRatio: 0.85 }], at: t0 } }],
      diskThreshold: 0.8,
      updatedAt: t0,
    };
    const alerts: AlertsSnapshot = {
      alerts: [
        { key: 'x:api', rule: 'x', kind: 'service_down', subject: 'api', state: 'firing', since: t0, message: 'm', actions: [], notifications: [] },
        { key: 'x:api', rule: 'x', kind: 'service_down', subject: 'api', state: 'resolved', since: t0, message: 'm', actions: [], notifications: [] },
        { key: 'y:db', rule: 'y', kind: 'service_down', subject: 'db', state: 'resolved', since: t0, message: 'm', actions: [], notifications: [] },
      ],
      firing: 1,
      isolated: ['n5'],
      problems: [],
    };
    const m = createMetrics({ fleet: new Fixed(fleetSnap([12, null, 250], 0)), nodes: new Fixed(nodes), hosts: new Fixed(hosts), alerts: new Fixed(alerts) });
    const text = await m.text();
    expect(text).toContain('doai_nodes{source="a",state="online"} 3600');
    expect(text).toContain('doai_nodes{source="a",state="offline"} 400');
    expect(text).toContain('doai_nodes{source="b",state="online"} 5400');
    expect(text).toContain('doai_nodes{source="b",state="offline"} 600');
    expect(text.split('\n').filter((l) => l.startsWith('doai_nodes{')).length).toBe(4);
    expect(text).toContain('doai_nodes_isolated{source="a"} 1');
    expect(text).toContain('doai_node_source_up{source="b"} 0');
    expect(text).toContain('doai_host_reachable{host="h1"} 1');
    expect(text).toContain('doai_host_memory_total_bytes{host="h1"} 2147483648');
    expect(text).toContain('doai_host_load{host="h1",window="5m"} 0.25');
    expect(text).toContain('doai_host_disk_used_ratio{host="h1",mount="/"} 0.85');
    expect(text).toContain('doai_alert_firing{rule="x",subject="api"} 1');
    expect(text).toContain('doai_alert_firing{rule="y",subject="db"} 0');
    expect(text).toContain('doai_service_probe_success{service="api"} 1');
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    m.stop();
  });

  it('observes each new probe once: success latency in seconds, failures counted', async () => {
    const fleet = new Fixed(fleetSnap([100], 0));
    const m = createMetrics({ fleet });
    fleet.put(fleetSnap([100, null], 1));
    await new Promise((r) => setImmediate(r));
    fleet.put(fleetSnap([100, null, 30], 0));
    await new Promise((r) => setImmediate(r));
    const text = await m.text();
    expect(text).toContain('doai_service_probes_total{service="api",result="success"} 2');
    expect(text).toContain('doai_service_probes_total{service="api",result="failure"} 1');
    expect(text).toContain('doai_service_probe_duration_seconds_sum{service="api"} 0.13');
    expect(text).toContain('doai_service_probe_duration_seconds_bucket{le="0.05",service="api"} 1');
    m.stop();
  });

  it('a scrape between a probe and the store\'s (batched) notify still counts it: the probe series agree with each other', async () => {
    const fleet = new Fixed(fleetSnap([100], 0));
    const m = createMetrics({ fleet });
    fleet.put(fleetSnap([100, 40], 0)); // no await: the store has not notified its listeners yet
    const text = await m.text();
    expect(text).toContain('doai_service_probe_success{service="api"} 1');
    expect(text).toContain('doai_service_probes_total{service="api",result="success"} 2');
    expect(text).toContain('doai_service_probe_duration_seconds_count{service="api"} 2');
    // The notify that follows does not count the same probe again.
    await new Promise((r) => setImmediate(r));
    expect(await m.text()).toContain('doai_service_probes_total{service="api",result="success"} 2');
    m.stop();
  });

  it('counts runs by runbook, level and outcome with durations, approvals by outcome, and failed audit writes', async () => {
    const listeners = new Set<(e: RunEvent) => void>();
    const emit = (e: RunEvent) => listeners.forEach((l) => l(e));
    // A real append that fails: the audit log's folder is a file.
    writeFileSync(join(dir, 'notadir'), 'x');
    const audit = new AuditLog(join(dir, 'notadir', 'audit.log'));
    const m = createMetrics({ fleet: new Fixed(fleetSnap([], 0)), runEvents: { on: (l) => (listeners.add(l), () => listeners.delete(l)) }, audit });
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    emit({ type: 'run.started', runId: 'r1', runbook: 'l2-box-reset', level: 'L2', auditName: 'x', target: 'api', operator: 'op', dryRun: false, at: at(0) });
    emit({ type: 'approval.granted', runId: 'r1', step: 1, approver: 'a', how: 'code', at: at(1) });
    emit({ type: 'approval.rejected', runId: 'r1', step: 2, reason: 'same approver', at: at(2) });
    emit({ type: 'run.finished', runId: 'r1', outcome: 'cancelled', at: at(42) });
    emit({ type: 'run.started', runId: 'r2', runbook: 'l2-box-reset', level: 'L2', auditName: 'x', target: 'api', operator: 'op', dryRun: true, at: at(0) });
    emit({ type: 'run.finished', runId: 'r2', outcome: 'success', at: at(1) });
    expect(() => audit.append('x', 'START', t0)).toThrow(/cannot write the audit log/);
    const text = await m.text();
    expect(text).toContain('doai_runs_total{runbook="l2-box-reset",level="L2",outcome="cancelled"} 1');
    expect(text).not.toContain('outcome="success"'); // the dry run is not a run
    expect(text).toContain('doai_run_duration_seconds_sum{runbook="l2-box-reset",level="L2"} 42');
    expect(text).toContain('doai_approvals_total{outcome="granted"} 1');
    expect(text).toContain('doai_approvals_total{outcome="rejected"} 1');
    expect(text).toContain('doai_audit_write_failures_total 1');
    m.stop();
    expect(() => audit.append('x', 'START', t0)).toThrow(/cannot write the audit log/);
    expect(listeners.size).toBe(0);
  });

  it('parses --metrics addresses and refuses bad ones in words', () => {
    expect(parseListenAddress(true)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(() => parseListenAddress('::1:9100')).toThrow(/IPv6 address in brackets/);
    expect(() => parseListenAddress('host:abc')).toThrow(/not a number/);
    expect(() => parseListenAddress('0')).toThrow(/out of range/);
  });
});
