// A console inside the server process (an SSH session's) talks to the server like an attached
// one, without a socket: the topics are the server's own stores, and each intent goes through the
// same dispatcher the socket uses (role check, history, handler) with the identity the session's
// transport proved. The session never names itself.
import type { Store } from '../core/store';
import type { IntentPort } from '../attach/port';
import type { IntentName, Intents, TopicName, Topics } from '../protocol/messages';

export type Dispatch = (name: IntentName, args: unknown) => Promise<unknown>;

export function inProcessPort(topics: { [K in TopicName]?: Store<Topics[K]> }, dispatch: Dispatch): IntentPort {
  const missing = (topic: string) => new Error(`this server publishes no ${topic} topic`);
  return {
    store<K extends TopicName>(topic: K): Store<Topics[K] | undefined> {
      const s = topics[topic];
      if (!s) throw missing(topic);
      return s as Store<Topics[K] | undefined>;
    },
    first<K extends TopicName>(topic: K): Promise<Topics[K]> {
      const s = topics[topic];
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
