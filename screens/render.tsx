// Starts the full-screen console. Ctrl-C is a key like any other here (the App asks before
// leaving a run).
import type { AppProps } from './app';
import { App } from './app';
import { mountFullScreen, type FullScreenStreams } from './shared/full-screen';

export { leaveAltScreen } from './shared/full-screen';
export type ConsoleStreams = FullScreenStreams;

export interface ConsoleHandle {
  /** Resolves with the exit code the App asked for (0 when unmounted from outside). */
  waitUntilExit(): Promise<number>;
  unmount(): void;
}

export function startConsole(
  props: Omit<AppProps, 'onExit' | 'width' | 'height'> & { width?: number; height?: number },
  streams: ConsoleStreams,
): ConsoleHandle {
  const handle = mountFullScreen(
    ({ width, height }, onExit) => <App {...props} width={width} height={height} onExit={onExit} />,
    streams,
    { width: props.width, height: props.height },
    // A key press draws at once unless a frame went out within the last 1000/maxFps ms; at Ink's
    // 30 that wait was most of the key-to-frame time. A frame costs a few ms now (issue 8), so
    // the console draws at up to 60 a second; the wall screen keeps 30 and its own 1-5 s pace.
    { maxFps: 60 },
  );
  return { waitUntilExit: handle.waitUntilExit, unmount: handle.unmount };
}
