// Full-screen mounting shared by the console and the wall screen: the alternate screen (so the
// shell's scrollback survives), the app sized to the terminal and redrawn whole on 'resize', and
// a clean exit that restores the terminal.
import type { ReactElement } from 'react';
import { render } from 'ink';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR = '\x1b[2J\x1b[H';

export interface FullScreenStreams {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface FullScreenHandle {
  /** Resolves with the exit code the app asked for (0 when unmounted from outside). */
  waitUntilExit(): Promise<number>;
  unmount(): void;
  /** Leaves the alternate screen and shows the cursor; safe from signal handlers, more than once. */
  restoreTerminal(): void;
}

/** Restores the main screen and the cursor; safe to call from signal handlers, more than once. */
export function leaveAltScreen(stdout: Pick<NodeJS.WriteStream, 'write'>): void {
  stdout.write(LEAVE_ALT + SHOW_CURSOR);
}

/**
 * Mounts `element(size, onExit)` full-screen. `size` overrides the terminal's size (tests);
 * `maxFps` caps how often Ink draws (its default is 30).
 */
export function mountFullScreen(
  element: (size: { width: number; height: number }, onExit: (code: number) => void) => ReactElement,
  streams: FullScreenStreams,
  size?: { width?: number; height?: number },
  options: { maxFps?: number } = {},
): FullScreenHandle {
  const { stdout, stdin } = streams;
  let exitCode = 0;
  let restored = false;
  const restoreTerminal = () => {
    if (restored) return;
    restored = true;
    stdout.off('resize', onResize);
    leaveAltScreen(stdout);
  };
  const onExit = (code: number) => {
    exitCode = code;
    instance.unmount();
  };
  const current = () => element({ width: size?.width ?? stdout.columns ?? 80, height: size?.height ?? stdout.rows ?? 24 }, onExit);
  function onResize() {
    // Ink diffs against what it last wrote; after the terminal reflowed that is wrong, so start clean.
    stdout.write(CLEAR);
    instance.clear();
    instance.rerender(current());
  }
  stdout.write(ENTER_ALT + HIDE_CURSOR);
  // Incremental rendering rewrites only the lines that changed (~450 B instead of ~7 KB a frame
  // over SSH); it is correct only with the log-update.js fix in patches/ink+6.8.0.patch.
  const instance = render(current(), { stdout, stdin, patchConsole: false, exitOnCtrlC: false, incrementalRendering: true, ...(options.maxFps ? { maxFps: options.maxFps } : {}) });
  stdout.on('resize', onResize);
  const exited = instance.waitUntilExit().then(
    () => {
      restoreTerminal();
      return exitCode;
    },
    (err: unknown) => {
      restoreTerminal();
      throw err;
    },
  );
  return { waitUntilExit: () => exited, unmount: () => instance.unmount(), restoreTerminal };
}
