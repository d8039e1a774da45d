// The console and the wall screen before the first probe answers (R-HLT-6, R-UI-2): no
// "All services healthy", no ALL UP, no DEGRADED — "waiting for the first probe" or "n of m not
// probed yet", in a neutral colour, in English and Korean; then, from a real fleet store against a
// loopback server that never answers, the service turns SUSPECT and the recommendation appears.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import chalk from 'chalk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppProps } from '../../screens/app';
import { WatchApp } from '../../screens/watch/watch-app';
import { BatchedStore } from '../../src/core/store';
import { FakeClock } from '../../src/core/clock';
import { configSchema } from '../../src/config/schema';
import { createFleetStore } from '../../src/health/fleet-store';
import { CoalescedStore } from '../../src/watch/coalesce';
import { LiveRunsSource } from '../../src/watch/live-runs';
import type { FleetStore, HostHealth, HostsSnapshot, Lang, NodesSnapshot, ServiceHealth } from '../../src/core/views';
import { MemoryFleetStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

// Colours are part of the claim ("neutral, not green"): make Ink emit them.
const savedLevel = chalk.level;
beforeAll(() => {
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = savedLevel;
});

const ESC = '\u001b';
const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
const GREEN = `${ESC}[32m`;
const GRAY = `${ESC}[90m`;

class MemoryStore<S> extends BatchedStore<S> {
  update(next: S): void {
    this.set(next);
  }
}

/** A service whose first probe has not come back. */
const pending = (name: string): ServiceHealth =>
  service({ name, state: 'UNKNOWN', httpStatus: undefined, latencyMs: undefined, samples: [], lastChangeAt: null, lastProbeAt: null });

const lineWith = (f: string, text: string) => f.split('\n').find((l) => strip(l).includes(text)) ?? '';

let dirs: string[] = [];
afterEach(() => {
  cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
  dirs = [];
});

function dashboard(fleet: FleetStore, opts: { lang?: Lang; fleetStores?: AppProps['fleetStores']; width?: number; height?: number } = {}) {
  const r = renderApp({ fleet, ...(opts.lang ? { lang: opts.lang } : {}), ...(opts.width ? { width: opts.width } : {}), ...(opts.height ? { height: opts.height } : {}), ...(opts.fleetStores ? { fleetStores: opts.fleetStores } : {}) });
  return { ...r, frame: (check: (f: string) => boolean) => waitForFrame(r.lastFrame, (f) => check(strip(f))) };
}

describe('dashboard before the first probe', () => {
  it('all UNKNOWN (en): "Waiting for the first probe…" in grey, never "All services healthy"; r starts nothing', async () => {
    const d = dashboard(new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy'), pending('db-proxy')]));
    const raw = await d.frame((f) => f.includes('Waiting for the first probe'));
    const f = strip(raw);
    expect(f).toContain('Waiting for the first probe… no recommendation until the services answer');
    expect(f).not.toContain('All services healthy');
    expect(f).not.toContain('Recommended');
    const box = lineWith(raw, 'Waiting for the first probe');
    expect(box).toContain(GRAY);
    expect(box).not.toContain(GREEN);
    // Each row says why it has no numbers yet.
    expect(lineWith(f, 'caddy')).toMatch(/UNKNOWN.*waiting for the first probe/);
    await press(d.stdin, 'runbook.recommended');
    expect(d.control.starts).toEqual([]);
  });

  it('all UNKNOWN (ko): 첫 점검 대기 중, never 모든 서비스 정상', async () => {
    const d = dashboard(new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy')]), { lang: 'ko' });
    const f = await d.frame((x) => x.includes('첫 점검 대기 중…'));
    expect(f).toContain('첫 점검 대기 중… 서비스가 응답할 때까지 권장 없음');
    expect(f).not.toContain('모든 서비스 정상');
  });

  it('a mix of UP and not yet probed (en and ko): "1 of 3 services not probed yet", grey, never healthy', async () => {
    const services = () => [service({ name: 'doai-orchestrator' }), service({ name: 'caddy' }), pending('db-proxy')];
    const en = dashboard(new MemoryFleetStore(services()));
    const raw = await en.frame((f) => f.includes('not probed yet'));
    expect(strip(raw)).toContain('1 of 3 services not probed yet — no recommendation until they answer');
    expect(strip(raw)).not.toContain('All services healthy');
    expect(lineWith(raw, 'not probed yet')).not.toContain(GREEN);
    cleanup();
    const ko = dashboard(new MemoryFleetStore(services()), { lang: 'ko' });
    const f = await ko.frame((x) => x.includes('점검 전'));
    expect(f).toContain('서비스 3개 중 1개 아직 점검 전 — 응답할 때까지 권장 없음');
    expect(f).not.toContain('모든 서비스 정상');
  });

  it('a fact recommends while others are pending, and says how many are still pending', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3, lastError: 'connection refused' }), pending('caddy')], {
      recommendation: { level: 'L1', runbook: 'l1-soft-reset', target: 'doai-orchestrator', reason: { en: 'doai-orchestrator not answering', ko: 'doai-orchestrator 무응답' } },
    });
    const d = dashboard(fleet, { width: 140 });
    const f = await d.frame((x) => x.includes('Recommended'));
    expect(f).toContain('[r] Recommended: L1 Soft Reset on doai-orchestrator — doai-orchestrator not answering · 1 of 2 not probed yet');
  });

  it('once every service has answered UP it is "All services healthy" (green)', async () => {
    const fleet = new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy')]);
    const d = dashboard(fleet);
    await d.frame((f) => f.includes('Waiting for the first probe'));
    fleet.update({ services: [service({ name: 'doai-orchestrator' }), service({ name: 'caddy' })] });
    await d.frame((f) => f.includes('All services healthy'));
    expect(lineWith(d.lastFrame() ?? '', 'All services healthy')).toContain(GREEN);
  });

  it('services without health_url: counted apart, never "waiting" for good; none at all says what to add', async () => {
    const unmonitored = (name: string) => ({ ...pending(name), unmonitored: true });
    const d = dashboard(new MemoryFleetStore([service({ name: 'doai-orchestrator' }), unmonitored('caddy')]), { width: 120 });
    const f = await d.frame((x) => x.includes('probed services healthy'));
    expect(f).toContain('All 1 probed services healthy · 1 without health_url, not probed');
    expect(lineWith(f, 'caddy')).toContain('no health_url — not probed');
    cleanup();
    const none = dashboard(new MemoryFleetStore([unmonitored('caddy')]), { width: 160 });
    const g = await none.frame((x) => x.includes('No service has a health_url'));
    expect(g).toContain('No service has a health_url, so nothing is probed — add health_url: to the services in /etc/doai/console.yaml');
  });
});

