import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/ssh/line-splitter';
import { killCommand, parseKillCommand, parsePidLine, unwrapCommand, wrapCommand } from '../../src/ssh/process-group';

describe('process-group wrapper', () => {
  const commands = [
    'systemctl restart aifarm-orchestrator',
    `echo 'it'"'"'s'; printf '%s\\n' "$HOME" | tr a-z A-Z`,
    "find /opt/aifarm -name '__pycache__' -type d -exec rm -rf {} +",
    'exit 7',
  ];

  it('round-trips through unwrapCommand and leaves other commands alone', () => {
    for (const c of commands) expect(unwrapCommand(wrapCommand(c))).toBe(c);
    expect(unwrapCommand('systemctl status x')).toBeUndefined();
    expect(unwrapCommand(killCommand(123))).toBeUndefined();
  });

  it('a real shell prints the pid first, then the command output, and keeps the exit code', () => {
    const r = spawnSync('/bin/sh', ['-c', wrapCommand(`echo "it's here"; echo err >&2; exit 7`)], { encoding: 'utf8' });
    const [first, ...rest] = r.stdout.split('\n');
    expect(parsePidLine(first!)).toBeGreaterThan(1);
    expect(rest).toEqual(["it's here", '']);
    expect(r.stderr).toBe('err\n');
    expect(r.status).toBe(7);
  });

  it('the announced pid is the process that runs the command (exec keeps it)', () => {
    const r = spawnSync('/bin/sh', ['-c', wrapCommand('echo "self $$"')], { encoding: 'utf8' });
    const [first, second] = r.stdout.split('\n');
    expect(second).toBe(`self ${parsePidLine(first!)}`);
  });

  it('killCommand ends the whole process group, children included', async () => {
    // setsid gives the wrapper its own session and group, as sshd does for a non-pty session.
    const child = spawn('setsid', ['/bin/sh', '-c', wrapCommand('sleep 30 & sleep 31; wait')], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const p = parsePidLine(buf.split('\n')[0]!);
        if (buf.includes('\n') && p) resolve(p);
      });
      child.once('error', reject);
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
    await new Promise((r) => setTimeout(r, 100)); // let both sleeps start
    expect(spawnSync('pgrep', ['-g', String(pid)]).stdout.toString().trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(parseKillCommand(killCommand(pid))).toBe(pid);
    const k = spawnSync('/bin/sh', ['-c', killCommand(pid)], { encoding: 'utf8', timeout: 10_000 });
    expect(k.status).toBe(0);
    await exited;
    expect(spawnSync('pgrep', ['-g', String(pid)]).status).toBe(1); // no process left in the group
  });

  it('refuses to build a kill for pid 0/1 or junk', () => {
    expect(() => killCommand(1)).toThrow();
    expect(() => killCommand(0)).toThrow();
    expect(() => killCommand(Number.NaN)).toThrow();
    expect(parsePidLine('__doai_pid 1')).toBeUndefined();
    expect(parsePidLine('__doai_pid 12x')).toBeUndefined();
    expect(parsePidLine('hello')).toBeUndefined();
  });
});

describe('LineSplitter', () => {
  it('splits on \\n, keeps partial lines and split UTF-8 characters, strips \\r, flushes the rest', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('재시작 완료\r\nsecond', 'utf8');
    s.push(bytes.subarray(0, 2)); // half of the first Hangul syllable
    s.push(bytes.subarray(2, 12));
    expect(lines).toEqual([]);
    s.push(bytes.subarray(12));
    expect(lines).toEqual(['재시작 완료']);
    s.push('\n\nthird');
    s.flush();
    s.flush();
    expect(lines).toEqual(['재시작 완료', 'second', '', 'third']);
  });
});
