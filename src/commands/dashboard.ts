// The dashboard's keys: selection, panes, the level runbooks, alert actions, the keys that open the
// other screens, and the `/` filter field.
// Part of the command registry (registry.ts assembles the list; keys are declared once).
import type { Command } from './registry';
import { localized } from '../i18n/catalog';
import { L, needsControl, needsService, paneText } from './common';

export const dashboardCommands: readonly Command[] = [
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
    description: L("L3 Box Reset on the selected service's host (two approvals)", '선택한 서비스의 호스트에 L3 Box Reset (2단계 승인)'),
    disabledReason: needsService,
  },
  {
    id: 'runbook.dryrun',
    keys: ['d'],
    screen: 'dashboard',
    dangerous: false,
    label: L('dry run', '모의 실행'),
    description: L('Dry run of L1 on the selected service: shows the commands, runs nothing', '선택한 서비스에 L1 모의 실행: 명령만 보여주고 실행하지 않음'),
    // A dry run is still a run.start the server checks (operator role): a read-only console (a
    // viewer's) does not offer it.
    available: (s) => !s.readOnly,
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
    available: (s) => !s.alertSelected,
    disabledReason: (s) => (s.hasRuns ? undefined : localized('reason.noRun')),
  },
  {
    id: 'alert.detail',
    keys: ['enter'],
    screen: 'dashboard',
    dangerous: false,
    footerRank: 4,
    label: L('detail', '상세'),
    description: L('The alert under the cursor in full: rule, target, since, the whole message, actions and every notification sent with its result', '커서의 알림 전체: 규칙, 대상, 시작 시각, 전체 내용, 조치, 보낸 알림과 결과'),
    available: (s) => s.alertSelected === true,
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
    description: L('Move the focus to the next pane (services, alerts, nodes, hosts)', '다음 창으로 이동 (서비스, 알림, 노드, 호스트)'),
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

  // opens the runbook picker (runbooks.ts): any runbook, with its parameters (issue 7)
  {
    id: 'runbooks.show',
    keys: ['b'],
    screen: 'dashboard',
    dangerous: true,
    footerRank: 2,
    label: L('runbooks', '런북'),
    description: L('Every runbook for the selected service or host: fill its parameters, run or dry-run it', '선택한 서비스·호스트의 모든 런북: 파라미터 입력 후 실행 또는 모의 실행'),
    disabledReason: needsControl,
  },

  // open checklists and incidents (checklist.ts, incident.ts; R-CHK, R-INC)
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
];
