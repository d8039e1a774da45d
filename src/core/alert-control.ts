// What the console's alert keys do (R-MON-3): `a` acknowledges the selected firing alert, `s`
// silences it (rule and subject) for a duration with a reason — or removes the silence that holds
// it — and `m` starts (or ends) a maintenance window on the selected service. One interface for
// the console with its own alerts store (acting as its OS user), the console attached to a server
// (intents, carried out as the operator the socket proved) and an SSH session (gated).
import type { Answer } from '../core/views';
import type { AlertsStoreHandle } from '../health/alerts-store';
import type { MuteStore } from '../health/alerts-mute';

export type ControlResult = { ok: true; id?: string; until?: Date } | { ok: false; error: string };

export interface AlertControl {
  acknowledge(key: string): Answer<ControlResult>;
  silence(match: { rule?: string; subject?: string }, minutes: number, reason: string): Answer<ControlResult>;
  unsilence(id: string): Answer<ControlResult>;
  startMaintenance(service: string, minutes: number, reason: string): Answer<ControlResult>;
  endMaintenance(id: string): Answer<ControlResult>;
}

/** Acting on this process's own stores as `operator`. */
export function localAlertControl(alerts: Pick<AlertsStoreHandle, 'acknowledge'>, mutes: MuteStore, operator: string): AlertControl {
  return {
    acknowledge: (key) => alerts.acknowledge(key, operator),
    silence: (match, minutes, reason) => mutes.silence(match, minutes, reason, operator),
    unsilence: (id) => mutes.unsilence(id, operator),
    startMaintenance: (service, minutes, reason) => mutes.startMaintenance(service, minutes, reason, operator),
    endMaintenance: (id) => mutes.endMaintenance(id, operator),
  };
}

/** Through a server: each call is an intent; a refusal (role, bad input) comes back as the error. */
export function remoteAlertControl(request: (name: string, args: Record<string, unknown>) => Promise<unknown>): AlertControl {
  const call = async (name: string, args: Record<string, unknown>): Promise<ControlResult> => {
    try {
      const v = (await request(name, args)) as { id?: string; until?: Date } | null;
      return { ok: true, ...(v?.id ? { id: v.id } : {}), ...(v?.until ? { until: v.until } : {}) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  };
  return {
    acknowledge: (key) => call('alerts.ack', { key }),
    silence: (match, minutes, reason) => call('alerts.silence', { ...match, minutes, reason }),
    unsilence: (id) => call('alerts.unsilence', { id }),
    startMaintenance: (service, minutes, reason) => call('alerts.maintenance', { service, minutes, reason }),
    endMaintenance: (id) => call('alerts.maintenance.end', { id }),
  };
}

/** `30 deploying api` → 30 minutes and the reason; no leading number → the default minutes. */
export function parseMinutesAndReason(text: string, defaultMinutes: number): { minutes: number; reason: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|min|h)?\b\s*(.*)$/i.exec(text);
  if (!m) return { minutes: defaultMinutes, reason: text.trim() };
  const n = Number(m[1]);
  return { minutes: m[2]?.toLowerCase() === 'h' ? n * 60 : n, reason: (m[3] ?? '').trim() };
}

/**
 * An AlertControl that asks `refused(intent)` first (an SSH session's role check, the same names
 * as the server's intents) and acts as `operator`, the proven identity.
 */
export function gatedAlertControl(inner: AlertControl, refused: (intent: string) => string | undefined): AlertControl {
  const gate = <A extends unknown[]>(intent: string, fn: (...a: A) => ReturnType<AlertControl['acknowledge']>) => (...a: A) => {
    const no = refused(intent);
    return no ? { ok: false as const, error: no } : fn(...a);
  };
  return {
    acknowledge: gate('alerts.ack', (key: string) => inner.acknowledge(key)),
    silence: gate('alerts.silence', (match: { rule?: string; subject?: string }, minutes: number, reason: string) => inner.silence(match, minutes, reason)),
    unsilence: gate('alerts.unsilence', (id: string) => inner.unsilence(id)),
    startMaintenance: gate('alerts.maintenance', (service: string, minutes: number, reason: string) => inner.startMaintenance(service, minutes, reason)),
    endMaintenance: gate('alerts.maintenance.end', (id: string) => inner.endMaintenance(id)),
  };
}
