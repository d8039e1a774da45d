// Keys every main screen takes (help, quit); overlays take only their own.
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { L } from './common';

export const globalCommands: readonly Command[] = [
  // global
  {
    id: 'help',
    keys: ['?'],
    screen: 'global',
    dangerous: false,
    label: L('help', '도움말'),
    description: L('Show every key of this screen', '이 화면의 모든 키 보기'),
  },
  {
    id: 'quit',
    keys: ['q', 'ctrl+c'],
    screen: 'global',
    dangerous: false,
    label: L('quit', '종료'),
    // On every other screen `q` backs out one level (the screen's own back key shadows it, see
    // keysShown); Ctrl-C quits from anywhere.
    description: L('Quit the console (asks first while a run is active); on other screens q goes back', '콘솔 종료 (실행 중이면 먼저 확인), 다른 화면에서 q는 뒤로'),
  },
];
