// Overlays that take over input completely: the ? help, the yes/no prompt, the demo fault menu and
// the one-line text prompt.
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { L, DEMO_FAULTS } from './common';

export const overlayCommands: readonly Command[] = [
  // alert detail (Enter on an alert)
  {
    id: 'alertDetail.close',
    keys: ['esc', 'q', 'enter'],
    screen: 'alert-detail',
    dangerous: false,
    label: L('back', '뒤로'),
    description: L('Back to the dashboard', '대시보드로'),
  },
  {
    id: 'alertDetail.up',
    keys: ['up', 'k'],
    screen: 'alert-detail',
    dangerous: false,
    group: 'alertDetail.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll up a line', '한 줄 위로'),
  },
  {
    id: 'alertDetail.down',
    keys: ['down', 'j'],
    screen: 'alert-detail',
    dangerous: false,
    group: 'alertDetail.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll down a line', '한 줄 아래로'),
  },

  // help overlay
  {
    id: 'help.close',
    keys: ['esc', '?', 'q'],
    screen: 'help',
    dangerous: false,
    label: L('close', '닫기'),
    description: L('Close the help', '도움말 닫기'),
  },
  {
    id: 'help.up',
    keys: ['up', 'k'],
    screen: 'help',
    dangerous: false,
    group: 'help.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll the help up a line', '도움말을 한 줄 위로'),
  },
  {
    id: 'help.down',
    keys: ['down', 'j'],
    screen: 'help',
    dangerous: false,
    group: 'help.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll the help down a line', '도움말을 한 줄 아래로'),
  },
  {
    id: 'help.pageUp',
    keys: ['pgup'],
    screen: 'help',
    dangerous: false,
    group: 'help.page',
    label: L('page', '페이지'),
    description: L('Scroll the help up a page', '도움말을 한 페이지 위로'),
  },
  {
    id: 'help.pageDown',
    keys: ['pgdn', ' '],
    screen: 'help',
    dangerous: false,
    group: 'help.page',
    label: L('page', '페이지'),
    description: L('Scroll the help down a page', '도움말을 한 페이지 아래로'),
  },

  // yes/no prompt
  {
    id: 'confirm.yes',
    keys: ['y'],
    screen: 'confirm',
    dangerous: false,
    label: L('yes', '예'),
    description: L('Yes', '예'),
  },
  {
    id: 'confirm.no',
    keys: ['n', 'esc'],
    screen: 'confirm',
    dangerous: false,
    label: L('no', '아니오'),
    description: L('No', '아니오'),
  },

  // demo fault menu
  {
    id: 'fault.up',
    keys: ['up', 'k'],
    screen: 'fault-menu',
    dangerous: false,
    group: 'fault.move',
    label: L('move', '이동'),
    description: L('Previous fault', '이전 장애'),
  },
  {
    id: 'fault.down',
    keys: ['down', 'j'],
    screen: 'fault-menu',
    dangerous: false,
    group: 'fault.move',
    label: L('move', '이동'),
    description: L('Next fault', '다음 장애'),
  },
  {
    id: 'fault.choose',
    keys: ['enter'],
    screen: 'fault-menu',
    dangerous: false,
    label: L('inject', '주입'),
    description: L('Inject the selected fault', '선택한 장애 주입'),
  },
  {
    id: 'fault.number',
    keys: DEMO_FAULTS.map((_, i) => String(i + 1)),
    screen: 'fault-menu',
    dangerous: false,
    label: L('pick', '선택'),
    description: L('Inject the fault with this number', '해당 번호의 장애 주입'),
  },
  {
    id: 'fault.close',
    keys: ['esc', 'q'],
    screen: 'fault-menu',
    dangerous: false,
    label: L('close', '닫기'),
    description: L('Close the menu', '메뉴 닫기'),
  },
  {
    id: 'prompt.submit',
    keys: ['enter'],
    screen: 'prompt',
    dangerous: false,
    label: L('save', '저장'),
    description: L('Save what you typed', '입력 저장'),
  },
  {
    id: 'prompt.cancel',
    keys: ['esc'],
    screen: 'prompt',
    dangerous: false,
    label: L('cancel', '취소'),
    description: L('Cancel (nothing is recorded)', '취소 (기록 안 됨)'),
  },
];
