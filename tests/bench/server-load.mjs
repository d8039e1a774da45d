// A real `doai-console serve` under load (issue 13, Performance): 1,000 services (one loopback
// HTTP server answering every service's health path), a node source of 10,000 nodes of which 1 %
// change every second (a loopback HTTP server this bench controls, polled every second), and 20
// real attached consoles (the built binary in a 120 × 40 pseudo-terminal each, attached over the
// unix socket). Figures, each with a same-run baseline and its ratio to the budget:
//   - the server's CPU over a steady window (share of one core; budget ≤ 10 %),
//   - the bytes each console writes to its terminal per second (≤ 1 KB/s),
//   - the server's RSS (≤ 250 MB),
//   - the server's heap growth (after GC, read through tests/bench/heap-probe.mjs) over 100,000
//     updates: node changes the source made and the server polled, plus probe results (≤ 5 MB).
// Baseline: the same binary serving the demo-size config (3 services, 40 nodes) with nobody
// attached, then with one console attached (its terminal bytes). While the updates are counted,
// 5 of the services go down and come back twice each (failure_threshold 2): the latency from the
// failing probe that reached the threshold to the `json` webhook at a loopback receiver (≤ 1 s,
// as tests/bench/alert-latency.mjs measures it unloaded). Also reported, without a budget: the
// CPU of each console and what the server writes per second per console (the wire, all topics).
// Never fails on timing; broken when a console never draws, an alert never fires or resolves, or
// the server cannot be measured.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bin, childPid, cpuSeconds, freePort, hookReceiver, median, percentile, sleep, startPty, startServe } from './lib.mjs';

const SERVICES = Number(process.env.BENCH_LOAD_SERVICES ?? 1000);
const NODES = Number(process.env.BENCH_LOAD_NODES ?? 10_000);
const CONSOLES = Number(process.env.BENCH_LOAD_CONSOLES ?? 20);
const WINDOW_MS = Number(process.env.BENCH_LOAD_WINDOW_MS ?? 20_000);
const UPDATES = Number(process.env.BENCH_LOAD_UPDATES ?? 100_000);
/** Share of nodes changed per second while counting the 100,000 updates (the steady window: 1 %). */
const HEAP_CHURN = Number(process.env.BENCH_LOAD_HEAP_CHURN ?? 0.2);
const PROBE_INTERVAL_S = 10;
/** Services taken down and back up while the updates are counted: alert latency under this load. */
const FLAPPING = 5;
const FLAP_TRIALS = 2;
const BUDGET = { cpu: 0.1, bytes: 1024, rssMb: 250, heapMb: 5 };

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Bytes the process has passed to write(2) and friends so far (sockets and stderr included). */
function writtenBytes(pid) {
  const m = /^wchar:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/**
 * One loopback HTTP server for everything the servers poll: /svc/N/health (200, counted) and
 * /nodes/<size> (a node list; `churn` of it gets a new heartbeat every second, one in ten of
 * those an hour-old one, so a share of the fleet goes offline and comes back).
 */
function fleetServer() {
  const lists = new Map();
  const state = { probes: 0, changes: 0, churn: 0.01, polls: 0, down: new Set(), answers: Array.from({ length: FLAPPING }, () => []) };
  const list = (size) => {
    let l = lists.get(size);
    if (!l) {
      l = { cursor: 0, changed: 0, nodes: Array.from({ length: size }, (_, i) => ({ id: `node-${String(i).padStart(5, '0')}`, last_heartbeat: new Date().toISOString(), error_rate: 0.001 })) };
      lists.set(size, l);
    }
    return l;
  };
  const timer = setInterval(() => {
    const now = Date.now();
    for (const l of lists.values()) {
      const n = Math.max(1, Math.round(l.nodes.length * state.churn));
      for (let k = 0; k < n; k++) {
        const node = l.nodes[l.cursor];
        l.cursor = (l.cursor + 1) % l.nodes.length;
        // One change in ten counted over the whole list (not per tick: a 40-node list changes one a tick).
        node.last_heartbeat = new Date(l.changed++ % 10 === 9 ? now - 3_600_000 : now).toISOString();
      }
      if (l.nodes.length === NODES) state.changes += n;
    }
  }, 1000);
  const http = createHttp((req, res) => {
    const m = /^\/nodes\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const size = Number(m[1]);
      if (size === NODES) state.polls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ nodes: list(size).nodes }));
      return;
    }
    state.probes++;
    const i = Number(/^\/svc\/(\d+)\/health$/.exec(req.url ?? '')?.[1] ?? -1);
    const status = state.down.has(i) ? 500 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'failing', () => i >= 0 && i < FLAPPING && state.answers[i].push({ at: performance.now(), status }));
  });
  http.keepAliveTimeout = 60_000;
  return { http, state, stop: () => (clearInterval(timer), http.closeAllConnections(), new Promise((r) => http.close(r))) };
}

