// "Backups present" (R-CHK-3): an `ls` of the host's backup directory over SSH, the newest entry's
// age read from its name (seed 000 names backups $(date +%Y%m%d_%H%M%S)).
import { shellQuote } from '../ssh/quote';
import type { RemoteShell } from '../ssh/types';
import { timeFromName, type BackupFact } from './facts';

export async function checkBackups(shell: RemoteShell, host: string, dir: string, opts: { now: Date; timeoutMs?: number }): Promise<BackupFact> {
  const names: string[] = [];
  const errors: string[] = [];
  try {
    const res = await shell.exec(host, `ls -1 -- ${shellQuote(dir)}`, {
      timeoutMs: opts.timeoutMs ?? 10_000,
      onLine: (stream, line) => (stream === 'stdout' ? names.push(line.trim()) : errors.push(line.trim())),
    });
    if (res.code !== 0) {
      const why = errors.find(Boolean) ?? (res.timedOut ? 'ls timed out' : `ls exited with ${res.code ?? res.signal ?? 'no code'}`);
      return { dir, count: 0, error: why, checkedAt: opts.now };
    }
  } catch (err) {
    return { dir, count: 0, error: (err as Error).message, checkedAt: opts.now };
  }
  const entries = names.filter(Boolean);
  let newestAt: Date | undefined;
  let newestName: string | undefined;
  for (const n of entries) {
    const t = timeFromName(n);
    if (t && (!newestAt || t > newestAt)) {
      newestAt = t;
      newestName = n;
    }
  }
  return { dir, count: entries.length, newestAt, newestName, checkedAt: opts.now };
}
