// Starts `doai-console demo --serve` (the built binary) and returns the config path it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, waitForProcessesGone } from './cli';
import { startTmux, type TmuxSession } from './tmux';

export interface ServedDemo {
  configPath: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function serveDemo(timeoutMs = 15_000): Promise<ServedDemo> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'demo', '--serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo --serve printed no config line in time\n${out}\n${err}`));
    }, timeoutMs);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const first = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        const m = /^config: (.+)$/.exec(first);
        if (!m) {
          child.kill('SIGKILL');
          reject(new Error(`first line of demo --serve is not "config: <path>": ${first}`));
          return;
        }
        resolve({
          configPath: m[1],
          process: child,
          // The fleet's folder (config, keys, and the state of consoles run on it) goes too,
          // after those consoles have finished writing into it.
          stop: async () => {
            const dir = dirname(m[1]!);
            await waitForProcessesGone(dir);
            await new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            });
            rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`demo --serve exited ${code}: ${err}`));
    });
  });
}

/** Every run journal of the consoles and servers on the demo's config, as one text. */
export function demoJournals(configPath: string): string {
  const dir = join(dirname(configPath), 'journal');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => readFileSync(join(dir, n), 'utf8'))
    .join('');
}

export interface DemoConsole {
  demo: ServedDemo;
  /** The console on the demo fleet, in a real terminal (tmux), as operator `orion`. */
  term: TmuxSession;
  /** The demo's emergency.log. */
  auditPath: string;
}

/** The served demo fleet and a console on it in tmux (the end-to-end suites' common rig). */
export async function demoConsoleInTmux(size: { cols: number; rows: number }): Promise<DemoConsole> {
  const demo = await serveDemo();
  const term = startTmux(`node ${BIN} --config ${demo.configPath} --lang en`, { ...size, env: { DOAI_OPERATOR: 'orion' } });
  return { demo, term, auditPath: join(dirname(demo.configPath), 'emergency.log') };
}

/** Closes the terminal, then stops the demo (which waits for the console to finish writing). */
export async function stopDemoConsole(rig: Partial<DemoConsole>): Promise<void> {
  rig.term?.kill();
  await rig.demo?.stop();
}
