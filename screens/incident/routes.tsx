// The checklist and incident screens as one piece the App mounts: which of them is shown (a small
// stack, so Esc goes back where you came from), their overlays (escalation matrix, text prompt),
// the handlers of their commands and the state the registry needs. View state only; every change
// goes through the stores' intents.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { OpsCommandState, CommandScreen } from '../../src/commands/registry';
import type { Store } from '../../src/core/store';
import type {
  Answer,
  ChecklistControl,
  ChecklistsSnapshot,
  ChecklistsStore,
  IncidentControl,
  IncidentsSnapshot,
  IncidentsStore,
  IncidentView,
  Lang,
  Localized,
  RunView,
} from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { SEVERITIES } from '../../src/incident/targets';
import type { CommandHandlers } from '../shared/use-commands';
import type { BarMessage } from '../shared/message-bar';
import { ChecklistPicker, pickerEntries } from '../checklist/checklist-picker';
import { ChecklistScreen, checklistItems, resumeCursor } from '../checklist/checklist-screen';
import { EscalationMatrix } from './escalation';
import { IncidentScreen } from './incident-screen';
import { TextPrompt } from './text-prompt';

export interface OpsStoresProps {
  checklists?: ChecklistsStore;
  /** Absent in a read-only console. */
  checklistControl?: ChecklistControl;
  incidents?: IncidentsStore;
  incidentControl?: IncidentControl;
}

export interface OpsRoutesInput extends OpsStoresProps {
  readOnly: boolean;
  lang: Lang;
  now: Date;
  width: number;
  height: number;
  flash(message: BarMessage | undefined): void;
  /** The run on the run screen (the post-recovery checklist and the run's incident). */
  currentRun?: RunView;
  /** The checklist the current run's runbook names to follow it (seed 003's restores: restore-after). */
  followUpChecklist?: string;
  runs: RunView[];
  /** The dashboard's selected service: the target of a checklist started from the list. */
  selectedTarget?: string;
  /** Something else already speaks at start (e.g. interrupted runs): no resume hint then. */
  quietStart?: boolean;
}

type OpsView =
  | { kind: 'checklists'; selected: number; incidentId?: string; target?: string }
  | { kind: 'checklist'; instanceId: string; cursor: number }
  | { kind: 'incident'; id?: string; scroll: number };

type OpsOverlay =
  | { kind: 'escalation' }
  | { kind: 'prompt'; label: string; value: string; error?: string; submit(value: string): string | undefined };

const EMPTY_CHECKLISTS: ChecklistsSnapshot = { definitions: [], instances: [], problems: [] };
const EMPTY_INCIDENTS: IncidentsSnapshot = { incidents: [], rtoMin: 120, contacts: [] };
const noop = () => () => {};

function useOptionalStore<S>(store: Store<S> | undefined, empty: S): S {
  const subscribe = useCallback((cb: () => void) => (store ? store.subscribe(cb) : noop()), [store]);
  const get = useCallback(() => (store ? store.getSnapshot() : empty), [store, empty]);
  return useSyncExternalStore(subscribe, get, get);
}

export interface OpsRoutes {
  /** The command screen while one of these screens or overlays is shown. */
  screen?: CommandScreen;
  body?: ReactNode;
  handlers: CommandHandlers;
  state: OpsCommandState;
  /** Opens the one-line text prompt for another screen's command (the dashboard's silence, maintenance). */
  ask(label: string, submit: (value: string) => string | undefined): void;
  closeAsk(): void;
}

