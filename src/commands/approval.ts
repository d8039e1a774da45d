// The approval form's keys (the run screen while the run waits for approval).
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { localized } from '../i18n/catalog';
import { L, needsControl } from './common';

export const approvalCommands: readonly Command[] = [
  // approval form: the run screen while the run waits for approval. While a text field has focus,
  // printable keys go to the field (screens/shared/use-commands.tsx), so these use named keys.
  {
    id: 'approval.plan.down',
    keys: ['pgdn', 'down'],
    screen: 'approval',
    dangerous: false,
    group: 'approval.plan',
    footerRank: 1,
    label: L('plan', '계획'),
    description: L('Scroll the plan down (a page, or a line); the answer waits until all of it has been on screen', '계획 아래로 (한 페이지 또는 한 줄); 계획 전체가 화면에 나온 뒤에 승인 가능'),
    footerLabel: (s) => (s.approval?.planUnread ? localized('approval.planUnreadFooter', { n: s.approval.planUnread }) : undefined),
    available: (s) => s.approval?.planScrolls === true,
  },
  {
    id: 'approval.plan.up',
    keys: ['pgup', 'up'],
    screen: 'approval',
    dangerous: false,
    group: 'approval.plan',
    footerRank: 1,
    label: L('plan', '계획'),
    description: L('Scroll the plan up (a page, or a line)', '계획 위로 (한 페이지 또는 한 줄)'),
    available: (s) => s.approval?.planScrolls === true,
  },
  {
    id: 'approval.next',
    keys: ['tab'],
    screen: 'approval',
    dangerous: false,
    group: 'approval.field',
    footerRank: 3,
    label: L('field', '입력칸'),
    description: L('Next field of the approval form', '승인 양식의 다음 입력칸'),
    available: (s) => (s.approval?.fields ?? 0) > 1,
  },
  {
    id: 'approval.prev',
    keys: ['shift+tab'],
    screen: 'approval',
    dangerous: false,
    group: 'approval.field',
    footerRank: 3,
    label: L('field', '입력칸'),
    description: L('Previous field of the approval form', '승인 양식의 이전 입력칸'),
    available: (s) => (s.approval?.fields ?? 0) > 1,
  },
  {
    id: 'approval.submit',
    keys: ['enter'],
    screen: 'approval',
    dangerous: true,
    footerRank: 1,
    hideWhenDisabled: true,
    label: L('submit', '제출'),
    description: L('Submit the approval form (from an earlier field: go to the next one)', '승인 양식 제출 (앞 입력칸에서는 다음 입력칸으로)'),
    disabledReason: (s) =>
      needsControl(s) ??
      (s.approval?.waiting
        ? localized('reason.approvalWait')
        : s.approval?.codeVoid
          ? localized('reason.codeVoid')
          : s.approval?.atAnswer && s.approval.planUnread
            ? localized('reason.planUnread', { n: s.approval.planUnread })
            : undefined),
  },
  {
    id: 'approval.reissue',
    keys: ['r'],
    screen: 'approval',
    dangerous: true,
    footerRank: 1,
    label: L('new code', '새 코드'),
    description: L('Issue a new one-time code (offered once the current one is void)', '새 일회용 코드 발급 (현재 코드가 무효일 때)'),
    available: (s) => s.approval?.codeVoid === true,
    disabledReason: needsControl,
  },
  {
    id: 'approval.cancel',
    keys: ['esc', 'c', 'q'],
    screen: 'approval',
    dangerous: true,
    footerRank: 2,
    label: L('cancel', '취소'),
    description: L('Cancel the approval and the run (asks first; nothing has run yet)', '승인과 실행 취소 (먼저 확인, 아직 아무것도 실행되지 않음)'),
    disabledReason: needsControl,
  },
];
