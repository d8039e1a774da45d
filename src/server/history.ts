// What happened, kept by the server from its start whether or not a console is open (R-SRV-5):
// service and host health transitions, and every intent a console sent with its proven identity.
// Alert events are kept by the alert store itself (stateDir/alerts.jsonl, rotated the same way).
// All of it is JSON lines under stateDir/history/, bounded (rotated at 5 MB, 3 old files kept).
import { join } from 'node:path';
import type { Store } from '../core/store';
import type { HostsSnapshot, ServiceTransition } from '../core/views';
import type { ProvenIdentity } from '../protocol/messages';
import { RotatingLog } from '../core/rotating-log';
import type { ServerLog } from './log';

export interface History {
  intent(who: ProvenIdentity, name: string, args: unknown, outcome?: string): void;
  stop(): void;
  settled(): Promise<void>;
}

export function startHistory(opts: {
  stateDir: string;
  log: ServerLog;
  now(): Date;
  fleet: { onTransition(l: (t: ServiceTransition) => void): () => void };
  hosts?: Store<HostsSnapshot>;
  maxBytes?: number;
}): History {
  const dir = join(opts.stateDir, 'history');
  const failed = new Set<string>();
  const onError = (file: string) => (err: NodeJS.ErrnoException) => {
    if (failed.has(file)) return;
    failed.add(file);
    opts.log('error', `cannot write history ${file} (${err.code ?? err.message}) — check that the state folder is writable`);
  };
  const open = (name: string) => {
    const file = join(dir, name);
    return new RotatingLog(file, { maxBytes: opts.maxBytes, onError: onError(file) });
  };
  const transitions = open('transitions.jsonl');
  const intents = open('intents.jsonl');
  const stops: (() => void)[] = [];
  stops.push(
    opts.fleet.onTransition((t) => {
      void transitions.append(JSON.stringify({ at: t.at.toISOString(), kind: 'service', name: t.service, from: t.from, to: t.to, ...(t.error ? { error: t.error } : {}) }));
    }),
  );
  if (opts.hosts) {
    const hosts = opts.hosts;
    const last = new Map<string, string>();
    stops.push(
      hosts.subscribe(() => {
        for (const h of hosts.getSnapshot().hosts) {
          const before = last.get(h.name);
          if (before === h.reachability) continue;
          last.set(h.name, h.reachability);
          if (before === undefined && h.reachability === 'UNKNOWN') continue;
          void transitions.append(
            JSON.stringify({ at: (h.lastChangeAt ?? opts.now()).toISOString(), kind: 'host', name: h.name, from: before ?? 'UNKNOWN', to: h.reachability, ...(h.lastError ? { error: h.lastError } : {}) }),
          );
        }
      }),
    );
  }
  return {
    intent(who, name, args, outcome) {
      void intents.append(JSON.stringify({ at: opts.now().toISOString(), uid: who.uid, user: who.user, via: who.via, ...(who.key ? { key: who.key.fingerprint } : {}), intent: name, args, ...(outcome ? { outcome } : {}) }));
    },
    stop() {
      for (const s of stops) s();
    },
    settled: () => Promise.all([transitions.settled(), intents.settled()]).then(() => undefined),
  };
}
