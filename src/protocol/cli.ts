// Commands that print (log, report, stats) asked of the server: arguments in, the printed text and
// exit code out, exactly what the standalone command prints.
export interface CliAnswer {
  stdout: string;
  stderr: string;
  code: number;
}

export interface CliIntents {
  'cli.log': [{ json?: boolean; runbook?: string; target?: string; level?: string; since?: string; grep?: string; run?: string; limit?: string }, CliAnswer];
  'cli.report': [{ incident?: string; lang?: string }, CliAnswer];
  'cli.stats': [{ since?: string; json?: boolean }, CliAnswer];
}
