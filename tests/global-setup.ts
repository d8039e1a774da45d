// Once for the whole run: tmux keeps its sockets in $TMUX_TMPDIR/tmux-<uid>/ (/tmp by default) and
// leaves that folder behind after the last server exits. The end-to-end suites' tmux servers live
// in a folder of this run instead, removed at the end (tests leave nothing in /tmp).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'doai-tmux-'));
  const before = process.env.TMUX_TMPDIR;
  process.env.TMUX_TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMUX_TMPDIR;
    else process.env.TMUX_TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
