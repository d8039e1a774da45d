// The controls an SSH session's console acts through: the server's own engine, checklists,
// incidents and alerts, with every intent checked against the session's proven identity (its
// key's operator) before it reaches them (R-ID-2), and refused ones audited by the gate.
//
// Every one of them goes through the server's dispatcher (src/server/server-core.ts), exactly as
// an attached console's intents do: role check by the key, intent history, the handler.
import type { ChecklistControl, ChecklistResult, ChoicesView, IncidentControl, Localized, ParamDefaultsView, RunbookSummary, RunControl, StartResult } from '../core/views';
import type { Principal } from '../operators/directory';
import { describePrincipal } from '../operators/directory';
import type { ProvenIdentity } from '../protocol/messages';
import { remoteAlertControl, type AlertControl } from '../core/alert-control';
import type { Dispatcher } from './server-core';
import type { UnisolateResult } from '../health/alerts-store';

/**
 * Runs from an SSH session: the same intents an attached console sends over the socket (run.start,
 * run.cancel, run.confirm, run.answer, run.resume, run.choices, run.defaults), through the server's
 * one dispatcher: the role check against the session's key, a line in the intent history (secrets
 * written as given, never their value), then the handler the socket's consoles reach. The run is
 * the key's operator's (START, lock, journal name them; an approver is judged against them).
 * A refusal rejects, and the screen says it, as for an attached console.
 */
export function sshRunControl(dispatch: Dispatcher, runbooks: () => RunbookSummary[], who: Principal): RunControl {
  const id = sshOperatorIdentity(who);
  const send = <T>(name: Parameters<Dispatcher>[0], args: unknown) => dispatch(name, args, id, who.proof) as Promise<T>;
  return {
    listRunbooks: runbooks,
    start: (runbookId, target, opts = {}) =>
      send<StartResult>('run.start', { runbook: runbookId, target, ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.params ? { params: opts.params } : {}) }),
    listChoices: (runbookId, target, param, given) => send<ChoicesView>('run.choices', { runbook: runbookId, target, param, ...(given ? { given } : {}) }),
    paramDefaults: (runbookId, target, given) => send<ParamDefaultsView>('run.defaults', { runbook: runbookId, target, ...(given ? { given } : {}) }),
    cancel: (runId) => send<null>('run.cancel', { runId }).then(() => undefined),
    confirm: (runId) => send<null>('run.confirm', { runId }).then(() => undefined),
    answerApproval: (runId, answer) => send<{ accepted: boolean; error?: Localized }>('run.answer', { runId, answer }),
    resume: (runId) => send<StartResult>('run.resume', { runId }),
  };
}

/** Checklist sign-offs, notes and undos from an SSH session: intents through the dispatcher, recorded as the key's operator. */
export function sshChecklists(dispatch: Dispatcher, who: Principal): ChecklistControl {
  const id = sshOperatorIdentity(who);
  const send = <T>(name: Parameters<Dispatcher>[0], args: unknown) => dispatch(name, args, id, who.proof) as Promise<T>;
  return {
    open: (checklistId, opts = {}) => send<Awaited<ReturnType<ChecklistControl['open']>>>('checklist.open', { checklist: checklistId, ...opts }),
    sign: (instanceId, itemId, opts = {}) => send<ChecklistResult>('checklist.sign', { instanceId, itemId, ...opts }),
    note: (instanceId, itemId, text) => send<ChecklistResult>('checklist.note', { instanceId, itemId, text }),
    undo: (instanceId, itemId) => send<ChecklistResult>('checklist.undo', { instanceId, itemId }),
  };
}

/** Opening, grading and closing incidents from an SSH session, the same way. */
export function sshIncidents(dispatch: Dispatcher, who: Principal): IncidentControl {
  const id = sshOperatorIdentity(who);
  const send = <T>(name: Parameters<Dispatcher>[0], args: unknown) => dispatch(name, args, id, who.proof) as Promise<T>;
  return {
    openManual: (title, severity) => send<Awaited<ReturnType<IncidentControl['openManual']>>>('incident.open', { title, ...(severity ? { severity } : {}) }),
    setSeverity: (incidentId, severity) => send<ChecklistResult>('incident.severity', { id: incidentId, severity }),
    close: (incidentId, answers) => send<Awaited<ReturnType<IncidentControl['close']>>>('incident.close', { id: incidentId, ...answers }),
  };
}

/**
 * An SSH session as the server's intent handlers see its sender: the key's operator, described
 * with the key (`alice (ssh-key SHA256:…)`: what an ack or a silence records), no local uid (-1),
 * a console in the server's own process. The role check uses the key itself (the dispatcher's
 * `proof`), never this name.
 */
export function sshIdentity(who: Principal): ProvenIdentity {
  return { uid: -1, user: describePrincipal(who), via: 'ssh-key', ...keyOf(who) };
}

/**
 * The same sender for runs, checklists and incidents, named as the config names the operator
 * (`alice`): what a run's START line, its journal and the approval rules (self-approval by name,
 * TOTP) compare with. The key is in the identity all the same (history, role check).
 */
export function sshOperatorIdentity(who: Principal): ProvenIdentity {
  return { uid: -1, user: who.name, via: 'ssh-key', ...keyOf(who) };
}

function keyOf(who: Principal): Pick<ProvenIdentity, 'key'> {
  return who.proof.kind === 'ssh-key' ? { key: { fingerprint: who.proof.fingerprint, keyType: who.proof.keyType } } : {};
}

/** Acknowledge, silence and maintenance from an SSH session: intents through the server's dispatcher. */
export function sshAlertControl(dispatch: Dispatcher, who: Principal): AlertControl {
  const id = sshIdentity(who);
  return remoteAlertControl((name, args) => dispatch(name as Parameters<Dispatcher>[0], args, id, who.proof));
}

/** Putting isolated devices back (`alerts.unisolate`), the same way. */
export function sshIsolation(dispatch: Dispatcher, who: Principal): { unisolate(deviceIds: readonly string[]): Promise<UnisolateResult> } {
  const id = sshIdentity(who);
  return {
    unisolate: (deviceIds) =>
      dispatch('alerts.unisolate', { devices: [...deviceIds] }, id, who.proof).then(
        (r) => ({ ok: true as const, released: (r as { released: string[] }).released }),
        (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
      ),
  };
}