function host(name: string, extra: Partial<HostHealth> = {}): HostHealth {
  return { name, address: '127.0.0.1', reachability: 'UNKNOWN', consecutiveFailures: 0, threshold: 3, lastProbeAt: null, lastChangeAt: null, ...extra };
}

function nodesWaiting(extra: Partial<NodesSnapshot> = {}): NodesSnapshot {
  return {
    total: 0,
    online: 0,
    offline: 0,
    errorRateHigh: 0,
    errorRateThreshold: 0.1,
    offlineAfterMs: 300_000,
    nodes: [],
    sources: [{ name: 'devices', lastFetchAt: null, lastOkAt: null, count: 0 }],
    updatedAt: null,
    ...extra,
  };
}

describe('fleet panes before the first answers', () => {
  function panes(lang: Lang, hosts: HostHealth[], nodes: NodesSnapshot) {
    const fleet = new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy')]);
    const fleetStores = {
      hosts: new MemoryStore<HostsSnapshot>({ hosts, diskThreshold: 0.8, updatedAt: null }),
      nodes: new MemoryStore<NodesSnapshot>(nodes),
    };
    return { ...dashboard(fleet, { lang, fleetStores, width: 140, height: 40 }), fleetStores };
  }

  it('en: services, hosts and nodes titles wait; no "0/0 online", no counts claiming health', async () => {
    const p = panes('en', [host('demo-vm'), host('demo-db')], nodesWaiting());
    const f = await p.frame((x) => x.includes('waiting for the first SSH check'));
    expect(lineWith(f, 'Services')).toContain('waiting for the first probe');
    expect(lineWith(f, 'Services')).not.toMatch(/\d+\/\d+ UP/);
    expect(lineWith(f, 'Hosts')).toContain('waiting for the first SSH check');
    expect(lineWith(f, 'Nodes')).toContain('waiting for the first node list');
    expect(f).not.toContain('0/0 online');
    expect(lineWith(f, 'demo-db')).toContain('waiting for the first SSH check');
    expect(f).toContain('Waiting for the first probe…');
  });

  it('ko: the same waiting texts', async () => {
    const p = panes('ko', [host('demo-vm')], nodesWaiting());
    const f = await p.frame((x) => x.includes('첫 SSH 점검 대기 중'));
    expect(lineWith(f, '서비스')).toContain('첫 점검 대기 중');
    expect(f).toContain('첫 노드 목록 대기 중');
    expect(f).not.toContain('0개 중 0개 온라인');
  });

  it('a mix: one host checked, one not — "1 not checked yet", the title not flagged; a source that failed before any list still waits', async () => {
    const hosts = [host('demo-vm', { reachability: 'REACHABLE', lastProbeAt: T0, lastChangeAt: T0 }), host('demo-db')];
    const nodes = nodesWaiting({ sources: [{ name: 'devices', lastFetchAt: T0, lastOkAt: null, count: 0, error: 'HTTP 500' }], updatedAt: T0 });
    const p = panes('en', hosts, nodes);
    const raw = await p.frame((x) => x.includes('not checked yet'));
    const f = strip(raw);
    expect(lineWith(f, 'Hosts')).toContain('1/2 reachable · 1 not checked yet');
    expect(lineWith(raw, '1/2 reachable')).not.toContain(`${ESC}[31m`);
    expect(lineWith(f, 'Nodes')).toContain('waiting for the first node list');
    expect(f).toContain('devices: HTTP 500 — no node list yet');
    expect(f).not.toContain('0/0 online');
  });

  it('two node sources, one answered: counts from it, and "1 of 2 sources not answered yet"', async () => {
    const nodes = nodesWaiting({
      total: 1,
      online: 1,
      onlineRatio: 1,
      nodes: [{ id: 'node-001', source: 'devices', lastHeartbeat: T0, online: true, labels: [] }],
      sources: [
        { name: 'devices', lastFetchAt: T0, lastOkAt: T0, count: 1 },
        { name: 'edge', lastFetchAt: null, lastOkAt: null, count: 0 },
      ],
      updatedAt: T0,
    });
    const p = panes('en', [host('demo-vm')], nodes);
    const f = await p.frame((x) => x.includes('sources not answered yet'));
    expect(lineWith(f, 'Nodes')).toContain('1 of 2 sources not answered yet');
  });
});

