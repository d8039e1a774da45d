// What the per-screen command files share: the localized-text helper, the reasons a command is
// disabled, and the built-in runbooks and demo faults. Pure data: no React/Ink, no writers.
import type { Localized } from '../core/views';
import { localized } from '../i18n/catalog';
import type { CommandState } from './registry';

/** Built-in runbook ids (R-UI-1); the dashboard's 1/2/3 keys start these. */
export const LEVEL_RUNBOOKS = {
  l1: 'l1-soft-reset',
  l2: 'l2-service-reset',
  l3: 'l3-box-reset',
} as const;

/** Demo faults in menu order (R-UI-3); the menu's number keys pick them. */
export const DEMO_FAULTS = ['slow', 'crash', 'crash-loop', 'box-down', 'nodes-offline', 'error-spike', 'clear'] as const;
export type DemoFault = (typeof DEMO_FAULTS)[number];

export const L = (en: string, ko: string): Localized => ({ en, ko });

export const needsControl = (s: CommandState) => (s.readOnly ? localized('reason.readOnly') : s.starting ? localized('reason.starting') : undefined);
/** A run another console owns (seen through its journal) can be watched, never controlled here. */
export const needsOwnRun = (s: CommandState) => needsControl(s) ?? (s.run?.observed ? localized('reason.observed') : undefined);
export const needsService = (s: CommandState) =>
  needsControl(s) ?? (s.selectedService ? undefined : localized('reason.noService'));

const PANE_NAMES = {
  services: L('service', '서비스'),
  alerts: L('alert', '알림'),
  nodes: L('node', '노드'),
  hosts: L('host', '호스트'),
} as const;

/** The dashboard's list keys said for the focused pane ("Select the node below"). */
export function paneText(s: CommandState, what: 'up' | 'down' | 'filter' | 'pgup' | 'pgdn'): Localized | undefined {
  if (!s.focus || s.focus === 'services') return undefined;
  const { en, ko } = PANE_NAMES[s.focus];
  switch (what) {
    case 'up':
      return L(`Select the ${en} above (the 1/2/3 target stays the selected service)`, `위 ${ko} 선택 (1/2/3 대상은 선택한 서비스 그대로)`);
    case 'down':
      return L(`Select the ${en} below (the 1/2/3 target stays the selected service)`, `아래 ${ko} 선택 (1/2/3 대상은 선택한 서비스 그대로)`);
    case 'filter':
      return L(`Filter the ${en} list by name or label`, `${ko} 목록을 이름이나 라벨로 필터`);
    case 'pgup':
      return L(`Page up in the ${en} list`, `${ko} 목록에서 한 페이지 위로`);
    case 'pgdn':
      return L(`Page down in the ${en} list`, `${ko} 목록에서 한 페이지 아래로`);
  }
}
