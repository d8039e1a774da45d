// Watch mode (the wall screen): looking only.
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { L } from './common';

export const watchCommands: readonly Command[] = [
  // watch mode (wall screen): looking only
  {
    id: 'watch.next',
    keys: ['tab'],
    screen: 'watch',
    dangerous: false,
    label: L('next run', '다음 실행'),
    description: L('Show the next run in progress (when several run at once)', '다음 진행 중 실행 보기 (여러 개일 때)'),
  },
];
