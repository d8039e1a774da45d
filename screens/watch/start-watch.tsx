// Starts the wall screen full-screen: alternate screen, sized to the terminal, redrawn whole on
// resize (a clear first, so no stale copy of a wider frame survives), terminal restored on exit.
import { render } from 'ink';
import { WatchApp, type WatchAppProps } from './watch-app';

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR = '\x1b[2J\x1b[H';

export interface WatchHandle {
  waitUntilExit(): Promise<number>;
  unmount(): void;
  /** Leaves the alternate screen and shows the cursor; safe from signal handlers, more than once. */
  restoreTerminal(): void;
}

export function startWatch(
  props: Omit<WatchAppProps, 'onExit' | 'width' | 'height'>,
  streams: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream },
): WatchHandle {
  const { stdout, stdin } = streams;
  let exitCode = 0;
  let restored = false;
  const restoreTerminal = () => {
    if (restored) return;
    restored = true;
    stdout.off('resize', onResize);
    stdout.write(LEAVE_ALT + SHOW_CURSOR);
  };
  const element = () => (
    <WatchApp {...props} width={stdout.columns ?? 80} height={stdout.rows ?? 24} onExit={(code) => {
      exitCode = code;
      instance.unmount();
    }} />
  );
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
