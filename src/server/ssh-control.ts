// The controls an SSH session's console acts through: the server's own engine, checklists,
// incidents and alerts, with every intent checked against the session's proven identity (its
// key's operator) before it reaches them (R-ID-2), and refused ones audited by the gate.
//
// A small adapter on purpose: when the server's intent table for attached consoles carries a
// `who` (src/server/run-intents.ts), these methods become calls into it with the same names.
import type { ChecklistControl, IncidentControl, Localized, RunControl, StartResult } from '../core/views';
import type { RunEngine } from '../runbook/engine';
import type { IntentGate } from '../operators/gate';
import type { Principal, Proof } from '../operators/directory';
import { describePrincipal } from '../operators/directory';
import type { ProvenIdentity } from '../protocol/messages';
import { remoteAlertControl, type AlertControl } from '../core/alert-control';
import type { Dispatcher } from './server-core';
import type { UnisolateResult } from '../health/alerts-store';

type Check = (intent: string) => string | undefined;

function checker(gate: IntentGate, proof: Proof): Check {
  return (intent) => {
    try {
      gate.check(intent, proof);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

const words = (text: string): Localized => ({ en: text, ko: text });

export function gatedRunControl(engine: RunEngine, gate: IntentGate, who: Principal, board?: { noteStarter(runId: string, who: Principal): void }): RunControl {
  const refused = checker(gate, who.proof);
  return {
    listRunbooks: () => engine.listRunbooks(),
    start(runbookId, target, opts): StartResult {
      const no = refused('run.start');
      if (no) return { ok: false, error: no };
      // The run is the session's operator's, not the server's account (START, lock, journal).
      const res = engine.start(runbookId, target, { ...opts, operator: who.name } as Parameters<RunEngine['start']>[2]);
      // Approvers are judged against the identity that started the run (self-approval).
      if (res.ok) board?.noteStarter(res.runId, who);
      return res;
    },
    ...(engine.listChoices
      ? {
          listChoices: (runbookId: string, target: string, param: string, given?: Record<string, string>) => {
            // Listing runs a command on the target: an operator's act.
            const no = refused('run.choices');
            if (no) return Promise.reject(new Error(no));
            return engine.listChoices!(runbookId, target, param, given);
          },
        }
      : {}),
    ...(engine.paramDefaults ? { paramDefaults: (runbookId: string, target: string, given?: Record<string, string>) => engine.paramDefaults!(runbookId, target, given) } : {}),
    cancel(runId) {
      if (refused('run.cancel')) return;
      (engine.cancel as (id: string, by?: string) => void)(runId, who.name);
    },
    confirm(runId) {
      if (refused('run.confirm')) return;
      engine.confirm(runId);
    },
    ...(engine.answerApproval
      ? {
          answerApproval: (runId: string, answer: Parameters<NonNullable<RunControl['answerApproval']>>[1]) => {
            const no = refused('run.answer');
            if (no) return { accepted: false, error: words(no) };
            return engine.answerApproval!(runId, answer);
          },
        }
      : {}),
    ...(engine.resume
      ? {
          resume: (runId: string) => {
            const no = refused('run.resume');
            if (no) return { ok: false, error: no };
            return engine.resume!(runId);
          },
        }
      : {}),
  };
}

/** The checklist and incident stores record who acted: the session's operator, not the server's. */
type AsOperator = { withOperator?<T>(operator: string, fn: () => T): T };

export function gatedChecklists(control: ChecklistControl & AsOperator, gate: IntentGate, who: Principal): ChecklistControl {
  const refused = checker(gate, who.proof);
  const as = <T>(fn: () => T): T => (control.withOperator ? control.withOperator(who.name, fn) : fn());
  const guard = <A extends unknown[], R>(intent: string, fn: (...a: A) => R, no: (msg: string) => R) => (...a: A): R => {
    const why = refused(intent);
    return why ? no(why) : as(() => fn(...a));
  };
  return {
    open: guard('checklist.open', control.open.bind(control), (m) => ({ ok: false, error: words(m) })),
    sign: guard('checklist.sign', control.sign.bind(control), (m) => ({ ok: false, error: words(m) })),
    note: guard('checklist.note', control.note.bind(control), (m) => ({ ok: false, error: words(m) })),
    undo: guard('checklist.undo', control.undo.bind(control), (m) => ({ ok: false, error: words(m) })),
  };
}

export function gatedIncidents(control: IncidentControl & AsOperator, gate: IntentGate, who: Principal): IncidentControl {
  const refused = checker(gate, who.proof);
  const as = <T>(fn: () => T): T => (control.withOperator ? control.withOperator(who.name, fn) : fn());
  return {
    openManual: (title, severity) => {
      const no = refused('incident.open');
      return no ? { ok: false, error: words(no) } : as(() => control.openManual(title, severity));
    },
    setSeverity: (id, severity) => {
      const no = refused('incident.severity');
      return no ? { ok: false, error: words(no) } : as(() => control.setSeverity(id, severity));
    },
    close: (id, answers) => {
      const no = refused('incident.close');
      return no ? { ok: false, error: words(no) } : as(() => control.close(id, answers));
    },
  };
}


/**
 * An SSH session as the server's intent handlers see its sender: the key's operator, described
 * with the key (`alice (ssh-key SHA256:…)`: what an ack or a silence records), no local uid (-1),
 * a console in the server's own process. The role check uses the key itself (the dispatcher's
 * `proof`), never this name.
 */
export function sshIdentity(who: Principal): ProvenIdentity {
  return { uid: -1, user: describePrincipal(who), via: 'in-process' };
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
