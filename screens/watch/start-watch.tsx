// Starts the wall screen full-screen: alternate screen, sized to the terminal, redrawn whole on
// resize, terminal restored on exit.
import { WatchApp, type WatchAppProps } from './watch-app';
import { mountFullScreen, type FullScreenHandle } from '../shared/full-screen';

export type WatchHandle = FullScreenHandle;

export function startWatch(
  props: Omit<WatchAppProps, 'onExit' | 'width' | 'height'>,
  streams: { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream },
): WatchHandle {
  return mountFullScreen(({ width, height }, onExit) => <WatchApp {...props} width={width} height={height} onExit={onExit} />, streams);
}
