// The run screen's keys: cancel, confirm, escalate, resume, back, the log, and the run's checklist
// and incident.
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { localized } from '../i18n/catalog';
import { L, needsControl, needsOwnRun } from './common';

export const runCommands: readonly Command[] = [
  // run screen
  {
    id: 'run.cancel',
    keys: ['c'],
    screen: 'run',
    dangerous: true,
    footerRank: 1,
    label: L('cancel', '취소'),
    description: L('Cancel the run (asks first; ends the remote command)', '실행 취소 (먼저 확인, 원격 명령 종료)'),
    hideWhenDisabled: true,
    disabledReason: (s) => needsOwnRun(s) ?? (s.run?.state === 'running' ? undefined : localized('reason.runEnded')),
  },
  {
    id: 'run.confirm',
    keys: ['enter'],
    screen: 'run',
    dangerous: true,
    footerRank: 1,
    label: L('confirm', '확인'),
    description: L('Answer the confirmation the run is waiting for', '실행이 기다리는 확인에 응답'),
    hideWhenDisabled: true,
    disabledReason: (s) => needsOwnRun(s) ?? (s.run?.promptKind === 'confirm' ? undefined : localized('reason.noConfirm')),
  },
  {
    id: 'run.escalate',
    keys: ['e'],
    screen: 'run',
    dangerous: true,
    footerRank: 1,
    label: L('escalate', '에스컬레이션'),
    description: L('After a failure: start the next level on the same target', '실패 후: 같은 대상에 다음 단계 실행'),
    hideWhenDisabled: true,
    disabledReason: (s) =>
      needsOwnRun(s) ?? (s.run?.state === 'failed' && s.run.escalateTo ? undefined : localized('reason.noEscalation')),
  },
  {
    id: 'run.resume',
    keys: ['r'],
    screen: 'run',
    dangerous: true,
    footerRank: 1,
    label: L('resume', '이어서'),
    description: L(
      'Interrupted run: start a new run from the step it stopped in (marked resumable); approval is asked again',
      '중단된 실행: 멈춘 단계(재개 가능 표시)부터 새 실행 시작, 승인은 다시 받음',
    ),
    hideWhenDisabled: true,
    // Interrupted runs are replayed as observed runs; resuming starts a new run of this console.
    disabledReason: (s) => needsControl(s) ?? (s.run?.state === 'interrupted' && s.run.resumable ? undefined : localized('reason.notResumable')),
  },
  {
    id: 'run.back',
    keys: ['esc', 'b', 'q'],
    screen: 'run',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back to the dashboard (the run goes on)', '대시보드로 (실행은 계속됨)'),
  },
  {
    id: 'log.up',
    keys: ['pgup'],
    screen: 'run',
    dangerous: false,
    group: 'log',
    label: L('scroll', '스크롤'),
    description: L('Scroll the output up', '출력 위로 스크롤'),
  },
  {
    id: 'log.down',
    keys: ['pgdn'],
    screen: 'run',
    dangerous: false,
    group: 'log',
    label: L('scroll', '스크롤'),
    description: L('Scroll the output down', '출력 아래로 스크롤'),
  },
  {
    id: 'run.checklist',
    keys: ['l'],
    screen: 'run',
    dangerous: true,
    footerRank: 1,
    hideWhenDisabled: true,
    label: L('post-recovery checklist', '복구 후 체크리스트'),
    description: L('After a successful recovery: open the post-recovery checklist (timed from the success)', '복구 성공 후: 복구 후 체크리스트 열기 (성공 시각 기준)'),
    disabledReason: (s) => needsControl(s) ?? (s.run?.state === 'success' && !s.run.observed ? undefined : localized('reason.notRecovered')),
  },
  {
    id: 'run.incident',
    keys: ['i'],
    screen: 'run',
    dangerous: false,
    footerRank: 3,
    label: L('incident', '인시던트'),
    description: L("Show this run's incident with its clocks and timeline", '이 실행의 인시던트, 시간 목표, 타임라인 보기'),
  },
];
