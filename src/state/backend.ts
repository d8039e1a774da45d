// Where shared state lives (R-HA-1), behind one interface the server depends on. `files` is the
// embedded default: this box is alone, it always leads, notifications go straight to the
// webhooks. `postgres` (src/state/pg-backend.ts) lets servers on several jump boxes act as one:
// one of them leads (a lease in the database) and only the leader evaluates alerts and delivers
// notifications, through an outbox table so a handover neither loses nor repeats one.
import { hostname } from 'node:os';
import { BatchedStore, type Store } from '../core/store';
import type { AlertNotifier } from '../health/alerts-store';
import type { WallRunsSnapshot } from '../protocol/health';
import type { RunsStore, RunView } from '../core/views';
import type { ObservedRuns } from '../watch/merged-runs';

/** What `status` and the console header say about the state store and who leads. */
export interface StateView {
  backend: 'files' | 'postgres';
  /** Where: `files in <dir>` or `postgres://user@host:port/db` (never a password). */
  where: string;
  /** This server, as the others see it: `<hostname> (pid N)`. */
  box: string;
  /** This server evaluates alerts and sends notifications now. */
  leading: boolean;
  /** Who leads, when known (this box, or another box's `<hostname> (pid N)`). */
  leader?: string;
  /** When the leader last said it was alive (postgres only). */
  leaderSeenAt?: Date;
  /** False while the database cannot be reached: consoles say `state store unreachable`. */
  reachable: boolean;
  /** What went wrong last, in words (no secrets). */
  problem?: string;
}

export interface Leadership extends Store<StateView> {
  /** Called when this server becomes the leader, and when it stops being one. */
  onChange(listener: (leading: boolean) => void): () => void;
}

export interface StateBackend {
  readonly kind: 'files' | 'postgres';
  readonly leadership: Leadership;
  /**
   * The notifier the alerts store uses: the webhooks directly (files), or the outbox drained by
   * the leader (postgres). `direct` is the plain webhook notifier built from the config.
   */
  notifier(direct: AlertNotifier): AlertNotifier;
  /**
   * After this server became the leader and evaluated the rules once: alerts the database says
   * are firing but which this server sees resolved are resolved (and notified) now, so a
   * recovery during the handover is not lost. `known` says whether the alert's condition can be
   * judged here (its service probed, its node source answering).
   */
  reconcile?(firingHere: ReadonlySet<string>, known: (row: { kind: string; subject: string }) => boolean): Promise<void>;
  /**
   * The wall topic's runs: this server's own (`local`), plus, with a shared backend, the runs of
   * the servers on other boxes, live. `engine` is this server's, published for the others.
   */
  shareRuns?(local: Store<WallRunsSnapshot>, engine: RunsStore): { wall: Store<WallRunsSnapshot>; others: ObservedRuns };
  /** The other boxes' runs waiting for an approval now (after shareRuns; empty before). */
  pendingElsewhere?(): RemotePending[];
  /**
   * An approval (name and one-time code) given on this box for a run another box runs: carried to
   * that box's server, signed by this one, and answered there; undefined when the run is not
   * another box's.
   */
  forwardAnswer?(runId: string, answer: unknown, who: { user: string; uid: number }): Promise<unknown> | undefined;
  /**
   * A proven approval: `who`, as this server proved them, approves step `step` of another box's
   * run. Signed with this server's key; undefined when the run is not another box's.
   */
  forwardApproval?(runId: string, step: 1 | 2, who: { user: string; uid: number }): Promise<unknown> | undefined;
  /**
   * Where this server answers approvals given on other boxes for its runs: only rows a pinned
   * peer signed, for this server, not seen before and fresh reach `handler`; every other row is
   * refused and `refused` gets the audit line's text.
   */
  onForwardedAnswer?(handler: (runId: string, what: ForwardedApproval, by: PeerApprover) => Promise<unknown>, refused: (runId: string, message: string) => void): void;
  start(): void;
  close(): Promise<void>;
}

/** A run of another box waiting for an approval, as its server published it (code stripped). */
export interface RemotePending {
  runId: string;
  /** The server running it: `<hostname> (pid N)`. */
  box: string;
  view: RunView;
}

/** What a signed row from another box asks for. */
export type ForwardedApproval = { kind: 'proven'; step: 1 | 2 } | { kind: 'answer'; answer: unknown };

/** Who approved on another box, as that box's server proved and signed it. */
export interface PeerApprover {
  user: string;
  uid: number;
  /** The signer's `state.box_name` (its key is pinned in `state.peers`). */
  box: string;
  /** The signing server as the runs table names it: `<hostname> (pid N)`. */
  server: string;
}

export function thisBox(): string {
  return `${hostname()} (pid ${process.pid})`;
}

class SoleLeadership extends BatchedStore<StateView> implements Leadership {
  onChange(): () => void {
    return () => {};
  }
}

/** Today's state: files in the state folder, one box, always the leader. */
export function filesBackend(stateDir: string): StateBackend {
  const box = thisBox();
  return {
    kind: 'files',
    leadership: new SoleLeadership({ backend: 'files', where: `files in ${stateDir}`, box, leading: true, leader: box, reachable: true }),
    notifier: (direct) => direct,
    start() {},
    close: async () => {},
  };
}
