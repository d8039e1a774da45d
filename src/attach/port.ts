// What a console needs of a server: its snapshots by topic and answers to intents. A console on
// the local socket has one (src/attach/client.ts, Attached); a console running inside the server
// process for an SSH session can have one too (src/server/local-port.ts), so the same remote
// stores and controls (src/attach/remote-runs.ts) serve both, and every intent goes through the
// server's one handler table with the session's own proven identity.
import type { Store } from '../core/store';
import type { IntentName, Intents, TopicName, Topics } from '../protocol/messages';

export interface IntentPort {
  store<K extends TopicName>(topic: K): Store<Topics[K] | undefined>;
  first<K extends TopicName>(topic: K, timeoutMs?: number): Promise<Topics[K]>;
  request<N extends IntentName>(name: N, args: Intents[N][0]): Promise<Intents[N][1]>;
}
