// Starts the full-screen console: the alternate screen (so the shell's scrollback survives), the
// Ink app sized to the terminal and re-sized on 'resize', and a clean exit that restores the
// terminal. Ctrl-C is a key like any other here (the App asks before leaving a run).
import { render } from 'ink';
import type { AppProps } from './app';
import { App } from './app';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const CLEAR = '\x1b[2J\x1b[H';
const SHOW_CURSOR = '\x1b[?25h';

export interface ConsoleStreams {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface ConsoleHandle {
  /** Resolves with the exit code the App asked for (0 when unmounted from outside). */
  waitUntilExit(): Promise<number>;
  unmount(): void;
}

/** Restores the main screen and the cursor; safe to call from signal handlers, more than once. */
export function leaveAltScreen(stdout: Pick<NodeJS.WriteStream, 'write'>): void {
  stdout.write(LEAVE_ALT + SHOW_CURSOR);
}

export function startConsole(props: Omit<AppProps, 'onExit' | 'width' | 'height'> & { width?: number; height?: number }, streams: ConsoleStreams): ConsoleHandle {
  const { stdout, stdin } = streams;
  let exitCode = 0;
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    stdout.off('resize', onResize);
    leaveAltScreen(stdout);
  };

  const size = () => ({ width: props.width ?? stdout.columns ?? 80, height: props.height ?? stdout.rows ?? 24 });
  const element = () => {
    const { width, height } = size();
    return <App {...props} width={width} height={height} onExit={onExit} />;
  };

  function onExit(code: number) {
    exitCode = code;
    instance.unmount();
  }

  function onResize() {
    // Ink diffs against what it last wrote; after the terminal reflowed that is wrong, so start clean.
    stdout.write(CLEAR);
    instance.clear();
    instance.rerender(element());
  }

  stdout.write(ENTER_ALT + HIDE_CURSOR);
  // Incremental rendering rewrites only the lines that changed (~450 B instead of ~7 KB a frame
  // over SSH); it is correct only with the log-update.js fix in patches/ink+6.8.0.patch.
  const instance = render(element(), { stdout, stdin, patchConsole: false, exitOnCtrlC: false, incrementalRendering: true });
  stdout.on('resize', onResize);

  const exited = instance.waitUntilExit().then(
    () => {
      leave();
      return exitCode;
    },
    (err: unknown) => {
      leave();
      throw err;
    },
  );

  return {
    waitUntilExit: () => exited,
    unmount: () => instance.unmount(),
  };
}
