// The commands the demo box knows: systemd (systemctl, journalctl), the snapshot tools (ps, ss,
// netstat), the cache clearing (find, rm), backups (cp, tar) and the host checks (loadavg, free,
// df). Output imitates Ubuntu's closely enough for an operator to read it as the real thing.
import { posix } from 'node:path';
import { isUnitName, type DemoBox, type UnitName, type UnitState } from './box';
import type { Builtin, CommandContext } from './shell';
import { Vfs, globToRegExp } from './vfs';
import { AwkError, runAwk } from './awk';

const line = (c: CommandContext, s = '') => c.out(`${s}\n`);
const eline = (c: CommandContext, s: string) => c.err(`${s}\n`);

/** Splits leading single-letter flags (-rf, -p, --no-pager) from operands; `--` ends flags. */
function flags(args: string[]): { flags: Set<string>; operands: string[] } {
  const f = new Set<string>();
  const operands: string[] = [];
  let done = false;
  for (const a of args) {
    if (!done && a === '--') done = true;
    else if (!done && a.startsWith('--')) f.add(a);
    else if (!done && a.startsWith('-') && a.length > 1) for (const ch of a.slice(1)) f.add(ch);
    else operands.push(a);
  }
  return { flags: f, operands };
}

const p2 = (n: number) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function tzName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** systemd's timestamp: "Sun 2026-01-04 15:30:05 KST". */
function systemdTime(d: Date): string {
  return `${DAYS[d.getDay()]} ${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${tzName(d)}`;
}

