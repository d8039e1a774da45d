// The machine-wide approvals directory, and the flag `doai-console approve` needs to find any
// other one: a printed approve command must work as printed, for any OS user (R-APR-4).
import { shellWord } from '../ssh/quote';

/** Every console and `doai-console approve` on the machine meets here unless the config says otherwise. */
export const DEFAULT_APPROVALS_DIR = '/var/lib/doai-console/approvals';

/** What to add to `doai-console approve <id>` so it finds requests in `dir` ('' for the default one). */
export function approveDirFlag(dir: string): string {
  if (dir === DEFAULT_APPROVALS_DIR) return '';
  return ` --approvals-dir ${shellWord(dir)}`;
}
