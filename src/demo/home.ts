// Where `doai-console demo` keeps its fleet: one folder under the user's state directory
// ($XDG_STATE_HOME/doai-console/demo), owner-only, reused by every start so its audit log,
// journals, incidents and reports stay, and an interrupted run is offered for resume at the next
// start. `demo --reset` empties it first. One demo at a time per folder: a second start while
// the first runs would rewrite its keys and config under it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultStateDir, type Env } from '../config/paths';
import { holderAlive, selfIdentity, type ProcessIdentity } from '../core/process-identity';

const OWNER_FILE = 'demo.pid';

export function demoHome(env: Env = process.env): string {
  return join(defaultStateDir({ env }), 'demo');
}

/** Takes the folder for this process (emptied first with reset); throws in words when another demo runs from it. */
export function claimDemoHome(dir: string, opts: { reset: boolean }): () => void {
  const ownerFile = join(dir, OWNER_FILE);
  let owner: ProcessIdentity | undefined;
  try {
    owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as ProcessIdentity;
  } catch {
    owner = undefined;
  }
  if (owner && typeof owner.pid === 'number' && owner.pid !== process.pid && holderAlive(owner)) {
    throw new Error(`another demo runs from ${dir} (pid ${owner.pid}); quit it first, or use \`doai-console demo --serve\` for a separate fleet`);
  }
  if (opts.reset) rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(ownerFile, JSON.stringify(selfIdentity()) + '\n', { mode: 0o600 });
  return () => rmSync(ownerFile, { force: true });
}
