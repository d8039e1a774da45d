// A console inside the server process (a standalone console's, src/server/standalone.ts; an SSH
// session's) talks to the server like an attached one, without a socket: the topics are the
// server's own stores, and each intent goes through the same dispatcher the socket uses (role
// check, history, handler) with the identity the process or session proved. With `who`, the
// `console` topic is that identity's view of it, filtered exactly as the socket filters each
// connection's (src/server/topic-views.ts: a pending approval's code only for its requester).
import type { Store } from '../core/store';
import type { IntentPort } from '../attach/port';
import type { IntentName, Intents, ProvenIdentity, TopicName, Topics } from '../protocol/messages';
import type { ConsoleRunsSnapshot } from '../protocol/runs';
import { consoleViewFor } from './topic-views';

export type Dispatch = (name: IntentName, args: unknown) => Promise<unknown>;

/** `store` as `view` shows it: one view object per snapshot of `store`, so screens see a stable one. */
function viewOf<S>(store: Store<S>, view: (s: S) => S): Store<S> {
  let from: S | undefined;
  let out: S | undefined;
  let seen = false;
  return {
    subscribe: (cb) => store.subscribe(cb),
    getSnapshot() {
      const s = store.getSnapshot();
      if (!seen || s !== from) {
        seen = true;
        from = s;
        out = view(s);
      }
      return out as S;
    },
  };
}

export function inProcessPort(topics: { [K in TopicName]?: Store<Topics[K]> }, dispatch: Dispatch, who?: Pick<ProvenIdentity, 'user'>): IntentPort {
  const missing = (topic: string) => new Error(`this server publishes no ${topic} topic`);
  const views: { [K in TopicName]?: Store<Topics[K]> } = { ...topics };
  if (who && topics.console) views.console = viewOf<ConsoleRunsSnapshot>(topics.console, (snap) => consoleViewFor(snap, who));
  return {
    store<K extends TopicName>(topic: K): Store<Topics[K] | undefined> {
      const s = views[topic];
      if (!s) throw missing(topic);
      return s as Store<Topics[K] | undefined>;
    },
    first<K extends TopicName>(topic: K): Promise<Topics[K]> {
      const s = views[topic];
      return s ? Promise.resolve(s.getSnapshot() as Topics[K]) : Promise.reject(missing(topic));
    },
    request<N extends IntentName>(name: N, args: Intents[N][0]): Promise<Intents[N][1]> {
      try {
        return dispatch(name, args) as Promise<Intents[N][1]>;
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
