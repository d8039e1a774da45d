// The demo box's shell and systemd simulation, without sockets: the command lines the
// runbooks send must behave the way an Ubuntu box would answer them.
import { afterEach, describe, expect, it } from 'vitest';
import { DemoBox } from '../../src/demo/box';
import { runShell } from '../../src/demo/shell';
import { Vfs } from '../../src/demo/vfs';
import { freshnessCommand, parseFreshness } from '../../src/health/backup-freshness';

let boxes: DemoBox[] = [];
afterEach(() => {
  for (const b of boxes) b.dispose();
  boxes = [];
});

function newBox(timeScale = 1000): DemoBox {
  const box = new DemoBox({ timeScale, nodeCount: 10 });
  boxes.push(box);
  return box;
}

async function sh(box: DemoBox, line: string, signal = new AbortController().signal) {
  let stdout = '';
  let stderr = '';
  const code = await runShell(line, { box, signal, io: { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) } });
  return { code, stdout, stderr };
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('demo shell', () => {
  it('reports unknown commands like sh, exit 127, and $? sees it', async () => {
    const box = newBox();
    const r = await sh(box, 'frobnicate --now; echo "status=$?"');
    expect(r.stderr).toBe('sh: frobnicate: command not found\n');
    expect(r.stdout).toBe('status=127\n');
    expect(r.code).toBe(0);
  });

  it('honours && || ; with sh semantics', async () => {
    const box = newBox();
    expect((await sh(box, 'false && echo no || echo yes')).stdout).toBe('yes\n');
    expect((await sh(box, 'true || echo skipped; echo after')).stdout).toBe('after\n');
    expect((await sh(box, 'false; false && true')).code).toBe(1);
  });

  it('writes the L2 snapshot through mkdir -p and > redirections', async () => {
    const box = newBox();
    const dir = '/var/log/doai/snapshots/20260104_153100';
    const r = await sh(
      box,
      `mkdir -p '${dir}' && journalctl -u 'doai-orchestrator' -n 1000 --no-pager > '${dir}/orchestrator.log' && journalctl -u 'caddy' -n 200 --no-pager > '${dir}/caddy.log' && ps aux > '${dir}/processes.txt' && ss -tlnp > '${dir}/ports.txt'`,
    );
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(box.vfs.readFile(`${dir}/orchestrator.log`).trimEnd().split('\n')).toHaveLength(1000);
    expect(box.vfs.readFile(`${dir}/caddy.log`).trimEnd().split('\n')).toHaveLength(200);
    expect(box.vfs.readFile(`${dir}/processes.txt`)).toContain('/opt/aifarm/venv/bin/python3 -m app.main');
    expect(box.vfs.readFile(`${dir}/ports.txt`)).toMatch(/0\.0\.0\.0:8000 .*python3/);
    expect((await sh(box, `cat '${dir}/ports.txt'`)).stdout).toBe(box.vfs.readFile(`${dir}/ports.txt`));
  });

  it('fails a redirection into a missing directory without running the command', async () => {
    const box = newBox();
    const r = await sh(box, "echo hi > '/nope/x.txt'");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot create /nope/x.txt');
    expect(box.vfs.exists('/nope/x.txt')).toBe(false);
  });

  it('sends stderr into a file with 2>&1 and discards with 2>/dev/null', async () => {
    const box = newBox();
    await sh(box, 'cat /missing > /tmp/out.txt 2>&1');
    expect(box.vfs.readFile('/tmp/out.txt')).toBe('cat: /missing: No such file or directory\n');
    const quiet = await sh(box, 'cat /missing 2>/dev/null');
    expect(quiet).toMatchObject({ code: 1, stderr: '' });
  });

  it('clears the caches with find -exec rm {} + and rm -rf glob', async () => {
    const box = newBox();
    expect(box.cacheExists()).toBe(true);
    const r = await sh(box, "find '/opt/aifarm' -type d -name __pycache__ -exec rm -rf {} + 2>/dev/null; rm -rf /tmp/doai_* 2>/dev/null");
    expect(r.code).toBe(0);
    expect(box.cacheExists()).toBe(false);
    expect(box.vfs.exists('/opt/aifarm/app/main.py')).toBe(true);
    // With nothing left to match, the glob stays literal and rm -f stays quiet (sh behaviour).
    expect(await sh(box, 'rm -rf /tmp/doai_*')).toMatchObject({ code: 0, stderr: '' });
    expect((await sh(box, 'find /opt/aifarm -name __pycache__')).stdout).toBe('');
  });

  it('prints systemctl status like systemd and exits 3 when the unit is not running', async () => {
    const box = newBox();
    const up = await sh(box, "systemctl status 'doai-orchestrator' --no-pager");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^● doai-orchestrator\.service - DoAI Orchestrator\n/);
    expect(up.stdout).toMatch(/\n {5}Active: active \(running\) since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d .+; .+ ago\n/);
    box.injectFault('crash');
    const down = await sh(box, "systemctl status 'doai-orchestrator' --no-pager");
    expect(down.code).toBe(3);
    expect(down.stdout).toContain('Active: failed (Result: signal)');
    expect(down.stdout).toContain('status=11/SEGV');
    const unknown = await sh(box, "systemctl restart 'nginx'");
    expect(unknown).toMatchObject({ code: 5, stderr: 'Failed to restart nginx.service: Unit nginx.service not found.\n' });
  });

  it('restart brings a crashed orchestrator back through a 503 start phase', async () => {
    const box = newBox(100);
    box.injectFault('crash');
    expect(box.orchestratorHealth()).toBe('down');
    const r = await sh(box, "systemctl restart 'doai-orchestrator'");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Starting doai-orchestrator.service');
    expect(box.orchestratorHealth()).toBe('starting');
    await until(() => box.orchestratorHealth() === 'ok');
    expect((await sh(box, "systemctl is-active 'doai-orchestrator'")).stdout).toBe('active\n');
  });

  it('crash-loop survives restart until the caches are cleared', async () => {
    const box = newBox(100);
    box.injectFault('crash-loop');
    await sh(box, "systemctl restart 'doai-orchestrator'");
    await until(() => box.unitState('doai-orchestrator') === 'failed');
    expect(box.faults.crashLoop).toBe(true);
    await sh(box, "systemctl stop 'doai-orchestrator' && systemctl stop 'caddy'");
    await sh(box, "find '/opt/aifarm' -type d -name __pycache__ -exec rm -rf {} +; rm -rf /tmp/doai_*");
    await sh(box, "systemctl start 'caddy' && systemctl start 'doai-orchestrator'");
    await until(() => box.orchestratorHealth() === 'ok');
    // Past the moment a looping process would have died.
    await new Promise((r) => setTimeout(r, 30));
    expect(box.orchestratorHealth()).toBe('ok');
    expect(box.faults.crashLoop).toBe(false);
  });

  it('sleep waits scaled time and an abort stops the rest of the line', async () => {
    const box = newBox(100);
    const t0 = Date.now();
    expect((await sh(box, 'sleep 5')).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const t1 = Date.now();
    const r = await sh(box, 'sleep 100; echo after > /tmp/after', ac.signal);
    expect(Date.now() - t1).toBeLessThan(500);
    expect(r.code).toBe(130);
    expect(box.vfs.exists('/tmp/after')).toBe(false);
  });

  it('journalctl -n prints exactly n lines, newest last, including recorded events', async () => {
    const box = newBox();
    box.injectFault('crash');
    const r = await sh(box, "journalctl -u 'doai-orchestrator' -n 5 --no-pager");
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/systemd\[1\]: doai-orchestrator\.service: Failed with result 'signal'\.$/);
  });

  it('reports a syntax it does not support instead of guessing', async () => {
    const box = newBox();
    const r = await sh(box, 'echo $(date)');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not supported by the demo shell');
  });

  it('backs up with cp -r and tar, failing tar for a missing path', async () => {
    const box = newBox();
    const ok = await sh(box, "mkdir -p '/var/backups/doai/20260104' && cp -r /etc/doai '/var/backups/doai/20260104/' && cp -r /var/log/doai '/var/backups/doai/20260104/logs'");
    expect(ok.code).toBe(0);
    expect(box.vfs.readFile('/var/backups/doai/20260104/doai/config.yaml')).toContain('listen');
    expect(box.vfs.isDir('/var/backups/doai/20260104/logs/snapshots')).toBe(true);
    const bad = await sh(box, 'tar czf /var/backups/doai/x.tgz /etc/doai /etc/missing');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/etc/missing: Cannot stat');
  });
});

