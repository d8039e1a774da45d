// The console protocol: every frame either side may send. Snapshots flow out (latest wins per
// topic), intents flow in and are answered by id. An intent carries no identity: the server
// attaches the caller the transport proved (src/server/identity.ts), and records it.
import type { WireVersion } from './version';
import type { HealthTopics, StatusReport } from './health';
import type { RunIntents, RunTopics } from './runs';
import type { CliIntents } from './cli';
import type { ApprovalIntents } from './approvals';
import type { Localized } from '../core/views';

export type Topics = HealthTopics & RunTopics;
export type TopicName = keyof Topics;
export const TOPIC_NAMES: readonly TopicName[] = ['server', 'fleet', 'nodes', 'hosts', 'websocket', 'alerts', 'runs', 'incident', 'console', 'runbooks', 'checklists', 'incidents'];

/** Who is on the other end, as the server proved it. */
export interface ProvenIdentity {
  uid: number;
  /** The local account name of uid (from the passwd database), or uid<N>. */
  user: string;
  /** How it was proven, for the audit line: `uid 1001 (local socket)`; `peer-server`: another box's server proved it and signed it;
   *  `in-process`: a standalone console's own process (src/server/standalone.ts), its uid from process.getuid(). */
  via: 'local-socket' | 'peer-server' | 'in-process' | 'ssh-key';
  /** With `peer-server`: that box's `state.box_name`. */
  box?: string;
  /** With `ssh-key` (an SSH session in the server's process, uid -1): the key the session proved, which roles are checked against. */
  key?: { fingerprint: string; keyType: string };
}

/** Intent name → [arguments, answer]. The runs domain's are in ./runs.ts. */
export interface Intents extends RunIntents, CliIntents, ApprovalIntents {
  status: [Record<string, never>, StatusReport];
  /** Probe every service now (the console's refresh key). */
  'fleet.probe': [Record<string, never>, null];
  'alerts.unisolate': [{ devices: string[] }, { released: string[] }];
  /** Approve the pending step of a run as the caller the server proved (another box's run: carried there signed). */
  'run.approve': [{ runId: string; step: 1 | 2 }, { accepted: boolean; error?: Localized }];
  /** R-MON-3: acknowledge, silence, maintenance (src/server/alert-intents.ts). */
  'alerts.ack': [{ key: string }, null];
  'alerts.silence': [{ rule?: string; subject?: string; minutes: number; reason: string }, { id: string; until: Date }];
  'alerts.unsilence': [{ id: string }, null];
  'alerts.maintenance': [{ service: string; minutes: number; reason: string }, { id: string; until: Date }];
  'alerts.maintenance.end': [{ id: string }, null];
}
export type IntentName = keyof Intents;

export type ServerMessage =
  | { t: 'hello'; server: WireVersion; pid: number; nonce: string; challengeDir: string }
  | { t: 'welcome'; identity: ProvenIdentity }
  | { t: 'refused'; reason: string }
  | { t: 'snapshot'; topic: TopicName; seq: number; data: unknown }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: string }
  | { t: 'bye'; reason: string; restarting?: boolean };

export type ClientMessage =
  /** The first frame. `nonce`: the name of the proof file the console made in the challenge folder before connecting (one round trip;
   *  without it, the proof is named by the hello's nonce). `topics`: subscribed to as the welcome is sent. */
  | { t: 'auth'; client: WireVersion; nonce?: string; topics?: TopicName[] }
  | { t: 'subscribe'; topics: TopicName[] }
  /** A delta the console could not place (src/attach/delta-store.ts; nodes or fleet): send this topic whole next. */
  | { t: 'resync'; topic: TopicName }
  | { t: 'intent'; id: number; name: IntentName; args: unknown };
