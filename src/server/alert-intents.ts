// The server's handlers for the alert keys (R-MON-3): acknowledge, silence, maintenance. Carried
// out as the operator the transport proved (`who.user`), never a name the client sends; the role
// check (operator) is the server gate's, before these run. Arguments are checked here: a console
// from elsewhere may send anything.
import type { ProvenIdentity } from '../protocol/messages';
import type { AlertsStoreHandle } from '../health/alerts-store';
import type { MuteStore } from '../health/alerts-mute';

type Handler = (args: unknown, who: ProvenIdentity) => Promise<unknown>;

const str = (v: unknown, what: string, max = 300): string => {
  if (typeof v !== 'string' || v.length > max) throw new Error(`${what}: expected text of at most ${max} characters`);
  return v;
};
const optStr = (v: unknown, what: string) => (v === undefined || v === null || v === '' ? undefined : str(v, what, 200));
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: expected a number of minutes`);
  return v;
};

function done<T extends { ok: true } | { ok: false; error: string }>(r: T): Exclude<T, { ok: false }> {
  if (!r.ok) throw new Error((r as { error: string }).error);
  return r as Exclude<T, { ok: false }>;
}

export function alertIntentHandlers(monitors: { alerts: AlertsStoreHandle; mutes: MuteStore } | undefined): Record<string, Handler> {
  const need = () => {
    if (!monitors) throw new Error('this server does not evaluate alerts');
    return monitors;
  };
  const a = (args: unknown) => (args && typeof args === 'object' ? (args as Record<string, unknown>) : {});
  return {
    'alerts.ack': async (args, who) => {
      done(need().alerts.acknowledge(str(a(args).key, 'key', 400), who.user));
      return null;
    },
    'alerts.silence': async (args, who) => {
      const x = a(args);
      const r = done(need().mutes.silence({ rule: optStr(x.rule, 'rule'), subject: optStr(x.subject, 'subject') }, num(x.minutes, 'minutes'), str(x.reason, 'reason'), who.user));
      return { id: r.id, until: r.until };
    },
    'alerts.unsilence': async (args, who) => {
      done(need().mutes.unsilence(str(a(args).id, 'id', 40), who.user));
      return null;
    },
    'alerts.maintenance': async (args, who) => {
      const x = a(args);
      const r = done(need().mutes.startMaintenance(str(x.service, 'service', 200), num(x.minutes, 'minutes'), str(x.reason, 'reason'), who.user));
      return { id: r.id, until: r.until };
    },
    'alerts.maintenance.end': async (args, who) => {
      done(need().mutes.endMaintenance(str(a(args).id, 'id', 80), who.user));
      return null;
    },
  };
}
