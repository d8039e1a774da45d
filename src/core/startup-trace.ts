// Where a console's start-up time goes (issue 13, first frame): with DOAI_TRACE_STARTUP=<file>,
// each mark appends "<ms since the process started> <what>" to that file. Off (one env read) otherwise.
import { appendFileSync } from 'node:fs';

const file = process.env.DOAI_TRACE_STARTUP;

export function traceStartup(what: string): void {
  if (!file) return;
  try {
    appendFileSync(file, `${performance.now().toFixed(1)} ${what}\n`);
  } catch {
    // a trace never stops the console
  }
}