/** systemd's relative time: "2min 3s ago", "1h 5min ago", "3 days ago". */
function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}min ${s % 60}s ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}min ago`;
  return `${Math.floor(h / 24)} days ago`;
}

function unitArg(u: string): string {
  return u.endsWith('.service') ? u.slice(0, -'.service'.length) : u;
}

// --- systemd ----------------------------------------------------------------------------------

const ACTIVE_TEXT: Record<UnitState, string> = {
  active: 'active (running)',
  activating: 'activating (start)',
  deactivating: 'deactivating (stop-sigterm)',
  inactive: 'inactive (dead)',
  failed: 'failed',
};

function statusBlock(box: DemoBox, name: UnitName, journalLines: number): string[] {
  const u = box.unitInfo(name);
  const bullet = u.state === 'active' || u.state === 'activating' ? '●' : u.state === 'failed' ? '×' : '○';
  const active = u.state === 'failed' ? `failed (Result: ${u.result ?? 'exit-code'})` : ACTIVE_TEXT[u.state];
  const out = [
    `${bullet} ${name}.service - ${u.description}`,
    `     Loaded: loaded (/etc/systemd/system/${name}.service; enabled; preset: enabled)`,
    `     Active: ${active} since ${systemdTime(u.since)}; ${ago(box.now().getTime() - u.since.getTime())}`,
  ];
  if (u.pid !== null) {
    const exe = name === 'caddy' ? 'caddy' : 'python3';
    const slow = name === 'doai-orchestrator' && box.faults.slow;
    out.push(
      `   Main PID: ${u.pid} (${exe})`,
      `      Tasks: ${name === 'caddy' ? 9 : 14} (limit: 4654)`,
      `     Memory: ${name === 'caddy' ? '31.4M' : slow ? '1.4G' : '182.6M'}`,
      `        CPU: ${name === 'caddy' ? '41.207s' : slow ? '38min 12.402s' : '12min 3.118s'}`,
      `     CGroup: /system.slice/${name}.service`,
      `             └─${u.pid} ${u.execStart}`,
    );
  } else if (u.state === 'failed') {
    out.push(`    Process: ${u.name === 'caddy' ? 0 : 812} ExecStart=${u.execStart} (code=${u.result === 'signal' ? 'killed, signal=SEGV' : 'exited, status=1/FAILURE'})`);
  }
  if (journalLines > 0) out.push('', ...box.journalLines(name, journalLines));
  return out;
}

function lineCount(args: string[], fallback: number): { n: number; rest: string[] } {
  let n = fallback;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n' || a === '--lines') n = Number(args[++i]);
    else if (a.startsWith('--lines=')) n = Number(a.slice(8));
    else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
    else rest.push(a);
  }
  return { n: Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), 10_000) : fallback, rest };
}

const systemctl: Builtin = async (args, c) => {
  const { n, rest } = lineCount(args, 10);
  const { flags: f, operands } = flags(rest);
  const quiet = f.has('q') || f.has('--quiet');
  const [verb, ...rawUnits] = operands;
  const units = rawUnits.map(unitArg);
  const box = c.box;
  switch (verb) {
    case undefined:
    case 'list-units':
      line(c, '  UNIT                      LOAD   ACTIVE SUB     DESCRIPTION');
      for (const u of ['caddy', 'doai-orchestrator'] as const) {
        const info = box.unitInfo(u);
        const [a, sub] = info.state === 'active' ? ['active', 'running'] : info.state === 'failed' ? ['failed', 'failed'] : [info.state, 'dead'];
        line(c, `  ${`${u}.service`.padEnd(25)} loaded ${a.padEnd(6)} ${sub.padEnd(7)} ${info.description}`);
      }
      return 0;
    case 'daemon-reload':
      return 0;
    case 'start':
    case 'stop':
    case 'restart':
    case 'try-restart':
    case 'reload-or-restart':
    case 'reset-failed': {
      if (units.length === 0 && verb !== 'reset-failed') {
        eline(c, 'Too few arguments.');
        return 1;
      }
      const known: UnitName[] = [];
      for (const u of units) {
        if (!isUnitName(u)) {
          eline(c, `Failed to ${verb} ${u}.service: Unit ${u}.service not found.`);
          return 5;
        }
        known.push(u);
      }
      for (const u of known) {
        if (c.signal.aborted) return 130;
        const desc = box.unitInfo(u).description;
        if (verb === 'reset-failed') {
          if (box.unitState(u) === 'failed') await box.stop(u);
        } else if (verb === 'stop') {
          line(c, `Stopping ${u}.service - ${desc}...`);
          await box.stop(u);
          line(c, `Stopped ${u}.service.`);
        } else if (verb === 'start') {
          line(c, `Starting ${u}.service - ${desc}...`);
          await box.start(u);
        } else {
          if (verb === 'try-restart' && box.unitState(u) !== 'active') continue;
          line(c, `Stopping ${u}.service - ${desc}...`);
          await box.stop(u);
          line(c, `Starting ${u}.service - ${desc}...`);
          await box.start(u);
        }
      }
      return 0;
    }
    case 'status': {
      if (units.length === 0) {
        const degraded = (['doai-orchestrator', 'caddy'] as const).some((u) => box.unitState(u) === 'failed');
        line(c, `● ${c.box.hostName}`);
        line(c, `    State: ${degraded ? 'degraded' : 'running'}`);
        line(c, `    Units: 231 loaded (incl. loaded aliases)`);
        line(c, `     Jobs: 0 queued`);
        line(c, `   Failed: ${degraded ? 1 : 0} units`);
        line(c, `    Since: ${systemdTime(box.bootedAt)}; ${ago(box.now().getTime() - box.bootedAt.getTime())}`);
        return 0;
      }
      let code = 0;
      units.forEach((u, i) => {
        if (!isUnitName(u)) {
          eline(c, `Unit ${u}.service could not be found.`);
          code = 4;
          return;
        }
        if (i > 0) line(c);
        for (const l of statusBlock(box, u, n)) line(c, l);
        if (box.unitState(u) !== 'active' && code === 0) code = 3;
      });
      return code;
    }
    case 'is-active':
    case 'is-failed': {
      if (units.length === 0) {
        eline(c, 'Too few arguments.');
        return 1;
      }
      let hit = verb === 'is-active';
      for (const u of units) {
        const s = isUnitName(u) ? box.unitState(u) : 'inactive';
        if (!quiet) line(c, s);
        if (verb === 'is-active') hit = hit && s === 'active';
        else hit = hit || s === 'failed';
      }
      return hit ? 0 : verb === 'is-active' ? 3 : 1;
    }
    default:
      eline(c, `Unknown command verb '${verb}'.`);
      return 1;
  }
};

const journalctl: Builtin = (args, c) => {
  const { n, rest } = lineCount(args, 100);
  let unit: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-u' || a === '--unit') unit = rest[++i];
    else if (a.startsWith('--unit=')) unit = a.slice(7);
    else if (a.startsWith('-u') && a.length > 2) unit = a.slice(2);
    // --no-pager, -b, -f, --since ...: the simulated journal has nothing else to page or follow.
  }
  const u = unitArg(unit ?? 'doai-orchestrator');
  if (!isUnitName(u)) {
    line(c, '-- No entries --');
    return 0;
  }
  for (const l of c.box.journalLines(u, n)) line(c, l);
  return 0;
};

// --- processes and ports ------------------------------------------------------------------------

function processes(box: DemoBox): { user: string; pid: number; cpu: string; mem: string; vsz: number; rss: number; stat: string; start: string; time: string; cmd: string }[] {
  const list = [
    { user: 'root', pid: 1, cpu: '0.0', mem: '0.3', vsz: 167744, rss: 12952, stat: 'Ss', start: 'Jan01', time: '0:09', cmd: '/sbin/init' },
    { user: 'root', pid: 402, cpu: '0.0', mem: '0.2', vsz: 15432, rss: 8960, stat: 'Ss', start: 'Jan01', time: '0:00', cmd: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups' },
    { user: 'root', pid: 455, cpu: '0.1', mem: '0.6', vsz: 1245888, rss: 24532, stat: 'Ssl', start: 'Jan01', time: '3:12', cmd: '/usr/sbin/tailscaled --state=/var/lib/tailscale/tailscaled.state' },
  ];
  const caddy = box.unitInfo('caddy');
  if (caddy.pid !== null) list.push({ user: 'caddy', pid: caddy.pid, cpu: '0.2', mem: '1.1', vsz: 1281724, rss: 45120, stat: 'Ssl', start: 'Jan01', time: '0:41', cmd: caddy.execStart });
  const orch = box.unitInfo('doai-orchestrator');
  if (orch.pid !== null) {
    const slow = box.faults.slow;
    list.push({ user: 'root', pid: orch.pid, cpu: slow ? '97.4' : '6.3', mem: slow ? '38.2' : '4.6', vsz: slow ? 2904112 : 704112, rss: slow ? 1498112 : 187004, stat: 'Rsl', start: 'Jan03', time: slow ? '38:12' : '12:03', cmd: orch.execStart });
  }
  list.push({ user: 'root', pid: 4242, cpu: '0.0', mem: '0.0', vsz: 10072, rss: 3328, stat: 'R+', start: 'now', time: '0:00', cmd: 'ps aux' });
  return list;
}

const ps: Builtin = (_args, c) => {
  line(c, 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND');
  for (const p of processes(c.box)) {
    line(c, `${p.user.padEnd(8)} ${String(p.pid).padStart(7)} ${p.cpu.padStart(4)} ${p.mem.padStart(4)} ${String(p.vsz).padStart(6)} ${String(p.rss).padStart(5)} ?        ${p.stat.padEnd(4)} ${p.start.padEnd(5)} ${p.time.padStart(6)} ${p.cmd}`);
  }
  return 0;
};

function listeners(box: DemoBox): { addr: string; prog: string; pid: number; fd: number }[] {
  const out = [{ addr: '0.0.0.0:22', prog: 'sshd', pid: 402, fd: 3 }];
  const orch = box.unitInfo('doai-orchestrator');
  if (orch.state === 'active' && orch.pid !== null) out.push({ addr: '0.0.0.0:8000', prog: 'python3', pid: orch.pid, fd: 7 });
  const caddy = box.unitInfo('caddy');
  if (caddy.state === 'active' && caddy.pid !== null) {
    out.push({ addr: '*:80', prog: 'caddy', pid: caddy.pid, fd: 8 });
    out.push({ addr: '*:443', prog: 'caddy', pid: caddy.pid, fd: 9 });
  }
  return out;
}

const ss: Builtin = (_args, c) => {
  line(c, 'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process');
  for (const l of listeners(c.box)) {
    const peer = l.addr.startsWith('*') ? '*:*' : '0.0.0.0:*';
    line(c, `LISTEN 0      4096   ${l.addr.padStart(18)} ${peer.padStart(18)} users:(("${l.prog}",pid=${l.pid},fd=${l.fd}))`);
  }
  return 0;
};

const netstat: Builtin = (_args, c) => {
  line(c, 'Active Internet connections (only servers)');
  line(c, 'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name');
  for (const l of listeners(c.box)) {
    const proto = l.addr.startsWith('*') ? 'tcp6' : 'tcp ';
    const addr = l.addr.startsWith('*') ? `:::${l.addr.slice(2)}` : l.addr;
    const peer = l.addr.startsWith('*') ? ':::*' : '0.0.0.0:*';
    line(c, `${proto}       0      0 ${addr.padEnd(23)} ${peer.padEnd(23)} LISTEN      ${l.pid}/${l.prog}`);
  }
  return 0;
};

// --- files ----------------------------------------------------------------------------------------

const resolve = (c: CommandContext, p: string) => Vfs.resolve(p, c.session.cwd);

const find: Builtin = async (args, c) => {
  const roots: string[] = [];
  let i = 0;
  while (i < args.length && !args[i]!.startsWith('-') && args[i] !== '(' && args[i] !== '!') roots.push(args[i++]!);
  if (roots.length === 0) roots.push('.');
  let type: 'd' | 'f' | undefined;
  let name: RegExp | undefined;
  let maxDepth = Infinity;
  let minDepth = 0;
  let exec: { argv: string[]; batch: boolean } | undefined;
  let del = false;
  let printf: string | undefined;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-type') {
      const t = args[++i];
      if (t !== 'd' && t !== 'f') {
        eline(c, `find: Unknown argument to -type: ${t ?? ''}`);
        return 1;
      }
      type = t;
    } else if (a === '-name' || a === '-iname') {
      const pat = args[++i] ?? '';
      name = new RegExp(globToRegExp(pat).source, a === '-iname' ? 'i' : '');
    } else if (a === '-maxdepth') maxDepth = Number(args[++i]);
    else if (a === '-mindepth') minDepth = Number(args[++i]);
    else if (a === '-exec') {
      const argv: string[] = [];
      let batch = false;
      for (i++; i < args.length; i++) {
        if (args[i] === ';') break;
        if (args[i] === '+' && argv[argv.length - 1] === '{}') {
          batch = true;
          break;
        }
        argv.push(args[i]!);
      }
      if (i >= args.length) {
        eline(c, "find: missing argument to `-exec'");
        return 1;
      }
      exec = { argv, batch };
    } else if (a === '-delete') del = true;
    else if (a === '-printf') {
      if (i + 1 >= args.length) {
        eline(c, "find: missing argument to `-printf'");
        return 1;
      }
      printf = args[++i]!;
    }
    else if (a === '-print' || a === '-xdev') continue;
    else if (a === '-mtime' || a === '-mmin' || a === '-size' || a === '-user') i++; // accepted, not simulated
    else {
      eline(c, `find: unknown predicate \`${a}'`);
      return 1;
    }
  }
  let status = 0;
  const matches: string[] = [];
  for (const root of roots) {
    const abs = resolve(c, root);
    if (!c.vfs.exists(abs)) {
      eline(c, `find: '${root}': No such file or directory`);
      status = 1;
      continue;
    }
    const rootDepth = abs === '/' ? 0 : abs.split('/').length - 1;
    for (const p of c.vfs.walk(abs)) {
      const depth = (p === '/' ? 0 : p.split('/').length - 1) - rootDepth;
      if (depth > maxDepth || depth < minDepth) continue;
      if (type && (type === 'd') !== c.vfs.isDir(p)) continue;
      if (name && !name.test(posix.basename(p))) continue;
      // Report paths the way they were asked for (relative roots stay relative).
      matches.push(root === abs ? p : root.replace(/\/$/, '') + p.slice(abs.length));
    }
  }
  if (del) {
    for (const m of [...matches].reverse()) {
      const p = resolve(c, m);
      if (c.vfs.exists(p)) c.vfs.remove(p, true);
    }
  } else if (exec) {
    const subst = (m: string[]) => exec!.argv.flatMap((a) => (a === '{}' ? m : [a.replaceAll('{}', m[0] ?? '')]));
    if (exec.batch) {
      if (matches.length > 0 && (await c.run(subst(matches))) !== 0) status = 1;
    } else {
      for (const m of matches) {
        if (c.signal.aborted) return 130;
        await c.run(subst([m]));
      }
    }
  } else if (printf !== undefined) for (const m of matches) c.out(findPrintf(c, printf, m));
  else for (const m of matches) line(c, m);
  return status;
};

