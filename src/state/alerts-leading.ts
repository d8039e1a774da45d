// Alert evaluation follows the state backend's leadership (src/state/serve-state.ts opens the
// backend): only the leader evaluates rules and notifies, and a new leader first resolves what the
// old one left firing. Acknowledgements go to the leader too. Nothing here loads a database driver.
import type { FleetMonitors } from '../health/alerts-fleet';
import type { FleetSnapshot } from '../core/views';
import type { Store } from '../core/store';
import type { ServerLog } from '../server/log';
import type { StateBackend } from './backend';

/** Starts and stops alert evaluation with the lease; returns the undo. */
export function evaluateAlertsWhileLeading(backend: StateBackend, monitors: FleetMonitors, fleet: Store<FleetSnapshot>, log: ServerLog): () => void {
  const known = (row: { kind: string; subject: string }): boolean => {
    if (row.kind === 'service_down') {
      const s = fleet.getSnapshot().services.find((x) => x.name === row.subject);
      return s !== undefined && s.state !== 'UNKNOWN';
    }
    const src = monitors.nodes.getSnapshot().sources.find((x) => x.name === row.subject);
    return src !== undefined && !src.error && src.lastOkAt !== null;
  };
  const onChange = (leading: boolean) => {
    if (!leading) {
      monitors.alerts.stop();
      monitors.setEvaluating(false);
      return;
    }
    monitors.alerts.start();
    // Only the leader says "alerts evaluated here" (the standalone wall screen reads it).
    monitors.setEvaluating(true);
    // start() evaluates in a microtask; the alerts it fires are in the snapshot right after.
    setImmediate(() => {
      const firing = new Set(monitors.alerts.getSnapshot().alerts.filter((a) => a.state === 'firing').map((a) => a.key));
      backend.reconcile?.(firing, known).catch((err: unknown) => log('warn', `could not compare alerts with the previous leader's: ${err instanceof Error ? err.message : String(err)}`));
    });
  };
  const off = backend.leadership.onChange(onChange);
  if (backend.leadership.getSnapshot().leading) onChange(true);
  return () => {
    off();
    monitors.alerts.stop();
    monitors.setEvaluating(false);
  };
}

/**
 * Acknowledgements are kept by the alerts evaluator, and only the leader evaluates: a follower
 * refuses one, naming the box to acknowledge on, rather than saying the alert is not firing.
 */
export function ackOnLeader<A, W, R>(backend: StateBackend, ack: (args: A, who: W) => Promise<R>): (args: A, who: W) => Promise<R> {
  return async (args, who) => {
    const v = backend.leadership.getSnapshot();
    if (!v.leading) throw new Error(`alerts are evaluated by the leading server ${v.leader ?? '(none leads now)'}, not this one: acknowledge on its box`);
    return ack(args, who);
  };
}
