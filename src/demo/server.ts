// The demo's console server: `doai-console serve` on the demo fleet's config, as a child process
// (its log in the demo folder), so the demo console and a second terminal attach to one authority.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, statSync } from 'node:fs';

export interface DemoServer {
  socket: string;
  stop(): Promise<void>;
}

export async function startDemoServer(configPath: string, socket: string, logFile: string, timeoutMs = 20_000): Promise<DemoServer> {
  const log = openSync(logFile, 'a', 0o600);
  // The log is kept across demo starts: only what this server writes says it is serving.
  const from = statSync(logFile).size;
  const child = spawn(process.execPath, [process.argv[1]!, 'serve', '--config', configPath, '--socket', socket], { stdio: ['ignore', log, log], env: process.env });
  closeSync(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(logFile).subarray(from).toString('utf8');
    if (/ serving .* on /.test(text)) break;
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`the demo's server did not start:\n${text.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      // Bounded: it drains (consoles told, runs recorded) in well under this.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
