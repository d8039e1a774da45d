import { EXIT_USAGE, UserError } from './exit';
import { terminalProblem } from '../watch/terminal';

/** A pipe or a TERM=dumb terminal cannot draw the console: say what works there instead (R-UI-5). */
export function requireTty(): void {
  const problem = terminalProblem('console', { stdout: process.stdout, stdin: process.stdin });
  if (problem) throw new UserError(problem, EXIT_USAGE);
}
