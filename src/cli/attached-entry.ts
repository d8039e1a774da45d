// The attached console as one script (issue 13, first frame): the entry of dist/console.js, which
// src/cli/start.ts runs with V8's code cache so that a console's second and later starts neither
// parse nor compile Ink, React and the screens again. What it runs is exactly the fast start's
// attached branch (src/cli/fast-start.ts → interactive.ts → interactive-attached.ts); whenever
// that branch does not apply (no config validated before, no server answering, an explicit socket
// that does not answer) it returns undefined before drawing or opening anything, and the full
// CLI starts from the beginning and says what is wrong, as it always has.
import { langOf, plainConsoleStart } from './console-flags';
import type { AttachedServer } from './interactive-attached';
import { reportError } from './report-error';
import { traceStartup } from '../core/startup-trace';

export async function runAttachedConsole(argv: readonly string[], hooks: { onFirstFrame?: () => void } = {}): Promise<number | undefined> {
  const start = plainConsoleStart(argv);
  if (!start) return undefined;
  traceStartup('config read');
  // Ink, React and the screens are evaluated only now: a start that falls back does not pay for them.
  const { attachToServer, runAttached } = await import('./interactive-attached');
  let server: AttachedServer | undefined;
  try {
    server = await attachToServer(start.flags);
  } catch {
    // The full CLI attaches again and words the problem (`server not running: …`).
    return undefined;
  }
  if (!server) return undefined;
  try {
    return await runAttached(start.loaded, server, { lang: langOf(start.flags), ...(hooks.onFirstFrame ? { onFirstFrame: hooks.onFirstFrame } : {}) });
  } catch (err) {
    return reportError(err);
  }
}