describe('wall screen before the first probe', () => {
  function watch(fleet: FleetStore & { subscribe: MemoryFleetStore['subscribe'] }, lang: Lang, nodes?: MemoryStore<NodesSnapshot>) {
    const dir = mkdtempSync(join(tmpdir(), 'doai-first-probe-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'journal'));
    mkdirSync(join(dir, 'locks'));
    const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined, scanMs: 0 });
    const frames = new CoalescedStore(nodes ? [fleet, live, nodes] : [fleet, live], 10);
    const r = render(
      <WatchApp fleet={fleet} live={live} frames={frames} {...(nodes ? { nodes } : {})} lang={lang} configPath="/etc/doai/console.yaml" clock={{ now: () => T0 }} width={100} height={30} onExit={() => {}} />,
    );
    live.poll();
    return { ...r, frame: (check: (f: string) => boolean) => waitForFrame(r.lastFrame, (f) => check(strip(f))) };
  }

  it('all UNKNOWN (en): CHECKING — waiting for the first probe, grey, never ALL UP or DEGRADED', async () => {
    const w = watch(new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy')]), 'en');
    const raw = await w.frame((f) => f.includes('CHECKING'));
    const f = strip(raw);
    expect(f).toContain('CHECKING  —  waiting for the first probe of 2 services');
    expect(f).not.toContain('ALL UP');
    expect(f).not.toContain('DEGRADED');
    expect(f).not.toContain('services UP');
    const banner = lineWith(raw, 'CHECKING');
    expect(banner).toContain(`${ESC}[100m`); // grey background
    expect(banner).not.toContain(`${ESC}[42m`); // not the green of ALL UP
  });

  it('all UNKNOWN (ko): 확인 중 — 서비스 2개 첫 점검 대기 중', async () => {
    const w = watch(new MemoryFleetStore([pending('doai-orchestrator'), pending('caddy')]), 'ko');
    const f = await w.frame((x) => x.includes('확인 중'));
    expect(f).toContain('확인 중  —  서비스 2개 첫 점검 대기 중');
    expect(f).not.toContain('모두 정상');
  });

  it('a mix (en and ko): CHECKING with "1 of 2 services UP · 1 not probed yet"; a DOWN still shows DOWN', async () => {
    const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator' }), pending('caddy')]);
    const w = watch(fleet, 'en');
    let f = await w.frame((x) => x.includes('not probed yet'));
    expect(f).toContain('CHECKING  —  1 of 2 services UP · 1 not probed yet');
    expect(f).not.toContain('ALL UP');
    expect(f).not.toContain('DEGRADED');
    fleet.update({ services: [service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3 }), pending('caddy')] });
    f = await w.frame((x) => /✖\s+DOWN/.test(x));
    expect(f).toContain('DOWN  —  0 of 2 services UP · 1 not probed yet');
    fleet.update({ services: [service({ name: 'doai-orchestrator' }), service({ name: 'caddy' })] });
    f = await w.frame((x) => x.includes('ALL UP'));
    expect(f).toContain('ALL UP  —  2 of 2 services UP');
    cleanup();
    const ko = watch(new MemoryFleetStore([service({ name: 'doai-orchestrator' }), pending('caddy')]), 'ko');
    const g = await ko.frame((x) => x.includes('점검 전'));
    expect(g).toContain('확인 중  —  서비스 2개 중 1개 정상 · 1개 아직 점검 전');
    expect(g).not.toContain('모두 정상');
  });

  it('services without health_url: ALL UP counts only the probed ones; nothing probed says NOT MONITORED', async () => {
    const unmonitored = (name: string) => ({ ...pending(name), unmonitored: true });
    const w = watch(new MemoryFleetStore([service({ name: 'doai-orchestrator' }), unmonitored('caddy')]), 'en');
    const f = await w.frame((x) => x.includes('ALL UP'));
    expect(f).toContain('ALL UP  —  1 of 1 services UP · 1 without health_url');
    cleanup();
    const none = watch(new MemoryFleetStore([unmonitored('caddy')]), 'en');
    const g = await none.frame((x) => x.includes('NOT MONITORED'));
    expect(g).toContain('NOT MONITORED  —  no service has a health_url');
  });

  it('the nodes line waits for the first list instead of "0/0 online"', async () => {
    const nodes = new MemoryStore<NodesSnapshot>(nodesWaiting());
    const w = watch(new MemoryFleetStore([pending('caddy')]), 'en', nodes);
    const f = await w.frame((x) => x.includes('Nodes: waiting for the first node list'));
    expect(f).toContain('Nodes: waiting for the first node list');
    expect(f).not.toContain('0/0 online');
  });
});