function configYaml(dir, port, services, nodes) {
  const svc = Array.from({ length: services }, (_, i) => {
    const name = `svc-${String(i).padStart(4, '0')}`;
    return `  - { name: ${name}, host: bench-host, unit: ${name}, health_url: "http://127.0.0.1:${port}/svc/${i}/health" }`;
  });
  return (
    `health:\n  interval_s: ${PROBE_INTERVAL_S}\n  timeout_s: 5\n  failure_threshold: 2\n` +
    `notifications:\n  webhooks:\n    - { name: bench, format: json, url_env: BENCH_LOAD_HOOK, retries: 0 }\n` +
    `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${svc.join('\n')}\n` +
    `node_sources:\n  - { name: devices, url: "http://127.0.0.1:${port}/nodes/${nodes}" }\nnodes:\n  interval_s: 1\n  offline_after_s: 600\n` +
    `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n`
  );
}

const heapProbe = pathToFileURL(join(import.meta.dirname, 'heap-probe.mjs')).href;

async function serveWith(dir, yaml, hookUrl) {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'console.yaml');
  writeFileSync(cfg, yaml);
  const socket = join(dir, 'run', 'console.sock');
  const heapOut = join(dir, 'heap.json');
  // BENCH_NODE_FLAGS: extra node flags for the servers (e.g. --cpu-prof --cpu-prof-dir=/tmp/p).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const server = await startServe(['--config', cfg, '--socket', socket], {
    nodeFlags: [...extra, '--expose-gc', '--import', heapProbe],
    env: { BENCH_HEAP_OUT: heapOut, BENCH_LOAD_HOOK: hookUrl },
    socket,
  });
  const { child } = server;
  return {
    ...server,
    cfg,
    socket,
    async heap() {
      rmSync(heapOut, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; i < 200 && !existsSync(heapOut); i++) await sleep(50);
      if (!existsSync(heapOut)) throw new Error('the server did not report its heap (heap-probe preload)');
      return JSON.parse(readFileSync(heapOut, 'utf8'));
    },
  };
}

/** A real console attached to `server` in a 120 × 40 pty; resolves once it drew `marker`. */
async function attachConsole(server, marker) {
  const pty = startPty(`node ${bin} --config ${server.cfg} --socket ${server.socket} --lang en`, { cols: 120, rows: 40 });
  try {
    await pty.waitFor((s) => s.includes(marker), 0, 60_000);
  } catch (err) {
    pty.kill();
    throw err;
  }
  pty.pid = await childPid(pty.child.pid);
  // Only bytes from here on are counted; the drawn text is not kept (20 consoles, minutes).
  pty.child.stdout.removeAllListeners('data');
  pty.child.stdout.on('data', (d) => (pty.bytes += d.length));
  return pty;
}

async function closeConsoles(ptys) {
  for (const p of ptys) p.kill();
  await Promise.race([Promise.all(ptys.map((p) => p.exitPromise)), sleep(5000)]);
}

/** CPU share of one core, bytes written and console terminal bytes over `ms`. */
async function window(pid, ptys, ms) {
  const c0 = cpuSeconds(pid);
  const w0 = writtenBytes(pid);
  const b0 = ptys.map((p) => p.bytes);
  const k0 = ptys.map((p) => cpuSeconds(p.pid));
  const t0 = performance.now();
  await sleep(ms);
  const secs = (performance.now() - t0) / 1000;
  return {
    consoleCpu: ptys.map((p, i) => (cpuSeconds(p.pid) - k0[i]) / secs),
    cpu: (cpuSeconds(pid) - c0) / secs,
    writtenPerSec: (writtenBytes(pid) - w0) / secs,
    perConsole: ptys.map((p, i) => (p.bytes - b0[i]) / secs),
    secs,
  };
}

const mb = (bytes) => bytes / (1024 * 1024);

