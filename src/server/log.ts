// The server's log: one line per event on stderr (systemd's journal keeps it). Never a secret:
// callers pass words, not configs or URLs.
export type LogLevel = 'info' | 'warn' | 'error';

export interface ServerLog {
  (level: LogLevel, message: string): void;
}

export function stderrLog(now: () => Date = () => new Date()): ServerLog {
  return (level, message) => {
    process.stderr.write(`${now().toISOString()} ${level.padEnd(5)} ${message}\n`);
  };
}