/** GNU find's -printf for one match: %p %f %h %s %y %T@ %%, and \\n \\t \\\\ escapes. */
function findPrintf(c: CommandContext, format: string, path: string): string {
  const e = c.vfs.get(resolve(c, path));
  return format.replace(/\\([nt\\0])|%(T@|[pfhsy%])/g, (m, esc: string | undefined, d: string | undefined) => {
    if (esc !== undefined) return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === '0' ? '\0' : '\\';
    switch (d) {
      case 'p': return path;
      case 'f': return posix.basename(path);
      case 'h': return posix.dirname(path);
      case 's': return String(e?.kind === 'file' ? Buffer.byteLength(e.content) : 4096);
      case 'y': return e?.kind === 'dir' ? 'd' : 'f';
      case 'T@': return e ? (e.mtime.getTime() / 1000).toFixed(10) : '0';
      case '%': return '%';
      default: return m;
    }
  });
}

const rm: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  const recursive = f.has('r') || f.has('R') || f.has('--recursive');
  const force = f.has('f') || f.has('--force');
  if (operands.length === 0 && !force) {
    eline(c, 'rm: missing operand');
    return 1;
  }
  let status = 0;
  for (const o of operands) {
    const p = resolve(c, o);
    if (!c.vfs.exists(p)) {
      if (!force) {
        eline(c, `rm: cannot remove '${o}': No such file or directory`);
        status = 1;
      }
      continue;
    }
    if (c.vfs.isDir(p) && !recursive) {
      eline(c, `rm: cannot remove '${o}': Is a directory`);
      status = 1;
      continue;
    }
    c.vfs.remove(p, true);
  }
  return status;
};

