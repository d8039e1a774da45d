// Every key of the console is declared once: in one file per screen beside this one (dashboard.ts,
// run.ts, approval.ts, runbooks.ts, checklist.ts, incident.ts, overlays.ts, …), assembled here into
// `commands`. The footers, the `?` help screen and the input hook (screens/shared/use-commands.tsx)
// are all generated from this list, so a key cannot be shown in one place and bound differently in
// another. No React/Ink here: only data and matching.
import type { Lang, Localized, RunPrompt, RunState } from '../core/views';
import { globalCommands } from './global';
import { dashboardCommands } from './dashboard';
import { runCommands } from './run';
import { watchCommands } from './watch';
import { approvalCommands } from './approval';
import { overlayCommands } from './overlays';
import { runbooksCommands } from './runbooks';
import { checklistCommands } from './checklist';
import { incidentCommands } from './incident';

/** Screens that own keys. Overlays (help, yes/no prompt, fault menu) take over input completely. */
export type CommandScreen = 'global' | 'dashboard' | 'run' | 'help' | 'confirm' | 'fault-menu' | 'watch' | 'approval' | 'filter' | 'checklists' | 'checklist' | 'incident' | 'escalation' | 'prompt' | 'runbooks' | 'runbook-form' | 'alert-detail';

/** What commands need to know to say whether they apply right now. */
export interface CommandState {
  readOnly: boolean;
  demo: boolean;
  hasRecommendation: boolean;
  selectedService?: string;
  hasRuns: boolean;
  /** The run shown on the run screen, if any. */
  run?: { state: RunState; promptKind?: RunPrompt['kind']; escalateTo?: string; observed?: boolean; resumable?: boolean };
  /** The approval form, while the run shown waits for approval (screen 'approval'). */
  approval?: ApprovalCommandState;
  /** Dashboard panes shown (services, alerts, nodes, hosts); Tab moves between them when > 1. */
  panes?: number;
  /** The dashboard pane with the focus: the help says what its keys do there. */
  focus?: 'services' | 'alerts' | 'nodes' | 'hosts';
  /** The alerts pane has the focus and an alert is under its cursor: Enter opens its detail. */
  alertSelected?: boolean;
  /** Present when isolated devices can be put back: what the focused row would un-isolate. */
  unisolate?: { focus: 'nodes' | 'alerts' | 'other'; devices: number };
  /** The first frame is up but the engine, checklists and incidents are still being built. */
  starting?: boolean;
  /** Present when this console can acknowledge, silence and start maintenance (R-MON-3). */
  alerting?: AlertingCommandState;
  /** Checklist and incident screens (R-CHK, R-INC). */
  ops?: OpsCommandState;
  /** The runbook picker and its parameter form. */
  runbooks?: RunbooksCommandState;
}

export interface AlertingCommandState {
  /** The alert under the cursor, when the alerts pane has the focus. */
  alert?: { firing: boolean; acknowledged: boolean; silenced: boolean };
  /** The service selected, when the services pane has the focus. */
  service?: { maintenance: boolean };
}

export interface RunbooksCommandState {
  /** The picker knows the selected service or host, so `a` switches between its runbooks and all. */
  canScope?: boolean;
  /** The focused form field: typed text, a fixed list, or a list the target prints. */
  field?: 'text' | 'list' | 'listed';
  /** A listing is still on its way from the target. */
  loading?: boolean;
}

export interface OpsCommandState {
  /** The checklist item under the cursor. */
  item?: { signed: boolean; failing: boolean };
  /** The incident shown is open (can be closed, re-rated). */
  incidentOpen?: boolean;
}

export interface ApprovalCommandState {
  /** Text fields of the current phase (0 during the L3 wait and on the summary). */
  fields: number;
  /** The one-time code is void (3 wrong tries or expired): only a new code helps. */
  codeVoid: boolean;
  /** L3's enforced 30 s wait: nothing but cancel works. */
  waiting: boolean;
  /** Plan lines never yet on screen; the answer is refused until the whole plan has been shown. */
  planUnread?: number;
  /** Enter would send the answer now (last field, or a phase without fields). */
  atAnswer?: boolean;
  /** The plan is longer than the rows it gets: PgUp/PgDn and the arrows scroll it. */
  planScrolls?: boolean;
}

