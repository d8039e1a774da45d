// Where the server's socket is, and whether a socket found there may be trusted. Both ends check:
// the server refuses to listen in a folder others could write to, and a console refuses to talk
// to a socket owned by someone who is neither root, the server's system user, nor itself (anyone
// could otherwise stand up a fake server and collect approvals).
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** systemd's RuntimeDirectory=doai-console (see `serve --print-systemd-unit`). */
export const DEFAULT_SOCKET = '/run/doai-console/console.sock';
/** The system user the shipped unit runs the server as. */
export const SERVER_USER = 'doai-console';

export interface SocketChoice {
  path: string;
  /** Given with --socket or DOAI_CONSOLE_SOCKET: a server is expected there, its absence is an error. */
  explicit: boolean;
}

export function resolveSocket(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): SocketChoice {
  const given = flag ?? env.DOAI_CONSOLE_SOCKET;
  if (given) return { path: isAbsolute(given) ? given : resolve(given), explicit: true };
  return { path: DEFAULT_SOCKET, explicit: false };
}

/** The sticky folder beside the socket where clients prove their uid (src/server/identity.ts). */
export function challengeDirFor(socket: string): string {
  return join(dirname(socket), 'auth');
}

/** uid → account name from the passwd database (no child process); uid<N> when unknown. */
export function userName(uid: number): string {
  return passwd().byUid.get(uid) ?? `uid${uid}`;
}

export function uidOf(name: string): number | undefined {
  return passwd().byName.get(name);
}

let cached: { byUid: Map<number, string>; byName: Map<string, number> } | undefined;
function passwd(): { byUid: Map<number, string>; byName: Map<string, number> } {
  if (cached) return cached;
  const byUid = new Map<number, string>();
  const byName = new Map<string, number>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      const n = Number(uid);
      if (!name || !Number.isInteger(n)) continue;
      if (!byUid.has(n)) byUid.set(n, name);
      byName.set(name, n);
    }
  } catch {
    // no passwd file: names fall back to uid<N>
  }
  cached = { byUid, byName };
  return cached;
}

function modeText(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/** Owners a console accepts for the server's socket and its folder. */
export function trustedOwners(selfUid: number = process.getuid?.() ?? 0): Set<number> {
  const owners = new Set<number>([0, selfUid]);
  const system = uidOf(SERVER_USER);
  if (system !== undefined) owners.add(system);
  return owners;
}

function ownerText(uid: number): string {
  return `uid ${uid} (${userName(uid)})`;
}

/**
 * Undefined when the socket at `path` may be trusted; otherwise why not, in words. ENOENT is
 * reported as 'missing' so the caller can fall back to standalone.
 */
export function socketProblem(path: string, owners = trustedOwners()): { kind: 'missing' | 'untrusted'; message: string } | undefined {
  const dir = dirname(path);
  let dst: Stats;
  let sst: Stats;
  try {
    dst = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return { kind: 'untrusted', message: `cannot reach the server socket ${path}: permission denied on a folder above it` };
    return { kind: 'missing', message: `no server socket at ${path} (its folder ${dir} does not exist)` };
  }
  if (!dst.isDirectory()) return { kind: 'untrusted', message: `${dir} is not a folder — refusing the server socket ${path}` };
  if (dst.mode & 0o022) return { kind: 'untrusted', message: `folder ${dir} is writable by others (mode ${modeText(dst)}): anyone could replace the server socket — refusing it (the server makes it 0755)` };
  if (!owners.has(dst.uid)) return { kind: 'untrusted', message: `folder ${dir} is owned by ${ownerText(dst.uid)}, not root, ${SERVER_USER} or you — refusing the server socket in it` };
  try {
    sst = lstatSync(path);
  } catch {
    return { kind: 'missing', message: `no server socket at ${path}` };
  }
  if (!sst.isSocket()) return { kind: 'untrusted', message: `${path} is not a socket — refusing it` };
  if (!owners.has(sst.uid)) return { kind: 'untrusted', message: `server socket ${path} is owned by ${ownerText(sst.uid)}, not root, ${SERVER_USER} or you — refusing it (someone may be impersonating the server)` };
  if (sst.uid !== dst.uid) return { kind: 'untrusted', message: `server socket ${path} is owned by ${ownerText(sst.uid)} but its folder by ${ownerText(dst.uid)} — refusing it` };
  return undefined;
}