const mkdir: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  if (operands.length === 0) {
    eline(c, 'mkdir: missing operand');
    return 1;
  }
  let status = 0;
  for (const o of operands) {
    try {
      c.vfs.mkdir(resolve(c, o), f.has('p') || f.has('--parents'));
    } catch (e) {
      eline(c, `mkdir: ${(e as Error).message.replace(resolve(c, o), o)}`);
      status = 1;
    }
  }
  return status;
};

const cp: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  const recursive = f.has('r') || f.has('R') || f.has('a') || f.has('--recursive') || f.has('--archive');
  if (operands.length < 2) {
    eline(c, `cp: missing destination file operand after '${operands[0] ?? ''}'`);
    return 1;
  }
  const dst = resolve(c, operands[operands.length - 1]!);
  const sources = operands.slice(0, -1);
  if (sources.length > 1 && !c.vfs.isDir(dst)) {
    eline(c, `cp: target '${operands[operands.length - 1]}' is not a directory`);
    return 1;
  }
  let status = 0;
  for (const s of sources) {
    try {
      c.vfs.copy(resolve(c, s), dst, recursive);
    } catch (e) {
      eline(c, `cp: ${(e as Error).message}`);
      status = 1;
    }
  }
  return status;
};

const mv: Builtin = (args, c) => {
  const { operands } = flags(args);
  if (operands.length !== 2) {
    eline(c, 'mv: expected a source and a destination');
    return 1;
  }
  const [src, dst] = operands.map((o) => resolve(c, o)) as [string, string];
  try {
    c.vfs.copy(src, dst, true);
    c.vfs.remove(src, true);
    return 0;
  } catch (e) {
    eline(c, `mv: ${(e as Error).message}`);
    return 1;
  }
};

/** tar: creating an archive writes a placeholder file naming what it would hold. */
const tar: Builtin = (args, c) => {
  const rest = [...args];
  let mode = '';
  let file: string | undefined;
  let dir = c.session.cwd;
  const members: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-C') dir = resolve(c, rest[++i] ?? '.');
    else if (a.startsWith('--file=')) file = a.slice(7);
    else if (a.startsWith('--')) continue;
    else if ((a.startsWith('-') || (i === 0 && /^[cxtzjvfpC]+$/.test(a))) && a.length > 1) {
      for (const ch of a.replace(/^-/, '')) {
        if ('cxt'.includes(ch)) mode = ch;
        if (ch === 'f') file = rest[++i];
      }
    } else members.push(a);
  }
  if (!mode || !file) {
    eline(c, "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options");
    return 2;
  }
  if (mode !== 'c') return 0;
  const missing = members.filter((m) => !c.vfs.exists(Vfs.resolve(m, dir)));
  for (const m of missing) eline(c, `tar: ${m}: Cannot stat: No such file or directory`);
  const included = members.filter((m) => !missing.includes(m)).flatMap((m) => c.vfs.walk(Vfs.resolve(m, dir)));
  try {
    c.vfs.writeFile(resolve(c, file), `(demo tar archive)\n${included.join('\n')}\n`);
  } catch (e) {
    eline(c, `tar: ${file}: Cannot open: ${(e as Error).message}`);
    return 2;
  }
  if (missing.length > 0) {
    eline(c, 'tar: Exiting with failure status due to previous errors');
    return 2;
  }
  return 0;
};

