// An SSH session's console (R-SSH-2): the operator console, and under it, for an approver, each
// approval another operator is waiting for — the exact plan (R-APR-8), who asked, the target, the
// step — approved with one key press. Keys go to the panel while it shows (the session routes
// them, src/server/ssh-session.ts); Esc hands them back to the console.
import { useCallback, useSyncExternalStore } from 'react';
import { Box, Text } from 'ink';
import { App, type AppProps } from '../app';
import type { Store } from '../../src/core/store';
import type { PendingApproval } from '../../src/operators/approval-board';
import { mountFullScreen, type FullScreenHandle, type FullScreenStreams } from '../shared/full-screen';
import { displayWidth, planLineRows, sanitizeLine, truncate } from '../shared/text';

export interface ApprovalPanelState {
  /** The approval shown, if any (the oldest this approver has not hidden). */
  shown?: PendingApproval;
  /** How many more wait behind it. */
  more: number;
  /** The answer to the last key press (approved, refused and why). */
  message?: { text: string; ok: boolean };
  approver: string;
}

function useStore<S>(store: Store<S>): S {
  const subscribe = useCallback((cb: () => void) => store.subscribe(cb), [store]);
  const get = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, get, get);
}

/** The plan as the panel draws it at `width` columns: every line whole, wrapped (planLineRows). */
export function panelPlanRows(plan: readonly string[], width: number): string[] {
  const inner = Math.max(1, width - 4);
  return plan.flatMap((line) => planLineRows(sanitizeLine(line), inner));
}

export function panelHeight(state: ApprovalPanelState, height: number, width: number): number {
  if (!state.shown) return state.message ? 1 : 0;
  const want = 7 + panelPlanRows(state.shown.plan, width).length;
  return Math.max(0, Math.min(want, Math.floor(height / 2)));
}

/** Rows of the plan the panel cannot show whole on a `width` × `height` terminal (0: all of it is on screen). */
export function panelPlanUnseen(state: ApprovalPanelState, height: number, width: number): number {
  if (!state.shown) return 0;
  const rows = panelPlanRows(state.shown.plan, width);
  const room = Math.max(0, panelHeight(state, height, width) - 7);
  const inner = Math.max(1, width - 4);
  return Math.max(0, rows.length - room) + rows.slice(0, room).filter((r) => displayWidth(r) > inner).length;
}

export function ApprovalPanel({ state, width, height }: { state: ApprovalPanelState; width: number; height: number }) {
  const p = state.shown;
  const inner = Math.max(1, width - 4);
  if (!p) {
    return state.message ? (
      <Text color={state.message.ok ? 'green' : 'red'} wrap="truncate">
        {truncate(state.message.text, width)}
      </Text>
    ) : null;
  }
  const planRoom = Math.max(0, height - 7);
  const rows = panelPlanRows(p.plan, width);
  const plan = rows.slice(0, planRoom);
  const hidden = rows.length - plan.length;
  const stepText = p.steps === 2 ? `step ${p.step} of 2` : 'approval';
  const waiting = p.phase === 'waiting';
  return (
    <Box flexDirection="column" borderStyle="double" borderColor="yellow" width={width} height={height} paddingX={1} overflow="hidden">
      <Text bold color="yellow" wrap="truncate">
        {truncate(`APPROVAL REQUESTED — ${p.title} on ${p.target}${p.host && p.host !== p.target ? ` (host ${p.host})` : ''} · ${stepText}${state.more ? ` · ${state.more} more waiting` : ''}`, inner)}
      </Text>
      <Text wrap="truncate">
        {truncate(`requested by ${p.requester} · policy ${p.requirement}${p.step1 ? ` · step 1 approved by ${p.step1.name}${p.step1.identity ? ` (${p.step1.identity})` : ''}` : ''}`, inner)}
      </Text>
      <Text dimColor wrap="truncate">
        {truncate(`Plan (exactly what will run, run ${p.runId}):`, inner)}
      </Text>
      {plan.map((row, i) => (
        <Text key={i} wrap="truncate">
          {truncate(row, inner)}
        </Text>
      ))}
      {hidden > 0 ? <Text dimColor>{truncate(`  … ${hidden} more row(s): make the terminal taller to read them all`, inner)}</Text> : null}
      {state.message ? (
        <Text color={state.message.ok ? 'green' : 'red'} wrap="truncate">
          {truncate(state.message.text, inner)}
        </Text>
      ) : null}
      <Text bold wrap="truncate">
        {truncate(waiting ? `Step 2 opens in ${p.waitRemainingS ?? '…'} s (the enforced wait) · Esc hide` : `a approve as ${state.approver} (your SSH key) · Esc hide`, inner)}
      </Text>
    </Box>
  );
}

function SshConsole(props: { app: Omit<AppProps, 'onExit' | 'width' | 'height'>; panel: Store<ApprovalPanelState>; width: number; height: number; onExit(code: number): void }) {
  const state = useStore(props.panel);
  const below = panelHeight(state, props.height, props.width);
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <App {...props.app} width={props.width} height={props.height - below} onExit={props.onExit} />
      {below > 0 ? <ApprovalPanel state={state} width={props.width} height={below} /> : null}
    </Box>
  );
}

export function startSshConsole(app: Omit<AppProps, 'onExit' | 'width' | 'height'>, panel: Store<ApprovalPanelState>, streams: FullScreenStreams): FullScreenHandle {
  return mountFullScreen(({ width, height }, onExit) => <SshConsole app={app} panel={panel} width={width} height={height} onExit={onExit} />, streams, undefined, { maxFps: 60 });
}
