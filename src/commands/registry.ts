// Every key of the console is declared once, here. The footers, the `?` help screen and the input
// hook (screens/shared/use-commands.tsx) are all generated from this list, so a key cannot be
// shown in one place and bound differently in another. No React/Ink here: only data and matching.
import type { Lang, Localized, RunPrompt, RunState } from '../core/views';
import { localized } from '../i18n/catalog';

/** Screens that own keys. Overlays (help, yes/no prompt, fault menu) take over input completely. */
export type CommandScreen = 'global' | 'dashboard' | 'run' | 'help' | 'confirm' | 'fault-menu' | 'watch' | 'approval' | 'filter' | 'checklists' | 'checklist' | 'incident' | 'escalation' | 'prompt' | 'runbooks' | 'runbook-form';

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

/** Built-in runbook ids (R-UI-1); the dashboard's 1/2/3 keys start these. */
export const LEVEL_RUNBOOKS = {
  l1: 'l1-soft-reset',
  l2: 'l2-service-reset',
  l3: 'l3-box-reset',
} as const;

/** Demo faults in menu order (R-UI-3); the menu's number keys pick them. */
export const DEMO_FAULTS = ['slow', 'crash', 'crash-loop', 'box-down', 'nodes-offline', 'error-spike', 'clear'] as const;
export type DemoFault = (typeof DEMO_FAULTS)[number];

const L = (en: string, ko: string): Localized => ({ en, ko });

const needsControl = (s: CommandState) => (s.readOnly ? localized('reason.readOnly') : s.starting ? localized('reason.starting') : undefined);
/** A run another console owns (seen through its journal) can be watched, never controlled here. */
const needsOwnRun = (s: CommandState) => needsControl(s) ?? (s.run?.observed ? localized('reason.observed') : undefined);
const needsService = (s: CommandState) =>
  needsControl(s) ?? (s.selectedService ? undefined : localized('reason.noService'));

const PANE_NAMES = {
  services: L('service', '서비스'),
  alerts: L('alert', '알림'),
  nodes: L('node', '노드'),
  hosts: L('server', '서버'),
} as const;