export interface Command<S = CommandState> {
  id: string;
  /** Key names, first one shown in the footer: 'r', 'up', 'enter', 'esc', 'pgup', 'ctrl+c'. */
  keys: string[];
  /** Long text for the help screen. */
  description: Localized;
  /** Short text for the footer. */
  label: Localized;
  /** Starts, stops or changes something on the fleet: read-only consoles drop it. */
  dangerous: boolean;
  screen: CommandScreen;
  /** Commands with the same group share one footer entry ("↑↓ select"). */
  group?: string;
  /** Footer priority when space runs out: lower stays longer (default 5). */
  footerRank?: number;
  /** Leave it out of the footer while disabled (its key still says why); help lists it anyway. */
  hideWhenDisabled?: boolean;
  /** False hides the command entirely (e.g. fault injection outside demo mode). */
  available?(state: S): boolean;
  /** Set when the command applies to this screen but not now; pressing its key flashes this. */
  disabledReason?(state: S): Localized | undefined;
  /** A footer label for the current state, instead of `label` (e.g. what is still to read). */
  footerLabel?(state: S): Localized | undefined;
  /** The help text for the current state, instead of `description` (e.g. for the focused pane). */
  helpText?(state: S): Localized | undefined;
}

export { LEVEL_RUNBOOKS, DEMO_FAULTS, type DemoFault } from './common';

/** Every command, assembled from one file per screen (a screen's own order is its footer/help order). */
export const commands: readonly Command[] = [
  ...globalCommands,
  ...dashboardCommands,
  ...runCommands,
  ...watchCommands,
  ...approvalCommands,
  ...overlayCommands,
  ...runbooksCommands,
  ...checklistCommands,
  ...incidentCommands,
];

/** The registry a console gets: a read-only console (watch mode) has no dangerous command at all. */
export function registryFor(opts: { readOnly: boolean }): readonly Command[] {
  return opts.readOnly ? commands.filter((c) => !c.dangerous) : commands;
}

/** Main screens also take the global keys; overlays take only their own. */
export function screensOf(screen: CommandScreen): CommandScreen[] {
  return screen === 'dashboard' || screen === 'run' || screen === 'watch' || screen === 'approval' || screen === 'checklists' || screen === 'checklist' || screen === 'incident' || screen === 'runbooks' || screen === 'runbook-form'
    ? [screen, 'global']
    : [screen];
}

/** Commands that exist on this screen now (in footer/help order: the screen's own, then global). */
export function commandsFor<S>(registry: readonly Command<S>[], screen: CommandScreen, state: S): Command<S>[] {
  return screensOf(screen).flatMap((s) =>
    registry.filter((c) => c.screen === s && (c.available ? c.available(state) : true)),
  );
}

/** The subset of ink's Key we read; kept structural so this file needs no Ink import. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

/** Normalises one key press to the names used in `keys`, or undefined for pasted text. */
export function keyName(input: string, key: KeyFlags): string | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace) return 'backspace';
  if (key.delete) return 'delete';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  // Several characters at once is pasted text, never a command.
  if ([...input].length !== 1) return undefined;
  // Caps Lock must not turn `Y` into "not yes" or `Q` into "not quit".
  return input.toLowerCase();
}

/**
 * The keys of `command` that act on `screen`: a global command's key that the screen binds
 * itself (q backs out of every screen but the dashboard) is left out of its footer and help.
 */
export function keysShown<S>(registry: readonly Command<S>[], screen: CommandScreen, command: Command<S>, state: S): string[] {
  if (command.screen !== 'global' || screen === 'global') return command.keys;
  const own = new Set(commandsFor(registry, screen, state).filter((c) => c.screen === screen).flatMap((c) => c.keys));
  return command.keys.filter((k) => !own.has(k));
}

export function matchCommand<S>(
  registry: readonly Command<S>[],
  screen: CommandScreen,
  name: string | undefined,
  state: S,
): Command<S> | undefined {
  if (name === undefined) return undefined;
  return commandsFor(registry, screen, state).find((c) => c.keys.includes(name));
}