function procFile(box: DemoBox, path: string): string | undefined {
  if (path === '/proc/loadavg') {
    const load = box.faults.slow ? '7.81 5.12 2.40' : box.faults.crashLoop ? '1.38 0.92 0.55' : '0.42 0.37 0.31';
    return `${load} 2/311 4242\n`;
  }
  if (path === '/proc/uptime') return `${Math.floor((box.now().getTime() - box.bootedAt.getTime()) / 1000)}.12 1843210.55\n`;
  return undefined;
}

const cat: Builtin = (args, c) => {
  const { operands } = flags(args);
  if (operands.length === 0) {
    c.out(c.stdin);
    return 0;
  }
  let status = 0;
  for (const o of operands) {
    const p = resolve(c, o);
    const proc = procFile(c.box, p);
    if (proc !== undefined) {
      c.out(proc);
      continue;
    }
    const e = c.vfs.get(p);
    if (!e) {
      eline(c, `cat: ${o}: No such file or directory`);
      status = 1;
    } else if (e.kind === 'dir') {
      eline(c, `cat: ${o}: Is a directory`);
      status = 1;
    } else c.out(e.content);
  }
  return status;
};

function lsLong(c: CommandContext, path: string, label: string): string {
  const e = c.vfs.get(path)!;
  const d = e.mtime;
  const when = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
  const size = e.kind === 'dir' ? 4096 : Buffer.byteLength(e.content);
  return `${e.kind === 'dir' ? 'drwxr-xr-x 2' : '-rw-r--r-- 1'} root root ${String(size).padStart(6)} ${when} ${label}`;
}

const ls: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  const long = f.has('l');
  const targets = operands.length > 0 ? operands : ['.'];
  let status = 0;
  targets.forEach((o, idx) => {
    const p = resolve(c, o);
    if (!c.vfs.exists(p)) {
      eline(c, `ls: cannot access '${o}': No such file or directory`);
      status = 2;
      return;
    }
    if (!c.vfs.isDir(p)) {
      line(c, long ? lsLong(c, p, o) : o);
      return;
    }
    if (targets.length > 1) line(c, `${idx > 0 ? '\n' : ''}${o}:`);
    const names = c.vfs.list(p).filter((n) => f.has('a') || !n.startsWith('.'));
    if (long) {
      line(c, `total ${names.length * 4}`);
      for (const n of names) line(c, lsLong(c, Vfs.resolve(n, p), n));
    } else for (const n of names) line(c, n);
  });
  return status;
};

const tee: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  for (const o of operands) c.vfs.writeFile(resolve(c, o), c.stdin, f.has('a'));
  c.out(c.stdin);
  return 0;
};

// --- text ------------------------------------------------------------------------------------------

function inputOf(c: CommandContext, files: string[]): { text: string; status: number } {
  if (files.length === 0) return { text: c.stdin, status: 0 };
  let text = '';
  let status = 0;
  for (const o of files) {
    try {
      text += c.vfs.readFile(resolve(c, o));
    } catch {
      eline(c, `${o}: No such file or directory`);
      status = 2;
    }
  }
  return { text, status };
}

const splitText = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));

const grep: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  const [pattern, ...files] = operands;
  if (pattern === undefined) {
    eline(c, 'Usage: grep [OPTION]... PATTERNS [FILE]...');
    return 2;
  }
  let re: RegExp;
  try {
    re = f.has('F') ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), f.has('i') ? 'i' : '') : new RegExp(pattern, f.has('i') ? 'i' : '');
  } catch {
    eline(c, `grep: invalid regular expression '${pattern}'`);
    return 2;
  }
  const { text, status } = inputOf(c, files);
  const hits = splitText(text).filter((l) => re.test(l) !== f.has('v'));
  if (f.has('c')) line(c, String(hits.length));
  else if (!f.has('q')) for (const h of hits) line(c, h);
  return status || (hits.length > 0 ? 0 : 1);
};

function headTail(which: 'head' | 'tail'): Builtin {
  return (args, c) => {
    let n = 10;
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-n') n = Number(args[++i]);
      else if (/^-n?\d+$/.test(a)) n = Number(a.replace(/^-n?/, ''));
      else files.push(a);
    }
    const { text, status } = inputOf(c, files);
    const lines = splitText(text);
    for (const l of which === 'head' ? lines.slice(0, n) : lines.slice(-n)) line(c, l);
    return status;
  };
}

const wc: Builtin = (args, c) => {
  const { flags: f, operands } = flags(args);
  const { text, status } = inputOf(c, operands);
  const lines = (text.match(/\n/g) ?? []).length;
  if (f.has('l')) line(c, String(lines));
  else line(c, `${String(lines).padStart(7)} ${String(text.split(/\s+/).filter(Boolean).length).padStart(7)} ${String(Buffer.byteLength(text)).padStart(7)}`);
  return status;
};

