import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { leaveAltScreen, startConsole } from '../../screens/render';
import { delay, FakeRunControl, keySequence, MemoryFleetStore, MemoryRunsStore, service } from './fixtures';

class FakeStdout extends EventEmitter {
  isTTY = true;
  chunks: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (chunk: string) => {
    this.chunks.push(String(chunk));
    return true;
  };
  get text() {
    return this.chunks.join('');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string) {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

function boot(columns = 100, rows = 30) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const runs = new MemoryRunsStore();
  const handle = startConsole(
    {
      fleet: new MemoryFleetStore([service({ name: 'doai-orchestrator' })]),
      runs,
      control: new FakeRunControl(runs),
      lang: 'en',
      operator: 'orion',
      configPath: 'console.yaml',
    },
    { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream },
  );
  return { stdout, stdin, handle };
}

describe('startConsole', () => {
  it('enters the alternate screen and hides the cursor before the first frame, and restores both on exit', async () => {
    const { stdout, stdin, handle } = boot();
    expect(stdout.chunks[0]).toBe('\x1b[?1049h\x1b[?25l');
    await delay();
    stdin.write(keySequence('q'));
    await expect(handle.waitUntilExit()).resolves.toBe(0);
    expect(stdout.chunks.at(-1)).toBe('\x1b[?1049l\x1b[?25h');
    expect(stdout.text.match(/\x1b\[\?1049l/g)).toHaveLength(1);
  });

  it('Ctrl-C is a key for the App, not a kill: without an active run it exits with 0 through onExit', async () => {
    const { stdin, handle } = boot();
    await delay();
    stdin.write(keySequence('ctrl+c'));
    await expect(handle.waitUntilExit()).resolves.toBe(0);
  });

  it('re-renders at the new size on resize', async () => {
    const { stdout, stdin, handle } = boot(100, 30);
    await delay();
    stdout.columns = 50;
    stdout.rows = 20;
    stdout.emit('resize');
    await delay();
    stdin.write('q');
    await handle.waitUntilExit();
    // The recommendation box spans the whole width: a 50-column border proves the new width reached the App.
    expect(stdout.text).toContain(`╭${'─'.repeat(48)}╮`);
  });

  it('unmount from outside also restores the terminal', async () => {
    const { stdout, handle } = boot();
    await delay();
    handle.unmount();
    await expect(handle.waitUntilExit()).resolves.toBe(0);
    expect(stdout.chunks.at(-1)).toBe('\x1b[?1049l\x1b[?25h');
  });

  it('leaveAltScreen writes the restore sequence (for signal handlers)', () => {
    const out = new FakeStdout(80, 24);
    leaveAltScreen(out as unknown as NodeJS.WriteStream);
    expect(out.text).toBe('\x1b[?1049l\x1b[?25h');
  });
});
