// Drives the built binary in a real terminal: tmux with a private socket, send-keys, capture-pane.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TmuxSession {
  name: string;
  send(...keys: string[]): void;
  /** Literal text (no key-name lookup). */
  type(text: string): void;
  screen(): string;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  resize(cols: number, rows: number): void;
  alive(): boolean;
  kill(): void;
}

export function startTmux(command: string, opts: { cols?: number; rows?: number; env?: Record<string, string> } = {}): TmuxSession {
  const socket = `doai-test-${randomBytes(4).toString('hex')}`;
  const name = 'main';
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // `env -u CI`: with CI set, Ink writes only the final frame.
  const envPrefix = Object.entries(opts.env ?? {})
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  tmux(
    'new-session', '-d', '-s', name, '-x', String(opts.cols ?? 100), '-y', String(opts.rows ?? 30),
    `env -u CI ${envPrefix} ${command}; echo "[exit $?]"; sleep 600`,
  );
  tmux('set-option', '-t', name, 'remain-on-exit', 'on');
  const session: TmuxSession = {
    name,
    send: (...keys) => void tmux('send-keys', '-t', name, ...keys),
    type: (text) => void tmux('send-keys', '-t', name, '-l', text),
    screen: () => tmux('capture-pane', '-p', '-t', name),
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = session.screen();
        if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
        await new Promise((r) => setTimeout(r, 150));
      }
      throw new Error(`screen never showed ${String(pattern)} within ${timeoutMs} ms; last screen:\n${last}`);
    },
    resize: (cols, rows) => void tmux('resize-window', '-t', name, '-x', String(cols), '-y', String(rows)),
    alive: () => {
      try {
        tmux('has-session', '-t', name);
        return true;
      } catch {
        return false;
      }
    },
    kill: () => {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    },
  };
  return session;
}
