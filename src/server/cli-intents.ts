// `log`, `report` and `stats` through the server (R-SRV-2): the server reads (and, for a report,
// writes) the state it owns and answers with the exact text the standalone command prints, and
// its exit code. The client's own config path is never used: the server's state is the one asked.
import type { LoadedConfig } from '../config/load';
import type { Lang } from '../core/views';
import { UserError } from '../cli/exit';
import type { ProvenIdentity } from '../protocol/messages';
import type { CliAnswer, CliIntents } from '../protocol/cli';

export type CliIntentHandlers = { [N in keyof CliIntents]: (args: CliIntents[N][0], who: ProvenIdentity) => Promise<CliIntents[N][1]> };

function opt(args: unknown, key: string): string | undefined {
  const v = (args as Record<string, unknown> | null)?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 4096) throw new Error(`intent field "${key}" must be a string`);
  return v;
}

/** What the command printed (stdout, stderr) and its exit code; a UserError is its message and code. */
async function capture(run: (out: (t: string) => void, err: (t: string) => void) => Promise<number> | number): Promise<CliAnswer> {
  let stdout = '';
  let stderr = '';
  try {
    const code = await run(
      (t) => (stdout += t),
      (t) => (stderr += t),
    );
    return { stdout, stderr, code };
  } catch (err) {
    if (err instanceof UserError) return { stdout, stderr: stderr + err.message + '\n', code: err.exitCode };
    throw err;
  }
}

export function cliIntentHandlers(loaded: LoadedConfig): CliIntentHandlers {
  return {
    'cli.log': async (args) => {
      const { runLog } = await import('../cli/log');
      const flags = {
        config: loaded.path,
        json: (args as { json?: unknown }).json === true,
        ...Object.fromEntries((['runbook', 'target', 'level', 'since', 'grep', 'run', 'limit'] as const).flatMap((k) => (opt(args, k) !== undefined ? [[k, opt(args, k)]] : []))),
      };
      return capture((out) => runLog(flags, out));
    },
    'cli.report': async (args) => {
      const { reportCommand } = await import('../cli/report');
      const lang: Lang = opt(args, 'lang') === 'en' ? 'en' : 'ko';
      return capture((out, err) => {
        const res = reportCommand(loaded, opt(args, 'incident'), { lang });
        out(res.markdown);
        err(`wrote ${res.path}\n`);
        return 0;
      });
    },
    'cli.stats': async (args) => {
      const { statsCommand } = await import('../cli/stats');
      const since = opt(args, 'since');
      return capture(async (out, err) => {
        out((await statsCommand(loaded, { ...(since !== undefined ? { since } : {}), json: (args as { json?: unknown }).json === true, warn: err })).text);
        return 0;
      });
    },
  };
}
