// The simulated VM behind the demo fleet: two systemd units (doai-orchestrator, caddy), power
// state, faults, a journal and a virtual filesystem. The SSH server, the HTTP services and the
// fake provider API all read and change this one object, so they always agree.
import { Vfs } from './vfs';
import { DEMO_BACKUP_DIR } from './layout';
import type { FaultName } from './faults';

export const UNIT_NAMES = ['doai-orchestrator', 'caddy'] as const;
export type UnitName = (typeof UNIT_NAMES)[number];
export type UnitState = 'active' | 'activating' | 'deactivating' | 'inactive' | 'failed';
/** hung = the box-down fault (nothing answers); rebooting = after a provider reboot. */
export type BoxPower = 'up' | 'hung' | 'rebooting';
export type OrchestratorHealth = 'ok' | 'starting' | 'down';

export function isUnitName(value: string): value is UnitName {
  return (UNIT_NAMES as readonly string[]).includes(value);
}

interface Unit {
  name: UnitName;
  description: string;
  execStart: string;
  state: UnitState;
  since: Date;
  pid: number | null;
  /** systemd's Result= after a failure: signal, exit-code. */
  result?: string;
  /** Bumped on every transition so a stale timer cannot overwrite a newer state. */
  gen: number;
  /** The process answers requests (the orchestrator needs ~2 s after systemd calls it active). */
  ready: boolean;
}

interface JournalEntry {
  at: Date;
  ident: string;
  pid: number;
  text: string;
}

export interface NodeReport {
  id: string;
  last_heartbeat: string;
  errors: number;
  requests: number;
  labels: string;
}

export interface BoxState {
  hostName: string;
  timeScale: number;
  nodeCount: number;
  power: BoxPower;
  health: OrchestratorHealth;
  caddyUp: boolean;
  units: Record<UnitName, { state: UnitState; since: string; pid: number | null; result?: string }>;
  faults: { slow: boolean; crashLoop: boolean; boxDown: boolean; nodesOffline: boolean; errorSpike: boolean };
  cacheExists: boolean;
  reboots: number;
  files: string[];
}

/** Simulated durations (ms of simulated time; divided by the time scale). */
export const SIM = {
  orchestratorStartMs: 2_000,
  crashLoopDieMs: 1_000,
  caddyStartMs: 300,
  stopMs: 400,
  rebootMs: 20_000,
  /** Nodes reconnect spread over this window after the orchestrator is back. */
  reconnectSpreadMs: 30_000,
  /** Real (unscaled) latency of /health under the slow fault: over 5 s slow, under 10 s timeout. */
  slowHealthRealMs: 6_000,
} as const;

const CACHE_FILES = [
  '/opt/aifarm/app/__pycache__/main.cpython-311.pyc',
  '/opt/aifarm/app/__pycache__/queue.cpython-311.pyc',
  '/opt/aifarm/app/workers/__pycache__/device.cpython-311.pyc',
  '/tmp/doai_queue.lock',
  '/tmp/doai_cache/tasks.db',
];

const MAX_JOURNAL = 2_000;
const HOUR = 3_600_000;

/** Timers in simulated time; all unref'd and cleared by clear() so stop() leaves nothing behind. */
export class SimTimers {
  private handles = new Set<NodeJS.Timeout>();
  constructor(readonly scale: number) {}

  /** Runs fn after ms of simulated time (or real time with real=true). Returns a cancel function. */
  after(ms: number, fn: () => void, real = false): () => void {
    const h = setTimeout(
      () => {
        this.handles.delete(h);
        fn();
      },
      real ? ms : ms / this.scale,
    );
    h.unref();
    this.handles.add(h);
    return () => {
      clearTimeout(h);
      this.handles.delete(h);
    };
  }