/** The dashboard's list keys said for the focused pane ("Select the node below"). */
function paneText(s: CommandState, what: 'up' | 'down' | 'filter' | 'pgup' | 'pgdn'): Localized | undefined {
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

export const commands: readonly Command[] = [
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

  // dashboard
  {
    id: 'select.up',
    keys: ['up', 'k'],
    screen: 'dashboard',
    dangerous: false,
    group: 'select',
    footerRank: 3,
    label: L('select', '선택'),
    description: L('Select the service above', '위 서비스 선택'),
    helpText: (s) => paneText(s, 'up'),
  },
  {
    id: 'select.down',
    keys: ['down', 'j'],
    screen: 'dashboard',
    dangerous: false,
    group: 'select',
    footerRank: 3,
    label: L('select', '선택'),
    description: L('Select the service below', '아래 서비스 선택'),
    helpText: (s) => paneText(s, 'down'),
  },
  {
    id: 'runbook.recommended',
    keys: ['r'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 1,
    label: L('recommended', '권장 실행'),
    description: L('Start the recommended runbook on its target', '권장 런북을 해당 대상에 실행'),
    disabledReason: (s) => needsControl(s) ?? (s.hasRecommendation ? undefined : localized('reason.noRecommendation')),
  },
  {
    id: 'runbook.l1',
    keys: ['1'],
    screen: 'dashboard',
    dangerous: true,
    group: 'level',
    footerRank: 2,
    label: L('reset', '리셋'),
    description: L('L1 Soft Reset on the selected service', '선택한 서비스에 L1 Soft Reset'),
    disabledReason: needsService,
  },
  {
    id: 'runbook.l2',
    keys: ['2'],
    screen: 'dashboard',
    dangerous: true,
    group: 'level',
    footerRank: 2,
    label: L('reset', '리셋'),
    description: L('L2 Service Reset on the selected service (approval needed)', '선택한 서비스에 L2 Service Reset (승인 필요)'),
    disabledReason: needsService,
  },
  {
    id: 'runbook.l3',
    keys: ['3'],
    screen: 'dashboard',
    dangerous: true,
    group: 'level',
    footerRank: 2,
    label: L('reset', '리셋'),
    description: L("L3 Box Reset on the selected service's host (two approvals)", '선택한 서비스의 서버에 L3 Box Reset (2단계 승인)'),
    disabledReason: needsService,
  },
  {
    id: 'runbook.dryrun',
    keys: ['d'],
    screen: 'dashboard',
    dangerous: false,
    label: L('dry run', '모의 실행'),
    description: L('Dry run of L1 on the selected service: shows the commands, runs nothing', '선택한 서비스에 L1 모의 실행: 명령만 보여주고 실행하지 않음'),
    disabledReason: needsService,
  },
  {
    id: 'run.open',
    keys: ['enter'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 4,
    label: L('open', '실행 보기'),
    description: L('Open the latest run', '최근 실행 열기'),
    disabledReason: (s) => (s.hasRuns ? undefined : localized('reason.noRun')),
  },
  {
    id: 'demo.fault',
    keys: ['f'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 2,
    label: L('fault', '장애 주입'),
    description: L('Demo only: inject a fault into the simulated fleet', '데모 전용: 시뮬레이션 장비에 장애 주입'),
    available: (s) => s.demo,
  },
  {
    id: 'pane.next',
    keys: ['tab'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 3,
    label: L('pane', '창 이동'),
    description: L('Move the focus to the next pane (services, alerts, nodes, hosts)', '다음 창으로 이동 (서비스, 알림, 노드, 서버)'),
    disabledReason: (s) => ((s.panes ?? 1) > 1 ? undefined : localized('reason.onePane')),
  },
  {
    id: 'device.unisolate',
    keys: ['u'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 4,
    hideWhenDisabled: true,
    label: L('un-isolate', '격리 해제'),
    description: L(
      'Put isolated devices back: the ISOLATED node selected in the nodes pane, or every device the selected device error alert isolated (recorded in the alert)',
      '격리된 장비 복귀: 노드 창에서 선택한 ISOLATED 노드, 또는 선택한 장비 오류 알림이 격리한 모든 장비 (알림에 기록)',
    ),
    available: (s) => s.unisolate !== undefined,
    disabledReason: (s) =>
      needsControl(s) ?? (s.unisolate && s.unisolate.devices > 0 ? undefined : localized(s.unisolate?.focus === 'other' ? 'reason.unisolateFocus' : 'reason.notIsolated')),
  },
  // acknowledge, silence, maintenance (R-MON-3)
  {
    id: 'alert.ack',
    keys: ['a'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 4,
    hideWhenDisabled: true,
    label: L('acknowledge', '확인'),
    description: L(
      'Acknowledge the selected firing alert: recorded with your name and the time (audit log, incident timeline); no more notifications for it but the resolve; PagerDuty gets an acknowledge',
      '선택한 발생 중 알림 확인: 이름과 시각 기록 (감사 로그, 인시던트 타임라인); 해소 외 추가 알림 없음; PagerDuty에 acknowledge 전송',
    ),
    available: (s) => s.alerting !== undefined,
    disabledReason: (s) =>
      needsControl(s) ??
      (!s.alerting?.alert
        ? L('Tab to the alerts pane and select a firing alert', 'Tab으로 알림 창으로 가서 발생 중인 알림을 선택하세요')
        : !s.alerting.alert.firing
          ? L('this alert has resolved: nothing to acknowledge', '이미 해소된 알림입니다')
          : s.alerting.alert.acknowledged
            ? L('already acknowledged', '이미 확인됨')
            : undefined),
  },
  {
    id: 'alert.silence',
    keys: ['s'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 4,
    hideWhenDisabled: true,
    label: L('silence', '무음'),
    footerLabel: (s) => (s.alerting?.alert?.silenced ? L('unsilence', '무음 해제') : undefined),
    description: L(
      'Silence the selected alert (its rule on its subject) for a number of minutes with a reason — "60 deploying api"; on a silenced alert, remove the silence. Ends by itself; audited',
      '선택한 알림(규칙+대상)을 사유와 함께 몇 분간 무음 — 예: "60 api 배포 중"; 무음 중인 알림에서는 무음 해제. 시간이 되면 자동 종료; 감사 기록',
    ),
    available: (s) => s.alerting !== undefined,
    disabledReason: (s) => needsControl(s) ?? (s.alerting?.alert ? undefined : L('Tab to the alerts pane and select an alert', 'Tab으로 알림 창으로 가서 알림을 선택하세요')),
  },
  {
    id: 'service.maintenance',
    keys: ['m'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 4,
    hideWhenDisabled: true,
    label: L('maintenance', '점검'),
    footerLabel: (s) => (s.alerting?.service?.maintenance ? L('end maintenance', '점검 종료') : undefined),
    description: L(
      'Maintenance on the selected service: its alerts are muted for 30 minutes (or the minutes you type first) with a reason, and the wall screen says so; on a service in maintenance, end it. Audited',
      '선택한 서비스 점검: 사유와 함께 30분(또는 앞에 입력한 분) 동안 알림 무음, 월 스크린에 표시; 점검 중인 서비스에서는 점검 종료. 감사 기록',
    ),
    available: (s) => s.alerting !== undefined,
    disabledReason: (s) => needsControl(s) ?? (s.alerting?.service ? undefined : L('select a service in the services pane', '서비스 창에서 서비스를 선택하세요')),
  },
  {
    id: 'filter.start',
    keys: ['/'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 3,
    label: L('filter', '필터'),
    description: L('Filter the focused list by name or label', '선택한 창의 목록을 이름이나 라벨로 필터'),
    helpText: (s) => paneText(s, 'filter'),
  },
  {
    id: 'list.pageUp',
    keys: ['pgup'],
    screen: 'dashboard',
    dangerous: false,
    group: 'list.page',
    label: L('page', '페이지'),
    description: L('Page up in the focused list', '선택한 목록에서 한 페이지 위로'),
    helpText: (s) => paneText(s, 'pgup'),
  },
  {
    id: 'list.pageDown',
    keys: ['pgdn'],
    screen: 'dashboard',
    dangerous: false,
    group: 'list.page',
    label: L('page', '페이지'),
    description: L('Page down in the focused list', '선택한 목록에서 한 페이지 아래로'),
    helpText: (s) => paneText(s, 'pgdn'),
  },

  // the `/` filter field: every other key is typed into it
  {
    id: 'filter.apply',
    keys: ['enter'],
    screen: 'filter',
    dangerous: false,
    label: L('keep filter', '필터 유지'),
    description: L('Keep the filter and go back to the list', '필터를 유지하고 목록으로'),
  },
  {
    id: 'filter.clear',
    keys: ['esc'],
    screen: 'filter',
    dangerous: false,
    label: L('clear', '해제'),
    description: L('Clear the filter', '필터 해제'),
  },

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

  // watch mode (wall screen): looking only
  {
    id: 'watch.next',
    keys: ['tab'],
    screen: 'watch',
    dangerous: false,
    label: L('next run', '다음 실행'),
    description: L('Show the next run in progress (when several run at once)', '다음 진행 중 실행 보기 (여러 개일 때)'),
  },

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

  // runbook picker: any runbook, with its parameters (issue 7)
  {
    id: 'runbooks.show',
    keys: ['b'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 2,
    label: L('runbooks', '런북'),
    description: L('Every runbook for the selected service or host: fill its parameters, run or dry-run it', '선택한 서비스·서버의 모든 런북: 파라미터 입력 후 실행 또는 모의 실행'),
    disabledReason: needsControl,
  },
  {
    id: 'runbooks.up',
    keys: ['up', 'k'],
    screen: 'runbooks',
    dangerous: false,
    group: 'runbooks.move',
    footerRank: 3,
    label: L('select', '선택'),
    description: L('Previous runbook', '이전 런북'),
  },
  {
    id: 'runbooks.down',
    keys: ['down', 'j'],
    screen: 'runbooks',
    dangerous: false,
    group: 'runbooks.move',
    footerRank: 3,
    label: L('select', '선택'),
    description: L('Next runbook', '다음 런북'),
  },
  {
    id: 'runbooks.choose',
    keys: ['enter'],
    screen: 'runbooks',
    dangerous: true,
    footerRank: 1,
    label: L('parameters', '파라미터'),
    description: L('Open the parameter form of the selected runbook (Enter on its last field starts it)', '선택한 런북의 파라미터 입력 (마지막 칸에서 Enter로 실행)'),
    disabledReason: needsControl,
  },
  {
    id: 'runbooks.dryrun',
    keys: ['d'],
    screen: 'runbooks',
    dangerous: false,
    footerRank: 1,
    label: L('dry run', '모의 실행'),
    description: L('Dry run of the selected runbook: shows every command and its host, runs nothing (asks for values it cannot fill)', '선택한 런북 모의 실행: 명령과 서버만 보여주고 실행하지 않음 (채울 수 없는 값은 입력 요청)'),
  },
  {
    id: 'runbooks.scope',
    keys: ['a'],
    screen: 'runbooks',
    dangerous: false,
    footerRank: 2,
    label: L('all / selected', '전체 / 선택'),
    description: L('Switch between the runbooks for the selected service or host and every runbook', '선택한 서비스·서버의 런북과 전체 런북 사이 전환'),
    available: (s) => s.runbooks?.canScope === true,
  },
  {
    id: 'runbooks.back',
    keys: ['esc', 'b', 'q'],
    screen: 'runbooks',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back to the dashboard', '대시보드로'),
  },
  // the parameter form: printable keys go to a focused text field, so these use named keys
  {
    id: 'runform.up',
    keys: ['up'],
    screen: 'runbook-form',
    dangerous: false,
    group: 'runform.move',
    footerRank: 3,
    label: L('move', '이동'),
    description: L('Previous field; in a list, the previous choice', '이전 입력칸; 목록에서는 이전 항목'),
  },
  {
    id: 'runform.down',
    keys: ['down'],
    screen: 'runbook-form',
    dangerous: false,
    group: 'runform.move',
    footerRank: 3,
    label: L('move', '이동'),
    description: L('Next field; in a list, the next choice', '다음 입력칸; 목록에서는 다음 항목'),
  },
  {
    id: 'runform.next',
    keys: ['tab'],
    screen: 'runbook-form',
    dangerous: false,
    group: 'runform.field',
    footerRank: 4,
    label: L('field', '입력칸'),
    description: L('Next field (also from a list)', '다음 입력칸 (목록에서도)'),
  },
  {
    id: 'runform.prev',
    keys: ['shift+tab'],
    screen: 'runbook-form',
    dangerous: false,
    group: 'runform.field',
    footerRank: 4,
    label: L('field', '입력칸'),
    description: L('Previous field (also from a list)', '이전 입력칸 (목록에서도)'),
  },
  {
    id: 'runform.submit',
    keys: ['enter'],
    screen: 'runbook-form',
    dangerous: true,
    footerRank: 1,
    label: L('next / start', '다음 / 실행'),
    description: L('Next field; on the last field, check every value and start the run (or the dry run)', '다음 입력칸; 마지막 칸에서는 모든 값을 확인하고 실행 (또는 모의 실행)'),
    disabledReason: (s) => needsControl(s) ?? (s.runbooks?.loading ? localized('reason.loadingChoices') : undefined),
  },
  {
    id: 'runform.reload',
    keys: ['r'],
    screen: 'runbook-form',
    dangerous: false,
    footerRank: 2,
    label: L('list again', '다시 조회'),
    description: L('List the choices on the target again', '대상에서 선택지를 다시 조회'),
    available: (s) => s.runbooks?.field === 'listed',
  },
  {
    id: 'runform.back',
    keys: ['esc', 'q'],
    screen: 'runbook-form',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back to the runbook list (nothing runs)', '런북 목록으로 (아무것도 실행 안 됨)'),
  },

  // checklists and incidents (R-CHK, R-INC)
  {
    id: 'incident.show',
    keys: ['i'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 3,
    label: L('incident', '인시던트'),
    description: L('Show the open incident with its clocks (none open: open one by hand with a title)', '열린 인시던트와 시간 목표 보기 (없으면 제목을 입력해 직접 등록)'),
    disabledReason: (s) => (s.starting ? localized('reason.starting') : undefined),
  },
  {
    id: 'checklist.list',
    keys: ['l'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 3,
    label: L('checklists', '체크리스트'),
    description: L('Checklists: resume one in progress or start one', '체크리스트: 진행 중인 것 이어서 하기 또는 새로 시작'),
    disabledReason: (s) => (s.starting ? localized('reason.starting') : undefined),
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
  {
    id: 'checklists.up',
    keys: ['up', 'k'],
    screen: 'checklists',
    dangerous: false,
    group: 'checklists.move',
    label: L('select', '선택'),
    description: L('Previous checklist', '이전 체크리스트'),
  },
  {
    id: 'checklists.down',
    keys: ['down', 'j'],
    screen: 'checklists',
    dangerous: false,
    group: 'checklists.move',
    label: L('select', '선택'),
    description: L('Next checklist', '다음 체크리스트'),
  },
  {
    id: 'checklists.open',
    keys: ['enter'],
    screen: 'checklists',
    dangerous: false,
    footerRank: 1,
    label: L('open', '열기'),
    description: L('Resume the checklist in progress, or start the chosen one', '진행 중인 체크리스트 이어서 하기, 또는 선택한 것 시작'),
  },
  {
    id: 'checklists.back',
    keys: ['esc', 'b', 'q'],
    screen: 'checklists',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back', '뒤로'),
  },
  {
    id: 'checklist.up',
    keys: ['up', 'k'],
    screen: 'checklist',
    dangerous: false,
    group: 'checklist.move',
    footerRank: 3,
    label: L('move', '이동'),
    description: L('Previous item', '이전 항목'),
  },
  {
    id: 'checklist.down',
    keys: ['down', 'j'],
    screen: 'checklist',
    dangerous: false,
    group: 'checklist.move',
    footerRank: 3,
    label: L('move', '이동'),
    description: L('Next item', '다음 항목'),
  },
  {
    id: 'checklist.sign',
    keys: [' '],
    screen: 'checklist',
    dangerous: true,
    footerRank: 1,
    label: L('sign', '서명'),
    description: L('Sign the item off (your name and the time are recorded)', '항목 서명 (이름과 시각 기록)'),
    disabledReason: (s) => needsControl(s) ?? (s.ops?.item?.signed ? localized('reason.alreadySigned') : s.ops?.item?.failing ? localized('reason.failingOverride') : undefined),
  },
  {
    id: 'checklist.override',
    keys: ['o'],
    screen: 'checklist',
    dangerous: true,
    footerRank: 2,
    hideWhenDisabled: true,
    label: L('override', '예외 서명'),
    description: L('Sign a failing or unknown auto-checked item anyway, with a note saying why', '실패 중이거나 결과가 없는 자동 점검 항목을 사유와 함께 예외 서명'),
    disabledReason: (s) => needsControl(s) ?? (s.ops?.item?.failing && !s.ops.item.signed ? undefined : localized('reason.notFailing')),
  },
  {
    id: 'checklist.note',
    keys: ['n'],
    screen: 'checklist',
    dangerous: true,
    footerRank: 2,
    label: L('note', '메모'),
    description: L('Add a note to the item', '항목에 메모 추가'),
    disabledReason: needsControl,
  },
  {
    id: 'checklist.undo',
    keys: ['u'],
    screen: 'checklist',
    dangerous: true,
    footerRank: 2,
    label: L('undo', '서명 취소'),
    description: L('Undo the sign-off (the undo is recorded; nothing is erased)', '서명 취소 (취소도 기록되며 지워지지 않음)'),
    disabledReason: (s) => needsControl(s) ?? (s.ops?.item?.signed ? undefined : localized('reason.notSigned')),
  },
  {
    id: 'checklist.back',
    keys: ['esc', 'b', 'q'],
    screen: 'checklist',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back (every sign-off is already saved)', '뒤로 (모든 서명은 이미 저장됨)'),
  },
  {
    id: 'incident.up',
    keys: ['up', 'k'],
    screen: 'incident',
    dangerous: false,
    group: 'incident.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll the timeline up', '타임라인 위로'),
  },
  {
    id: 'incident.down',
    keys: ['down', 'j'],
    screen: 'incident',
    dangerous: false,
    group: 'incident.scroll',
    label: L('scroll', '스크롤'),
    description: L('Scroll the timeline down', '타임라인 아래로'),
  },
  {
    id: 'incident.escalation',
    keys: ['x'],
    screen: 'incident',
    dangerous: false,
    footerRank: 1,
    label: L('escalation', '에스컬레이션'),
    description: L('Escalation timeline and contacts, the current band highlighted', '에스컬레이션 단계와 연락처 (현재 단계 강조)'),
  },
  {
    id: 'incident.severity',
    keys: ['s'],
    screen: 'incident',
    dangerous: true,
    footerRank: 2,
    label: L('severity', '심각도'),
    description: L('Change the severity (P0 → P1 → P2 → P3)', '심각도 변경 (P0 → P1 → P2 → P3)'),
    disabledReason: (s) => needsControl(s) ?? (s.ops?.incidentOpen ? undefined : localized('reason.noOpenIncident')),
  },
  {
    id: 'incident.close',
    keys: ['c'],
    screen: 'incident',
    dangerous: true,
    footerRank: 1,
    label: L('close + report', '종료 + 보고서'),
    description: L('Close the incident: type root cause and prevention (or leave placeholders), write the report', '인시던트 종료: 근본 원인과 재발 방지 입력 (비우면 자리표시), 보고서 작성'),
    disabledReason: (s) => needsControl(s) ?? (s.ops?.incidentOpen ? undefined : localized('reason.noOpenIncident')),
  },
  {
    id: 'incident.new',
    keys: ['o'],
    screen: 'incident',
    dangerous: true,
    footerRank: 3,
    label: L('new', '새 인시던트'),
    description: L('Open another incident by hand, with a title', '제목을 입력해 인시던트 직접 등록'),
    disabledReason: needsControl,
  },
  {
    id: 'incident.checklists',
    keys: ['l'],
    screen: 'incident',
    dangerous: false,
    footerRank: 3,
    label: L('checklists', '체크리스트'),
    description: L('Checklists for this incident', '이 인시던트의 체크리스트'),
  },
  {
    id: 'incident.next',
    keys: ['tab'],
    screen: 'incident',
    dangerous: false,
    footerRank: 4,
    label: L('next', '다음'),
    description: L('Show the next incident (open ones first, then recent closed ones)', '다음 인시던트 보기 (열린 것 먼저, 그다음 최근 종료)'),
  },
  {
    id: 'incident.back',
    keys: ['esc', 'b', 'q'],
    screen: 'incident',
    dangerous: false,
    footerRank: 2,
    label: L('back', '뒤로'),
    description: L('Back', '뒤로'),
  },
  {
    id: 'escalation.close',
    keys: ['esc', 'x', 'q'],
    screen: 'escalation',
    dangerous: false,
    label: L('close', '닫기'),
    description: L('Close the escalation matrix', '에스컬레이션 표 닫기'),
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