const KEY_LABELS: Record<string, string> = {
  ' ': 'Space',
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  enter: 'Enter',
  esc: 'Esc',
  pgup: 'PgUp',
  pgdn: 'PgDn',
  home: 'Home',
  end: 'End',
  tab: 'Tab',
  'shift+tab': 'Shift-Tab',
  backspace: 'Backspace',
  delete: 'Del',
};

/** How a key name is shown: 'up' → '↑', 'ctrl+c' → 'Ctrl-C'. */
export function keyLabel(name: string): string {
  if (KEY_LABELS[name]) return KEY_LABELS[name];
  if (name.startsWith('ctrl+')) return `Ctrl-${name.slice(5).toUpperCase()}`;
  return name;
}

export interface FooterItem {
  keys: string;
  label: string;
  disabled: boolean;
  /** Global items (help, quit) are the last to go when the footer is too wide. */
  global: boolean;
  /** Lower stays longer. */
  rank: number;
}

/** Footer entries for a screen: grouped commands merged ("↑↓ select"), ranges shortened ("1-7 pick"). */
export function footerItems<S>(registry: readonly Command<S>[], screen: CommandScreen, state: S, lang: Lang): FooterItem[] {
  const items: FooterItem[] = [];
  const groups = new Map<string, FooterItem>();
  for (const c of commandsFor(registry, screen, state)) {
    const disabled = c.disabledReason?.(state) !== undefined;
    if (disabled && c.hideWhenDisabled) continue;
    const shown = keysShown(registry, screen, c, state);
    if (shown.length === 0) continue;
    const first = shown[0]!;
    const keys = shown.length > 2 && shown.every((k) => /^\d$/.test(k)) ? `${shown[0]}-${shown[shown.length - 1]}` : keyLabel(first);
    const existing = c.group ? groups.get(c.group) : undefined;
    if (existing) {
      // Arrows read well together ("↑↓"); words need a separator ("PgUp/PgDn").
      const range = /^(\d)(?:-(\d))?$/.exec(existing.keys);
      const last = range ? Number(range[2] ?? range[1]) : NaN;
      if (/^\d$/.test(keys) && Number(keys) === last + 1) existing.keys = `${range![1]}-${keys}`;
      else existing.keys += ARROWS.has(keys) ? keys : `/${keys}`;
      existing.disabled = existing.disabled && disabled;
      continue;
    }
    const item: FooterItem = { keys, label: (c.footerLabel?.(state) ?? c.label)[lang], disabled, global: c.screen === 'global', rank: c.footerRank ?? 5 };
    if (c.group) groups.set(c.group, item);
    items.push(item);
  }
  return items;
}

const ARROWS = new Set(['↑', '↓', '←', '→']);

export const FOOTER_SEPARATOR = ' · ';
export const FOOTER_ELLIPSIS = '…';

export function footerItemText(item: FooterItem): string {
  return `${item.keys} ${item.label}`;
}

/**
 * Drops entries until the footer fits `width` columns: disabled screen entries first, then the
 * enabled ones of highest rank (the last of equal rank first), keeping help and quit to the end.
 * `measure` is the terminal width of a string.
 */
export function fitFooter(items: FooterItem[], width: number, measure: (s: string) => number): { items: FooterItem[]; truncated: boolean } {
  const total = (list: FooterItem[], truncated: boolean) =>
    list.reduce((w, it, i) => w + measure(footerItemText(it)) + (i > 0 ? measure(FOOTER_SEPARATOR) : 0), 0) +
    (truncated ? measure(FOOTER_SEPARATOR) + measure(FOOTER_ELLIPSIS) : 0);
  let kept = [...items];
  let truncated = false;
  const dropLast = (pred: (it: FooterItem) => boolean): boolean => {
    let victim = -1;
    for (let i = kept.length - 1; i >= 0; i--) {
      if (pred(kept[i]!) && (victim === -1 || kept[i]!.rank > kept[victim]!.rank)) victim = i;
    }
    if (victim === -1) return false;
    kept.splice(victim, 1);
    truncated = true;
    return true;
  };
  while (total(kept, truncated) > width) {
    if (dropLast((it) => !it.global && it.disabled)) continue;
    if (dropLast((it) => !it.global)) continue;
    if (dropLast(() => true)) continue;
    break;
  }
  return { items: kept, truncated };
}