/** sort [-r] [-n] [-u] [-t SEP] [-k N[,M]] [FILE]...: lines, as bytes (LC_ALL=C) or numbers. */
const sort: Builtin = (args, c) => {
  let reverse = false;
  let numeric = false;
  let unique = false;
  let sep: string | undefined;
  let key: { from: number; to?: number } | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-t' || a === '-k') {
      const v = args[++i];
      if (v === undefined) {
        eline(c, `sort: option requires an argument -- '${a[1]}'`);
        return 2;
      }
      if (a === '-t') sep = v;
      else {
        const m = /^(\d+)(?:,(\d+))?$/.exec(v);
        if (!m || Number(m[1]) < 1) {
          eline(c, `sort: invalid number at field start: invalid count at start of '${v}'`);
          return 2;
        }
        key = { from: Number(m[1]), to: m[2] === undefined ? undefined : Number(m[2]) };
      }
    } else if (/^-[rnu]+$/.test(a)) {
      reverse ||= a.includes('r');
      numeric ||= a.includes('n');
      unique ||= a.includes('u');
    } else if (a.startsWith('-') && a !== '-') {
      eline(c, `sort: invalid option -- '${a.slice(1)}'`);
      return 2;
    } else files.push(a);
  }
  const { text, status } = inputOf(c, files);
  if (status !== 0) return status;
  const keyOf = (l: string): string => {
    if (!key) return l;
    const fields = sep === undefined ? l.trim().split(/\s+/) : l.split(sep);
    return fields.slice(key.from - 1, key.to ?? fields.length).join(sep ?? ' ');
  };
  // sort -n reads the leading number; a line without one counts as 0.
  const numberOf = (l: string) => Number(/^\s*-?\d*\.?\d*/.exec(l)![0].trim() || 0) || 0;
  const cmp = (x: string, y: string): number => {
    const kx = keyOf(x);
    const ky = keyOf(y);
    const byKey = numeric ? numberOf(kx) - numberOf(ky) : kx < ky ? -1 : kx > ky ? 1 : 0;
    if (byKey !== 0 || unique) return byKey;
    return x < y ? -1 : x > y ? 1 : 0; // the last resort: the whole line
  };
  const sorted = splitText(text).sort((x, y) => (reverse ? -cmp(x, y) : cmp(x, y)));
  const kept = unique ? sorted.filter((l, i) => i === 0 || cmp(sorted[i - 1]!, l) !== 0) : sorted;
  for (const l of kept) line(c, l);
  return 0;
};

/** awk [-F SEP] [-v NAME=VALUE]... 'PROGRAM' [FILE]... (see awk.ts for what it knows). */
const awk: Builtin = (args, c) => {
  let fs: string | undefined;
  const vars: Record<string, string> = {};
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-') && args[i] !== '-'; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-F' || a === '-v') {
      const v = args[++i];
      if (v === undefined) {
        eline(c, `awk: option ${a} needs an argument`);
        return 2;
      }
      if (a === '-F') fs = v === 't' ? '\t' : v;
      else {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
        if (!m) {
          eline(c, `awk: improper assignment: -v ${v}`);
          return 2;
        }
        vars[m[1]!] = m[2]!;
      }
    } else if (a.startsWith('-F')) fs = a.slice(2);
    else {
      eline(c, `awk: not an option: ${a}`);
      return 2;
    }
  }
  const program = args[i];
  if (program === undefined) {
    eline(c, "usage: awk [-F value] [-v var=value] [--] 'program text' [file ...]");
    return 2;
  }
  const { text, status } = inputOf(c, args.slice(i + 1));
  if (status !== 0) return status;
  try {
    return runAwk(program, text, { fs, vars, out: c.out, signal: c.signal });
  } catch (e) {
    if (e instanceof AwkError) {
      eline(c, `awk: ${e.message}`);
      return 2;
    }
    throw e;
  }
};

const echo: Builtin = (args, c) => {
  let newline = true;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) if (args[i]!.includes('n')) newline = false;
  c.out(args.slice(i).join(' ') + (newline ? '\n' : ''));
  return 0;
};

const printf: Builtin = (args, c) => {
  const [format = '', ...values] = args;
  let k = 0;
  const text = format
    .replace(/%[sd]/g, () => values[k++] ?? '')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t');
  c.out(text);
  return 0;
};