  /** Resolves true after ms simulated, or false as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal, real = false): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const onAbort = () => {
        cancel();
        resolve(false);
      };
      const cancel = this.after(
        ms,
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        },
        real,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  clear(): void {
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
}

/** The nodes-offline fault stops every third node's heartbeat: a third of any fleet, spread over the racks. */
export function isOfflineUnderFault(index: number): boolean {
  return index % 3 === 0;
}

/** A small deterministic integer hash so node figures are stable between requests. */
function mix(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class DemoBox {
  readonly now: () => Date;
  readonly vfs: Vfs;
  readonly timers: SimTimers;
  readonly nodeCount: number;
  /** What `hostname`, prompts and journal lines call this box. */
  readonly hostName: string;
  /** Use% of / that `df` reports (the demo database host runs over seed 002's 80 %). */
  readonly rootDiskUsedPct: number;
  power: BoxPower = 'up';
  bootedAt: Date;
  reboots = 0;
  readonly faults = { slow: false, crashLoop: false, nodesOffline: false, errorSpike: false };
  private units: Record<UnitName, Unit>;
  private journal = new Map<UnitName, JournalEntry[]>();
  private nextPid = 812;
  private cancelReboot?: () => void;
  private powerLossListeners = new Set<() => void>();
  /** When nodes could last reach the orchestrator through caddy (null while they can). */
  private linkUpSince: number | null;
  private linkDownAt: number;
  /** When the nodes-offline fault was injected: the stopped heartbeats stay where they stopped. */
  private nodesOfflineAt = 0;

  constructor(opts: { timeScale: number; nodeCount: number; now?: () => Date; hostName?: string; rootDiskUsedPct?: number }) {
    this.now = opts.now ?? (() => new Date());
    this.timers = new SimTimers(opts.timeScale);
    this.nodeCount = opts.nodeCount;
    this.hostName = opts.hostName ?? 'demo-vm';
    this.rootDiskUsedPct = opts.rootDiskUsedPct ?? 42;
    this.vfs = new Vfs(this.now);
    const t = this.now();
    this.bootedAt = new Date(t.getTime() - 3 * 24 * HOUR);
    this.linkUpSince = t.getTime() - HOUR;
    this.linkDownAt = this.linkUpSince;
    this.units = {
      'doai-orchestrator': {
        name: 'doai-orchestrator',
        description: 'DoAI Orchestrator',
        execStart: '/opt/aifarm/venv/bin/python3 -m app.main',
        state: 'active',
        since: new Date(t.getTime() - 26 * HOUR),
        pid: this.pid(),
        gen: 0,
        ready: true,
      },
      caddy: {
        name: 'caddy',
        description: 'Caddy',
        execStart: '/usr/bin/caddy run --environ --config /etc/caddy/Caddyfile',
        state: 'active',
        since: new Date(t.getTime() - 3 * 24 * HOUR + 40_000),
        pid: this.pid(),
        gen: 0,
        ready: true,
      },
    };
    this.seedFiles();
  }

  get timeScale(): number {
    return this.timers.scale;
  }

  private pid(): number {
    this.nextPid += 1 + (mix(this.nextPid) % 40);
    return this.nextPid;
  }

  private seedFiles(): void {
    const v = this.vfs;
    for (const d of ['/etc/doai', '/etc/caddy', '/opt/aifarm/app/workers', '/opt/aifarm/venv/bin', '/var/log/doai/snapshots', '/var/backups/doai', '/tmp', '/root', '/proc']) v.mkdir(d, true);
    v.writeFile('/etc/doai/config.yaml', 'listen: 0.0.0.0:8000\nnodes_ws_path: /ws\nqueue: /tmp/doai_queue.lock\n');
    v.writeFile('/etc/caddy/Caddyfile', 'api.doai.example {\n  reverse_proxy 127.0.0.1:8000\n}\n');
    v.writeFile('/opt/aifarm/app/main.py', 'from app import server\nserver.run()\n');
    v.writeFile('/opt/aifarm/app/queue.py', '# task queue\n');
    v.writeFile('/opt/aifarm/app/workers/device.py', '# device worker\n');
    v.writeFile('/var/log/doai/emergency.log', '');
    // Last night's backup (the layout L3's backup step writes: <backup_dir>/<stamp>/), 6 h old:
    // within the demo config's RPO of 24 h until an L3 run writes a newer one.
    const at = new Date(this.now().getTime() - 6 * HOUR);
    const stamp = `${at.getFullYear()}${String(at.getMonth() + 1).padStart(2, '0')}${String(at.getDate()).padStart(2, '0')}_${String(at.getHours()).padStart(2, '0')}${String(at.getMinutes()).padStart(2, '0')}${String(at.getSeconds()).padStart(2, '0')}`;
    const backup = `${DEMO_BACKUP_DIR}/${stamp}`;
    v.mkdir(`${backup}/doai`, true);
    v.writeFile(`${backup}/doai/config.yaml`, v.readFile('/etc/doai/config.yaml'));
    v.writeFile(`${backup}/Caddyfile`, v.readFile('/etc/caddy/Caddyfile'));
    for (const p of [`${backup}/doai/config.yaml`, `${backup}/Caddyfile`, `${backup}/doai`, backup]) v.touch(p, at);
    this.ensureCaches();
  }

  /** The Python bytecode and /tmp queue files the L2 reset clears. */
  private ensureCaches(): void {
    for (const f of CACHE_FILES) {
      const dir = f.slice(0, f.lastIndexOf('/'));
      this.vfs.mkdir(dir, true);
      if (!this.vfs.exists(f)) this.vfs.writeFile(f, f.endsWith('.lock') ? '812\n' : '\u0003\u00f3\r\n(bytecode)\n');
    }
  }

  cacheExists(): boolean {
    return this.vfs.paths().some((p) => (p.startsWith('/opt/aifarm/') && p.includes('/__pycache__')) || p.startsWith('/tmp/doai_'));
  }

  onPowerLoss(listener: () => void): () => void {
    this.powerLossListeners.add(listener);
    return () => this.powerLossListeners.delete(listener);
  }

  isUp(): boolean {
    return this.power === 'up';
  }

  unitState(name: UnitName): UnitState {
    return this.units[name].state;
  }

  unitInfo(name: UnitName): Readonly<Unit> {
    return this.units[name];
  }

  orchestratorHealth(): OrchestratorHealth {
    if (!this.isUp()) return 'down';
    const u = this.units['doai-orchestrator'];
    if (u.state !== 'active') return 'down';
    return u.ready ? 'ok' : 'starting';
  }

  caddyUp(): boolean {
    return this.isUp() && this.units.caddy.state === 'active' && this.units.caddy.ready;
  }

  // --- units ------------------------------------------------------------------------------

  private set(u: Unit, state: UnitState, result?: string): void {
    u.gen++;
    u.ready = false;
    u.state = state;
    u.since = this.now();
    u.result = result;
    if (state === 'inactive' || state === 'failed') u.pid = null;
    this.updateLink();
  }

  private log(unit: UnitName, text: string, ident?: string, pid?: number): void {
    const list = this.journal.get(unit) ?? [];
    list.push({ at: this.now(), ident: ident ?? 'systemd', pid: pid ?? 1, text });
    if (list.length > MAX_JOURNAL) list.splice(0, list.length - MAX_JOURNAL);
    this.journal.set(unit, list);
  }

  private appLog(unit: UnitName, text: string): void {
    const u = this.units[unit];
    this.log(unit, text, unit === 'caddy' ? 'caddy' : 'python3', u.pid ?? 0);
  }

  /**
   * `systemctl start`. The orchestrator is Type=simple: systemd calls it active at once, but
   * the app answers /health with 503 for ~2 s until it is ready. Caddy is Type=notify: the
   * start job (and so systemctl) waits until it is ready.
   */
  async start(name: UnitName): Promise<void> {
    if (!this.isUp()) return;
    const u = this.units[name];
    if (u.state === 'active' || u.state === 'activating') return;
    this.log(name, `Starting ${name}.service - ${u.description}...`);
    if (name === 'doai-orchestrator') {
      this.set(u, 'active');
      u.pid = this.pid();
      const gen = u.gen;
      this.log(name, `Started ${name}.service - ${u.description}.`);
      if (this.faults.crashLoop && this.cacheExists()) {
        this.timers.after(SIM.crashLoopDieMs, () => {
          if (u.gen === gen) this.crashLoopDeath();
        });
      } else {
        // Without stale bytecode or a leftover queue lock the app boots cleanly: the loop is over.
        this.faults.crashLoop = false;
        this.timers.after(SIM.orchestratorStartMs, () => {
          if (u.gen !== gen || !this.isUp()) return;
          u.ready = true;
          this.updateLink();
          this.appLog(name, 'INFO:     Started server process');
          this.appLog(name, 'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)');
          // A running Python app writes its bytecode cache again, as the real one does.
          this.ensureCaches();
        });
      }
      await this.timers.sleep(100);
      return;
    }
    // Nodes reach the orchestrator through caddy: a fresh proxy lets stuck nodes reconnect.
    this.faults.nodesOffline = false;
    this.set(u, 'activating');
    u.pid = this.pid();
    const gen = u.gen;
    await this.timers.sleep(SIM.caddyStartMs);
    if (u.gen !== gen || !this.isUp()) return;
    this.set(u, 'active');
    u.ready = true;
    this.updateLink();
    this.appLog(name, '{"level":"info","msg":"serving initial configuration"}');
    this.log(name, `Started ${name}.service - ${u.description}.`);
  }

  /** `systemctl stop`: waits until the unit is down, like systemctl does. */
  async stop(name: UnitName): Promise<void> {
    if (!this.isUp()) return;
    const u = this.units[name];
    if (u.state === 'inactive' || u.state === 'failed') {
      if (u.state === 'failed') this.set(u, 'inactive');
      return;
    }
    this.set(u, 'deactivating');
    const gen = u.gen;
    this.log(name, `Stopping ${name}.service - ${u.description}...`);
    await this.timers.sleep(SIM.stopMs);
    if (u.gen !== gen) return;
    this.set(u, 'inactive');
    this.log(name, `${name}.service: Deactivated successfully.`);
    this.log(name, `Stopped ${name}.service - ${u.description}.`);
    // The slow fault models a leak in the running process: a fresh process is fast again.
    if (name === 'doai-orchestrator') this.faults.slow = false;
  }

  async restart(name: UnitName): Promise<void> {
    await this.stop(name);
    await this.start(name);
  }

  private crash(lines: string[], result: string, status: string): void {
    const name = 'doai-orchestrator';
    const u = this.units[name];
    for (const l of lines) this.appLog(name, l);
    this.log(name, `${name}.service: Main process exited, code=${result === 'signal' ? 'killed' : 'exited'}, status=${status}`);
    this.log(name, `${name}.service: Failed with result '${result}'.`);
    this.set(u, 'failed', result);
  }

  private crashLoopDeath(): void {
    this.crash(
      [
        'Traceback (most recent call last):',
        '  File "/opt/aifarm/app/main.py", line 2, in <module>',
        "ImportError: bad magic number in 'app.queue': b'\\x03\\xf3\\r\\n'",
        'RuntimeError: queue lock /tmp/doai_queue.lock held by pid 812',
      ],
      'exit-code',
      '1/FAILURE',
    );
  }

  // --- faults and power ----------------------------------------------------------------------

  injectFault(name: FaultName): void {
    const orch = this.units['doai-orchestrator'];
    switch (name) {
      case 'slow':
        this.faults.slow = true;
        this.appLog('doai-orchestrator', 'WARNING app.queue: worker pool saturated (412 pending), GC pause 4.8 s');
        break;
      case 'crash':
        if (this.isUp() && orch.state !== 'inactive') this.crash(['Fatal Python error: Segmentation fault'], 'signal', '11/SEGV');
        break;
      case 'crash-loop':
        this.faults.crashLoop = true;
        this.ensureCaches();
        if (this.isUp() && orch.state !== 'inactive') this.crashLoopDeath();
        break;
      case 'box-down':
        this.cancelReboot?.();
        this.power = 'hung';
        this.updateLink();
        this.dropSessions();
        break;
      case 'nodes-offline':
        if (!this.faults.nodesOffline) this.nodesOfflineAt = this.now().getTime();
        this.faults.nodesOffline = true;
        break;
      case 'error-spike':
        this.faults.errorSpike = true;
        break;
      case 'clear':
        this.clearFaults();
        break;
    }
  }

  private clearFaults(): void {
    this.cancelReboot?.();
    this.cancelReboot = undefined;
    this.faults.slow = this.faults.crashLoop = this.faults.nodesOffline = this.faults.errorSpike = false;
    if (this.power !== 'up') {
      this.power = 'up';
      this.bootedAt = this.now();
    }
    for (const name of UNIT_NAMES) {
      const u = this.units[name];
      if (u.state !== 'active' || !u.ready) {
        this.set(u, 'active');
        u.ready = true;
        u.pid = this.pid();
        this.log(name, `Started ${name}.service - ${u.description}.`);
      }
    }
    this.updateLink();
  }

  /** A provider reboot: every session drops, the box is back after ~20 s with units stopped. */
  reboot(): void {
    this.cancelReboot?.();
    this.reboots++;
    this.power = 'rebooting';
    this.faults.slow = false;
    this.faults.nodesOffline = false;
    for (const name of UNIT_NAMES) {
      const u = this.units[name];
      if (u.state !== 'inactive') this.set(u, 'inactive');
    }
    // /tmp is a tmpfs: the queue lock does not survive a reboot (the bytecode cache does).
    for (const p of this.vfs.list('/tmp')) this.vfs.remove(`/tmp/${p}`, true);
    this.updateLink();
    this.dropSessions();
    this.cancelReboot = this.timers.after(SIM.rebootMs, () => {
      this.cancelReboot = undefined;
      this.power = 'up';
      this.bootedAt = this.now();
      this.log('doai-orchestrator', '-- Boot --', 'kernel', 0);
      this.log('caddy', '-- Boot --', 'kernel', 0);
      this.updateLink();
    });
  }

  private dropSessions(): void {
    for (const l of this.powerLossListeners) l();
  }

  private updateLink(): void {
    const up = this.orchestratorHealth() === 'ok' && this.caddyUp();
    const t = this.now().getTime();
    if (up && this.linkUpSince === null) this.linkUpSince = t;
    if (!up && this.linkUpSince !== null) {
      this.linkUpSince = null;
      this.linkDownAt = t;
    }
  }

  // --- what the services report -------------------------------------------------------------

  /** The node list /nodes serves: heartbeats stop while nodes cannot reach the orchestrator. */
  nodes(): NodeReport[] {
    const now = this.now().getTime();
    const width = Math.max(3, String(this.nodeCount).length);
    const out: NodeReport[] = [];
    for (let i = 0; i < this.nodeCount; i++) {
      const h = mix(i + 1);
      const h2 = mix(h);
      const jitter = h % 15_000; // heartbeats every 15 s
      let hb: number;
      // Exactly every third node (ceil(n/3): 14 of 40 = 35 %), over the 0.3 mass-offline ratio → L2.
      if (this.faults.nodesOffline && isOfflineUnderFault(i)) {
        // Stopped at the fault (and 6+ min before it, so they are offline at once): the age grows.
        hb = this.nodesOfflineAt - 6 * 60_000 - (h2 % 1_200_000);
      } else if (this.linkUpSince !== null) {
        const connectAt = this.linkUpSince + (h2 % SIM.reconnectSpreadMs) / this.timeScale;
        hb = now >= connectAt ? Math.max(connectAt, now - jitter) : this.linkDownAt - jitter;
      } else {
        hb = this.linkDownAt - jitter;
      }
      const requests = 2_000 + (h % 8_000);
      const spiking = this.faults.errorSpike && (h2 >>> 8) % 100 < 20;
      const rate = spiking ? 0.12 + ((h >>> 8) % 25) / 100 : ((h >>> 12) % 5) / 1000;
      out.push({
        id: `node-${String(i + 1).padStart(width, '0')}`,
        last_heartbeat: new Date(hb).toISOString(),
        errors: Math.round(requests * rate),
        requests,
        labels: `rack-${'abcd'[i % 4]}`,
      });
    }
    return out;
  }

  /** `journalctl -u <unit> -n <n>`: recorded events, preceded by plausible routine lines. */
  journalLines(name: UnitName, n: number): string[] {
    const recorded = this.journal.get(name) ?? [];
    const fill = Math.max(0, n - recorded.length);
    const first = recorded[0]?.at.getTime() ?? this.now().getTime();
    const pid = this.units[name].pid ?? 812;
    const lines: string[] = [];
    for (let k = fill; k >= 1; k--) {
      const at = new Date(first - k * 15_000);
      lines.push(formatJournal(at, this.hostName, name === 'caddy' ? 'caddy' : 'python3', pid, routineLine(name, k)));
    }
    for (const e of recorded.slice(-n)) lines.push(formatJournal(e.at, this.hostName, e.ident, e.pid, e.text));
    return lines.slice(-n);
  }

  state(): BoxState {
    const units = {} as BoxState['units'];
    for (const name of UNIT_NAMES) {
      const u = this.units[name];
      units[name] = { state: u.state, since: u.since.toISOString(), pid: u.pid, ...(u.result ? { result: u.result } : {}) };
    }
    return {
      hostName: this.hostName,
      timeScale: this.timeScale,
      nodeCount: this.nodeCount,
      power: this.power,
      health: this.orchestratorHealth(),
      caddyUp: this.caddyUp(),
      units,
      faults: { ...this.faults, boxDown: this.power === 'hung' },
      cacheExists: this.cacheExists(),
      reboots: this.reboots,
      files: this.vfs.paths().filter((p) => !this.vfs.isDir(p)),
    };
  }

  dispose(): void {
    this.cancelReboot?.();
    this.timers.clear();
    this.powerLossListeners.clear();
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

function formatJournal(at: Date, host: string, ident: string, pid: number, text: string): string {
  if (ident === 'kernel') return text;
  const ts = `${MONTHS[at.getMonth()]} ${p2(at.getDate())} ${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}`;
  return `${ts} ${host} ${ident}[${pid}]: ${text}`;
}

function routineLine(name: UnitName, k: number): string {
  if (name === 'caddy') {
    const uri = ['/health', '/ws', '/nodes', '/api/tasks'][k % 4];
    return `{"level":"info","logger":"http.log.access","msg":"handled request","request":{"method":"GET","uri":"${uri}"},"status":200,"duration":0.00${(k % 9) + 1}}`;
  }
  const lines = [
    'INFO:     100.64.0.7:40112 - "GET /health HTTP/1.1" 200 OK',
    `INFO app.nodes: heartbeat batch processed (${180 + (k % 20)} nodes)`,
    `INFO app.queue: dispatched ${(k % 17) + 3} tasks to ${(k % 11) + 2} devices`,
    'INFO:     100.64.0.9:51884 - "GET /nodes HTTP/1.1" 200 OK',
    `DEBUG app.ws: ping/pong ok (${190 + (k % 10)} sockets)`,
  ];
  return lines[k % lines.length]!;
}
