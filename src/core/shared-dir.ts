// State folders that several OS users share. The system state dir (/var/lib/doai-console, group
// doai-console, setgid) makes every folder created under it group-shared: 02770 with the group
// inherited, files 0660, whatever the creator's umask. Anywhere else a folder is owner-only (0700,
// files 0600). The parent decides, so one rule serves locks, the audit log and the journal.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const SETGID = 0o2000;

function isSetgidDir(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isDirectory() && (st.mode & SETGID) !== 0;
  } catch {
    return false;
  }
}

/** Creates `dir` (and missing parents) and says which mode its files get: 0660 when shared, else 0600. */
export function ensureStateDir(dir: string): { shared: boolean; fileMode: number } {
  const missing: string[] = [];
  let cur = dir;
  for (;;) {
    try {
      statSync(cur);
      break;
    } catch {
      missing.unshift(cur);
      const up = dirname(cur);
      if (up === cur) break;
      cur = up;
    }
  }
  const shared = isSetgidDir(missing.length ? dirname(missing[0]!) : dir);
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: shared ? 0o2770 : 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      continue; // another console made it this instant
    }
    if (shared) chmodSync(d, 0o2770); // the umask strips group bits; setgid keeps the group
  }
  return { shared, fileMode: shared ? 0o660 : 0o600 };
}
