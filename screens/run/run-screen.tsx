// The run screen (R-RUN-4): title, steps with state and duration, the live output tail, then the
// final verdict or the prompt the run waits for.
import { Box, Text } from 'ink';
import type { Lang, OutputLine, RunState, RunView, StepState, StepView } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { displayWidth, fit, sanitizeLine, truncate } from '../shared/text';
import { formatDuration } from '../shared/format';
import type { RunLayout } from './layout';
import { ApprovalForm, type ApprovalFormKeys } from '../approval/approval-form';
import type { ApprovalFormModel } from '../approval/use-approval-form';

export const STEP_ICONS: Record<StepState, string> = {
  pending: '·',
  running: '▶',
  ok: '✓',
  failed: '✗',
  skipped: '−',
  cancelled: '⊘',
};

const STEP_COLORS: Partial<Record<StepState, string>> = {
  running: 'cyan',
  ok: 'green',
  failed: 'red',
  cancelled: 'yellow',
};

export function runStateLabel(lang: Lang, state: RunState): string {
  switch (state) {
    case 'running':
      return t(lang, 'run.running');
    case 'success':
      return t(lang, 'run.success');
    case 'failed':
      return t(lang, 'run.failed');
    case 'cancelled':
      return t(lang, 'run.cancelled');
    case 'interrupted':
      return t(lang, 'run.interrupted');
  }
}

const RUN_COLORS: Record<RunState, string> = {
  running: 'cyan',
  success: 'green',
  failed: 'red',
  cancelled: 'yellow',
  interrupted: 'yellow',
};

/** "── Output ─────" across the width. */
function rule(title: string, width: number): string {
  const head = truncate(`── ${title} `, width);
  return head + '─'.repeat(Math.max(0, width - displayWidth(head)));
}

export function stepDuration(step: StepView, now: Date): string {
  if (!step.startedAt) return '';
  const end = step.finishedAt ?? now;
  return formatDuration(end.getTime() - step.startedAt.getTime());
}

/** First step row shown: keeps the running (or first unfinished) step in view. */
function stepWindowStart(steps: StepView[], rows: number): number {
  if (steps.length <= rows) return 0;
  let focus = steps.findIndex((s) => s.state === 'running');
  if (focus === -1) focus = steps.findIndex((s) => s.state === 'failed');
  if (focus === -1) focus = steps.findIndex((s) => s.state === 'pending');
  if (focus === -1) focus = steps.length - 1;
  return Math.max(0, Math.min(focus - Math.floor(rows / 2), steps.length - rows));
}

export interface RunScreenProps {
  run?: RunView;
  /** Output tail, oldest first, already cut to the scroll position. */
  output: OutputLine[];
  scroll: number;
  layout: RunLayout;
  /** Level shown in "escalate to L2", looked up from the escalation runbook. */
  escalateLevel?: string;
  escalateKey?: string;
  confirmKey?: string;
  /** Title and target of the escalation runbook ("L2 Service Reset on doai-orchestrator"). */
  escalateTitle?: string;
  escalateTarget?: string;
  /** The approval form's state when this console can answer; without it the form is read-only. */
  approval?: ApprovalFormModel;
  approvalKeys?: ApprovalFormKeys;
  /** What the approval flow said when it ended the run (same approver, not yes). */
  notice?: string;
  now: Date;
  lang: Lang;
  width: number;
  height: number;
}

