// Hosts over SSH against the demo fleet's ssh2 server (R-HLT-4): reachability, the one-command
// metrics read (load, memory, disk), and a hung box going SUSPECT then UNREACHABLE — which makes
// the dashboard recommend L3 Box Reset on that host (R-HLT-6, seed 000: 서버 접속 불가 → L3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeClock } from '../../src/core/clock';
import { configSchema, type Config } from '../../src/config/schema';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { createSshShell, type SshShell } from '../../src/ssh/shell';
import { createHostsStore } from '../../src/health/hosts-store';
import { createFleetStore } from '../../src/health/fleet-store';

let dir: string;
let fleet: DemoFleet;
let config: Config;
let shell: SshShell;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-hosts-demo-'));
  fleet = await startDemoFleet({ dir, timeScale: 50, nodeCount: 10 });
  config = configSchema.parse(parse(readFileSync(fleet.configPath, 'utf8')));
  shell = createSshShell({ hosts: config.hosts, knownHostsPath: join(dir, 'known_hosts'), connectTimeoutMs: 3_000 });
});

afterAll(async () => {
  shell?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('hosts monitor against the demo box', () => {
  it('reachable, then one SSH command reads load (with CPU count), memory and disk', async () => {
    fleet.injectFault('clear');
    const clock = new FakeClock();
    const hosts = createHostsStore({ config, shell, clock, timeoutMs: 3_000 });
    await hosts.checkNow();
    await hosts.readMetricsNow();
    const h = hosts.getSnapshot().hosts[0]!;
    expect(h).toMatchObject({ name: 'demo-vm', address: '127.0.0.1', reachability: 'REACHABLE', consecutiveFailures: 0, lastProbeAt: clock.now() });
    expect(h.metrics).toMatchObject({ load1: 0.42, load5: 0.37, load15: 0.31, cpus: 2, memTotalMb: 3911, memUsedMb: 1423, diskOver: [] });
    expect(h.metrics!.disk!.mount).toBe('/');
    expect(h.metrics!.disk!.usedRatio).toBeCloseTo(0.42, 2);
    expect(h.metricsError).toBeUndefined();
  });

  it('demo-db, the second host: reachable over its own listener, its / over 80 % flagged (seed 002)', async () => {
    const hosts = createHostsStore({ config, shell, clock: new FakeClock(), timeoutMs: 3_000 });
    await hosts.checkNow();
    await hosts.readMetricsNow();
    expect(hosts.getSnapshot().hosts.map((h) => h.name)).toEqual(['demo-vm', 'demo-db']);
    const db = hosts.getSnapshot().hosts.find((h) => h.name === 'demo-db')!;
    expect(db.reachability).toBe('REACHABLE');
    expect(db.metrics!.diskOver.map((d) => d.mount)).toEqual(['/']);
    expect(db.metrics!.diskOver[0]!.usedRatio).toBeCloseTo(0.87, 2);
    expect(hosts.getSnapshot().hosts.find((h) => h.name === 'demo-vm')!.metrics!.diskOver).toEqual([]);
  });

  it('metrics follow the box: the slow fault raises load and memory use', async () => {
    fleet.injectFault('slow');
    const hosts = createHostsStore({ config, shell, clock: new FakeClock(), timeoutMs: 3_000 });
    await hosts.readMetricsNow();
    expect(hosts.getSnapshot().hosts[0]!.metrics).toMatchObject({ load1: 7.81, memUsedMb: 3120 });
    fleet.injectFault('clear');
  });

  it('box-down: SUSPECT after one failed probe, UNREACHABLE at the threshold, the fleet recommends L3 on the host; back after clear', async () => {
    const clock = new FakeClock();
    const hosts = createHostsStore({ config, shell, clock, timeoutMs: 800 });
    const fleetStore = createFleetStore({ config, clock, timeoutMs: 800 });
    hosts.subscribe(() => fleetStore.updateSymptoms({ hostsUnreachable: hosts.unreachable() }));
    await hosts.checkNow();
    expect(hosts.getSnapshot().hosts[0]!.reachability).toBe('REACHABLE');

    fleet.injectFault('box-down');
    await hosts.checkNow();
    let h = hosts.getSnapshot().hosts[0]!;
    expect(h.reachability).toBe('SUSPECT');
    // The hung box drops the connection before the SSH handshake (or never answers): said in words.
    expect(h.lastError).toMatch(/^SSH to demo-vm \(127\.0\.0\.1:\d+\) failed: Connection lost before handshake|timeout/);
    expect(fleetStore.getSnapshot().recommendation?.level).not.toBe('L3');

    await hosts.checkNow();
    await hosts.checkNow();
    await new Promise((r) => setImmediate(r));
    h = hosts.getSnapshot().hosts[0]!;
    expect(h).toMatchObject({ reachability: 'UNREACHABLE', consecutiveFailures: 3 });
    expect(hosts.unreachable()).toEqual(['demo-vm']);
    const rec = fleetStore.getSnapshot().recommendation;
    expect(rec).toMatchObject({ level: 'L3', runbook: 'l3-box-reset', target: 'demo-vm' });
    expect(rec!.reason.en).toMatch(/^demo-vm unreachable \(SSH\) → L3 Box Reset$/);

    // An unreachable host's metrics are not read again (no second timeout per sweep).
    const before = hosts.getSnapshot().hosts[0]!.metrics;
    const started = Date.now();
    await hosts.readMetricsNow();
    expect(Date.now() - started).toBeLessThan(300);
    expect(hosts.getSnapshot().hosts[0]!.metrics).toBe(before);

    fleet.injectFault('clear');
    // The box boots again (compressed) and SSH answers.
    const deadline = Date.now() + 15_000;
    while (hosts.getSnapshot().hosts[0]!.reachability !== 'REACHABLE' && Date.now() < deadline) {
      await hosts.checkNow();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(hosts.getSnapshot().hosts[0]!.reachability).toBe('REACHABLE');
    await new Promise((r) => setImmediate(r));
    expect(fleetStore.getSnapshot().recommendation?.level).not.toBe('L3');
    fleetStore.stop();
  });
});
