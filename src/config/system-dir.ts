// `doai-console init --system`: sets up the machine-wide state dir (R-RUN-7) that every console on
// the machine then uses by default for locks, approvals and the audit log, whoever runs it:
//   <dir>             02770 root:<group>  setgid: what is created inside keeps the group
//   <dir>/locks       02770 root:<group>  lock files 0660 (src/core/shared-dir.ts)
//   <dir>/approvals   03770 root:<group>  sticky too: nobody deletes another user's approval file
//   <dir>/emergency.log 0660 root:<group>
// Operators who may run recoveries are the group's members (`usermod -aG doai-console alice`).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/exit';
import { systemStateDir } from './paths';

export const SYSTEM_GROUP = 'doai-console';

function groupId(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

/** Creates (or repairs) the system state dir; returns what was set up, one line each. */
export function initSystemDir(opts: { env?: NodeJS.ProcessEnv; group?: string } = {}): string[] {
  const dir = systemStateDir(opts.env ?? process.env);
  if (process.getuid?.() !== 0) throw new UserError(`the system state dir ${dir} is set up by root: run \`sudo doai-console init --system\``);
  const group = opts.group ?? SYSTEM_GROUP;
  let gid = groupId(group);
  if (gid === undefined) {
    if (group !== SYSTEM_GROUP) throw new UserError(`no group ${JSON.stringify(group)} on this machine: create it (groupadd ${group}) or pass a numeric gid`);
    execFileSync('groupadd', ['--system', SYSTEM_GROUP], { stdio: 'ignore' });
    gid = groupId(SYSTEM_GROUP)!;
  }
  const made: string[] = [];
  const setUp = (path: string, mode: number, kind: 'dir' | 'file') => {
    if (kind === 'dir') mkdirSync(path, { recursive: true });
    else closeSync(openSync(path, 'a'));
    chownSync(path, 0, gid);
    chmodSync(path, mode);
    made.push(`${path}  ${mode.toString(8).padStart(4, '0')} root:${group}`);
  };
  setUp(dir, 0o2770, 'dir');
  setUp(join(dir, 'locks'), 0o2770, 'dir');
  setUp(join(dir, 'approvals'), 0o3770, 'dir');
  setUp(join(dir, 'emergency.log'), 0o660, 'file');
  return made;
}