/** Service `i` down until its FIRING webhook, then up until RESOLVED, `FLAP_TRIALS` times. */
async function flap(fleet, receiver, i, trials, failures) {
  const name = `svc-${String(i).padStart(4, '0')}`;
  const bound = (2 + 2) * PROBE_INTERVAL_S * 1000;
  for (let k = 0; k < FLAP_TRIALS; k++) {
    await sleep(Math.random() * PROBE_INTERVAL_S * 1000);
    const from = receiver.hooks.length;
    const answered = fleet.state.answers[i].length;
    fleet.state.down.add(i);
    const fired = await receiver.wait(from, (h) => h.subject === name && h.event === 'fired', bound);
    const failing = fleet.state.answers[i].slice(answered).filter((a) => a.status === 500);
    fleet.state.down.delete(i);
    if (!fired) {
      failures.push(`${name}: no FIRING webhook within ${bound / 1000} s`);
      continue;
    }
    if (failing[1]) trials.push(fired.at - failing[1].at);
    if (!(await receiver.wait(from, (h) => h.subject === name && h.event === 'resolved', bound))) failures.push(`${name}: no RESOLVED webhook within ${bound / 1000} s`);
  }
}

export async function serverLoad(work) {
  mkdirSync(work, { recursive: true });
  const fleet = fleetServer();
  const port = await freePort();
  await new Promise((r) => fleet.http.listen(port, '127.0.0.1', r));
  const receiver = await hookReceiver();
  const hookUrl = receiver.url;
  const ptys = [];
  const servers = [];
  try {
    // Baseline: the demo-size config (3 services, 40 nodes), nobody attached, then one console.
    const base = await serveWith(join(work, 'baseline'), configYaml(join(work, 'baseline'), port, 3, 40), hookUrl);
    servers.push(base);
    await sleep(5000);
    const baseHeap0 = await base.heap();
    const baseIdle = await window(base.child.pid, [], WINDOW_MS / 2);
    const baseRss = rssKb(base.child.pid) / 1024;
    const baseHeap1 = await base.heap();
    const baseConsole = await attachConsole(base, 'svc-0002');
    ptys.push(baseConsole);
    await sleep(3000);
    const baseOne = await window(base.child.pid, [baseConsole], WINDOW_MS / 2);
    await closeConsoles(ptys.splice(0));
    await base.stop();
    servers.length = 0;

    // The load: 1,000 services, 10,000 nodes at 1 %/s, 20 consoles.
    const load = await serveWith(join(work, 'load'), configYaml(join(work, 'load'), port, SERVICES, NODES), hookUrl);
    servers.push(load);
    for (let i = 0; i < 300 && fleet.state.polls < 2; i++) await sleep(100);
    if (fleet.state.polls < 2) throw new Error('the server never polled the node source');
    const drawn = [];
    for (let i = 0; i < CONSOLES; i += 5) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(5, CONSOLES - i) }, () => attachConsole(load, 'svc-0000')));
      for (const b of batch) if (b.status === 'fulfilled') ptys.push(b.value);
      drawn.push(...batch.map((b) => b.status === 'fulfilled'));
    }
    const notDrawn = drawn.filter((d) => !d).length;
    await sleep(5000);
    const steady = await window(load.child.pid, ptys, WINDOW_MS);
    const rss = rssKb(load.child.pid) / 1024;

    // 100,000 updates with everybody attached: node churn raised so it takes about a minute.
    const heap0 = await load.heap();
    const u0 = fleet.state.changes + fleet.state.probes;
    const t0 = performance.now();
    fleet.state.churn = HEAP_CHURN;
    // Meanwhile services go down and come back: alert latency with all of this going on.
    const latencies = [];
    const flapFailures = [];
    const flapping = Promise.all(Array.from({ length: FLAPPING }, (_, i) => flap(fleet, receiver, i, latencies, flapFailures)));
    const maxMs = Math.ceil(UPDATES / (NODES * HEAP_CHURN + SERVICES / PROBE_INTERVAL_S)) * 1000 * 2 + 30_000;
    while (fleet.state.changes + fleet.state.probes - u0 < UPDATES && performance.now() - t0 < maxMs) await sleep(250);
    fleet.state.churn = 0.01;
    // The last poll taken in before reading the heap.
    await sleep(2000);
    const heap1 = await load.heap();
    const updates = fleet.state.changes + fleet.state.probes - u0;
    const heapSecs = (performance.now() - t0) / 1000;
    const rssAfter = rssKb(load.child.pid) / 1024;
    await flapping;

    const growth = mb(heap1.heapUsed - heap0.heapUsed);
    const baseGrowth = mb(baseHeap1.heapUsed - baseHeap0.heapUsed);
    const perConsole = steady.perConsole.reduce((a, b) => a + b, 0) / Math.max(1, steady.perConsole.length);
    const worstConsole = Math.max(...steady.perConsole);
    const wirePerConsole = (steady.writtenPerSec - baseIdle.writtenPerSec) / Math.max(1, ptys.length);
    const shape = `${SERVICES} svc, ${NODES} nodes 1 %/s, ${ptys.length} consoles`;
    const p99 = percentile(latencies, 99);
    const broken = flapFailures.length ? flapFailures.slice(0, 3).join('; ') : notDrawn ? `${notDrawn} of ${CONSOLES} consoles never drew the services` : updates < UPDATES ? `only ${updates} updates within ${Math.round(maxMs / 1000)} s` : undefined;
    return [
      {
        figure: `serve ${shape} — CPU`,
        ours: `${(steady.cpu * 100).toFixed(1)} % of a core`,
        baseline: `${(baseIdle.cpu * 100).toFixed(1)} % idle demo-size serve`,
        ratio: steady.cpu / BUDGET.cpu,
        budget: '≤ 10 % (ratio: to budget)',
        pass: steady.cpu <= BUDGET.cpu,
        ...(broken ? { broken } : {}),
        data: { steady, baseIdle, baseOne },
      },
      {
        figure: `serve ${shape} — bytes per console to its terminal`,
        ours: `${(perConsole / 1024).toFixed(2)} KB/s (worst ${(worstConsole / 1024).toFixed(2)})`,
        baseline: `${(baseOne.perConsole[0] / 1024).toFixed(2)} KB/s, 1 console on demo-size`,
        ratio: perConsole / BUDGET.bytes,
        budget: '≤ 1 KB/s (ratio: to budget)',
        pass: worstConsole <= BUDGET.bytes,
      },
      {
        figure: `serve ${shape} — server RSS`,
        ours: `${rss.toFixed(0)} MB (${rssAfter.toFixed(0)} MB after the updates)`,
        baseline: `${baseRss.toFixed(0)} MB idle demo-size serve`,
        ratio: Math.max(rss, rssAfter) / BUDGET.rssMb,
        budget: '≤ 250 MB (ratio: to budget)',
        pass: Math.max(rss, rssAfter) <= BUDGET.rssMb,
      },
      {
        figure: `serve ${shape} — heap growth over ${Math.round(updates / 1000)}k updates`,
        ours: `${growth.toFixed(2)} MB (${mb(heap0.heapUsed).toFixed(0)} → ${mb(heap1.heapUsed).toFixed(0)} MB, ${heapSecs.toFixed(0)} s)`,
        baseline: `${baseGrowth.toFixed(2)} MB idle demo-size over ${(WINDOW_MS / 2000).toFixed(0)} s`,
        ratio: Math.max(0, growth) / BUDGET.heapMb,
        budget: '≤ 5 MB (ratio: to budget)',
        pass: growth <= BUDGET.heapMb,
        data: { heap0, heap1, updates, heapSecs, churn: HEAP_CHURN },
      },
      {
        figure: `serve ${shape} — alert latency, failing probe → webhook (${latencies.length} trials, p99)`,
        ours: `${p99.toFixed(0)} ms (median ${median(latencies).toFixed(0)})`,
        baseline: 'alert-latency row: the same, unloaded',
        ratio: p99 / 1000,
        budget: '≤ 1000 ms (ratio: to budget)',
        pass: p99 <= 1000,
        data: { latencies },
      },
      {
        figure: `serve ${shape} — CPU of each attached console`,
        ours: `${((steady.consoleCpu.reduce((a, b) => a + b, 0) / Math.max(1, ptys.length)) * 100).toFixed(1)} % of a core (worst ${(Math.max(...steady.consoleCpu) * 100).toFixed(1)})`,
        baseline: `${(baseOne.consoleCpu[0] * 100).toFixed(1)} %, 1 console on demo-size`,
        ratio: NaN,
        budget: '(no budget)',
      },
      {
        figure: `serve ${shape} — server writes per console (wire)`,
        ours: `${(wirePerConsole / 1024).toFixed(1)} KB/s`,
        baseline: `${(baseIdle.writtenPerSec / 1024).toFixed(2)} KB/s idle demo-size serve`,
        ratio: NaN,
        budget: '(no budget)',
        note: `probes every ${PROBE_INTERVAL_S} s; updates = node changes the source made (churn ${HEAP_CHURN * 100} %/s while counting) + probe results; heap read after two GCs in the server (heap-probe.mjs)`,
      },
    ];
  } finally {
    await closeConsoles(ptys);
    for (const s of servers) await s.stop();
    await fleet.stop();
    await receiver.stop();
  }
}