export function useOpsRoutes(input: OpsRoutesInput): OpsRoutes {
  const { lang, now, width, height, flash, readOnly } = input;
  const checklists = useOptionalStore(input.checklists, EMPTY_CHECKLISTS);
  const incidents = useOptionalStore(input.incidents, EMPTY_INCIDENTS);
  const [stack, setStack] = useState<OpsView[]>([]);
  const [overlay, setOverlay] = useState<OpsOverlay | null>(null);
  const top = stack[stack.length - 1];
  // Handlers read the latest stack even when keys arrive faster than renders.
  const stackRef = useRef(stack);
  stackRef.current = stack;

  const info = (text: string) => flash({ text, tone: 'info' });
  const error = (text: string) => flash({ text, tone: 'error' });
  /**
   * An intent's result: at once from this console's own stores (a refusal returned to the prompt,
   * which stays open), or later from the server (a refusal closes the prompt and says why below).
   */
  const outcome = <T extends { ok: true } | { ok: false; error: Localized }>(answer: () => Answer<T>, onOk: (res: Extract<T, { ok: true }>) => void): string | undefined => {
    let now: Answer<T>;
    try {
      now = answer();
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    if (!(now instanceof Promise)) {
      if (!now.ok) return (now as { error: Localized }).error[lang];
      onOk(now as Extract<T, { ok: true }>);
      return undefined;
    }
    now.then(
      (res) => {
        if (res.ok) return onOk(res as Extract<T, { ok: true }>);
        setOverlay(null);
        error((res as { error: Localized }).error[lang]);
      },
      (err: unknown) => {
        setOverlay(null);
        error(err instanceof Error ? err.message : String(err));
      },
    );
    return undefined;
  };

  // R-CHK-5: a console started again (the operator's SSH dropped) says where to resume.
  const hinted = useRef(false);
  useEffect(() => {
    if (hinted.current || input.quietStart || !input.checklists) return;
    hinted.current = true;
    const open = checklists.instances.find((i) => !i.complete);
    if (open) info(t(lang, 'checklist.resumeHint', { title: open.title[lang], signed: open.signed, total: open.total }));
    // Once, at start — when the checklists arrive (the console builds them just after its first frame).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [input.checklists]);

  const push = (v: OpsView) => setStack((s) => [...s, v]);
  const replaceTop = (f: (v: OpsView) => OpsView) => setStack((s) => (s.length ? [...s.slice(0, -1), f(s[s.length - 1]!)] : s));
  const pop = () => setStack((s) => s.slice(0, -1));

  const instanceOf = (id: string) => checklists.instances.find((i) => i.instanceId === id);
  const shownIncident = (): IncidentView | undefined => {
    if (top?.kind !== 'incident') return undefined;
    return top.id ? incidents.incidents.find((i) => i.id === top.id) : incidents.incidents.find((i) => i.state === 'open');
  };
  const incidentOfRun = (run: RunView | undefined) => (run ? incidents.incidents.find((i) => i.runIds.includes(run.runId)) : undefined);

  const openInstance = (instanceId: string) => {
    const inst = checklists.instances.find((i) => i.instanceId === instanceId);
    push({ kind: 'checklist', instanceId, cursor: resumeCursor(inst, now) });
  };

  const startChecklist = (checklistId: string, opts: { target?: string; incidentId?: string; anchorAt?: Date }) => {
    const control = input.checklistControl;
    if (!control) return error(t(lang, 'reason.readOnly'));
    const why = outcome(
      () => control.open(checklistId, opts),
      (res) => {
        // The store has the new instance now; the cursor is set when it renders (first open item).
        const inst = input.checklists?.getSnapshot().instances.find((i) => i.instanceId === res.instanceId);
        push({ kind: 'checklist', instanceId: res.instanceId, cursor: resumeCursor(inst, now) });
      },
    );
    if (why) error(why);
  };

  /** The last successful recovery of a target: the post-recovery gates count from it. */
  const lastSuccess = (target: string | undefined) =>
    input.runs
      .filter((r) => r.state === 'success' && !r.dryRun && (!target || r.target === target) && r.finishedAt)
      .sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime())[0];

  const prompt = (label: string, submit: (value: string) => string | undefined) => setOverlay({ kind: 'prompt', label, value: '', submit });

  const currentItem = () => {
    if (top?.kind !== 'checklist') return undefined;
    const items = checklistItems(instanceOf(top.instanceId));
    return items[Math.min(top.cursor, items.length - 1)];
  };

  const moveCursor = (delta: number) =>
    replaceTop((v) => {
      if (v.kind === 'checklist') {
        const n = checklistItems(input.checklists?.getSnapshot().instances.find((i) => i.instanceId === v.instanceId)).length;
        return { ...v, cursor: Math.max(0, Math.min(n - 1, v.cursor + delta)) };
      }
      if (v.kind === 'checklists') {
        const n = pickerEntries(input.checklists?.getSnapshot() ?? EMPTY_CHECKLISTS, v.incidentId).length;
        return { ...v, selected: Math.max(0, Math.min(n - 1, v.selected + delta)) };
      }
      if (v.kind === 'incident') return { ...v, scroll: Math.max(0, v.scroll - delta) };
      return v;
    });

  const openIncidentByHand = () => {
    const control = input.incidentControl;
    if (!control) return error(t(lang, 'reason.readOnly'));
    prompt(t(lang, 'prompt.incidentTitle'), (value) => {
      return outcome(
        () => control.openManual(value),
        (res) => {
          setOverlay(null);
          info(t(lang, 'incident.openedFlash', { id: res.id }));
          if (stackRef.current[stackRef.current.length - 1]?.kind === 'incident') replaceTop(() => ({ kind: 'incident', id: res.id, scroll: 0 }));
          else push({ kind: 'incident', id: res.id, scroll: 0 });
        },
      );
    });
  };

  const showIncident = (run?: RunView) => {
    const ofRun = incidentOfRun(run);
    const open = incidents.incidents.find((i) => i.state === 'open');
    if (!ofRun && !open && !readOnly && input.incidentControl) return openIncidentByHand();
    push({ kind: 'incident', id: (ofRun ?? open)?.id, scroll: 0 });
  };

  const handlers: CommandHandlers = {
    'incident.show': () => showIncident(),
    'run.incident': () => showIncident(input.currentRun),
    'checklist.list': () => push({ kind: 'checklists', selected: 0, target: input.selectedTarget }),
    'run.checklist': () => {
      const run = input.currentRun;
      if (!run || run.state !== 'success') return;
      // The checklist that follows this runbook, else seed 000's post-recovery list.
      const def = checklists.definitions.find((d) => d.id === input.followUpChecklist) ?? checklists.definitions.find((d) => d.postRecovery);
      if (!def) return error(t(lang, 'checklists.none'));
      startChecklist(def.id, { target: run.target, incidentId: incidentOfRun(run)?.id, anchorAt: run.finishedAt ?? now });
    },

    'checklists.up': () => moveCursor(-1),
    'checklists.down': () => moveCursor(1),
    'checklists.back': pop,
    'checklists.open': () => {
      if (top?.kind !== 'checklists') return;
      const entry = pickerEntries(checklists, top.incidentId)[top.selected];
      if (!entry) return;
      if (entry.kind === 'instance') return openInstance(entry.instance.instanceId);
      const incident = top.incidentId ? incidents.incidents.find((i) => i.id === top.incidentId) : undefined;
      const target = incident?.target ?? top.target;
      const anchor = entry.definition.postRecovery ? (lastSuccess(target)?.finishedAt ?? now) : undefined;
      startChecklist(entry.definition.id, { target, incidentId: incident?.id, ...(anchor ? { anchorAt: anchor } : {}) });
    },

    'checklist.up': () => moveCursor(-1),
    'checklist.down': () => moveCursor(1),
    'checklist.back': pop,
    'checklist.sign': () => {
      const item = currentItem();
      if (top?.kind !== 'checklist' || !item || !input.checklistControl) return;
      const control = input.checklistControl;
      const instanceId = top.instanceId;
      const why = outcome(
        () => control.sign(instanceId, item.id),
        () => {
          info(t(lang, 'checklist.signedFlash', { item: item.text[lang] }));
          moveCursor(1);
        },
      );
      if (why) error(why);
    },
    'checklist.override': () => {
      const item = currentItem();
      const control = input.checklistControl;
      if (top?.kind !== 'checklist' || !item || !control) return;
      const instanceId = top.instanceId;
      prompt(t(lang, 'prompt.override', { item: item.text[lang], detail: item.auto?.detail[lang] ?? '' }), (value) => {
        return outcome(
          () => control.sign(instanceId, item.id, { override: true, note: value }),
          () => {
            setOverlay(null);
            info(t(lang, 'checklist.signedFlash', { item: item.text[lang] }));
          },
        );
      });
    },
    'checklist.note': () => {
      const item = currentItem();
      const control = input.checklistControl;
      if (top?.kind !== 'checklist' || !item || !control) return;
      const instanceId = top.instanceId;
      prompt(t(lang, 'prompt.note', { item: item.text[lang] }), (value) => {
        return outcome(
          () => control.note(instanceId, item.id, value),
          () => {
            setOverlay(null);
            info(t(lang, 'checklist.noteFlash', { item: item.text[lang] }));
          },
        );
      });
    },
    'checklist.undo': () => {
      const item = currentItem();
      if (top?.kind !== 'checklist' || !item || !input.checklistControl) return;
      const control = input.checklistControl;
      const instanceId = top.instanceId;
      const why = outcome(
        () => control.undo(instanceId, item.id),
        () => info(t(lang, 'checklist.undoneFlash', { item: item.text[lang] })),
      );
      if (why) error(why);
    },

    'incident.up': () => moveCursor(-1),
    'incident.down': () => moveCursor(1),
    'incident.back': pop,
    'incident.escalation': () => setOverlay({ kind: 'escalation' }),
    'escalation.close': () => setOverlay(null),
    'incident.new': openIncidentByHand,
    'incident.checklists': () => {
      const i = shownIncident();
      push({ kind: 'checklists', selected: 0, incidentId: i?.id, target: i?.target });
    },
    'incident.next': () => {
      const list = incidents.incidents;
      if (!list.length) return;
      const at = list.findIndex((i) => i.id === shownIncident()?.id);
      replaceTop(() => ({ kind: 'incident', id: list[(at + 1) % list.length]!.id, scroll: 0 }));
    },
    'incident.severity': () => {
      const i = shownIncident();
      if (!i || !input.incidentControl) return;
      const next = SEVERITIES[(SEVERITIES.indexOf(i.severity) + 1) % SEVERITIES.length]!;
      const control = input.incidentControl;
      const why = outcome(
        () => control.setSeverity(i.id, next),
        () => info(t(lang, 'incident.severityFlash', { severity: next })),
      );
      if (why) error(why);
    },
    'incident.close': () => {
      const i = shownIncident();
      const control = input.incidentControl;
      if (!i || !control) return;
      prompt(t(lang, 'prompt.rootCause', { id: i.id }), (rootCause) => {
        prompt(t(lang, 'prompt.prevention', { id: i.id }), (prevention) => {
          return outcome(
            () => control.close(i.id, { rootCause, prevention: prevention.split(';') }),
            (res) => {
              setOverlay(null);
              replaceTop(() => ({ kind: 'incident', id: i.id, scroll: 0 }));
              info(t(lang, 'incident.closedFlash', { path: res.reportPath }));
            },
          );
        });
        return undefined;
      });
    },

    'prompt.submit': () => {
      if (overlay?.kind !== 'prompt') return;
      const err = overlay.submit(overlay.value);
      // A successful submit has closed (or replaced) the prompt itself; an error keeps it open.
      if (err !== undefined) setOverlay((o) => (o?.kind === 'prompt' ? { ...o, error: err } : o));
    },
    'prompt.cancel': () => setOverlay(null),
  };

  const item = currentItem();
  const shown = shownIncident();
  const state: OpsCommandState = {
    ...(item ? { item: { signed: item.signed !== undefined, failing: item.auto?.status === 'fail' || item.auto?.status === 'unknown' } } : {}),
    incidentOpen: shown?.state === 'open',
  };

  let screen: CommandScreen | undefined;
  let body: ReactNode;
  if (overlay?.kind === 'prompt') {
    screen = 'prompt';
    body = (
      <TextPrompt
        label={overlay.label}
        value={overlay.value}
        onChange={(value) => setOverlay((o) => (o?.kind === 'prompt' ? { ...o, value, error: undefined } : o))}
        error={overlay.error}
        width={width}
        height={height}
      />
    );
  } else if (overlay?.kind === 'escalation') {
    screen = 'escalation';
    body = <EscalationMatrix incident={shown} contacts={incidents.contacts} rtoMin={incidents.rtoMin} now={now} lang={lang} width={width} height={height} />;
  } else if (top?.kind === 'checklists') {
    screen = 'checklists';
    body = <ChecklistPicker entries={pickerEntries(checklists, top.incidentId)} selected={top.selected} now={now} lang={lang} width={width} height={height} />;
  } else if (top?.kind === 'checklist') {
    screen = 'checklist';
    body = <ChecklistScreen instance={instanceOf(top.instanceId)} cursor={top.cursor} now={now} lang={lang} width={width} height={height} />;
  } else if (top?.kind === 'incident') {
    screen = 'incident';
    body = <IncidentScreen incident={shown} rtoMin={incidents.rtoMin} scroll={top.scroll} readOnly={readOnly} now={now} lang={lang} width={width} height={height} />;
  }
  return { screen, body, handlers, state, ask: prompt, closeAsk: () => setOverlay(null) };
}
