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
import { sanitizeLine, truncate } from '../shared/text';

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

export function panelHeight(state: ApprovalPanelState, height: number): number {
  if (!state.shown) return state.message ? 1 : 0;
  const want = 7 + state.shown.plan.length;
  return Math.max(0, Math.min(want, Math.floor(height / 2)));
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
  const plan = p.plan.slice(0, planRoom);
  const hidden = p.plan.length - plan.length;
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
      {plan.map((line, i) => (
        <Text key={i} wrap="truncate">
          {truncate(`  ${sanitizeLine(line)}`, inner)}
        </Text>
      ))}
      {hidden > 0 ? <Text dimColor>{truncate(`  … ${hidden} more line(s): make the terminal taller to read them all`, inner)}</Text> : null}
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
  const below = panelHeight(state, props.height);
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