export function RunScreen({ run, output, scroll, layout, escalateLevel, escalateKey, confirmKey, escalateTitle, escalateTarget, approval, approvalKeys, notice, now, lang, width, height }: RunScreenProps) {
  if (!run) {
    return (
      <Box width={width} height={height}>
        <Text wrap="truncate">{t(lang, 'run.starting')}</Text>
      </Box>
    );
  }
  const titleWidth = Math.min(
    Math.max(10, ...run.steps.map((s) => displayWidth(s.title[lang]))),
    Math.max(10, width - 2 - 8 - 14),
  );
  const start = stepWindowStart(run.steps, layout.stepRows);
  const steps = run.steps.slice(start, start + layout.stepRows);

  if (run.prompt?.kind === 'approval') {
    // Nothing has run before approval: the form takes the whole screen under the title.
    const top = 1 + (run.dryRun ? 1 : 0);
    return (
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        <RunTitle run={run} lang={lang} width={width} />
        <ApprovalForm run={run} form={approval} keys={approvalKeys ?? {}} now={now} lang={lang} width={width} height={height - top} />
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <RunTitle run={run} lang={lang} width={width} />

      {steps.map((s) => (
        <Text key={s.id} wrap="truncate">
          <Text color={STEP_COLORS[s.state]}>{STEP_ICONS[s.state]}</Text> <Text dimColor={s.state === 'pending'}>{fit(s.title[lang], titleWidth)}</Text>{' '}
          {fit(stepDuration(s, now), 7, 'right')}
          {s.detail ? <Text color={s.state === 'failed' ? 'red' : undefined} dimColor={s.state !== 'failed'}>{`  ${s.detail}`}</Text> : null}
        </Text>
      ))}

      <Text bold dimColor wrap="truncate">
        {rule(scroll > 0 ? `${t(lang, 'run.log')} · ${t(lang, 'run.logScrolled', { lines: scroll })}` : t(lang, 'run.log'), width)}
      </Text>
      <Box flexDirection="column" height={layout.logRows} overflow="hidden">
        {output.length === 0 ? (
          <Text dimColor wrap="truncate">
            {t(lang, 'run.logEmpty')}
          </Text>
        ) : (
          output.map((o, i) =>
            o.stream === 'stderr' ? (
              <Text key={i} color="red" wrap="truncate">
                {truncate(`! ${sanitizeLine(o.line)}`, width)}
              </Text>
            ) : (
              <Text key={i} wrap="truncate">
                {truncate(`  ${sanitizeLine(o.line)}`, width)}
              </Text>
            ),
          )
        )}
      </Box>

      <FinalOrPrompt run={run} escalateLevel={escalateLevel} escalateKey={escalateKey} confirmKey={confirmKey} escalateTitle={escalateTitle} escalateTarget={escalateTarget} notice={notice} lang={lang} width={width} />
    </Box>
  );
}

function RunTitle({ run, lang, width }: { run: RunView; lang: Lang; width: number }) {
  return (
    <>
        <Text bold wrap="truncate">
          {truncate(
            t(lang, 'run.title', { runbook: run.title[lang], target: run.target, operator: run.operator }),
            Math.max(0, width - displayWidth(runStateLabel(lang, run.state)) - 3),
          )}
          {' · '}
          <Text color={RUN_COLORS[run.state]}>{runStateLabel(lang, run.state)}</Text>
        </Text>
        {run.dryRun ? (
          <Text color="yellow" wrap="truncate">
            {t(lang, 'run.dryRun')}
          </Text>
        ) : null}
    </>
  );
}

function FinalOrPrompt({ run, escalateLevel, escalateKey, confirmKey, escalateTitle, escalateTarget, notice, lang, width }: {
  run: RunView;
  escalateLevel?: string;
  escalateKey?: string;
  confirmKey?: string;
  escalateTitle?: string;
  escalateTarget?: string;
  notice?: string;
  lang: Lang;
  width: number;
}) {
  if (run.prompt?.kind === 'confirm') {
    return (
      <Box borderStyle="double" borderColor="yellow" paddingX={1} width={width} flexDirection="column" flexShrink={0}>
        <Text bold wrap="truncate">
          {truncate(run.prompt.message[lang], width - 4)}
        </Text>
        {confirmKey ? (
          <Text color="yellow" wrap="truncate">
            {t(lang, 'run.confirmHint', { key: confirmKey })}
          </Text>
        ) : null}
      </Box>
    );
  }
  if (run.state === 'running') return null;

  const parts: string[] = [];
  // The next step gets its own line: a long failure message must not push it off the screen.
  let next: string | undefined;
  let icon = '✓';
  if (run.state === 'success') parts.push(t(lang, 'run.success'));
  else if (run.state === 'failed') {
    icon = '✗';
    parts.push(t(lang, 'run.failed'));
    if (run.message) parts.push(withoutStatusMark(run.message));
    if (run.escalateTo && escalateKey)
      next = t(lang, 'run.escalateOffer', {
        from: run.level,
        key: escalateKey,
        runbook: escalateTitle ?? escalateLevel ?? run.escalateTo,
        target: escalateTarget ?? run.target,
      });
    else if (!run.escalateTo && !/manual inspection/i.test(run.message ?? '')) parts.push(t(lang, 'run.manualInspection'));
  } else {
    icon = '⊘';
    parts.push(runStateLabel(lang, run.state));
  }
  if (run.state !== 'failed' && run.message) parts.push(withoutStatusMark(run.message));
  next ??= notice;
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text color={RUN_COLORS[run.state]} bold wrap="truncate">
        {truncate(`${icon} ${parts.join(' — ')}`, width)}
      </Text>
      {next ? (
        <Text color="yellow" bold wrap="truncate">
          {truncate(next, width)}
        </Text>
      ) : null}
    </Box>
  );
}

/**
 * The seeds' result messages start with their own mark ("✅ L1 recovery succeeded"); the verdict
 * line already has one (✓, ✗), so a leading status mark is dropped rather than shown twice.
 */
export function withoutStatusMark(message: string): string {
  return message.replace(/^\s*(?:✅|✔️?|☑️?|❌|✖️?|⚠️?|🚨|🔴|🟢)\s*/u, '');
}