describe('from a real fleet store: waiting, then the probe times out and the facts speak', () => {
  let server: Server;
  let hangUrl = '';
  let okUrl = '';
  beforeAll(async () => {
    // One endpoint accepts and never answers; one answers 200.
    server = createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    hangUrl = `http://127.0.0.1:${port}/hang`;
    okUrl = `http://127.0.0.1:${port}/ok`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('dashboard: "1 of 2 services not probed yet" while the probe hangs, then SUSPECT, and no recommendation before 3 failures', async () => {
    const config = configSchema.parse({
      health: { interval_s: 30, timeout_s: 10, failure_threshold: 3, concurrency: 4 },
      hosts: [{ name: 'vm', address: '127.0.0.1' }],
      services: [
        { name: 'doai-orchestrator', host: 'vm', unit: 'doai-orchestrator', health_url: hangUrl },
        { name: 'caddy', host: 'vm', unit: 'caddy', health_url: okUrl },
      ],
    });
    const store = createFleetStore({ config, clock: new FakeClock(T0), timeoutMs: 2000 });
    const d = dashboard(store, { width: 140 });
    expect(strip(d.lastFrame() ?? '')).toContain('Waiting for the first probe…');
    const sweep = store.probeNow();
    const mid = await d.frame((f) => f.includes('not probed yet'));
    expect(mid).toContain('1 of 2 services not probed yet');
    expect(mid).not.toContain('All services healthy');
    await sweep;
    // The pending frame also says 'no recommendation until they answer': wait for the verdict.
    const f = await d.frame((x) => x.includes('no recommendation until 3 failures'));
    expect(lineWith(f, 'doai-orchestrator')).toMatch(/SUSPECT.*timeout after 2 s/);
    // One failed probe is not yet a failure (seed 000: 3 in a row): nothing to press yet.
    expect(f).toContain('doai-orchestrator SUSPECT (1/3 failures) — no recommendation until 3 failures in a row (seed 000)');
    expect(f).not.toContain('Recommended');
    store.stop();
  });
});
