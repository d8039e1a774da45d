// The console's root: header, the screen body (dashboard, run screen, or an overlay), the message
// bar and the footer. It reads the stores and sends intents; it owns only view state (which
// screen, which service is selected, how far the log is scrolled).
import { settle } from '../src/core/settle';
import { Box, Text, useStdout } from 'ink';
import { useCallback, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { PassphraseRequest } from '../src/ssh/identity';
import { PassphrasePrompt } from './shared/passphrase-prompt';
import type { Clock } from '../src/core/clock';
import type { Store } from '../src/core/store';
import type { FleetStore, Lang, RunControl, RunsStore, RunView, ServerLinkView, ServiceHealth, StartResult } from '../src/core/views';
import {
  DEMO_FAULTS,
  keyLabel,
  LEVEL_RUNBOOKS,
  registryFor,
  type CommandScreen,
  type CommandState,
} from '../src/commands/registry';
import { t } from '../src/i18n/catalog';
import { CommandsContext, useCommands, type CommandHandlers, type CommandsContextValue, type FieldEditor } from './shared/use-commands';
import { Header } from './shared/header';
import { Footer } from './shared/footer';
import { HelpScreen, helpMaxTop, type HelpOf } from './shared/help';
import { MessageBar, messageLines, type BarMessage } from './shared/message-bar';
import { Dashboard } from './dashboard/dashboard';
import { sortWorstFirst } from './dashboard/services-pane';
import { FaultMenu } from './dashboard/fault-menu';
import { RunScreen, runStateLabel } from './run/run-screen';
import { runLayout } from './run/layout';
import { formatClock } from './shared/format';
import { useApprovalForm } from './approval/use-approval-form';
import { useOpsRoutes, type OpsStoresProps } from './incident/routes';
import { AlertDetail } from './dashboard/alert-detail';
import { alertActionHandlers, alertingState } from './dashboard/alert-actions';
import { serviceMatches, useFleetPanes, type FleetStores } from './dashboard/fleet-panes';
import { useRunbookRoutes } from './runbooks/routes';

export interface DemoControl {
  inject(name: string): Promise<void> | void;
}

export interface AppProps {
  fleet: FleetStore;
  runs: RunsStore;
  /** Absent in a read-only console (watch mode): nothing can be started or cancelled. */
  control?: RunControl;
  demo?: DemoControl;
  lang: Lang;
  operator: string;
  configPath: string;
  width?: number;
  height?: number;
  onExit(code: number): void;
  /** Source of "now" for the header clock and "time since"; the real clock when absent. */
  clock?: Pick<Clock, 'now'>;
  /** Optional store that only ticks (e.g. every second) so clocks move between store updates. */
  tick?: Store<unknown>;
  /** The header clock in minutes (a `tick` that steps now and then, as in SSH sessions). */
  clockMinutes?: boolean;
  /** Forces read-only even with a control (defaults to read-only exactly when control is absent). */
  readOnly?: boolean;
  /** Shown in the message bar at start (e.g. runs interrupted in an earlier session). */
  notice?: string;
  /** Checklists and incidents (R-CHK, R-INC); the controls are absent in a read-only console. */
  ops?: OpsStoresProps;
  /** Nodes, hosts, alerts and WebSocket checks (R-HLT-3..5): each present store adds a pane. */
  fleetStores?: FleetStores;
  /**
   * Set while the console starts (src/cli/interactive.ts): the parts built right after the first
   * frame (engine, runs, checklists, incidents, monitors). Until they arrive the dashboard shows
   * the fleet alone and the keys that need them say "starting…".
   */
  startup?: Store<AppStartup | undefined>;
  /** Drawn before the engine exists (set by App from `startup`). */
  starting?: boolean;
  /** The console server this console is attached to (its health comes from there); absent = standalone. */
  link?: Store<ServerLinkView>;
  /** Passphrase questions of the SSH client (encrypted identity files): a masked prompt while one is open. */
  passphrase?: Store<PassphraseRequest | undefined> & { answer(value: string | undefined): void };
}

/** What `startup` delivers once built. */
export type AppStartup = Pick<AppProps, 'runs' | 'control' | 'notice' | 'ops' | 'fleetStores'>;

type Overlay =
  | { kind: 'help'; top: number }
  | { kind: 'confirm'; question: string; onYes: () => void }
  | { kind: 'fault-menu'; index: number }
  | { kind: 'alert-detail'; key: string; top: number };

const noSubscribe = () => () => {};
const NO_FLEET_STORES: FleetStores = {};
const noSnapshot = () => 0;

function useStore<S>(store: Store<S>): S {
  // Stores may implement subscribe/getSnapshot as methods: bind them, and keep them stable.
  const subscribe = useCallback((cb: () => void) => store.subscribe(cb), [store]);
  const getSnapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

function latestOf(runs: RunView[]): RunView | undefined {
  let latest: RunView | undefined;
  for (const r of runs) if (!latest || r.startedAt.getTime() >= latest.startedAt.getTime()) latest = r;
  return latest;
}

const NO_STARTUP: Store<AppStartup | undefined> = { subscribe: () => () => {}, getSnapshot: () => undefined };

/**
 * The console. With `startup` it first draws as `starting`, then the same instance gets
 * everything (a key pressed meanwhile, e.g. moving the selection, is kept).
 */
export function App(props: AppProps) {
  const late = useStore(props.startup ?? NO_STARTUP);
  if (!props.startup) return <ConsoleApp {...props} />;
  if (!late) return <ConsoleApp {...props} readOnly={props.readOnly ?? false} starting />;
  return <ConsoleApp {...props} {...late} />;
}

function ConsoleApp(props: AppProps) {
  const { fleet, runs, control, demo, lang, operator, configPath, onExit } = props;
  const { stdout } = useStdout();
  const width = Math.max(20, props.width ?? stdout.columns ?? 80);
  const height = Math.max(8, props.height ?? stdout.rows ?? 24);
  const readOnly = props.readOnly ?? !control;
  const registry = useMemo(() => registryFor({ readOnly }), [readOnly]);

  const fleetSnap = useStore(fleet);
  const runsSnap = useStore(runs);
  const tickSubscribe = useCallback((cb: () => void) => (props.tick ? props.tick.subscribe(cb) : noSubscribe()), [props.tick]);
  const tickSnapshot = useCallback(() => (props.tick ? props.tick.getSnapshot() : noSnapshot()), [props.tick]);
  useSyncExternalStore(tickSubscribe, tickSnapshot, tickSnapshot);
  const now = props.clock ? props.clock.now() : new Date();

  const passSubscribe = useCallback((cb: () => void) => props.passphrase?.subscribe(cb) ?? (() => {}), [props.passphrase]);
  const passSnapshot = useCallback(() => props.passphrase?.getSnapshot(), [props.passphrase]);
  const passRequest = useSyncExternalStore(passSubscribe, passSnapshot, passSnapshot);
  const [passValue, setPassValue] = useState('');
  const [view, setView] = useState<'dashboard' | 'run'>('dashboard');
  const [runId, setRunId] = useState<string | undefined>();
  const [selectedName, setSelectedName] = useState<string | undefined>();
  const [overlay, setOverlay] = useState<Overlay | null>(null);
  const [message, setMessage] = useState<BarMessage | undefined>(props.notice ? { text: props.notice, tone: 'info' } : undefined);
  // The start-up notice may arrive after the first frame (with `startup`): shown when it does.
  const [noticeShown, setNoticeShown] = useState(props.notice);
  if (props.notice !== noticeShown) {
    setNoticeShown(props.notice);
    if (props.notice !== undefined) setMessage({ text: props.notice, tone: 'info' });
  }
  const [logScroll, setLogScroll] = useState(0);

  const flash = useCallback((text: string | undefined) => setMessage(text === undefined ? undefined : { text, tone: 'info' }), []);
  const field = useRef<FieldEditor | undefined>(undefined);
  const context = useMemo<CommandsContextValue>(() => ({ registry, lang, flash, field }), [registry, lang, flash]);

  const runbooks = useMemo(() => control?.listRunbooks() ?? [], [control]);
  const runbookTitle = (id: string) => runbooks.find((r) => r.id === id)?.title[lang] ?? id;
  const keyOf = (id: string) => {
    const c = registry.find((x) => x.id === id);
    return c ? keyLabel(c.keys[0]!) : undefined;
  };

  const fleetPanes = useFleetPanes(props.fleetStores ?? NO_FLEET_STORES);
  const serviceFilter = fleetPanes.filters.services;
  const services = useMemo(
    () => sortWorstFirst(serviceFilter ? fleetSnap.services.filter((s) => serviceMatches(s, serviceFilter)) : fleetSnap.services),
    [fleetSnap.services, serviceFilter],
  );
  const found = services.findIndex((s) => s.name === selectedName);
  const selected = found === -1 ? 0 : found;
  const selectedService: ServiceHealth | undefined = services[selected];
  const latestRun = latestOf(runsSnap.runs);
  const currentRun = runId ? runsSnap.runs.find((r) => r.runId === runId) : undefined;

  // The approval form's view state; its keys join the handlers below (screen 'approval').
  const approval = useApprovalForm({
    // Another console's run is watched, never answered from here.
    run: view === 'run' && !currentRun?.observedBy ? currentRun : undefined,
    control,
    readOnly,
    suspended: overlay !== null,
    lang,
    now,
    ask: (question, onYes) => setOverlay({ kind: 'confirm', question, onYes }),
  });
  const approvalNotice = currentRun ? approval.noticeFor(currentRun.runId)?.[lang] : undefined;

  const barMessage: BarMessage | undefined = overlay?.kind === 'confirm' ? { text: overlay.question, tone: 'question' } : message;
  // A long message wraps onto up to 3 lines (2 below 16 rows); the body gives them up meanwhile.
  const barLines = messageLines(barMessage, width, height < 16 ? 2 : 3).length;
  const bodyHeight = height - 1 - 2 - barLines; // root is rows-1 high; header, message bar, footer
  const layout = runLayout(bodyHeight, currentRun, approvalNotice !== undefined);

  /** A host-level runbook (L3) targets the selected service's host; the others the service. */
  const targetFor = (runbookId: string, target: string): string => {
    const service = fleetSnap.services.find((s) => s.name === target);
    const kind = runbooks.find((r) => r.id === runbookId)?.targetKind;
    if (service && kind === 'host') return service.host;
    return target;
  };

  /**
   * Starting a run on a healthy target asks first (issue 12 item 12): a stray `1` must not
   * restart a service that answers. A host target is healthy when every service on it is UP.
   * Dry runs run nothing and never ask.
   */
  const unlessUp = (runbookId: string, target: string, go: () => void) => {
    // A runbook that does not fit the target is refused with the reason: nothing to ask about.
    const fitting = runbooks.find((r) => r.id === runbookId)?.targets;
    if (fitting && !fitting.includes(target)) return go();
    const own = fleetSnap.services.filter((s) => s.name === target);
    const onHost = own.length > 0 ? own : fleetSnap.services.filter((s) => s.host === target);
    if (onHost.length === 0 || onHost.some((s) => s.state !== 'UP')) return go();
    setOverlay({ kind: 'confirm', question: t(lang, 'start.upConfirm', { target, runbook: runbookTitle(runbookId) }), onYes: go });
  };

  const startRun = (runbookId: string, target: string, dryRun = false) => {
    if (dryRun) return launch(runbookId, target, true);
    unlessUp(runbookId, target, () => launch(runbookId, target, false));
  };

  const launch = (runbookId: string, target: string, dryRun: boolean) => {
    if (!control) {
      setMessage({ tone: 'error', text: t(lang, 'start.readOnly') });
      return;
    }
    settle<StartResult>(
      () => control.start(runbookId, target, { dryRun }),
      (result) => {
        if (result.ok) {
          setRunId(result.runId);
          setView('run');
          setLogScroll(0);
        } else {
          setMessage({ tone: 'error', text: t(lang, 'start.failed', { runbook: runbookTitle(runbookId), target, error: result.error }) });
        }
      },
      (err) => ({ ok: false, error: err.message }),
    );
  };

  const requestQuit = () => {
    // Runs seen by a read-only console belong to other sessions, and those of a console attached
    // to a server belong to the server: leaving does not affect them.
    const active = !readOnly && !props.link && runsSnap.runs.some((r) => r.state === 'running' && !r.observedBy);
    if (active) setOverlay({ kind: 'confirm', question: t(lang, 'quit.confirm'), onYes: () => onExit(0) });
    else onExit(0);
  };

  const injectFault = (index: number) => {
    const name = DEMO_FAULTS[index];
    setOverlay(null);
    if (!demo || !name) return;
    setMessage({ tone: 'info', text: t(lang, 'fault.injecting', { name }) });
    Promise.resolve()
      .then(() => demo.inject(name))
      .then(
        () => setMessage({ tone: 'info', text: name === 'clear' ? t(lang, 'fault.cleared') : t(lang, 'fault.injected', { name }) }),
        (err: unknown) =>
          setMessage({ tone: 'error', text: t(lang, 'fault.error', { name, error: err instanceof Error ? err.message : String(err) }) }),
      );
  };

  const logPage = Math.max(1, layout.logRows - 1);
  const scrollLog = (delta: number) => {
    if (!runId) return;
    setLogScroll((prev) => {
      const wanted = Math.max(0, prev + delta);
      const available = runs.getOutput(runId, wanted + layout.logRows).length;
      return Math.min(wanted, Math.max(0, available - layout.logRows));
    });
  };
  const moveFault = (delta: number) =>
    setOverlay((prev) =>
      prev?.kind === 'fault-menu' ? { kind: 'fault-menu', index: Math.max(0, Math.min(DEMO_FAULTS.length - 1, prev.index + delta)) } : prev,
    );

  // Functional updates: a burst of key presses (key repeat) arrives before the next render.
  const moveSelection = (delta: number) =>
    setSelectedName((prev) => {
      const at = services.findIndex((s) => s.name === prev);
      const next = services[Math.max(0, Math.min(services.length - 1, (at === -1 ? 0 : at) + delta))];
      return next ? next.name : prev;
    });

  // A function: the screens it reads from are set up further down; it is called after they are.
  const helpOf = (): HelpOf => ops.screen === 'checklists' || ops.screen === 'checklist' || ops.screen === 'incident' ? ops.screen : picker.screen === 'runbooks' || picker.screen === 'runbook-form' ? picker.screen : view === 'run' && approval.active ? 'approval' : view;
  const scrollHelp = (delta: number) =>
    setOverlay((prev) => (prev?.kind === 'help' ? { kind: 'help', top: Math.max(0, Math.min(helpMaxTop(registry, helpOf(), commandState, bodyHeight, width, lang), prev.top + delta)) } : prev));

  const handlers: CommandHandlers = {
    help: () => setOverlay({ kind: 'help', top: 0 }),
    quit: requestQuit,

    // Up/down move in the focused pane; services keep their own selection (the 1/2/3 target).
    'select.up': () => fleetPanes.move(-1) || moveSelection(-1),
    'select.down': () => fleetPanes.move(1) || moveSelection(1),
    'list.pageUp': () => fleetPanes.move(-Math.max(1, bodyHeight - 8)) || moveSelection(-Math.max(1, bodyHeight - 8)),
    'list.pageDown': () => fleetPanes.move(Math.max(1, bodyHeight - 8)) || moveSelection(Math.max(1, bodyHeight - 8)),
    'pane.next': () => fleetPanes.next(),
    'filter.start': () => fleetPanes.startFilter(),
    'filter.apply': () => fleetPanes.applyFilter(),
    'filter.clear': () => fleetPanes.clearFilter(),
    'runbook.recommended': () => {
      const rec = fleetSnap.recommendation;
      if (rec) startRun(rec.runbook, rec.target);
    },
    'runbook.l1': () => selectedService && startRun(LEVEL_RUNBOOKS.l1, targetFor(LEVEL_RUNBOOKS.l1, selectedService.name)),
    'runbook.l2': () => selectedService && startRun(LEVEL_RUNBOOKS.l2, targetFor(LEVEL_RUNBOOKS.l2, selectedService.name)),
    'runbook.l3': () => selectedService && startRun(LEVEL_RUNBOOKS.l3, targetFor(LEVEL_RUNBOOKS.l3, selectedService.name)),
    'runbook.dryrun': () => selectedService && startRun(LEVEL_RUNBOOKS.l1, targetFor(LEVEL_RUNBOOKS.l1, selectedService.name), true),
    'run.open': () => {
      if (!latestRun) return;
      setRunId(latestRun.runId);
      setView('run');
      setLogScroll(0);
    },
    'demo.fault': () => setOverlay({ kind: 'fault-menu', index: 0 }),
    'device.unisolate': () => {
      const isolation = props.fleetStores?.isolation;
      const { devices } = fleetPanes.unisolateTargets();
      if (!isolation || devices.length === 0) return;
      const names = (ids: string[]) => (ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} +${ids.length - 3}`);
      settle<{ ok: true; released: string[] } | { ok: false; error: string }>(
        () => isolation.unisolate(devices, operator),
        (result) =>
          setMessage(
            result.ok
              ? { tone: 'info', text: t(lang, 'unisolate.done', { n: result.released.length, names: names(result.released) }) }
              : { tone: 'error', text: t(lang, 'unisolate.error', { error: result.error }) },
          ),
        (err) => ({ ok: false, error: err.message }),
      );
    },

    'run.cancel': () => {
      // Read the store, not the last render: the run may have ended since the frame was drawn.
      const run = runs.getSnapshot().runs.find((r) => r.runId === runId);
      if (!run || !control) return;
      if (run.state !== 'running') {
        flash(t(lang, 'reason.runEnded'));
        return;
      }
      setOverlay({
        kind: 'confirm',
        question: t(lang, 'cancel.confirm', { runbook: run.title[lang], target: run.target }),
        // Refused by a server (the run ended meanwhile, a missing role): said in the message bar.
        onYes: () => settle<void>(() => control.cancel(run.runId), () => undefined, (err) => setMessage({ tone: 'error', text: err.message })),
      });
    },
    'run.confirm': () => {
      const run = currentRun;
      if (!run || !control) return;
      settle<void>(() => control.confirm(run.runId), () => undefined, (err) => setMessage({ tone: 'error', text: err.message }));
    },
    'run.escalate': () => {
      const run = currentRun;
      if (run?.escalateTo) startRun(run.escalateTo, targetFor(run.escalateTo, run.target));
    },
    'run.resume': () => {
      const run = currentRun;
      if (!run?.resumeAt || !control?.resume) return;
      const resume = control.resume.bind(control);
      settle<StartResult>(
        () => resume(run.runId),
        (result) => {
          if (result.ok) {
            setRunId(result.runId);
            setLogScroll(0);
          } else setMessage({ tone: 'error', text: t(lang, 'resume.failed', { error: result.error }) });
        },
        (err) => ({ ok: false, error: err.message }),
      );
    },
    'run.back': () => setView('dashboard'),
    'log.up': () => scrollLog(logPage),
    'log.down': () => scrollLog(-logPage),

    'help.close': () => setOverlay(null),
    'help.up': () => scrollHelp(-1),
    'help.down': () => scrollHelp(1),
    'help.pageUp': () => scrollHelp(-Math.max(1, bodyHeight - 3)),
    'help.pageDown': () => scrollHelp(Math.max(1, bodyHeight - 3)),

    'confirm.yes': () => {
      const o = overlay;
      setOverlay(null);
      if (o?.kind === 'confirm') o.onYes();
    },
    'confirm.no': () => setOverlay(null),

    'fault.up': () => moveFault(-1),
    'fault.down': () => moveFault(1),
    'fault.choose': () => overlay?.kind === 'fault-menu' && injectFault(overlay.index),
    'fault.number': (key) => injectFault(Number(key) - 1),
    'fault.close': () => setOverlay(null),

    'alert.detail': () => {
      const a = fleetPanes.focus === 'alerts' ? fleetPanes.filtered.alerts[fleetPanes.cursors.alerts] : undefined;
      if (a) setOverlay({ kind: 'alert-detail', key: a.key, top: 0 });
    },
    'alertDetail.close': () => setOverlay(null),
    'alertDetail.up': () => setOverlay((prev) => (prev?.kind === 'alert-detail' ? { ...prev, top: Math.max(0, prev.top - 1) } : prev)),
    'alertDetail.down': () => setOverlay((prev) => (prev?.kind === 'alert-detail' ? { ...prev, top: prev.top + 1 } : prev)),

    ...approval.handlers,
  };

  // Checklist and incident screens: they take over the body and the keys while shown.
  const ops = useOpsRoutes({
    ...props.ops,
    readOnly,
    lang,
    now,
    width,
    height: bodyHeight,
    flash: setMessage,
    currentRun: view === 'run' ? currentRun : undefined,
    followUpChecklist: view === 'run' && currentRun ? runbooks.find((r) => r.id === currentRun.runbook)?.checklist : undefined,
    runs: runsSnap.runs,
    selectedTarget: selectedService?.name,
    quietStart: props.notice !== undefined,
  });
  Object.assign(handlers, ops.handlers);

  // The runbook picker (b) and its parameter form: any runbook on the selected service or host.
  const picker = useRunbookRoutes({
    control,
    runbooks,
    lang,
    width,
    height: bodyHeight,
    selection:
      fleetPanes.focus === 'hosts'
        ? { host: fleetPanes.filtered.hosts[fleetPanes.cursors.hosts]?.name }
        : selectedService
          ? { service: selectedService.name, host: selectedService.host }
          : {},
    services: fleetSnap.services,
    hosts: [...new Set([...(fleetPanes.hosts?.hosts ?? []).map((h) => h.name), ...fleetSnap.services.map((s) => s.host)])],
    flash: setMessage,
    confirmStart: unlessUp,
    onStarted: (id) => {
      setRunId(id);
      setView('run');
      setLogScroll(0);
    },
  });
  Object.assign(handlers, picker.handlers);
  // A passphrase question takes the keys while it is open (Enter answers, Esc declines).
  if (passRequest && props.passphrase) {
    const prompts = props.passphrase;
    handlers['prompt.submit'] = () => {
      const v = passValue;
      setPassValue('');
      prompts.answer(v);
    };
    handlers['prompt.cancel'] = () => {
      setPassValue('');
      prompts.answer(undefined);
    };
  }

  // Acknowledge, silence, maintenance (R-MON-3).
  const alertActions = {
    control: readOnly ? undefined : props.fleetStores?.alertControl,
    alerts: fleetPanes.alerts,
    alert: fleetPanes.focus === 'alerts' ? fleetPanes.filtered.alerts[fleetPanes.cursors.alerts] : undefined,
    service: fleetPanes.focus === 'services' ? selectedService : undefined,
    now,
  };
  Object.assign(
    handlers,
    alertActionHandlers({ ...alertActions, lang, ask: ops.ask, closeAsk: ops.closeAsk, confirm: (question, onYes) => setOverlay({ kind: 'confirm', question, onYes }), message: setMessage }),
  );

  const commandState: CommandState = {
    readOnly,
    demo: demo !== undefined,
    hasRecommendation: fleetSnap.recommendation !== undefined,
    selectedService: selectedService?.name,
    hasRuns: runsSnap.runs.length > 0,
    run:
      view === 'run' && currentRun
        ? { state: currentRun.state, promptKind: currentRun.prompt?.kind, escalateTo: currentRun.escalateTo, observed: currentRun.observedBy !== undefined, resumable: currentRun.resumeAt !== undefined && control?.resume !== undefined }
        : undefined,
    approval: approval.active ? approval.commandState : undefined,
    ops: ops.state,
    runbooks: picker.state,
    panes: fleetPanes.present.length,
    focus: fleetPanes.focus,
    alertSelected: fleetPanes.focus === 'alerts' && fleetPanes.filtered.alerts[fleetPanes.cursors.alerts] !== undefined,
    unisolate: props.fleetStores?.isolation ? (({ focus, devices }) => ({ focus, devices: devices.length }))(fleetPanes.unisolateTargets()) : undefined,
    starting: props.starting,
    alerting: alertingState(alertActions),
  };

  const screen: CommandScreen = passRequest
    ? 'prompt'
    : overlay?.kind ?? ops.screen ?? picker.screen ?? (view === 'run' && approval.active ? 'approval' : view === 'dashboard' && fleetPanes.editing ? 'filter' : view);

  let body;
  if (passRequest) {
    body = <PassphrasePrompt request={passRequest} value={passValue} onChange={setPassValue} lang={lang} width={width} height={bodyHeight} />;
  } else if (overlay?.kind === 'help') {
    body = <HelpScreen of={helpOf()} state={commandState} width={width} height={bodyHeight} top={overlay.top} />;
  } else if (ops.body) {
    body = ops.body;
  } else if (picker.body) {
    body = picker.body;
  } else if (overlay?.kind === 'alert-detail') {
    // Live: the alert as the store has it now (it may resolve or get more notifications meanwhile).
    const a = fleetPanes.alerts?.alerts.find((x) => x.key === overlay.key);
    body = a ? (
      <AlertDetail alert={a} now={now} lang={lang} width={width} height={bodyHeight} top={overlay.top} />
    ) : (
      <Text>{lang === 'ko' ? '이 알림은 더 이상 목록에 없습니다' : 'this alert is no longer listed'}</Text>
    );
  } else if (overlay?.kind === 'fault-menu') {
    body = <FaultMenu selected={overlay.index} lang={lang} width={width} height={bodyHeight} />;
  } else if (view === 'run') {
    const tail = currentRun && layout.logRows > 0 ? runs.getOutput(currentRun.runId, layout.logRows + logScroll) : [];
    const output = tail.slice(0, Math.max(0, tail.length - logScroll)).slice(-layout.logRows);
    const escalateLevel = currentRun?.escalateTo ? runbooks.find((r) => r.id === currentRun.escalateTo)?.level : undefined;
    body = (
      <RunScreen
        run={currentRun}
        output={output}
        scroll={logScroll}
        layout={layout}
        escalateLevel={escalateLevel}
        escalateKey={keyOf('run.escalate')}
        confirmKey={keyOf('run.confirm')}
        escalateTitle={currentRun?.escalateTo ? runbookTitle(currentRun.escalateTo) : undefined}
        escalateTarget={currentRun?.escalateTo ? targetFor(currentRun.escalateTo, currentRun.target) : undefined}
        approval={approval.model}
        approvalKeys={{ submit: keyOf('approval.submit'), cancel: keyOf('approval.cancel'), reissue: keyOf('approval.reissue') }}
        notice={approvalNotice}
        now={now}
        lang={lang}
        width={width}
        height={bodyHeight}
      />
    );
  } else {
    body = (
      <Dashboard
        fleet={fleetSnap}
        services={services}
        selected={selected}
        latestRun={latestRun}
        runbookTitle={runbookTitle}
        runStateLabel={(r) =>
          r.observedBy && r.state === 'running'
            ? t(lang, 'observed.inProgress', { level: r.level, operator: r.observedBy.operator, since: formatClock(r.observedBy.since).slice(0, 5) })
            : r.dryRun
              ? r.state === 'success'
                ? t(lang, 'rec.dryRunDone')
                : t(lang, 'rec.dryRunState', { state: runStateLabel(lang, r.state) })
              : runStateLabel(lang, r.state)
        }
        startKey={keyOf('runbook.recommended')}
        openKey={keyOf('run.open')}
        now={now}
        lang={lang}
        configPath={configPath}
        width={width}
        height={bodyHeight}
        fleetPanes={fleetPanes}
        allServices={fleetSnap.services.length}
      />
    );
  }


  return (
    <CommandsContext.Provider value={context}>
      <KeyInput screen={screen} handlers={handlers} state={commandState} captureText={(screen === 'approval' && approval.captureText) || screen === 'prompt' || screen === 'filter' || (screen === 'runbook-form' && picker.captureText)} />
      <Box flexDirection="column" width={width} height={height - 1} overflow="hidden">
        <Header
          lang={lang}
          operator={operator}
          configPath={configPath}
          now={now}
          timeScale={fleetSnap.timeScale}
          readOnly={readOnly}
          link={props.link?.getSnapshot()}
          width={width}
          clockMinutes={props.clockMinutes}
        />
        <Box height={bodyHeight} width={width} overflow="hidden" flexDirection="column">
          {body}
        </Box>
        <MessageBar message={barMessage} width={width} max={barLines} />
        <Box width={width} height={1} overflow="hidden">
          <Footer screen={screen} state={commandState} width={width} />
        </Box>
      </Box>
    </CommandsContext.Provider>
  );
}

/** The one input hook, mounted inside the provider so it can read the registry. */
function KeyInput({ screen, handlers, state, captureText }: { screen: CommandScreen; handlers: CommandHandlers; state: CommandState; captureText: boolean }) {
  useCommands(screen, handlers, state, true, captureText);
  return null;
}
