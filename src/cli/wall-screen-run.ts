// How a wall screen runs until it ends, standalone or attached: a signal gives the terminal back
// and exits 128+n (nothing to save in watch mode); a render that throws goes to the crash guard.
import type { CrashGuard } from '../watch/terminal';
import type { WatchHandle } from '../../screens/watch/start-watch';
import { SIGNAL_NUMBERS } from './exit';

export async function runWallScreen(handle: WatchHandle, guard: CrashGuard, stopAll: () => void): Promise<number> {
  let exiting = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    handle.restoreTerminal();
    handle.unmount();
    stopAll();
    process.exit(128 + (SIGNAL_NUMBERS[sig] ?? 0));
  };
  const sigs: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    return await handle.waitUntilExit();
  } catch (err) {
    // A render threw: Ink has unmounted; the guard restores, reports and exits 1.
    guard.crash(err);
    return await new Promise<number>(() => {});
  } finally {
    guard.dispose();
    for (const s of sigs) process.off(s, onSignal);
    stopAll();
  }
}
