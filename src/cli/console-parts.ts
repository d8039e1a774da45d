// What an operator console gets from a server, whether it is attached over the socket
// (src/cli/interactive-attached.ts) or runs the server in its own process (standalone,
// src/server/standalone.ts): the server's snapshots behind the stores the screens read, and
// controls that send every change as an intent through the server's dispatcher. Nothing here
// runs, writes or evaluates anything.
import { remoteAlertControl } from '../core/alert-control';
import type { Lang } from '../core/views';
import type { AppStartup } from '../../screens/app';
import type { IntentPort } from '../attach/port';
import type { RemoteHealth } from '../attach/remote-health';
import type { RemoteOps } from '../attach/remote-runs';

export function serverConsoleParts(port: IntentPort, health: RemoteHealth, ops: RemoteOps): Omit<AppStartup, 'notice'> {
  return {
    runs: ops.runs,
    control: ops.control,
    ops: { checklists: ops.checklists, checklistControl: ops.checklistControl, incidents: ops.incidents, incidentControl: ops.incidentControl },
    fleetStores: {
      ...(health.alerts ? { alerts: health.alerts } : {}),
      // `u` puts isolated devices back: done by the server, recorded as the proven operator.
      ...(health.alerts
        ? {
            isolation: {
              unisolate: (devices: readonly string[]) =>
                port.request('alerts.unisolate', { devices: [...devices] }).then(
                  (r) => ({ ok: true as const, released: r.released }),
                  (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
                ),
            },
          }
        : {}),
      // a, s, m: acknowledge, silence, maintenance — intents the server carries out as the proven operator.
      ...(health.alerts ? { alertControl: remoteAlertControl((name, args) => port.request(name as 'alerts.ack', args as { key: string })) } : {}),
      ...(health.websocket ? { websocket: health.websocket } : {}),
      ...(health.nodes ? { nodes: health.nodes } : {}),
      ...(health.hosts ? { hosts: health.hosts } : {}),
    },
  };
}

/**
 * The start-up parts with the message bar's notice following the server's (a run found
 * interrupted, then resumed): `first` to show now, and `follow` calls `deliver` with the parts
 * again whenever the notice changes (it returns the unsubscribe).
 */
export function withServerNotice(
  parts: Omit<AppStartup, 'notice'>,
  ops: RemoteOps,
  lang: Lang,
  extra: string | undefined,
): { first: AppStartup; follow(deliver: (parts: AppStartup) => void): () => void } {
  const noticeNow = () => [ops.runs.notice(lang), extra].filter(Boolean).join(' · ') || undefined;
  let shown = noticeNow();
  const withNotice = (notice: string | undefined): AppStartup => ({ ...parts, ...(notice ? { notice } : {}) });
  return {
    first: withNotice(shown),
    follow: (deliver) =>
      ops.runs.subscribe(() => {
        const now = noticeNow();
        if (now === shown) return;
        shown = now;
        deliver(withNotice(now));
      }),
  };
}