describe('demo vfs glob', () => {
  it('does not let * cross a slash and keeps unmatched patterns literal', () => {
    const v = new Vfs();
    v.mkdir('/tmp/doai_x/deep', true);
    v.writeFile('/tmp/doai_q.lock', '1');
    expect(v.glob('/tmp/doai_*')).toEqual(['/tmp/doai_q.lock', '/tmp/doai_x']);
    expect(v.glob('/tmp/zzz*')).toEqual(['/tmp/zzz*']);
    expect(v.glob('doai_?.lock', '/tmp')).toEqual(['doai_q.lock']);
  });
});

describe('demo nodes', () => {
  it('an offline node\'s heartbeat stays where it stopped, so its age keeps growing', () => {
    let t = Date.UTC(2026, 0, 4, 6, 30, 0);
    const box = new DemoBox({ timeScale: 10, nodeCount: 40, now: () => new Date(t) });
    boxes.push(box);
    box.injectFault('nodes-offline');
    const stale = () => box.nodes().filter((n) => t - Date.parse(n.last_heartbeat) > 5 * 60_000);
    const before = stale();
    expect(before).toHaveLength(14);
    t += 10 * 60_000;
    box.injectFault('nodes-offline'); // injecting again does not restart them
    const after = stale();
    expect(after.map((n) => n.id)).toEqual(before.map((n) => n.id));
    expect(after.map((n) => n.last_heartbeat)).toEqual(before.map((n) => n.last_heartbeat));
  });

  it('nodes-offline makes a third stale by more than 5 min (14 of 40 = 35 %, over the 0.3 mass-offline ratio); error-spike puts ~20 % over 10 %', () => {
    // The demo's default fleet size first.
    const small = new DemoBox({ timeScale: 10, nodeCount: 40 });
    boxes.push(small);
    small.injectFault('nodes-offline');
    const staleIn = (b: DemoBox) => b.nodes().filter((n) => Date.now() - Date.parse(n.last_heartbeat) > 5 * 60_000);
    expect(staleIn(small)).toHaveLength(14);
    expect(staleIn(small).length / 40).toBeGreaterThanOrEqual(0.3);
    // Spread over the racks, not one rack's worth.
    expect(new Set(staleIn(small).map((n) => n.labels)).size).toBe(4);

    const box = new DemoBox({ timeScale: 10, nodeCount: 200 });
    boxes.push(box);
    const staleCount = () => box.nodes().filter((n) => Date.now() - Date.parse(n.last_heartbeat) > 5 * 60_000).length;
    const spikeCount = () => box.nodes().filter((n) => n.errors / n.requests > 0.1).length;
    expect(staleCount()).toBe(0);
    expect(spikeCount()).toBe(0);
    box.injectFault('nodes-offline');
    expect(staleCount()).toBe(67);
    box.injectFault('error-spike');
    expect(spikeCount() / 200).toBeGreaterThan(0.12);
    expect(spikeCount() / 200).toBeLessThan(0.28);
    expect(box.nodes()[0]).toMatchObject({ id: 'node-001', labels: 'rack-a' });
    box.injectFault('clear');
    expect(staleCount()).toBe(0);
    expect(spikeCount()).toBe(0);
  });

  it('runs if/elif/else/fi like sh: the first clause that succeeds, nested, across lines; a broken one is a syntax error', async () => {
    const box = newBox();
    expect((await sh(box, "if [ -d /etc/doai ]; then echo dir; else echo nodir; fi")).stdout).toBe('dir\n');
    expect((await sh(box, "if [ -d /nope ]; then echo dir; else echo nodir; fi; echo after")).stdout).toBe('nodir\nafter\n');
    expect((await sh(box, 'if false; then echo a; elif true; then echo b; else echo c; fi')).stdout).toBe('b\n');
    expect(await sh(box, 'if false; then echo a; fi')).toMatchObject({ code: 0, stdout: '' });
    expect((await sh(box, 'if true; then if false; then echo x; else echo inner; fi; fi && echo ok')).stdout).toBe('inner\nok\n');
    expect((await sh(box, 'if [ -f /etc/caddy/Caddyfile ]\nthen\n  echo fi then\nfi')).stdout).toBe('fi then\n');
    expect((await sh(box, 'if false; then echo a; else false; fi')).code).toBe(1);
    expect(await sh(box, 'if true; then echo a')).toMatchObject({ code: 2, stdout: '', stderr: 'sh: 1: syntax error: end of file unexpected (expecting "fi")\n' });
    expect(await sh(box, 'echo x; fi')).toMatchObject({ code: 2, stdout: '', stderr: "sh: 1: syntax error near unexpected token `fi'\n" });
    expect((await sh(box, 'if ; then echo a; fi')).code).toBe(2);
  });

  it('sort -r -n -u -k and awk filter a pipeline; find -printf prints each match\'s fields', async () => {
    const box = newBox();
    expect((await sh(box, "printf '10 b\\n9 a\\n10 a\\n' | sort -rn")).stdout).toBe('10 b\n10 a\n9 a\n');
    expect((await sh(box, "printf 'b\\na\\nb\\n' | sort -u")).stdout).toBe('a\nb\n');
    expect((await sh(box, "printf 'x 3\\ny 1\\nz 2\\n' | sort -n -k 2")).stdout).toBe('y 1\nz 2\nx 3\n');
    expect((await sh(box, "printf 'a 1\\nb 2\\nc 3\\n' | awk 'NR==1{f=$0} END{print NR\" \"f}'")).stdout).toBe('3 a 1\n');
    expect((await sh(box, "printf '' | awk 'NR==1{f=$0} END{print NR\" \"f}'")).stdout).toBe('0 \n');
    expect((await sh(box, "printf 'a:1\\nb:22\\n' | awk -F: '$2 > 5 { print $1, length($2) } /^a/ { n++ } END { printf \"%d a\\n\", n }'")).stdout).toBe('b 2\n1 a\n');
    expect(await sh(box, "echo x | awk '{ print $1 > \"/etc/passwd\" }'")).toMatchObject({ code: 2, stdout: '' });
    expect(box.vfs.exists('/etc/passwd')).toBe(false);
    expect((await sh(box, "echo x | awk '{ print ( }'")).code).toBe(2);
    box.vfs.mkdir('/srv/b', true);
    box.vfs.writeFile('/srv/b/one.gz', 'abc');
    box.vfs.touch('/srv/b/one.gz', new Date(1_700_000_000_500));
    expect((await sh(box, "find /srv/b -mindepth 1 -maxdepth 1 -name '*.gz' -printf '%T@ %f %s %p\\n'")).stdout).toBe('1700000000.5000000000 one.gz 3 /srv/b/one.gz\n');
  });

  it('answers the console\'s backups probe as a host does: fresh, over its RPO, no matches, no folder', async () => {
    const box = newBox();
    const hour = 3_600_000;
    box.vfs.mkdir('/srv/pg', true);
    for (const [name, ageH] of [['pg_1.sql.gz', 30], ['pg_2.sql.gz', 26], ['notes.txt', 1]] as const) {
      box.vfs.writeFile(`/srv/pg/${name}`, 'x');
      box.vfs.touch(`/srv/pg/${name}`, new Date(Date.now() - ageH * hour));
    }
    box.vfs.mkdir('/srv/empty', true);
    const specs = [
      // The box's own last-night backup (seeded 6 h old, the demo config's folder).
      { service: 'doai-orchestrator', dir: '/var/backups/doai', pattern: '*', rpoH: 24 },
      { service: 'db', dir: '/srv/pg', pattern: '*.sql.gz', rpoH: 24 },
      { service: 'db', dir: '/srv/empty', pattern: '*', rpoH: 1 },
      { service: 'caddy', dir: '/var/backups/caddy-nightly', pattern: '*', rpoH: 24 },
    ];
    const r = await sh(box, freshnessCommand(specs));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = parseFreshness(specs, r.stdout.trimEnd().split('\n'));
    expect(got.map((f) => f.verdict)).toEqual(['ok', 'stale', 'missing', 'missing']);
    expect(got[0]!.newestName).toMatch(/^\d{8}_\d{6}$/);
    expect(Math.round(got[0]!.ageS! / 3600)).toBe(6);
    expect(got[1]).toMatchObject({ count: 2, newestName: 'pg_2.sql.gz' });
    expect(Math.round(got[1]!.ageS! / 3600)).toBe(26);
    expect(got[2]).toMatchObject({ count: 0 });
    expect(got[2]!.error).toBeUndefined();
    expect(got[3]!.error).toBe('/var/backups/caddy-nightly does not exist');
  });
});
