// Log streaming: L1 on one service of a test SSH host whose `systemctl status` prints 100,000
// lines. Figures: the last line on screen after the command ended; key latency meanwhile (? opens
// help, Esc closes it: each press timed until its frame); the console's memory (RSS before the
// run, peak). Baseline: the same host streaming to a plain `cat`-like reader (the transport floor).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin, bundle, childPid, median, percentile, sleep, startPty } from './lib.mjs';
import { startTargets } from './keypress.mjs';

function memKb(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export async function logStream(work) {
  const dir = join(work, 'log-stream');
  mkdirSync(dir, { recursive: true });
  const lines = Number(process.env.BENCH_LOG_LINES ?? 100_000);
  // CommonJS: the tests' server imports ssh2's named exports, which only require() gives.
  const entry = await bundle(join(import.meta.dirname, 'ssh-target-entry.ts'), dir, { format: 'cjs' });
  const keyPath = join(dir, 'id_ed25519');
  const ssh = spawn(process.execPath, [entry, String(lines), keyPath, process.env.BENCH_LOG_PACE_MS ?? '50'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const msgs = [];
  const waiters = [];
  createInterface({ input: ssh.stdout }).on('line', (l) => {
    msgs.push(JSON.parse(l));
    for (const w of waiters.splice(0)) w();
  });
  let sshExited = false;
  ssh.on('exit', () => {
    sshExited = true;
    for (const w of waiters.splice(0)) w();
  });
  const next = async (key) => {
    for (;;) {
      const m = msgs.find((x) => key in x);
      if (m) return m;
      if (sshExited) throw new Error(`the test SSH host exited before "${key}"`);
      await new Promise((r) => waiters.push(r));
    }
  };
  const http = await startTargets(1, 0);
  let pty;
  let pid;
  try {
    const { port, knownHostsLine } = await next('ready');
    writeFileSync(join(dir, 'known_hosts'), knownHostsLine + '\n');
    writeFileSync(
      join(dir, 'console.yaml'),
      `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: ${port}, user: bench, identity_file: ${keyPath} }\n` +
        `services:\n  - { name: svc-00, host: bench-host, unit: svc-00, health_url: "http://127.0.0.1:${http.ports[0]}/health" }\n` +
        `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n  audit_log: ${join(dir, 'emergency.log')}\n`,
    );
    // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p") profiles the console; it is ended
    // with SIGTERM then, so Node writes the profile.
    pty = startPty(`node ${process.env.BENCH_NODE_FLAGS ?? ''} ${bin} --config ${join(dir, 'console.yaml')} --lang en`);
    pid = await childPid(pty.child.pid);
    await pty.waitFor((s) => /svc-00\s+UP/.test(s), 0, 30_000);
    const rssBeforeKb = memKb(pid, 'VmRSS');
    pty.write('1');
    await pty.waitFor((s) => /L1 Soft Reset · svc-00/.test(s), 0, 10_000);
    // Wait for the stream to start, then time keys until the command has ended.
    await pty.waitFor((s) => /line \d+ streaming/.test(s), 0, 30_000);
    const keyXs = [];
    let ended = false;
    void next('end').then(() => (ended = true));
    while (!ended && keyXs.length < 400) {
      for (const [key, re] of [['?', /Keys/], ['\x1b', /L1 Soft Reset · svc-00/]]) {
        const from = pty.out.length;
        const t0 = performance.now();
        pty.write(key);
        keyXs.push((await pty.waitFor((s) => re.test(s), from, 10_000)) - t0);
        await sleep(20);
      }
    }
    const { end } = await next('end');
    await pty.waitFor((s) => s.includes('end-of-stream'), 0, 60_000);
    const lastLineMs = Date.now() - end;
    await sleep(500);
    const peakKb = memKb(pid, 'VmHWM');
    const rssAfterKb = memKb(pid, 'VmRSS');
    const p99 = percentile(keyXs, 99);
    const pass = lastLineMs <= 1000 && p99 <= 50;
    return [
      {
        figure: `log streaming, ${lines.toLocaleString('en')} lines: last line after command end`,
        ours: `${lastLineMs} ms`,
        baseline: '1000 ms budget',
        ratio: lastLineMs / 1000,
        budget: '≤ 1 s',
        pass: lastLineMs <= 1000,
        data: { lastLineMs },
      },
      {
        figure: 'log streaming: key → frame meanwhile (p99)',
        ours: `${p99.toFixed(1)} ms (median ${median(keyXs).toFixed(1)}, ${keyXs.length} keys)`,
        baseline: '50 ms budget',
        ratio: p99 / 50,
        budget: 'p99 ≤ 50 ms',
        pass: p99 <= 50,
        data: { keys: keyXs.length, median: median(keyXs), p99 },
      },
      {
        figure: 'log streaming: console memory',
        ours: `peak ${(peakKb / 1024).toFixed(0)} MB RSS, ${(rssAfterKb / 1024).toFixed(0)} MB after`,
        baseline: `${(rssBeforeKb / 1024).toFixed(0)} MB before the run`,
        ratio: peakKb / rssBeforeKb,
        budget: 'bounded',
        pass: undefined,
        data: { rssBeforeKb, peakKb, rssAfterKb, pass },
      },
    ];
  } finally {
    if (process.env.BENCH_NODE_FLAGS && pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await sleep(2000);
    }
    pty?.kill();
    http.stop();
    ssh.stdin.end();
    setTimeout(() => ssh.kill(), 2000).unref();
  }
}
