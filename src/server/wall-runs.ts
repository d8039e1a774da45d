// The wall screen's runs, published by the server: runs in progress in any console on the machine
// (from their locks and journals) and the server's own, recent runs, and the output tail of each
// running run, so an attached wall screen reads no file itself.
import { BatchedStore } from '../core/store';
import type { WallRunsSnapshot } from '../protocol/health';
import { WALL_OUTPUT_LINES } from '../protocol/health';
import type { LiveRunsSource } from '../watch/live-runs';

export class WallRunsStore extends BatchedStore<WallRunsSnapshot> {
  private readonly off: () => void;

  constructor(private readonly live: LiveRunsSource) {
    super({ ...live.getSnapshot(), output: {} });
    this.off = live.subscribe(() => this.refresh());
  }

  private refresh(): void {
    const snap = this.live.getSnapshot();
    const output: WallRunsSnapshot['output'] = {};
    for (const r of snap.runs) if (r.state === 'running') output[r.runId] = this.live.getOutput(r.runId, WALL_OUTPUT_LINES);
    this.set({ ...snap, output });
  }

  stop(): void {
    this.off();
  }
}