function formatDate(d: Date, fmt: string): string {
  return fmt.replace(/%([YmdHMSsFTz%])/g, (_m, k: string) => {
    switch (k) {
      case 'Y': return String(d.getFullYear());
      case 'm': return p2(d.getMonth() + 1);
      case 'd': return p2(d.getDate());
      case 'H': return p2(d.getHours());
      case 'M': return p2(d.getMinutes());
      case 'S': return p2(d.getSeconds());
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'F': return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
      case 'T': return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
      case 'z': {
        const off = -d.getTimezoneOffset();
        return `${off >= 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
      }
      default: return '%';
    }
  });
}

const date: Builtin = (args, c) => {
  const d = c.box.now();
  const fmt = args.find((a) => a.startsWith('+'));
  line(c, fmt ? formatDate(d, fmt.slice(1)) : `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${formatDate(d, '%T')} ${tzName(d)} ${d.getFullYear()}`);
  return 0;
};

// --- host checks -----------------------------------------------------------------------------------

const MEM_MIB = { total: 3911, used: 1423, free: 512, shared: 12, cache: 1975, avail: 2211 };

const free: Builtin = (args, c) => {
  const { flags: f } = flags(args);
  const slow = c.box.faults.slow;
  const m = { ...MEM_MIB, used: slow ? 3120 : MEM_MIB.used, free: slow ? 98 : MEM_MIB.free, avail: slow ? 388 : MEM_MIB.avail };
  const fmt = (mib: number) => (f.has('h') ? (mib >= 1024 ? `${(mib / 1024).toFixed(1)}Gi` : `${mib}Mi`) : String(f.has('m') ? mib : mib * 1024));
  const row = (label: string, vals: number[]) => line(c, label.padEnd(9) + vals.map((v) => fmt(v).padStart(12)).join(''));
  line(c, '               total        used        free      shared  buff/cache   available');
  row('Mem:', [m.total, m.used, m.free, m.shared, m.cache, m.avail]);
  row('Swap:', [2047, slow ? 611 : 0, slow ? 1436 : 2047]);
  return 0;
};

const df: Builtin = (args, c) => {
  const { flags: f } = flags(args);
  const rows = [
    { fs: '/dev/vda1', blocks: 80_995_012, used: Math.round((80_995_012 * c.box.rootDiskUsedPct) / 100), mount: '/' },
    { fs: 'tmpfs', blocks: 2_002_432, used: 0, mount: '/dev/shm' },
    { fs: '/dev/vda15', blocks: 106_858, used: 6_186, mount: '/boot/efi' },
  ];
  const human = (kib: number) => (kib >= 1024 * 1024 ? `${(kib / 1024 / 1024).toFixed(0)}G` : kib >= 1024 ? `${(kib / 1024).toFixed(0)}M` : `${kib}K`);
  if (f.has('h')) line(c, 'Filesystem      Size  Used Avail Use% Mounted on');
  else line(c, 'Filesystem     1024-blocks     Used Available Capacity Mounted on');
  for (const r of rows) {
    const avail = r.blocks - r.used;
    const pct = `${Math.ceil((r.used / r.blocks) * 100)}%`;
    if (f.has('h')) line(c, `${r.fs.padEnd(14)} ${human(r.blocks).padStart(5)} ${human(r.used).padStart(5)} ${human(avail).padStart(5)} ${pct.padStart(4)} ${r.mount}`);
    else line(c, `${r.fs.padEnd(14)} ${String(r.blocks).padStart(11)} ${String(r.used).padStart(8)} ${String(avail).padStart(9)} ${pct.padStart(8)} ${r.mount}`);
  }
  return 0;
};

const uptime: Builtin = (_args, c) => {
  const d = c.box.now();
  const up = Math.floor((d.getTime() - c.box.bootedAt.getTime()) / 60_000);
  const days = Math.floor(up / 1440);
  const load = (procFile(c.box, '/proc/loadavg') ?? '').split(' ').slice(0, 3).join(', ');
  line(c, ` ${formatDate(d, '%T')} up ${days > 0 ? `${days} days, ` : ''}${Math.floor((up % 1440) / 60)}:${p2(up % 60)},  1 user,  load average: ${load}`);
  return 0;
};

/** curl on the box reaches only the orchestrator on :8000; the demo box has no internet. */
const curl: Builtin = async (args, c) => {
  let url: string | undefined;
  let fail = false;
  let silent = false;
  let showErr = false;
  let maxTime = Infinity;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m' || a === '--max-time') maxTime = Number(args[++i]) * 1000;
    else if (a === '-o' || a === '-w' || a === '-H' || a === '-X' || a === '-d') i++;
    else if (a.startsWith('--')) fail ||= a === '--fail';
    else if (a.startsWith('-')) {
      fail ||= a.includes('f');
      silent ||= a.includes('s');
      showErr ||= a.includes('S');
    } else url = a;
  }
  const report = (code: number, msg: string) => {
    if (!silent || showErr) eline(c, `curl: (${code}) ${msg}`);
    return code;
  };
  if (!url) return report(2, 'no URL specified');
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//.test(url) ? url : `http://${url}`);
  } catch {
    return report(3, 'URL rejected: Malformed input to a URL function');
  }
  const local = ['localhost', '127.0.0.1', '0.0.0.0'].includes(u.hostname);
  if (!local) return report(6, `Could not resolve host: ${u.hostname}`);
  if (u.port !== '8000') return report(7, `Failed to connect to ${u.hostname} port ${u.port || 80} after 0 ms: Couldn't connect to server`);
  const health = c.box.orchestratorHealth();
  if (health === 'down') return report(7, `Failed to connect to ${u.hostname} port 8000 after 0 ms: Couldn't connect to server`);
  if (c.box.faults.slow && u.pathname === '/health') {
    const wait = Math.min(6_000, maxTime);
    if (!(await c.box.timers.sleep(wait, c.signal, true))) return 130;
    if (wait < 6_000) return report(28, `Operation timed out after ${wait} milliseconds with 0 bytes received`);
  }
  if (health === 'starting') {
    if (fail) return report(22, 'The requested URL returned error: 503');
    line(c, '{"status":"starting"}');
    return 0;
  }
  line(c, u.pathname === '/health' ? '{"status":"ok"}' : '{"detail":"Not Found"}');
  return 0;
};

// --- control -----------------------------------------------------------------------------------------

/** "5", "0.5", "2s", "1m": seconds. */
function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(s);
  if (!m) return undefined;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

/** sleep waits simulated time (N / time scale) and ends early, failing, when the channel closes. */
const sleep: Builtin = async (args, c) => {
  if (args.length === 0) {
    eline(c, 'sleep: missing operand');
    return 1;
  }
  let total = 0;
  for (const a of args) {
    const s = parseDuration(a);
    if (s === undefined) {
      eline(c, `sleep: invalid time interval '${a}'`);
      return 1;
    }
    total += s;
  }
  return (await c.box.timers.sleep(total * 1000, c.signal)) ? 0 : 130;
};

const timeout: Builtin = async (args, c) => {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += args[i] === '-s' || args[i] === '-k' ? 2 : 1;
  const secs = parseDuration(args[i] ?? '');
  const argv = args.slice(i + 1);
  if (secs === undefined || argv.length === 0) {
    eline(c, "timeout: try 'timeout --help' for more information");
    return 125;
  }
  const ac = new AbortController();
  const onOuter = () => ac.abort();
  c.signal.addEventListener('abort', onOuter, { once: true });
  let timedOut = false;
  const cancel = c.box.timers.after(secs * 1000, () => {
    timedOut = true;
    ac.abort();
  });
  try {
    const code = await c.run(argv, { signal: ac.signal });
    return timedOut ? 124 : code;
  } finally {
    cancel();
    c.signal.removeEventListener('abort', onOuter);
  }
};

const sudo: Builtin = (args, c) => {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += args[i] === '-u' || args[i] === '-g' ? 2 : 1;
  return args.length > i ? c.run(args.slice(i)) : 0;
};

const env: Builtin = (args, c) => {
  const i = args.findIndex((a) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a) && !a.startsWith('-'));
  if (i === -1) {
    line(c, 'HOME=/root\nUSER=root\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    return 0;
  }
  return c.run(args.slice(i));
};

const sh: Builtin = (args, c) => {
  const i = args.indexOf('-c');
  if (i === -1) return c.script(c.stdin);
  return c.script(args[i + 1] ?? '');
};

const cd: Builtin = (args, c) => {
  const target = resolve(c, args[0] ?? '/root');
  if (!c.vfs.isDir(target)) {
    eline(c, `sh: 1: cd: can't cd to ${args[0]}`);
    return 2;
  }
  c.session.cwd = target;
  return 0;
};

const test: Builtin = (rawArgs, c) => {
  const args = rawArgs[rawArgs.length - 1] === ']' ? rawArgs.slice(0, -1) : rawArgs;
  const negate = args[0] === '!';
  const a = negate ? args.slice(1) : args;
  let ok: boolean;
  if (a.length === 2) {
    const p = resolve(c, a[1]!);
    switch (a[0]) {
      case '-d': ok = c.vfs.isDir(p); break;
      case '-f': ok = c.vfs.get(p)?.kind === 'file'; break;
      case '-e': ok = c.vfs.exists(p); break;
      case '-s': { const e = c.vfs.get(p); ok = e?.kind === 'file' && e.content.length > 0; break; }
      case '-z': ok = a[1] === ''; break;
      case '-n': ok = a[1] !== ''; break;
      default: ok = false;
    }
  } else if (a.length === 3) ok = a[1] === '=' || a[1] === '==' ? a[0] === a[2] : a[1] === '!=' ? a[0] !== a[2] : false;
  else ok = a.length === 1 && a[0] !== '';
  return ok !== negate ? 0 : 1;
};

const reboot: Builtin = (_args, c) => {
  // The session drops with the box, as it does over real SSH.
  c.box.reboot();
  return 0;
};

export const BUILTINS: Record<string, Builtin> = {
  systemctl,
  journalctl,
  ps,
  ss,
  netstat,
  find,
  rm,
  mkdir,
  cp,
  mv,
  tar,
  cat,
  ls,
  tee,
  grep,
  head: headTail('head'),
  tail: headTail('tail'),
  wc,
  sort,
  awk,
  echo,
  printf,
  date,
  free,
  df,
  uptime,
  curl,
  sleep,
  timeout,
  sudo,
  exec: (args, c) => (args.length > 0 ? c.run(args) : 0),
  env,
  sh,
  bash: sh,
  cd,
  test,
  '[': test,
  reboot,
  exit: () => 0,
  true: () => 0,
  false: () => 1,
  ':': () => 0,
  hostname: (_a, c) => (line(c, c.box.hostName), 0),
  whoami: (_a, c) => (line(c, 'root'), 0),
  // The hosts pane reads the CPU count to scale the load bar (a 2-vCPU VM, like the seed's Vultr box).
  nproc: (_a, c) => (line(c, '2'), 0),
  id: (_a, c) => (line(c, 'uid=0(root) gid=0(root) groups=0(root)'), 0),
  // `command -v NAME`: what `check` asks to see which commands the runbooks need are there.
  command: (args, c) => {
    if (args[0] !== '-v') return args.length > 0 ? c.run(args) : 0;
    const names = args.slice(1);
    for (const n of names) if (n in BUILTINS) line(c, `/usr/bin/${n}`);
    return names.length > 0 && names.every((n) => n in BUILTINS) ? 0 : 1;
  },
  pwd: (_a, c) => (line(c, c.session.cwd), 0),
  uname: (a, c) => (line(c, a.includes('-a') ? `Linux ${c.box.hostName} 6.8.0-49-generic #49-Ubuntu SMP PREEMPT_DYNAMIC x86_64 x86_64 x86_64 GNU/Linux` : 'Linux'), 0),
  sync: () => 0,
};
