// The one atomic file write (temp file in the same directory, fsync, rename, fsync the
// directory): a crash leaves the old file or the new one, never half of either. Incidents,
// reports, the starter config and the validated-config cache all write through it.
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `content` to `path` atomically; creates the directory (mode 0700) when missing. */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Keeps the `keep` most recently written files of `dir` whose names `match`; removes the rest. */
export function keepNewest(dir: string, keep: number, match: (name: string) => boolean): void {
  const files = readdirSync(dir).filter(match);
  if (files.length <= keep) return;
  const aged = files.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { n } of aged.slice(keep)) unlinkSync(join(dir, n));
}

/** Makes a new name in `dir` durable. Best effort: some filesystems refuse fsync on a directory. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // unsupported here; the file itself is synced and the rename or link is atomic
  }
}
